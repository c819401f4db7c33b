// How the webhook delivery worker retries, as a value: the delivery worker follows it and the
// OpenAPI description states it. Pure, so the description needs no worker.

export interface RetrySchedule {
  /** Retries after the first attempt (JumpCloud: 3). */
  retries: number;
  /** The first retry waits up to this long; each next one twice as long (with jitter), up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An attempt without an answer by then is a timeout (retried). */
  timeoutMs: number;
}

export const defaultRetrySchedule: RetrySchedule = { retries: 3, baseDelayMs: 30_000, maxDelayMs: 3_600_000, timeoutMs: 10_000 };
