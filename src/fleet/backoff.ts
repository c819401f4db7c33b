// When an org runs next: one interval (±10% jitter) after a run that went as told; after the nth
// failed run in a row, interval × 2^n, at most the larger of the interval and 30 minutes, so a
// failing org is retried less and less often and never crowds out the others. A run another
// writer's conflict ended is requeued soon instead (30 s, doubled for each such run in a row, at
// most the interval), unless conflicts have gone on so long that they count as failures.
import { conflictRequeueMs, CONFLICTS_BEFORE_FAILURE, jittered } from '../reconcile/schedule.js';
import type { OrgRunResult } from './history.js';

export const MAX_BACKOFF_MS = 30 * 60_000;
export const JITTER = 0.1;

export interface NextDelayOptions {
  intervalMs: number;
  /** Failed runs in a row, this one included. */
  consecutiveFailures: number;
  /** How the run ended: a conflict is requeued, not backed off. */
  result?: OrgRunResult;
  /** Conflict-ended runs in a row, this one included (when it ended `conflict`). */
  conflictsInRow?: number;
  random?: () => number;
}

export function nextDelayMs(options: NextDelayOptions): number {
  const { intervalMs, consecutiveFailures, result, conflictsInRow = 1, random = Math.random } = options;
  if (result === 'conflict' && conflictsInRow < CONFLICTS_BEFORE_FAILURE) return jittered(conflictRequeueMs(intervalMs, conflictsInRow), JITTER, random);
  const cap = Math.max(intervalMs, MAX_BACKOFF_MS);
  const base = consecutiveFailures <= 0 ? intervalMs : Math.min(cap, intervalMs * 2 ** Math.min(consecutiveFailures, 30));
  return jittered(base, JITTER, random);
}
