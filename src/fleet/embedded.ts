// `fleet run FILE` without --database: one process reconciles every org on its own schedule, at most
// --concurrency at once. Each org has its own client (rate limit, back-off) and its own state folder,
// a failing or slow org delays the others by no more than the slot it holds, and a failing org backs
// off. The state directory is locked against a second embedded runner.
import type { Logger } from 'pino';
import { ParseCache } from '../config/parse-cache.js';
import { AccessctlError } from '../errors.js';
import type { EventSink } from '../events/sink.js';
import type { ClientOptions } from '../jumpcloud/client.js';
import type { SayOnce } from '../reconcile/config-source.js';
import { FleetConsole } from '../console/fleet.js';
import { consoleServing, startHealthServer, type HealthServer } from '../reconcile/http.js';
import { EXIT_LOCKED, StateLock } from '../reconcile/lock.js';
import type { Stop } from '../reconcile/run.js';
import type { SetTimer } from '../reconcile/schedule.js';
import { defaultSetTimer, Wakeup } from './concurrency.js';
import { loadFleet, selectOrgs } from './fleet-file.js';
import { FAILING_RESULTS, type OrgRunRecord } from './history.js';
import type { FleetMetrics } from './metrics.js';
import { FileOrgState, orgStateDir } from './org-state.js';
import { OrgClients, runOrg } from './org-run.js';

export interface FleetRunOptions {
  fleetFile: string;
  /** --org: only these orgs (all when empty). */
  orgs: readonly string[];
  concurrency: number;
  worker: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  sinks: EventSink[];
  metrics: FleetMetrics;
  /** Aborted on SIGTERM/SIGINT: no new change starts, runs in flight finish their change. */
  signal: AbortSignal;
  listen?: string | undefined;
  onListening?: (url: string) => void;
  clientOptions?: Partial<ClientOptions>;
  now?: () => number;
  random?: () => number;
  setTimer?: SetTimer;
  onRun?: (record: OrgRunRecord) => void;
  cwd?: string;
}

export interface EmbeddedOptions extends FleetRunOptions {
  stateDir: string;
  /** The parse cache the runner keeps for its lifetime (default: a new one); every org's runs read through it. */
  cache?: ParseCache;
  /** Run each org once, then exit (for cron and CI matrices). */
  once: boolean;
  lockMode: 'wait' | 'fail';
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;

/** A say-once for the runner's lifetime, so a notice about the config is not repeated every run. */
export function sayOnceWith(log: Logger): SayOnce {
  const said = new Set<string>();
  return (key, level, message) => {
    if (said.has(key)) return;
    said.add(key);
    log[level]({}, message);
  };
}

/** Runs until the signal aborts (or each org once); resolves with the exit code. */
export async function runEmbedded(options: EmbeddedOptions): Promise<number> {
  const { log, signal } = options;
  const now = options.now ?? Date.now;
  const { fleet } = await loadFleet(options.fleetFile, options.cwd);
  const selected = selectOrgs(fleet, options.orgs);
  for (const org of fleet.orgs) options.metrics.knowOrg(org.name, org.orgId);
  // Off loopback the console needs a token: refuse to start without one, before taking the lock.
  const view = consoleServing(
    options.listen,
    options.env,
    () =>
      new FleetConsole(
        fleet.name,
        selected.map((o) => o.name),
        options.env,
      ),
  );
  let lockLost = false;
  const lock = new StateLock({
    dir: options.stateDir,
    staleAfterMs: 60_000,
    fileName: 'fleet.lock',
    onWait: (holder) => log.warn({ holder }, `waiting for the fleet runner that holds ${options.stateDir} (pid ${holder.pid} on ${holder.host})`),
    onTakeover: (notice) => log.warn({ previous: notice.previous, reason: notice.reason }, notice.message),
    onHeartbeatError: (error, lost) => {
      if (!lost) return;
      lockLost = true;
      log.error({}, `${error.message}; stopping`);
      wake.poke();
    },
  });
  const wake = new Wakeup(options.setTimer ?? defaultSetTimer);
  try {
    await lock.acquire(options.lockMode, signal);
  } catch (error) {
    // The exit code reconcile gives for a held state directory: a scheduler can tell "busy" from "failed".
    if (error instanceof AccessctlError && error.code === 'conflict')
      throw new AccessctlError('conflict', error.message.replace(/^another reconciler holds/, 'another fleet runner holds'), {
        exitCode: EXIT_LOCKED,
        subject: '--state-dir',
        cause: error,
      });
    throw error;
  }
  const clients = new OrgClients(options.env, options.clientOptions);
  // One for the runner's lifetime: a cycle over unchanged folders parses no file again.
  const cache = options.cache ?? new ParseCache();
  const sayOnce = sayOnceWith(log);
  let server: HealthServer | undefined;
  const due = new Map<string, number>(selected.map((org) => [org.name, now()]));
  const running = new Map<string, Promise<void>>();
  const results: OrgRunRecord[] = [];
  const stopping = (): Stop | undefined =>
    lockLost
      ? { why: 'another fleet runner took over the state directory', stateIsOurs: false }
      : signal.aborted
        ? { why: 'the fleet runner is stopping', stateIsOurs: true }
        : undefined;
  try {
    if (options.listen !== undefined) {
      server = await startHealthServer({ listen: options.listen, metrics: options.metrics, console: view, ready: () => stopping() === undefined });
      options.onListening?.(server.url);
    }
    options.metrics.setReady(true);
    log.info(
      { fleet: fleet.name, orgs: selected.length, concurrency: options.concurrency },
      `fleet ${fleet.name}: ${selected.length} org${selected.length === 1 ? '' : 's'}, at most ${options.concurrency} at once, state in ${options.stateDir}`,
    );
    const start = (name: string): void => {
      due.delete(name);
      const run = runOrg({
        fleetFile: options.fleetFile,
        org: name,
        state: new FileOrgState(orgStateDir(options.stateDir, name), name, options.worker, now),
        clients,
        sinks: options.sinks,
        metrics: options.metrics,
        log,
        env: options.env,
        worker: options.worker,
        stopping,
        now,
        sayOnce,
        cache,
        console: view?.source.model(name),
        ...(options.random ? { random: options.random } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      })
        .then(({ record, keep }) => {
          results.push(record);
          options.onRun?.(record);
          if (!options.once && keep && record.nextRunAt !== null) due.set(name, Date.parse(record.nextRunAt));
        })
        .catch((error: unknown) => {
          // Only the state folder failing gets here; the org is tried again after its interval.
          log.error({ org: name }, `org ${name}: the run could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
          const org = selected.find((o) => o.name === name);
          if (!options.once && org) due.set(name, now() + org.intervalMs);
        })
        .finally(() => {
          running.delete(name);
          options.metrics.setInFlight(running.size);
          wake.poke();
        });
      running.set(name, run);
      options.metrics.setInFlight(running.size);
    };
    while (stopping() === undefined) {
      const t = now();
      const ready = [...due].filter(([, at]) => at <= t).sort((a, b) => a[1] - b[1]);
      for (const [name] of ready) {
        if (running.size >= options.concurrency) break;
        start(name);
      }
      if (options.once && due.size === 0 && running.size === 0) break;
      const next = running.size >= options.concurrency ? undefined : Math.min(...due.values());
      await wake.wait(next === undefined || !Number.isFinite(next) ? undefined : next - now(), signal);
    }
    await Promise.all(running.values());
    if (lockLost) return EXIT_FAILED;
    if (!options.once) return EXIT_OK;
    // A conflict is no failure, but with --once no next run resolves it: the org did not run as told.
    const asTold = (r: OrgRunRecord): boolean => r.result !== null && !FAILING_RESULTS.has(r.result) && r.result !== 'conflict';
    return results.length === selected.length && results.every(asTold) ? EXIT_OK : EXIT_FAILED;
  } finally {
    options.metrics.setReady(false);
    await server?.close();
    await clients.close();
    await lock.release();
  }
}
