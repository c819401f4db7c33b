// The error a platform call ends in: the HTTP status, JumpCloud's own message and its per-field
// details, never the key. Everything the platform said is bounded and stripped of control characters.
import { AccessctlError } from '../errors.js';

/** At most this many of the platform's details are shown; the rest are counted. */
export const maxShownDetails = 20;
/** Each message and detail is cut to this many characters. */
export const maxPlatformTextLength = 500;

// C0 and C1 controls (escape sequences could rewrite the terminal) and the invisible
// text-direction marks that could make a message read differently from what it says.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g;

/** Text from the platform made safe to print on one line: no control characters, at most `max` characters. */
export function printableText(text: string, max = maxPlatformTextLength): string {
  const clean = text.replace(UNPRINTABLE, ' ').replace(/ {2,}/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** One platform detail as `field: message`; JumpCloud sends {field, message}, anything else is shown as JSON. */
function detailLine(detail: unknown): string {
  if (typeof detail === 'string') return printableText(detail);
  if (detail !== null && typeof detail === 'object') {
    const record = detail as Record<string, unknown>;
    const field = typeof record['field'] === 'string' ? record['field'] : undefined;
    const message = typeof record['message'] === 'string' ? record['message'] : undefined;
    if (message !== undefined) return printableText(field === undefined || field === '' ? message : `${field}: ${message}`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(detail);
  } catch {
    json = undefined;
  }
  return printableText(json ?? String(detail));
}

/** The platform's details as printable lines, bounded in number and length. */
export function detailLines(details: unknown): string[] {
  if (details === undefined || details === null) return [];
  const list = Array.isArray(details) ? details : [details];
  const lines = list
    .slice(0, maxShownDetails)
    .map(detailLine)
    .filter((line) => line !== '');
  if (list.length > maxShownDetails) lines.push(`… and ${list.length - maxShownDetails} more`);
  return lines;
}

/**
 * What a call is called in messages: the concrete path when it is known, else the route with each
 * `{param}` elided, so a message never shows a raw template such as `/approvalflowrequest/{id}`.
 */
function shownPath(route: string, path: string | undefined): string {
  if (path !== undefined) return printableText(path.split('?')[0] ?? path);
  return route.replace(/\{\w+\}/g, '…');
}

export class PlatformError extends AccessctlError {
  readonly status: number | undefined;
  readonly method: string;
  readonly route: string;
  /** The concrete path that was called (no query string), when the caller knew it. */
  readonly path: string | undefined;
  /** The platform's own message, printable. */
  readonly reason: string;
  /** JumpCloud's `details` for a 400, when it sent any, as it sent them. */
  readonly details: unknown;

  constructor(init: {
    method: string;
    route: string;
    path?: string;
    status?: number;
    message: string;
    details?: unknown;
    cause?: unknown;
  }) {
    const what = init.status === undefined ? 'failed' : `answered ${init.status}`;
    const reason = printableText(init.message);
    super('platform', `${init.method} ${shownPath(init.route, init.path)} ${what}: ${reason}`, init.cause === undefined ? {} : { cause: init.cause });
    this.name = 'PlatformError';
    this.status = init.status;
    this.method = init.method;
    this.route = init.route;
    this.path = init.path;
    this.reason = reason;
    this.details = init.details;
  }

  /** The same failure, named by the concrete path that was called. */
  at(path: string): PlatformError {
    return this.with({ path });
  }

  /** The same failure with another message (and optionally details), e.g. one that names a flag instead of a wire header. */
  with(changes: { path?: string; message?: string; details?: unknown }): PlatformError {
    const path = changes.path ?? this.path;
    return new PlatformError({
      method: this.method,
      route: this.route,
      ...(path === undefined ? {} : { path }),
      ...(this.status === undefined ? {} : { status: this.status }),
      message: changes.message ?? this.reason,
      details: 'details' in changes ? changes.details : this.details,
      ...(this.cause === undefined ? {} : { cause: this.cause }),
    });
  }

  /** The message for a person: the one-line summary, then each of the platform's details on its own indented line. */
  get report(): string {
    return [this.message, ...detailLines(this.details).map((line) => `  ${line}`)].join('\n');
  }
}
