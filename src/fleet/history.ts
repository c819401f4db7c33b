// What the fleet remembers of each org run, and the status of an org derived from it: the shape
// `fleet status --format json` prints (one object per org, the field names documented in the
// README), whether the runs were recorded in Postgres or in the embedded runner's state directory.
import type { RunFailure } from '../events/cloudevent.js';
import { CONFLICTS_BEFORE_FAILURE } from '../reconcile/schedule.js';

/** An object a run found changed on the platform behind git's back. */
export interface DriftedObject {
  kind: string;
  name: string;
}

/**
 * `error`: the run could not be carried out (no key, the config unreadable, the database gone).
 * `conflict`: another writer kept changing what the run was about to write, through every re-plan.
 */
export type OrgRunResult = 'success' | 'partial' | 'failed' | 'no-op' | 'plan-only' | 'suspended' | 'outside-sync-window' | 'stopped' | 'conflict' | 'error';

export interface OrgRunRecord {
  id: string;
  org: string;
  worker: string;
  /** RFC 3339; in Postgres, the database's clock, so runs by different workers compare. */
  startedAt: string;
  /** Null while the run is going on, or when its worker died during it. */
  finishedAt: string | null;
  result: OrgRunResult | null;
  applied: number;
  failed: number;
  drifted: number;
  driftedObjects: DriftedObject[];
  failures: RunFailure[];
  message: string | null;
  nextRunAt: string | null;
}

/** One org in `fleet status`. */
export interface OrgStatus {
  org: string;
  orgId: string;
  /** The result of the last finished run, null before the first. */
  lastResult: OrgRunResult | null;
  /** When the last finished run ended. */
  lastRunAt: string | null;
  /** The worker that ran it. */
  worker: string | null;
  applied: number;
  failed: number;
  failures: RunFailure[];
  drifted: number;
  driftedObjects: DriftedObject[];
  /** When the org runs next, as its last run scheduled it. */
  nextRunAt: string | null;
  /**
   * A run of the org has started and not finished; `stale` when its runner is gone (no runner holds
   * the fleet, or its worker has not been seen within its window), so it will never finish.
   */
  running: { worker: string; startedAt: string; stale: boolean } | null;
  consecutiveFailures: number;
  /** Runs in a row that ended `conflict` (stopped runs skipped); from the CONFLICTS_BEFORE_FAILURE-th on, each counts as a failed run too. */
  conflictsInRow: number;
  message: string | null;
}

export const FAILING_RESULTS: ReadonlySet<OrgRunResult> = new Set(['failed', 'partial', 'error', 'plan-only']);

/**
 * An org's failures in a row after a run that ended with `result`. A stopped run (a worker shut
 * down mid-run) did nothing: it neither ends the streak nor adds to it, so a failing org's back-off
 * and its alert do not clear because a worker was rolled. Nor does a conflict (another writer kept
 * changing what the run was about to write): it is no failure, and proves no health either; but
 * the CONFLICTS_BEFORE_FAILURE-th conflict-ended run in a row (`conflictsInRow`, this one included)
 * and each after it do add to the streak: a writer that never stops is a failure to resolve.
 */
export function failureStreak(before: number, result: OrgRunResult, conflictsInRow = 0): number {
  if (FAILING_RESULTS.has(result)) return before + 1;
  if (result === 'conflict' && conflictsInRow >= CONFLICTS_BEFORE_FAILURE) return before + 1;
  return result === 'stopped' || result === 'conflict' ? before : 0;
}

/** How many of an org's newest runs are read to count its conflicts in a row (the runner and `fleet status` alike). */
export const CONFLICT_RUNS_READ = 32;

/** The newest finished runs (newest first) that ended `conflict` in a row; a stopped run neither ends nor adds to them. */
export function conflictsInRow(runs: readonly Pick<OrgRunRecord, 'finishedAt' | 'result'>[]): number {
  let count = 0;
  for (const run of runs) {
    if (run.finishedAt === null || run.result === 'stopped') continue;
    if (run.result !== 'conflict') break;
    count++;
  }
  return count;
}

export function statusOf(org: { name: string; orgId: string }, runs: readonly OrgRunRecord[], consecutiveFailures: number): OrgStatus {
  // Newest first.
  const last = runs.find((r) => r.finishedAt !== null);
  const newest = runs[0];
  const running = newest !== undefined && newest.finishedAt === null ? { worker: newest.worker, startedAt: newest.startedAt, stale: false } : null;
  return {
    org: org.name,
    orgId: org.orgId,
    lastResult: last?.result ?? null,
    lastRunAt: last?.finishedAt ?? null,
    worker: last?.worker ?? null,
    applied: last?.applied ?? 0,
    failed: last?.failed ?? 0,
    failures: last?.failures ?? [],
    drifted: last?.drifted ?? 0,
    driftedObjects: last?.driftedObjects ?? [],
    nextRunAt: last?.nextRunAt ?? null,
    running,
    consecutiveFailures,
    conflictsInRow: conflictsInRow(runs),
    message: last?.message ?? null,
  };
}
