// The one family of errors accessctl raises on purpose. Each carries a stable code and, when the
// user caused it, where: the CLI turns these into a message and an exit code in one place.

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type ErrorCode =
  | 'usage' // a bad flag, argument or environment variable
  | 'config-invalid' // validation found errors; the diagnostics were already printed
  | 'not-found' // a path or object the user named does not exist
  | 'io' // the file system refused
  | 'platform' // the platform API answered with an error
  | 'conflict' // someone else holds what we need (a lock, a name)
  | 'internal'; // a bug in accessctl

export class AccessctlError extends Error {
  readonly code: ErrorCode;
  readonly location: SourceLocation | undefined;
  /** The flag, field or variable the message is about, when there is one. */
  readonly subject: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { location?: SourceLocation; subject?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AccessctlError';
    this.code = code;
    this.location = options.location;
    this.subject = options.subject;
    this.exitCode = options.exitCode ?? 1;
  }
}

export function usageError(message: string, subject?: string): AccessctlError {
  return new AccessctlError('usage', message, subject === undefined ? {} : { subject });
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}
