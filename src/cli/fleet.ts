// `accessctl fleet run|status FILE`: many orgs from one fleet file. Without --database one process
// runs them all (the embedded default, no database); with --database workers on any machines share
// them through Postgres. `status` reads either kind of state.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { sinkFromSpec, warnStrandedSpools } from '../events/sink-spec.js';
import { logSinkNotice, type EventSink } from '../events/sink.js';
import { AccessctlError } from '../errors.js';
import { parseConcurrency } from '../fleet/concurrency.js';
import { DATABASE_VARIABLE, databaseRefusal, displayDatabaseUrl, isConnectionError, openPool, parseDatabaseUrl } from '../fleet/database.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_RESEED_MS, defaultWorkerId, maintenanceFor, runDistributed } from '../fleet/distributed.js';
import { runEmbedded } from '../fleet/embedded.js';
import { loadFleet } from '../fleet/fleet-file.js';
import { DEFAULT_MAX_ORG_LABELS, FleetMetrics } from '../fleet/metrics.js';
import { databaseStatus, embeddedStatus, renderStatusText, type FleetStatus } from '../fleet/status.js';
import { parseInterval } from '../reconcile/schedule.js';
import { printable } from '../plan/printable.js';
import { createLogger } from './logger.js';
import { prepareStateDir, stoppedWhileWaiting } from './state-dir.js';
import type { Runtime } from './runtime.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

const DEFAULT_STATE_DIR = '.accessctl/fleet';

interface RunFlags extends TargetFlags {
  database?: string;
  workerId?: string;
  concurrency: string;
  listen: string;
  org: string[];
  once: boolean;
  stateDir: string;
  events: string[];
  lease: string;
  poll: string;
  lock: 'wait' | 'fail';
  maxOrgLabels: string;
}

function collect(value: string, all: string[]): string[] {
  return [...all, value];
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max)
    throw new AccessctlError('usage', `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, { subject: name });
  return n;
}

/** --database, else ACCESSCTL_DATABASE_URL (empty counts as unset), else none: the embedded runner. */
function databaseUrl(flag: string | undefined): string | undefined {
  const value = flag ?? (process.env[DATABASE_VARIABLE] || undefined);
  return value === undefined ? undefined : parseDatabaseUrl(value);
}

const runExitCodes = `
Exit codes:
  0    stopped by SIGTERM or SIGINT (the runs in flight finished their change), or --once and every
       org ran as told
  1    --once and an org failed, the lock was lost, the fleet file or a flag is wrong, or the
       database (--database) refused the login or does not exist
  3    another fleet runner holds the state directory (--lock fail): nothing was read or applied
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM, while waiting for the lock (--lock wait)
  70   a bug in accessctl
`;

function runCommand(runtime: Runtime): Command {
  const command = new Command('run')
    .description('reconcile every org of a fleet: in this process, or with --database as one of many workers')
    .argument('<file>', 'the fleet file (kind Fleet)')
    .option('--database <url>', `Postgres shared by the workers (default: ${DATABASE_VARIABLE}); without it, one process runs the fleet`)
    .option('--worker-id <id>', "this worker's name in run history and status (default: HOST-PID)")
    .option('--concurrency <n>', 'org runs carried out at once by this process', '4')
    .option('--listen <host:port>', 'the console (one row per org), /healthz, /readyz, /metrics (off loopback: ACCESSCTL_CONSOLE_TOKEN)', '127.0.0.1:9464')
    .option('--org <name>', 'embedded: only this org; may repeat', collect, [] as string[])
    .option('--once', 'run each org once and exit (embedded only: cron, CI matrices)', false)
    .option('--state-dir <dir>', "embedded: each org's state and the lock; with --database: only the event spool", DEFAULT_STATE_DIR)
    .option('--events <sink>', 'where events go: - (stdout), file:PATH or webhook:URL; may repeat', collect, [] as string[])
    .option(
      '--lease <duration>',
      "with --database: how long a job may run before another worker may take it over; a dead worker's orgs move to another within lease + lease/4 (10s at most) + poll",
      '60s',
    )
    .option('--poll <duration>', 'with --database: how often an idle worker asks for work', '2s')
    .option(
      '--max-org-labels <n>',
      'orgs with their own /metrics series, labelled by org id (never name); the rest are summed under org="_other"',
      String(DEFAULT_MAX_ORG_LABELS),
    )
    .addOption(new Option('--lock <mode>', 'embedded: when another runner holds the state directory').choices(['wait', 'fail']).default('fail'))
    .addHelpText('after', runExitCodes);
  withTargetOptions(command);
  // Each org's target is in the fleet file: --target is refused below, so help does not offer it.
  command.options.find((option) => option.long === '--target')?.hideHelp();
  return command.action(
    runtime.action(async (file: string, flags: RunFlags) => {
      if (flags.target !== undefined)
        throw new AccessctlError(
          'usage',
          "--target does not apply to a fleet: each org's target is in the fleet file (spec.defaults.target, spec.orgs[].target)",
          { subject: '--target' },
        );
      const database = databaseUrl(flags.database);
      if (database !== undefined && flags.once)
        throw new AccessctlError('usage', '--once runs the fleet in this process; it does not combine with --database', { subject: '--once' });
      // Workers take whichever org's job comes next: a worker cannot pick its orgs.
      if (database !== undefined && flags.org.length > 0)
        throw new AccessctlError(
          'usage',
          '--org selects orgs for the embedded runner; workers sharing a database run every org of the fleet (give them another fleet file instead)',
          {
            subject: '--org',
          },
        );
      const concurrency = parseConcurrency(flags.concurrency);
      const maxOrgLabels = wholeNumber('--max-org-labels', flags.maxOrgLabels, 0, 100_000);
      const leaseMs = parseInterval(flags.lease, '--lease');
      const pollMs = parseInterval(flags.poll, '--poll');
      if (leaseMs < 1000) throw new AccessctlError('usage', '--lease must be at least 1s', { subject: '--lease' });
      if (pollMs < 100) throw new AccessctlError('usage', '--poll must be at least 100ms', { subject: '--poll' });
      const log = createLogger();
      // Embedded, it holds the lock and each org's state; with --database only the spool, made when used.
      const stateDir = database === undefined ? await prepareStateDir(flags.stateDir) : resolve(flags.stateDir);
      const sinks: EventSink[] = flags.events.map((spec) =>
        sinkFromSpec(spec, { env: process.env, spoolDir: join(stateDir, 'spool'), onNotice: (notice) => logSinkNotice(log, notice) }),
      );
      // Events spooled for a webhook no --events names now would wait there unseen: said once, at start.
      await warnStrandedSpools(join(stateDir, 'spool'), sinks, (notice) => logSinkNotice(log, notice));
      const metrics = new FleetMetrics(maxOrgLabels);
      let received: string | undefined;
      const signal = runtime.onStop((name) => {
        received = name;
        log.info(`${name}: finishing the changes in flight, then stopping`);
      });
      const common = {
        fleetFile: file,
        orgs: flags.org,
        concurrency,
        worker: flags.workerId ?? defaultWorkerId(),
        env: process.env,
        log,
        sinks,
        metrics,
        signal,
        listen: flags.once ? undefined : flags.listen,
        onListening: (url: string) => log.info(`serving the console on ${url}/orgs, and /healthz, /readyz and /metrics`),
        clientOptions: clientOverrides(flags),
      };
      try {
        return database === undefined
          ? await runEmbedded({ ...common, stateDir, once: flags.once, lockMode: flags.lock })
          : await runDistributed({
              ...common,
              databaseUrl: database,
              leaseMs,
              pollMs,
              maintenanceMs: maintenanceFor(leaseMs),
              heartbeatMs: DEFAULT_HEARTBEAT_MS,
              reseedMs: DEFAULT_RESEED_MS,
            });
      } catch (error) {
        const code = stoppedWhileWaiting(error, signal, received, stateDir);
        if (code === undefined) throw error;
        return code;
      } finally {
        await Promise.all(sinks.map((sink) => sink.close().catch(() => undefined)));
      }
    }),
  );
}

/**
 * A mistyped --state-dir would show every org as never run: a directory that is not there is
 * refused, and one that holds no org's state yet is shown with a warning that names it.
 */
async function checkStatusStateDir(written: string, stateDir: string): Promise<void> {
  const kind = await stat(stateDir).then(
    (found) => (found.isDirectory() ? 'directory' : 'other'),
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? 'missing' : Promise.reject(error)),
  );
  if (kind === 'missing')
    throw new AccessctlError(
      'not-found',
      `--state-dir ${printable(written)}: no such directory; give the one \`fleet run\` was given (default ${DEFAULT_STATE_DIR})`,
      {
        subject: '--state-dir',
      },
    );
  if (kind === 'other') throw new AccessctlError('usage', `--state-dir ${printable(written)}: it is a file, not a directory`, { subject: '--state-dir' });
  const orgs = await stat(join(stateDir, 'orgs')).then(
    () => true,
    () => false,
  );
  if (!orgs)
    process.stderr.write(`accessctl: warning: --state-dir ${printable(written)} holds no org's runs yet: is it the directory \`fleet run\` was given?\n`);
}

function statusCommand(): Command {
  return new Command('status')
    .description("each org's last run, its worker, changes, drift and next run")
    .argument('<file>', 'the fleet file (kind Fleet)')
    .option('--database <url>', `the workers' Postgres (default: ${DATABASE_VARIABLE}); without it, the embedded runner's --state-dir`)
    .option('--state-dir <dir>', "the embedded runner's state directory", DEFAULT_STATE_DIR)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string, flags: { database?: string; stateDir: string; format: 'text' | 'json' }) => {
      const { fleet } = await loadFleet(file);
      const database = databaseUrl(flags.database);
      let status: FleetStatus;
      if (database === undefined) {
        const stateDir = resolve(flags.stateDir);
        await checkStatusStateDir(flags.stateDir, stateDir);
        status = await embeddedStatus(stateDir, fleet);
      } else {
        const pool = openPool({ url: database, max: 1, applicationName: 'accessctl fleet status' });
        try {
          status = await databaseStatus(pool, fleet);
        } catch (error) {
          const refused = databaseRefusal(error, database);
          if (refused !== undefined) throw refused;
          if (isConnectionError(error))
            throw new AccessctlError(
              'io',
              `cannot reach the database ${displayDatabaseUrl(database)}: ${error instanceof Error ? error.message : String(error)}`,
              { subject: '--database' },
            );
          if ((error as { code?: string }).code === '42P01')
            throw new AccessctlError('not-found', `no fleet has run against ${displayDatabaseUrl(database)} yet (its tables do not exist)`, {
              subject: '--database',
            });
          throw error;
        } finally {
          await pool.end().catch(() => undefined);
        }
      }
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderStatusText(status));
    });
}

export function fleetCommand(runtime: Runtime): Command {
  const fleet = new Command('fleet').description('many orgs from one repo: run them (in one process or as workers sharing Postgres) and see their status');
  fleet.addCommand(runCommand(runtime));
  fleet.addCommand(statusCommand());
  return fleet;
}
