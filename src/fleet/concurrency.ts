// A bound on how many org runs one process carries out at once, and a wake-up for the loop that
// starts them: it waits for whichever comes first, a free slot, a timer or a stop.
import { AccessctlError } from '../errors.js';
import type { SetTimer } from '../reconcile/schedule.js';

export const defaultSetTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/** Resolves the pending wait once poked; a poke with no one waiting is kept for the next wait. */
export class Wakeup {
  private pending: (() => void) | undefined;
  private poked = false;

  constructor(private readonly setTimer: SetTimer = defaultSetTimer) {}

  poke(): void {
    const resolve = this.pending;
    this.pending = undefined;
    if (resolve) resolve();
    else this.poked = true;
  }

  /** Waits until poked, `ms` passes (when given) or the signal aborts. */
  wait(ms: number | undefined, signal: AbortSignal): Promise<void> {
    if (this.poked || signal.aborted) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      const done = (): void => {
        cancel?.();
        signal.removeEventListener('abort', done);
        if (this.pending === done) this.pending = undefined;
        resolve();
      };
      this.pending = done;
      signal.addEventListener('abort', done, { once: true });
      if (ms !== undefined) cancel = this.setTimer(done, Math.max(0, ms));
    });
  }
}

/** Parses --concurrency: a whole number from 1 to 256. */
export function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new AccessctlError('usage', `--concurrency must be a whole number from 1 to 256, got ${JSON.stringify(value)}`, { subject: '--concurrency' });
  }
  return n;
}
