// The error a platform call ends in: the HTTP status and JumpCloud's own message, never the key.
import { AccessctlError } from '../errors.js';

export class PlatformError extends AccessctlError {
  readonly status: number | undefined;
  readonly method: string;
  readonly route: string;
  /** JumpCloud's `details` for a 400, when it sent any. */
  readonly details: unknown;

  constructor(init: { method: string; route: string; status?: number; message: string; details?: unknown; cause?: unknown }) {
    const what = init.status === undefined ? 'failed' : `answered ${init.status}`;
    super('platform', `${init.method} ${init.route} ${what}: ${init.message}`, init.cause === undefined ? {} : { cause: init.cause });
    this.name = 'PlatformError';
    this.status = init.status;
    this.method = init.method;
    this.route = init.route;
    this.details = init.details;
  }
}
