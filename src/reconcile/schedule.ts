// When the reconciler runs: an interval with symmetric jitter (sooner after a run another writer's
// conflict ended, later for each such run in a row), and a runner that never overlaps runs (the next delay starts after a run ends)
// and stops on abort after the run in flight.
// Timers are injectable, and the defaults read the global timers late so fake timers work.
import { AccessctlError } from '../errors.js';
import { abortableSleep, globalTimer, type SetTimer } from '../retry/abortable-sleep.js';

export type { SetTimer };

export interface ScheduleOptions {
  intervalMs: number;
  /** 0.1 = plus or minus 10%. */
  jitter: number;
  random?: () => number;
  setTimer?: SetTimer;
}

/** The longest delay a Node timer honours (about 24.8 days). */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/**
 * How soon a run follows one that ended `conflict` (another writer kept changing what it was about
 * to write, through every re-plan): a requeue, not a back-off, yet not at once, so a writer that
 * never stops costs a few plans a minute rather than a spin. Doubled for each conflict-ended run
 * in a row (30 s, 1 m, ...), never later than the interval.
 */
export const CONFLICT_REQUEUE_MS = 30_000;

/**
 * The conflict-ended runs in a row after which a conflict counts as a failed run: a writer that
 * keeps changing the same objects (another reconciler or tool on the org) is no passing race, and
 * the operator must hear of it (an ERROR; the failure streak, back-off and alerts of failed runs).
 */
export const CONFLICTS_BEFORE_FAILURE = 3;

/** Conflict-ended runs in a row after a run that ended with `result`: a stopped run neither ends nor adds to them. */
export function conflictStreak(before: number, result: string): number {
  if (result === 'conflict') return before + 1;
  return result === 'stopped' ? before : 0;
}

/** `ms` scaled by a uniform factor in [1 - jitter, 1 + jitter], within what a timer honours. */
export function jittered(ms: number, jitter: number, random: () => number): number {
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.min(MAX_INTERVAL_MS, Math.max(0, Math.round(ms * factor)));
}

/**
 * The delay before the run after the `inRow`th conflict-ended run in a row: CONFLICT_REQUEUE_MS,
 * doubled for each one before it, or the interval when that is shorter.
 */
export function conflictRequeueMs(intervalMs: number, inRow = 1): number {
  return Math.min(intervalMs, CONFLICT_REQUEUE_MS * 2 ** Math.min(Math.max(inRow, 1) - 1, 30));
}

export class Schedule {
  readonly intervalMs: number;
  readonly jitter: number;
  private readonly random: () => number;
  private readonly setTimer: SetTimer;

  constructor(options: ScheduleOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0 || options.intervalMs > MAX_INTERVAL_MS) {
      throw new AccessctlError('usage', `the interval must be more than 0 and at most ${MAX_INTERVAL_MS} ms, got ${options.intervalMs}`, {
        subject: '--interval',
      });
    }
    if (!Number.isFinite(options.jitter) || options.jitter < 0 || options.jitter >= 1) {
      throw new AccessctlError('internal', `jitter must be in [0, 1), got ${options.jitter}`);
    }
    this.intervalMs = options.intervalMs;
    this.jitter = options.jitter;
    this.random = options.random ?? Math.random;
    this.setTimer = options.setTimer ?? globalTimer;
  }

  /** The next delay: intervalMs scaled by a uniform factor in [1 - jitter, 1 + jitter]. */
  nextDelay(): number {
    return jittered(this.intervalMs, this.jitter, this.random);
  }

  /** The delay after the `inRow`th run in a row that ended `conflict`: conflictRequeueMs, with the same jitter. */
  requeueDelay(inRow = 1): number {
    return jittered(conflictRequeueMs(this.intervalMs, inRow), this.jitter, this.random);
  }

  /** Resolves after `ms`, or early (without rejecting) when the signal aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return abortableSleep(ms, signal, this.setTimer);
  }
}

export interface RunEveryOptions {
  /** Run at once (default) or wait one delay first. */
  immediate?: boolean;
  /** Called with each delay before waiting it: for a "next run in" log line. */
  onDelay?: (ms: number) => void;
}

/**
 * Runs `task` now and then again one jittered delay after each run finishes, until `signal`
 * aborts; a task that resolves with a number asks for that delay before the next run instead (a
 * requeue). The task gets the same signal; a run in flight is awaited, never cut off. A task that
 * rejects stops the loop with that error: catch a run's failure inside the task to keep going.
 */
export async function runEvery(
  task: (signal: AbortSignal) => Promise<unknown>,
  schedule: Schedule,
  signal: AbortSignal,
  options: RunEveryOptions = {},
): Promise<void> {
  let first = true;
  let asked: number | undefined;
  while (!signal.aborted) {
    if (!first || options.immediate === false) {
      const delay = asked ?? schedule.nextDelay();
      options.onDelay?.(delay);
      await schedule.wait(delay, signal);
      if (signal.aborted) return;
    }
    first = false;
    const next = await task(signal);
    asked = typeof next === 'number' ? next : undefined;
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The shortest interval between reconcile runs: each run reads the whole org, so less would only hammer the API. */
export const MIN_RUN_INTERVAL_MS = 1000;

/** Parses '500ms', '30s', '5m', '1h' or a sum such as '1h30m' into milliseconds, refusing less than `minMs`. */
export function parseInterval(value: string, subject = '--interval', minMs = 1): number {
  const text = value.trim();
  const bad = (why: string): AccessctlError =>
    new AccessctlError('usage', `${subject} must be a duration such as 30s, 5m, 1h or 1h30m (${why}), got ${JSON.stringify(value)}`, { subject });
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text)) throw bad(/^\d+(?:\.\d+)?$/.test(text) ? 'a unit is required' : 'not a duration');
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] ?? ''] ?? Number.NaN);
  }
  total = Math.round(total);
  if (!Number.isFinite(total) || total <= 0) throw bad('it must be more than zero');
  if (total < minMs) throw bad(`it must be at least ${minMs % 1000 === 0 ? `${minMs / 1000}s` : `${minMs}ms`}`);
  if (total > MAX_INTERVAL_MS) throw bad('it must be at most 24 days');
  return total;
}
