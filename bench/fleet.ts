// Benchmark: fleet throughput. 200 orgs of 50 flows each in one multi-org sandbox (reached with one
// MSP key and x-org-id), reconciled by 1, 2 and 4 worker processes (`accessctl fleet run
// --database`, the built binary: run `npm run build` first) sharing a real Postgres; org-runs per
// minute until every org has run once, against the floor: the same org runs done by this process
// in a plain loop, one after another, with no queue and no database.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { RUN_CHANNEL } from '../src/fleet/database.js';
import { FleetMetrics } from '../src/fleet/metrics.js';
import { FileOrgState, orgStateDir } from '../src/fleet/org-state.js';
import { OrgClients, runOrg } from '../src/fleet/org-run.js';
import { mapBounded } from '../src/jumpcloud/map-bounded.js';
import { SandboxClock } from '../src/sandbox/clock.js';
import { startSandbox } from '../src/sandbox/server.js';
import { fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet } from '../test/fleet/fixtures.js';
import { startPostgres } from '../test/fleet/postgres.js';
import { figure, printer, type Report } from './measure.js';

const ORGS = 200;
const FLOWS = 50;
const WORKER_COUNTS = [1, 2, 4];
const bin = fileURLToPath(new URL('../bin/accessctl.js', import.meta.url));

/** One pass of every org's run in this process, `parallel` at a time; resolves with the seconds it took. */
async function loop(fleetFile: string, names: readonly string[], stateDir: string, parallel: number): Promise<number> {
  const clients = new OrgClients({ [KEY_VARIABLE]: MSP_KEY });
  const metrics = new FleetMetrics();
  const log = pino({ level: 'silent' });
  const started = process.hrtime.bigint();
  try {
    await mapBounded(names, parallel, async (org) => {
      const { record } = await runOrg({
        fleetFile,
        org,
        state: new FileOrgState(orgStateDir(stateDir, org), org, 'bench-loop'),
        clients,
        sinks: [],
        metrics,
        log,
        env: { [KEY_VARIABLE]: MSP_KEY },
        worker: 'bench-loop',
        stopping: () => undefined,
      });
      if (record.result !== 'success' && record.result !== 'no-op') throw new Error(`org ${org}: ${record.result} ${record.message}`);
    });
  } finally {
    await clients.close();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Starts `count` workers on a fresh fleet name and times them from start until every org has run once. */
async function workers(count: number, fleetFile: string, fleetName: string, databaseUrl: string, dir: string): Promise<number> {
  const listener = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  const seen = new Set<string>();
  let done: (error?: Error) => void = () => undefined;
  const all = new Promise<void>((resolve, reject) => (done = (error) => (error ? reject(error) : resolve())));
  listener.on('notification', (message) => {
    const notice = JSON.parse(message.payload ?? '{}') as { fleet: string; org: string; result: string };
    if (notice.fleet !== fleetName) return;
    if (notice.result !== 'success' && notice.result !== 'no-op') done(new Error(`org ${notice.org}: ${notice.result}`));
    seen.add(notice.org);
    if (seen.size === ORGS) done();
  });
  await listener.query(`LISTEN ${RUN_CHANNEL}`);
  const started = process.hrtime.bigint();
  const children = Array.from({ length: count }, (_, i) =>
    spawn(
      process.execPath,
      [
        bin,
        'fleet',
        'run',
        fleetFile,
        '--database',
        databaseUrl,
        '--worker-id',
        `bench-${count}-${i + 1}`,
        '--concurrency',
        '4',
        '--poll',
        '200ms',
        '--listen',
        '127.0.0.1:0',
        '--state-dir',
        join(dir, `spool-${count}-${i}`),
      ],
      {
        env: { PATH: process.env['PATH'], [KEY_VARIABLE]: MSP_KEY, ACCESSCTL_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    ),
  );
  try {
    await all;
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))));
    await listener.end();
  }
}

export default async function bench(report: Report): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'accessctl-bench-fleet-'));
  const orgs = fleetOrgs(ORGS);
  const [db, sandbox] = await Promise.all([
    startPostgres(),
    startSandbox({ dbPath: join(dir, 'sandbox.db'), port: 0, seed: multiOrgSeed(orgs, FLOWS), clock: new SandboxClock(), log: () => {} }),
  ]);
  try {
    const names = orgs.map((o) => o.name);
    // The interval is long: each org runs once in a measured pass, never twice.
    const fleetFor = (name: string): Promise<string> => writeFleet(join(dir, name), { name, target: sandbox.url, orgs, flowsPerOrg: FLOWS, interval: '1h' });
    const loopFile = await fleetFor('bench-loop');
    // Untimed: the first pass creates the 10,000 flows; every later run is a no-op of list calls.
    await loop(loopFile, names, join(dir, 'loop-state'), 8);
    const floor = await loop(loopFile, names, join(dir, 'loop-state'), 1);
    const perMinute = (seconds: number): number => (ORGS / seconds) * 60;
    for (const count of WORKER_COUNTS) {
      const name = `bench-workers-${count}`;
      const seconds = await workers(count, await fleetFor(name), name, db.url, dir);
      // For information: the throughput of the workers, start-up included, has no goal yet.
      report(
        figure(
          `fleet with ${count} worker process${count === 1 ? '' : 'es'} (concurrency 4 each, Postgres + pg-boss), ${ORGS} org-runs of ${FLOWS} flows, start-up included`,
          {
            value: perMinute(seconds),
            floor: perMinute(floor),
            unit: 'org-runs/min',
            floorLabel: 'one process, a plain loop, no queue',
          },
        ),
      );
    }
  } finally {
    await sandbox.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bench(printer(process.argv.includes('--json')));
