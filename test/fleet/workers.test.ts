// Fleet workers as separate processes (the real binary) over one real Postgres and one multi-org
// sandbox reached through a recording proxy: every org reconciled by two and by three workers and
// never run twice at once (the run history, on the database's clock), a worker killed with SIGKILL
// mid-create whose org another worker takes over without a duplicate create or a lost event, and
// the database going away for a while, which the workers wait out and report on /readyz.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_SCHEMA } from '../../src/fleet/database.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { flowName, fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet, type FleetOrgFixture } from './fixtures.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { eachOrgRan, startWorker, watchRuns, type RunWatch, type WorkerProcess } from './processes.js';
import { startRecordingProxy, type HeldRequest, type RecordingProxy } from './recording-proxy.js';

const FLOWS = 3;
const orgs = fleetOrgs(17);
const LEASE_S = 3;

let db: TestPostgres;
let sandbox: Harness;
let proxy: RecordingProxy;
let listener: pg.Client;
let runs: RunWatch;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [db, sandbox] = await Promise.all([startPostgres(), startHarness({ seed: multiOrgSeed(orgs, FLOWS) })]);
  proxy = await startRecordingProxy(sandbox.sandbox.url);
  listener = await db.client();
  // The outage test stops the server under this connection.
  listener.on('error', () => undefined);
  runs = await watchRuns(listener);
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-workers-'));
}, 60_000);

afterAll(async () => {
  for (const w of workers) if (w.running.child.exitCode === null && w.running.child.signalCode === null) w.running.child.kill('SIGKILL');
  await listener?.end().catch(() => undefined);
  await proxy?.close();
  await sandbox?.close();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fleet(name: string, members: readonly FleetOrgFixture[]): Promise<string> {
  return writeFleet(join(dir, name), { name, target: proxy.url, orgs: members, flowsPerOrg: FLOWS, interval: '2s' });
}

function worker(id: string, file: string, extra: string[] = []): WorkerProcess {
  const w = startWorker(
    id,
    [
      file,
      '--database',
      db.url,
      '--concurrency',
      '2',
      '--lease',
      `${LEASE_S}s`,
      '--poll',
      '200ms',
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      join(dir, `state-${id}`),
      ...extra,
    ],
    {
      [KEY_VARIABLE]: MSP_KEY,
    },
  );
  workers.push(w);
  return w;
}

async function stopAll(ws: readonly WorkerProcess[]): Promise<void> {
  for (const w of ws) w.running.child.kill('SIGTERM');
  const exits = await Promise.all(ws.map((w) => w.running.exited));
  for (const [i, exit] of exits.entries()) expect(exit, ws[i]?.running.stderr().slice(-2000)).toEqual({ code: 0, signal: null });
}

interface RunRow {
  org: string;
  worker: string;
  started_at: Date;
  finished_at: Date | null;
  result: string | null;
  applied: number;
}

async function history(fleetName: string): Promise<RunRow[]> {
  const rows = await listener.query<RunRow>(
    `SELECT org, worker, started_at, finished_at, result, applied FROM ${STATE_SCHEMA}.run WHERE fleet = $1 ORDER BY started_at`,
    [fleetName],
  );
  return rows.rows;
}

/**
 * Pairs of runs of one org whose times overlap. A run without an end lasts for ever, unless the
 * test knows when its worker was killed (`diedAt`): then it ends then, at the latest.
 */
function overlaps(rows: readonly RunRow[], diedAt: Record<string, number> = {}): string[] {
  const found: string[] = [];
  for (const a of rows) {
    for (const b of rows) {
      if (a === b || a.org !== b.org || a.started_at >= b.started_at) continue;
      const aEnd = a.finished_at ?? new Date(diedAt[a.worker] ?? 8.64e15);
      if (b.started_at < aEnd)
        found.push(
          `${a.org}: ${a.worker} ${a.started_at.toISOString()}..${a.finished_at?.toISOString() ?? 'never'} and ${b.worker} from ${b.started_at.toISOString()}`,
        );
    }
  }
  return found;
}

async function flowsOf(org: FleetOrgFixture): Promise<{ id: string; name: string; description: string }[]> {
  const answer = await sandbox.call<{ results?: { id: string; name: string; description: string }[] }>('GET', '/api/v2/approvalflows?limit=100', undefined, {
    'x-api-key': MSP_KEY,
    'x-org-id': org.orgId,
  });
  expect(answer.status).toBe(200);
  return answer.body.results ?? [];
}

const expectedFlows = Array.from({ length: FLOWS }, (_, i) => flowName(i));

describe.each([
  { workers: 2, members: orgs.slice(0, 5) },
  { workers: 3, members: orgs.slice(5, 11) },
])('$workers worker processes over one database', ({ workers: count, members }) => {
  it('reconcile every org, never two runs of one org at once, each create sent once', async () => {
    const name = `workers-${count}`;
    const file = await fleet(name, members);
    const ws = Array.from({ length: count }, (_, i) => worker(`${name}-w${i + 1}`, file));
    // Every org applied, then seen again (by whichever worker) with nothing left to do.
    await runs.waitFor(
      (all) =>
        eachOrgRan(
          name,
          members.map((m) => m.name),
          1,
          ['success'],
        )(all) &&
        eachOrgRan(
          name,
          members.map((m) => m.name),
          2,
        )(all),
      `every org of ${name} applied and run again`,
    );
    await stopAll(ws);
    const rows = await history(name);
    expect(overlaps(rows)).toEqual([]);
    expect(new Set(rows.map((r) => r.worker)).size).toBeGreaterThan(1);
    for (const org of members) {
      const own = rows.filter((r) => r.org === org.name && r.finished_at !== null);
      expect(own.filter((r) => r.result === 'success').map((r) => r.applied)).toEqual([FLOWS]);
      expect(own.every((r) => r.result === 'success' || r.result === 'no-op')).toBe(true);
      expect((await flowsOf(org)).map((f) => f.name).sort()).toEqual(expectedFlows);
      // The platform's side: each flow created by exactly one request, sent with the org's id.
      expect(proxy.log.filter((r) => r.org === org.orgId && r.method === 'POST' && r.path === '/api/v2/approvalflows')).toHaveLength(FLOWS);
    }
  }, 90_000);
});

describe('a worker killed with SIGKILL mid-run', () => {
  it('loses its org to another worker within the lease: no duplicate create, no lost event', async () => {
    const members = orgs.slice(11, 13);
    const victim = members[0]!;
    const name = 'killed';
    const file = await fleet(name, members);
    const held: HeldRequest[] = [];
    let firstHeld: () => void = () => undefined;
    const caught = new Promise<void>((resolve) => (firstHeld = resolve));
    proxy.holdWhen(
      (r) => r.method === 'POST' && r.path === '/api/v2/approvalflows' && r.org === victim.orgId,
      (h) => {
        held.push(h);
        firstHeld();
      },
    );
    const eventsOf = (id: string): string => join(dir, `events-${id}.jsonl`);
    // One worker first: the create caught in flight is certainly its.
    const first = worker('killed-w1', file, ['--events', `file:${eventsOf('killed-w1')}`]);
    await caught;
    const second = worker('killed-w2', file, ['--events', `file:${eventsOf('killed-w2')}`]);
    await second.waitFor((l) => l.msg === 'the database answers: taking work', 'joining');
    first.running.child.kill('SIGKILL');
    const exit = await first.running.exited;
    expect(exit.signal).toBe('SIGKILL');
    const killedAt = Date.now();
    // The creates it had sent now reach the platform: they landed, and nobody heard the answer.
    proxy.holdWhen(undefined);
    await Promise.all(held.map((h) => h.release()));
    await runs.waitFor(
      (all) => all.some((n) => n.fleet === name && n.org === victim.name && n.worker === 'killed-w2' && (n.result === 'success' || n.result === 'no-op')),
      'the victim org taken over',
    );
    await stopAll([second]);

    const rows = await history(name);
    expect(overlaps(rows, { 'killed-w1': killedAt })).toEqual([]);
    const victimRuns = rows.filter((r) => r.org === victim.name);
    expect(victimRuns[0]).toMatchObject({ worker: 'killed-w1', finished_at: null });
    const takeover = victimRuns.find((r) => r.worker === 'killed-w2')!;
    // Taken over within lease + maintenance (a quarter lease, 1 s at least) + poll, with room for a loaded machine.
    expect(takeover.started_at.getTime() - killedAt).toBeLessThan((LEASE_S + 1 + 0.2 + 8) * 1000);
    // The platform has each flow once, and was asked to create each once.
    expect((await flowsOf(victim)).map((f) => f.name).sort()).toEqual(expectedFlows);
    expect(proxy.log.filter((r) => r.org === victim.orgId && r.method === 'POST' && r.path === '/api/v2/approvalflows')).toHaveLength(FLOWS);
    // Every create has its change.applied event, once, whichever worker sent it.
    const texts = await Promise.all([eventsOf('killed-w1'), eventsOf('killed-w2')].map((path) => readFile(path, 'utf8').catch(() => '')));
    const events = texts.flatMap((text) =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; source: string; data: { kind: string; name: string; action: string } }),
    );
    const applied = events.filter(
      (e) => e.type === 'accessctl.change.applied' && e.source === `accessctl/fleet/${name}/${victim.name}` && e.data.action === 'create',
    );
    expect(applied.map((e) => e.data.name).sort()).toEqual(expectedFlows);
    // Nothing is left in the journal.
    const left = await listener.query(`SELECT count(*)::int AS n FROM ${STATE_SCHEMA}.intent WHERE fleet = $1`, [name]);
    expect(left.rows[0]).toEqual({ n: 0 });
  }, 90_000);
});

describe('a run that outlives its lease', () => {
  it('is not run a second time: the retried job finds the org locked and is dropped', async () => {
    const members = orgs.slice(16, 17);
    const slow = members[0]!;
    const name = 'outlived';
    const file = await fleet(name, members);
    let held: HeldRequest | undefined;
    let caught: () => void = () => undefined;
    const heldNow = new Promise<void>((resolve) => (caught = resolve));
    proxy.holdWhen(
      (r) => r.org === slow.orgId,
      (h) => {
        held = h;
        proxy.holdWhen(undefined);
        caught();
      },
    );
    // One slot only: the retried job can only go to the second worker.
    const first = worker('outlived-w1', file, ['--concurrency', '1']);
    await heldNow;
    const second = worker('outlived-w2', file);
    // The first run is stuck past its lease: pg-boss retries its job, and the second worker gets it.
    await second.waitFor((l) => l.msg === `org ${slow.name} is being run by another worker; this job is dropped`, 'the retried job dropped', 30_000);
    await held!.release();
    await runs.waitFor((all) => all.some((n) => n.fleet === name && n.org === slow.name && n.result === 'success'), 'the slow run finished');
    await stopAll([first, second]);
    const rows = await history(name);
    expect(overlaps(rows)).toEqual([]);
    expect(rows.filter((r) => r.result === 'success').map((r) => r.worker)).toEqual(['outlived-w1']);
    expect(proxy.log.filter((r) => r.org === slow.orgId && r.method === 'POST' && r.path === '/api/v2/approvalflows')).toHaveLength(FLOWS);
  }, 90_000);
});

describe('the org lease', () => {
  it('is held by one session at a time, and freed the moment that session ends', async () => {
    const { OrgLease } = await import('../../src/fleet/org-lease.js');
    const { openPool } = await import('../../src/fleet/database.js');
    const pool = openPool({ url: db.url, max: 4, applicationName: 'lease test' });
    const lost: Error[] = [];
    const first = await OrgLease.take(pool, { fleet: 'lease', org: 'one', onLost: (e) => lost.push(e) });
    try {
      expect(first).toBeDefined();
      expect(await OrgLease.take(pool, { fleet: 'lease', org: 'one' })).toBeUndefined();
      const other = await OrgLease.take(pool, { fleet: 'lease', org: 'two' });
      expect(other).toBeDefined();
      await other!.release();
      // The session holding the lock ends (a worker's connection cut): the lock goes with it.
      const pid = (await first!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await listener.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(first!.query('SELECT 1')).rejects.toThrow();
      expect(first!.lost).toBeDefined();
      expect(lost).toHaveLength(1);
      const taken = await OrgLease.take(pool, { fleet: 'lease', org: 'one' });
      expect(taken).toBeDefined();
      await taken!.release();
    } finally {
      await first?.release();
      await pool.end();
    }
  });
});

describe('the database going away for a while', () => {
  it('workers wait, say so on /readyz, and recover: the drift made meanwhile is corrected', async () => {
    const members = orgs.slice(13, 16);
    const name = 'outage';
    const file = await fleet(name, members);
    const ws = [worker('outage-w1', file), worker('outage-w2', file)];
    const urls = await Promise.all(ws.map((w) => w.healthUrl()));
    await runs.waitFor(
      eachOrgRan(
        name,
        members.map((m) => m.name),
        1,
        ['success'],
      ),
      'every org applied',
    );
    const ready = async (): Promise<number[]> => Promise.all(urls.map(async (url) => (await fetch(`${url}/readyz`)).status));
    // One worker may have run every org while the other still waited on the install lock: both must have joined.
    await Promise.all(ws.map((w) => w.waitFor((l) => l.msg === 'the database answers: taking work', 'the worker taking work')));
    expect(await ready()).toEqual([200, 200]);
    // Each worker's /metrics has series per org for the orgs it ran.
    const metrics = (await Promise.all(urls.map(async (url) => (await fetch(`${url}/metrics`)).text()))).join('\n');
    for (const org of members) expect(metrics).toContain(`accessctl_fleet_org_runs_total{org="${org.orgId}",result="success"}`);
    expect(metrics).toContain('accessctl_fleet_worker_ready 1');

    await db.stop();
    await Promise.all(ws.map((w) => w.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('the database does not answer'), 'noticing the outage')));
    expect(await ready()).toEqual([503, 503]);
    // Meanwhile someone deletes a flow in the console.
    const target = members[0]!;
    const flow = (await flowsOf(target)).find((f) => f.name === flowName(0))!;
    const deleted = await sandbox.call('DELETE', `/api/v2/approvalflows/${flow.id}`, undefined, { 'x-api-key': MSP_KEY, 'x-org-id': target.orgId });
    expect(deleted.status).toBeLessThan(300);
    expect((await flowsOf(target)).map((f) => f.name)).not.toContain(flowName(0));

    await db.start();
    // Listening before the workers are back, so no run after the outage goes unheard.
    const watch = await db.client();
    try {
      const after = await watchRuns(watch);
      await Promise.all(ws.map((w) => w.waitFor((l) => l.msg === 'the database answers again: taking work', 'noticing the recovery')));
      expect(await ready()).toEqual([200, 200]);
      await after.waitFor((all) => all.some((n) => n.fleet === name && n.org === target.name && n.result === 'success'), 'the drift corrected');
      // The run history names what drifted.
      const drifted = await watch.query(`SELECT drifted_objects FROM ${STATE_SCHEMA}.run WHERE fleet = $1 AND org = $2 AND drifted > 0`, [name, target.name]);
      expect(drifted.rows.map((r) => r.drifted_objects)).toEqual([[{ kind: 'ApprovalFlow', name: flowName(0) }]]);
    } finally {
      await watch.end();
    }
    expect((await flowsOf(target)).map((f) => f.name).sort()).toEqual(expectedFlows);
    await stopAll(ws);
  }, 90_000);
});
