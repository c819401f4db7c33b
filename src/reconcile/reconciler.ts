// The long-running reconciler: one writer per state directory (a lock with a heartbeat), runs on
// an interval with jitter that never overlap, /healthz /readyz /metrics, event sinks, and a clean
// stop on SIGTERM or SIGINT that lets the change in flight finish.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EventFanout } from '../events/fanout.js';
import { sinkFromSpec } from '../events/sink-spec.js';
import type { EventSink } from '../events/sink.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import type { Plan } from '../plan/plan.js';
import { startHealthServer, type HealthServer } from './http.js';
import { StateLock } from './lock.js';
import { reconcileOnce, type ConfigSource, type RunOutcome } from './loop.js';
import { ReconcileMetrics } from './metrics.js';
import { runEvery, Schedule } from './schedule.js';

export interface ReconcilerOptions {
  source: ConfigSource;
  stateDir: string;
  intervalMs: number;
  once: boolean;
  listen?: string | undefined;
  eventSpecs: readonly string[];
  env: NodeJS.ProcessEnv;
  client: JumpCloudClient;
  log: Logger;
  allowHistoryRewrite: boolean;
  lockMode: 'wait' | 'fail';
  /** Aborted on SIGTERM/SIGINT by the caller. */
  signal: AbortSignal;
  onPlan?: (plan: Plan, run: number) => void;
  onOutcome?: (outcome: RunOutcome, run: number) => void;
  onListening?: (url: string) => void;
}

/** Runs until the signal aborts (or once); resolves with the exit code. */
export async function runReconciler(options: ReconcilerOptions): Promise<number> {
  const { log, signal } = options;
  const lock = new StateLock({
    dir: options.stateDir,
    staleAfterMs: Math.max(3 * options.intervalMs, 60_000),
    onWait: (holder) => log.warn({ holder }, `waiting for the reconciler that holds the lock (pid ${holder.pid} on ${holder.host})`),
  });
  await lock.acquire(options.lockMode, signal);
  const metrics = new ReconcileMetrics();
  const sinks: EventSink[] = options.eventSpecs.map((spec) =>
    sinkFromSpec(spec, { env: options.env, spoolDir: join(options.stateDir, 'spool'), onNotice: (notice) => log.warn(notice) }),
  );
  const events = new EventFanout(sinks);
  let lastSuccess = 0;
  let server: HealthServer | undefined;
  let failedRuns = 0;
  try {
    if (options.listen !== undefined) {
      server = await startHealthServer({
        listen: options.listen,
        metrics,
        // Ready while the last successful run is recent: within three intervals.
        ready: () => lastSuccess > 0 && Date.now() - lastSuccess <= 3 * options.intervalMs,
      });
      options.onListening?.(server.url);
    }
    let run = 0;
    const once = async (): Promise<void> => {
      run++;
      await lock.heartbeat();
      try {
        const outcome = await reconcileOnce({
          source: options.source,
          stateDir: options.stateDir,
          env: options.env,
          client: options.client,
          events,
          metrics,
          log,
          allowHistoryRewrite: options.allowHistoryRewrite,
          stopping: () => signal.aborted,
          onPlan: (plan) => options.onPlan?.(plan, run),
        });
        if (outcome.result === 'success' || outcome.result === 'no-op') lastSuccess = Date.now();
        else failedRuns++;
        options.onOutcome?.(outcome, run);
      } catch (error) {
        // A run that cannot even start (an unreachable repo with no checkout, a refused key) is
        // reported and retried next interval; --once reports it through the exit code.
        failedRuns++;
        log.error({ run }, error instanceof Error ? error.message : String(error));
        if (options.once) throw error;
      }
    };
    if (options.once) {
      await once();
      return failedRuns === 0 ? 0 : 1;
    }
    await runEvery(() => once(), new Schedule({ intervalMs: options.intervalMs, jitter: 0.1 }), signal, {
      onDelay: (ms) => log.debug(`next run in ${Math.round(ms / 1000)} s`),
    });
    return 0;
  } finally {
    await events.close();
    await server?.close();
    await lock.release();
  }
}
