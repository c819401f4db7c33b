// The long-running reconciler: one writer per state directory (a lock with a heartbeat), runs on
// an interval with jitter that never overlap (a run another writer's conflict ended is requeued
// sooner), /healthz /readyz /metrics, event sinks, and a clean stop on SIGTERM or SIGINT, or when
// the lock is lost, that lets the change in flight finish.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ParseCache } from '../config/parse-cache.js';
import { PlanMemo } from '../pipeline/plan-memo.js';
import { AccessctlError } from '../errors.js';
import { EventFanout } from '../events/fanout.js';
import { sinkFromSpec, warnStrandedSpools } from '../events/sink-spec.js';
import { type EventSink, logSinkNotice } from '../events/sink.js';
import { ConsoleModel } from '../console/model.js';
import type { Plan } from '../plan/plan.js';
import type { HeldChanges } from '../plan/render-text.js';
import type { SayOnce } from './config-source.js';
import { consoleServing, startHealthServer, type HealthServer } from './http.js';
import { EXIT_LOCKED, StateLock, type StateLockOptions } from './lock.js';
import { ReconcileMetrics } from './metrics.js';
import { persistentConflict, reconcileOnce, type ConfigSource, type RunOutcome, type Stop } from './run.js';
import { conflictStreak, CONFLICTS_BEFORE_FAILURE, runEvery, Schedule, type SetTimer } from './schedule.js';
import type { TargetBinding } from './target-binding.js';

/**
 * Exit codes of `reconcile` (the README's table): 0 nothing failed, 1 something failed (or, with
 * --once, another writer's conflict outlasted the run's re-plans: no next run will resolve it), 3
 * another reconciler holds the state directory.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export { EXIT_LOCKED };

export interface ReconcilerOptions {
  source: ConfigSource;
  stateDir: string;
  intervalMs: number;
  once: boolean;
  listen?: string | undefined;
  eventSpecs: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The client, made on the first valid config; the caller owns it and closes it after this resolves. */
  clients: TargetBinding;
  log: Logger;
  allowHistoryRewrite: boolean;
  lockMode: 'wait' | 'fail';
  /** Aborted on SIGTERM/SIGINT by the caller. */
  signal: AbortSignal;
  /** The clock for break-glass and event times (default Date.now). */
  now?: () => number;
  /** Lock overrides for tests: the heartbeat timer, host and liveness. */
  lock?: Pick<StateLockOptions, 'heartbeatTimer' | 'hostname' | 'isAlive' | 'heartbeatEveryMs'>;
  /** Each run's plan, with the drift the run holds back (listed apart from the changes it makes). */
  onPlan?: (plan: Plan, run: number, held: HeldChanges) => void;
  onOutcome?: (outcome: RunOutcome, run: number) => void;
  onListening?: (url: string) => void;
  /** The console's model (tests read it); made here when not given. Fed with every run. */
  console?: ConsoleModel;
  /** The timer between runs (tests start the next run themselves). */
  setTimer?: SetTimer;
}

/** Results after which the reconciler is working as told (applying, or holding back on purpose). */
const HEALTHY: ReadonlySet<RunOutcome['result']> = new Set(['success', 'no-op', 'suspended', 'outside-sync-window']);

/** Runs until the signal aborts (or once); resolves with the exit code. */
export async function runReconciler(options: ReconcilerOptions): Promise<number> {
  const { log, signal } = options;
  // Off loopback the console needs a token: refuse to start without one, before taking the lock.
  const view = options.console ?? new ConsoleModel(options.env, { now: options.now ?? Date.now });
  const serving = consoleServing(options.listen, options.env, () => view);
  let lockLost: AccessctlError | undefined;
  // Ends the schedule on the caller's signal, or when the lock is lost.
  const stopped = new AbortController();
  const lock = new StateLock({
    dir: options.stateDir,
    staleAfterMs: Math.max(3 * options.intervalMs, 60_000),
    onWait: (holder) => log.warn({ holder }, `waiting for the reconciler that holds the lock (pid ${holder.pid} on ${holder.host})`),
    onTakeover: (notice) => log.warn({ previous: notice.previous, reason: notice.reason }, notice.message),
    // A lost lock means another reconciler may be applying now: start no further change, and stop.
    onHeartbeatError: (error, lost) => {
      if (!lost) return log.warn({ code: error.code }, `${error.message}; trying again at the next heartbeat`);
      lockLost = error;
      stopped.abort();
      log.error({ code: error.code }, `${error.message}: no further change starts, and this reconciler stops`);
    },
    ...options.lock,
  });
  try {
    await lock.acquire(options.lockMode, signal);
  } catch (error) {
    if (error instanceof AccessctlError && error.code === 'conflict')
      throw new AccessctlError('conflict', error.message, { exitCode: EXIT_LOCKED, cause: error });
    throw error;
  }
  const stopping = (): Stop | undefined => {
    if (lockLost) return { why: lockLost.message, stateIsOurs: false };
    return signal.aborted ? { why: 'accessctl is shutting down', stateIsOurs: true } : undefined;
  };
  const metrics = new ReconcileMetrics();
  const sinks: EventSink[] = options.eventSpecs.map((spec) =>
    sinkFromSpec(spec, { env: options.env, spoolDir: join(options.stateDir, 'spool'), onNotice: (notice) => logSinkNotice(log, notice) }),
  );
  // Events spooled for a webhook no --events names now would wait there unseen: said once, at start.
  await warnStrandedSpools(join(options.stateDir, 'spool'), sinks, (notice) => logSinkNotice(log, notice));
  const events = new EventFanout([...sinks, view.sink]);
  const said = new Set<string>();
  const sayOnce: SayOnce = (key, level, message) => {
    if (said.has(key)) return;
    said.add(key);
    log[level]({}, message);
  };
  const now = options.now ?? Date.now;
  let lastHealthy = 0;
  let server: HealthServer | undefined;
  let failedRuns = 0;
  // Runs in a row another writer's conflict ended: the requeue grows with them, and from the
  // CONFLICTS_BEFORE_FAILURE-th on each is a failed run (an ERROR, and the interval's wait).
  let conflictsInRow = 0;
  // With --once there is no next run to resolve a conflict the run's re-plans could not: it exits 1.
  let unresolved = false;
  // Every run reads the whole config; only the files that changed since the last run are parsed again.
  const cache = new ParseCache();
  // And when neither the config nor any live answer changed, the plan is not made again either.
  const memo = new PlanMemo();
  const onAbort = (): void => stopped.abort();
  if (signal.aborted) stopped.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.listen !== undefined) {
      server = await startHealthServer({
        listen: options.listen,
        metrics,
        console: serving,
        // Ready while the last healthy run is recent: within three intervals.
        ready: () => lastHealthy > 0 && now() - lastHealthy <= 3 * options.intervalMs,
      });
      options.onListening?.(server.url);
    }
    const schedule = options.once
      ? undefined
      : new Schedule({ intervalMs: options.intervalMs, jitter: 0.1, ...(options.setTimer ? { setTimer: options.setTimer } : {}) });
    let run = 0;
    /** One run; resolves with the delay the next run asks for when it is not the interval's (a conflict's requeue). */
    const once = async (): Promise<number | undefined> => {
      run++;
      let requeue: number | undefined;
      view.runStarted(run);
      try {
        await lock.heartbeat();
        const outcome = await reconcileOnce({
          source: options.source,
          stateDir: options.stateDir,
          env: options.env,
          clients: options.clients,
          events,
          metrics,
          log,
          allowHistoryRewrite: options.allowHistoryRewrite,
          stopping,
          now,
          sayOnce,
          cache,
          memo,
          onPlan: (plan, desired, configDir, held) => {
            view.planned(plan, desired, configDir);
            options.onPlan?.(plan, run, held);
          },
        });
        conflictsInRow = conflictStreak(conflictsInRow, outcome.result);
        if (HEALTHY.has(outcome.result)) lastHealthy = now();
        // Another writer's conflict is no failure either: the next run, soon, plans again (not healthy
        // meanwhile), 30 s then 1 m later; but a writer that never stops makes it a failure.
        else if (outcome.result === 'conflict') {
          unresolved = true;
          if (conflictsInRow >= CONFLICTS_BEFORE_FAILURE) {
            failedRuns++;
            log.error({ run, conflictsInRow, conflicts: outcome.conflicts ?? [] }, persistentConflict(conflictsInRow, outcome.conflicts ?? []));
          } else requeue = schedule?.requeueDelay(conflictsInRow);
        }
        // A run the stop cut short did not fail (nor did it bring the platform up to date: not healthy either).
        else if (outcome.result !== 'stopped') failedRuns++;
        view.runFinished(outcome);
        options.onOutcome?.(outcome, run);
      } catch (error) {
        // A run that cannot even start (an unreachable repo with no checkout, a refused key) is
        // reported and retried next interval; --once reports it through the exit code.
        failedRuns++;
        conflictsInRow = 0;
        view.runCrashed(error instanceof Error ? error.message : String(error));
        log.error({ run }, error instanceof Error ? error.message : String(error));
        if (error instanceof AccessctlError && error.code === 'conflict' && !lock.held) lockLost ??= error;
        if (options.once && !lockLost) throw error;
      }
      if (lockLost) stopped.abort();
      return requeue;
    };
    if (schedule === undefined) {
      await once();
      return failedRuns === 0 && !unresolved && !lockLost ? EXIT_OK : EXIT_FAILED;
    }
    let requeued = false;
    await runEvery(
      async () => {
        const requeue = await once();
        requeued = requeue !== undefined;
        return requeue;
      },
      schedule,
      stopped.signal,
      {
        onDelay: (ms) =>
          log.debug(`next run in ${Math.round(ms / 1000)} s${requeued ? ", sooner than the interval: another writer's conflict is planned again" : ''}`),
      },
    );
    return lockLost ? EXIT_FAILED : EXIT_OK;
  } finally {
    signal.removeEventListener('abort', onAbort);
    await events.close();
    await server?.close();
    await lock.release();
  }
}
