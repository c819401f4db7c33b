// When an org runs next: one interval (±10% jitter) after a run that went as told; after the nth
// failed run in a row, interval × 2^n, at most the larger of the interval and 30 minutes, so a
// failing org is retried less and less often and never crowds out the others. A run another
// writer's conflict ended is requeued soon instead, whatever the streak: it is no failure.
import { conflictRequeueMs, jittered } from '../reconcile/schedule.js';
import type { OrgRunResult } from './history.js';

export const MAX_BACKOFF_MS = 30 * 60_000;
export const JITTER = 0.1;

export function nextDelayMs(intervalMs: number, consecutiveFailures: number, random: () => number = Math.random, result?: OrgRunResult): number {
  if (result === 'conflict') return jittered(conflictRequeueMs(intervalMs), JITTER, random);
  const cap = Math.max(intervalMs, MAX_BACKOFF_MS);
  const base = consecutiveFailures <= 0 ? intervalMs : Math.min(cap, intervalMs * 2 ** Math.min(consecutiveFailures, 30));
  const factor = 1 + JITTER * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}
