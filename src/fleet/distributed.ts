// `fleet run FILE --database URL`: any number of workers share a fleet through Postgres. Each org
// run is a pg-boss job (queue policy `short`: at most one queued job per org); a run enqueues the
// org's next run (its interval, or its back-off after failures) before completing its own job. At
// most one run of an org at any moment is guaranteed by the org's lease (a Postgres advisory lock,
// org-lease.ts), whatever the queue does. A worker that dies mid-run leaves its job active until
// the job's lease expires; pg-boss then retries it and another worker takes the org over: within
// --lease + the maintenance interval + --poll. The per-org state lives in the database.
import os from 'node:os';
import PgBoss from 'pg-boss';
import { ParseCache } from '../config/parse-cache.js';
import { FleetConsole } from '../console/fleet.js';
import { consoleServing, startHealthServer, type HealthServer } from '../reconcile/http.js';
import type { Stop } from '../reconcile/run.js';
import { abortableSleep } from '../retry/abortable-sleep.js';
import { defaultSetTimer, Wakeup } from './concurrency.js';
import { databaseRefusal, displayDatabaseUrl, isConnectionError, migrate, openPool, STATE_SCHEMA, withInstallLock } from './database.js';
import { sayOnceWith, EXIT_OK, type FleetRunOptions } from './embedded.js';
import { loadFleet, readFleet, selectOrgs } from './fleet-file.js';
import { OrgLease } from './org-lease.js';
import { OrgClients, runOrg } from './org-run.js';
import { PgOrgState } from './pg-org-state.js';

/** pg-boss keeps its tables in this schema, apart from accessctl's own. */
export const QUEUE_SCHEMA = 'accessctl_queue';

export interface DistributedOptions extends FleetRunOptions {
  databaseUrl: string;
  /** How long a job may stay active before pg-boss retries it elsewhere: bounds the takeover of a dead worker's org. */
  leaseMs: number;
  /** How often an idle worker asks for work. */
  pollMs: number;
  /** How often pg-boss's maintenance (which expires dead workers' jobs) runs; one worker does it per interval. */
  maintenanceMs: number;
  /** How often the worker checks the database and says it is alive. */
  heartbeatMs: number;
  /** How often orgs without any job (new in the fleet file, or a lost chain) get one. */
  reseedMs: number;
}

export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_POLL_MS = 2_000;
export const DEFAULT_MAINTENANCE_MS = 10_000;
export const DEFAULT_HEARTBEAT_MS = 2_000;
export const DEFAULT_RESEED_MS = 30_000;

interface OrgJob {
  org: string;
}

/** pg-boss's maintenance (which expires the jobs of dead workers) every quarter lease, 1 s to 10 s. */
export function maintenanceFor(leaseMs: number): number {
  return Math.min(DEFAULT_MAINTENANCE_MS, Math.max(1000, Math.round(leaseMs / 4)));
}

export function queueName(fleet: string): string {
  return `accessctl-fleet-${fleet}`;
}

export function defaultWorkerId(): string {
  return `${os.hostname()}-${process.pid}`;
}

/** Runs until the signal aborts; resolves with the exit code. */
export async function runDistributed(options: DistributedOptions): Promise<number> {
  const { log, signal, metrics } = options;
  const { fleet } = await loadFleet(options.fleetFile, options.cwd);
  const selected = new Set(selectOrgs(fleet, options.orgs).map((o) => o.name));
  for (const org of fleet.orgs) options.metrics.knowOrg(org.name, org.orgId);
  // Off loopback the console needs a token: refuse to start without one. It shows the orgs this worker ran.
  const view = consoleServing(options.listen, options.env, () => new FleetConsole(fleet.name, [...selected], options.env));
  const queue = queueName(fleet.name);
  const shownUrl = displayDatabaseUrl(options.databaseUrl);
  const setTimer = options.setTimer ?? defaultSetTimer;
  const wake = new Wakeup(setTimer);
  const pool = openPool({
    url: options.databaseUrl,
    max: options.concurrency + 4,
    applicationName: `accessctl fleet ${options.worker}`.slice(0, 63),
    onIdleError: () => setDatabase(false),
  });
  const clients = new OrgClients(options.env, options.clientOptions);
  // One for the worker's lifetime: an org's next run parses only the files changed since.
  const cache = new ParseCache();
  const sayOnce = sayOnceWith(log);
  const running = new Map<string, Promise<void>>();
  let boss: PgBoss | undefined;
  let databaseUp = false;
  let everUp = false;
  let server: HealthServer | undefined;
  const jobOptions = {
    expireInSeconds: Math.max(1, Math.ceil(options.leaseMs / 1000)),
    retryLimit: 1_000_000,
    retryDelay: 0,
    retryBackoff: false,
  };

  function setDatabase(up: boolean, why?: string): void {
    if (up === databaseUp) return;
    databaseUp = up;
    metrics.setReady(up && boss !== undefined);
    if (up) {
      log.info({ database: shownUrl }, everUp ? 'the database answers again: taking work' : 'the database answers: taking work');
      everUp = true;
    } else log.warn({ database: shownUrl }, `the database does not answer${why ? ` (${why})` : ''}: waiting for it, no org is run meanwhile`);
    wake.poke();
  }

  const wait = (ms: number): Promise<void> => abortableSleep(ms, signal, setTimer);

  /** Creates the tables and the queue, and starts pg-boss; retried until the database answers or the worker stops. */
  const connect = async (): Promise<PgBoss | undefined> => {
    let attempt = 0;
    while (!signal.aborted) {
      // pg-boss cannot start twice: a failed start leaves it half started, so each attempt gets a new one.
      const candidate = new PgBoss({
        db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
        schema: QUEUE_SCHEMA,
        supervise: true,
        schedule: false,
        migrate: true,
        maintenanceIntervalSeconds: Math.max(1, Math.round(options.maintenanceMs / 1000)),
      });
      candidate.on('error', (error: Error) => {
        if (isConnectionError(error)) setDatabase(false, error.message);
        else log.warn({}, `job queue: ${error.message}`);
      });
      try {
        // pg-boss installs its own schema on start; the install lock keeps two workers from doing it at once.
        await withInstallLock(pool, async (client) => {
          await migrate(client);
          await candidate.start();
          if ((await candidate.getQueue(queue)) === null) await candidate.createQueue(queue, { name: queue, policy: 'short', ...jobOptions });
        });
        return candidate;
      } catch (error) {
        await candidate.stop({ graceful: false, close: false, wait: false }).catch(() => undefined);
        // A wrong password or database name does not fix itself: say so now rather than wait forever.
        const refused = databaseRefusal(error, options.databaseUrl);
        if (refused !== undefined) throw refused;
        if (!isConnectionError(error)) throw error;
        setDatabase(false, error instanceof Error ? error.message : String(error));
        if (attempt === 0) log.warn({ database: shownUrl }, 'waiting for the database to start');
        attempt++;
        await wait(Math.min(15_000, 500 * 2 ** Math.min(attempt, 5)));
      }
    }
    return undefined;
  };

  /** Says the worker is alive (fleet status lists it) and finds out whether the database answers. */
  const heartbeat = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await pool.query(
          `INSERT INTO ${STATE_SCHEMA}.worker (fleet, worker, host, pid, concurrency) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (fleet, worker) DO UPDATE SET seen_at = clock_timestamp(), host = EXCLUDED.host, pid = EXCLUDED.pid, concurrency = EXCLUDED.concurrency`,
          [fleet.name, options.worker, os.hostname(), process.pid, options.concurrency],
        );
        setDatabase(true);
      } catch (error) {
        setDatabase(false, error instanceof Error ? error.message : String(error));
      }
      await wait(options.heartbeatMs);
    }
  };

  /** Gives a job to every org of this worker's selection that has none queued, retrying or running. */
  const reseed = async (active: PgBoss): Promise<void> => {
    const read = await readFleet(options.fleetFile, options.cwd);
    if (read.fleet === undefined || read.fleet.name !== fleet.name) return;
    const names = read.fleet.orgs.map((o) => o.name).filter((name) => options.orgs.length === 0 || selected.has(name));
    // pg-boss 10's job table: a job of the queue in created, retry or active state is the org's live job.
    const live = await pool.query<{ org: string }>(
      `SELECT DISTINCT singleton_key AS org FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND state IN ('created', 'retry', 'active') AND singleton_key = ANY($2)`,
      [queue, names],
    );
    const have = new Set(live.rows.map((r) => r.org));
    for (const org of names) {
      if (!have.has(org)) await active.send(queue, { org } satisfies OrgJob, { singletonKey: org, ...jobOptions });
    }
  };

  const stopping = (lease: OrgLease): Stop | undefined => {
    const lost = lease.lost;
    if (lost) return { why: `the database session holding the org was lost (${lost.message})`, stateIsOurs: false };
    return signal.aborted ? { why: 'the worker is stopping', stateIsOurs: true } : undefined;
  };

  const handle = async (active: PgBoss, job: PgBoss.Job<OrgJob>): Promise<void> => {
    const org = job.data.org;
    let lease: OrgLease | undefined;
    try {
      lease = await OrgLease.take(pool, {
        fleet: fleet.name,
        org,
        onLost: (error) => log.error({ org }, `org ${org}: lost the database session that holds it (${error.message}); no further change starts`),
      });
    } catch (error) {
      // The job stays active; it is retried when its lease expires.
      log.warn({ org }, `org ${org}: cannot take its lease (${error instanceof Error ? error.message : String(error)}); it is retried after --lease`);
      return;
    }
    if (lease === undefined) {
      // Another worker runs the org now (this is a duplicate, such as the retry of a run that outlived its lease).
      metrics.recordBusy();
      log.info({ org }, `org ${org} is being run by another worker; this job is dropped`);
      await active.complete(queue, job.id).catch(() => undefined);
      return;
    }
    const held = lease;
    try {
      const { record, keep } = await runOrg({
        fleetFile: options.fleetFile,
        org,
        state: new PgOrgState(held, fleet.name, org, options.worker),
        clients,
        sinks: options.sinks,
        metrics,
        log,
        env: options.env,
        worker: options.worker,
        jobId: job.id,
        stopping: () => stopping(held),
        sayOnce,
        cache,
        console: view?.source.model(org),
        ...(options.now ? { now: options.now } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
      options.onRun?.(record);
      // The next run is queued before this job completes, so a crash between the two leaves two jobs, never none.
      if (keep && record.nextRunAt !== null)
        await active.send(queue, { org } satisfies OrgJob, { singletonKey: org, startAfter: new Date(record.nextRunAt), ...jobOptions });
      await active.complete(queue, job.id);
    } catch (error) {
      log.error(
        { org },
        `org ${org}: the run could not be recorded (${error instanceof Error ? error.message : String(error)}); its job is retried after --lease`,
      );
    } finally {
      await held.release();
    }
  };

  let heartbeatLoop: Promise<void> | undefined;
  try {
    if (options.listen !== undefined) {
      server = await startHealthServer({ listen: options.listen, metrics, console: view, ready: () => boss !== undefined && databaseUp && !signal.aborted });
      options.onListening?.(server.url);
    }
    log.info(
      { fleet: fleet.name, worker: options.worker, database: shownUrl },
      `fleet ${fleet.name}: worker ${options.worker} joining through ${shownUrl}, at most ${options.concurrency} org${options.concurrency === 1 ? '' : 's'} at once`,
    );
    boss = await connect();
    if (boss === undefined) return EXIT_OK;
    const active = boss;
    heartbeatLoop = heartbeat();
    let lastReseed = Number.NEGATIVE_INFINITY;
    const now = options.now ?? Date.now;
    while (!signal.aborted) {
      if (!databaseUp) {
        await wake.wait(options.heartbeatMs, signal);
        continue;
      }
      if (now() - lastReseed >= options.reseedMs) {
        try {
          await reseed(active);
          lastReseed = now();
        } catch (error) {
          if (!isConnectionError(error)) log.warn({}, `could not schedule the fleet's orgs: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const free = options.concurrency - running.size;
      if (free <= 0) {
        await wake.wait(undefined, signal);
        continue;
      }
      // pg-boss's fetch answers [] when the database is down; the heartbeat notices that.
      const jobs = await active.fetch<OrgJob>(queue, { batchSize: free });
      for (const job of jobs) {
        const run = handle(active, job).finally(() => {
          running.delete(job.id);
          metrics.setInFlight(running.size);
          wake.poke();
        });
        running.set(job.id, run);
        metrics.setInFlight(running.size);
      }
      if (jobs.length < free) await wake.wait(options.pollMs, signal);
    }
    await Promise.all(running.values());
    return EXIT_OK;
  } finally {
    metrics.setReady(false);
    await Promise.all(running.values());
    await heartbeatLoop;
    await boss?.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
    await server?.close();
    await clients.close();
    await pool.end().catch(() => undefined);
  }
}
