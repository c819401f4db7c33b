// schemas/fleet-status.schema.json against what `accessctl fleet status FILE --format json` really
// prints: a state directory no run has written to; one `fleet run --once` left against a sandbox
// (orgs that succeeded, one whose key is not set) plus a run a killed runner never finished, with
// and without a live runner; and Postgres, where workers are seen. Copies broken on purpose are
// refused; the schema's fields and values are the types' (src/fleet/status.ts, src/fleet/history.ts).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunFailure } from '../../src/events/cloudevent.js';
import { migrate, STATE_SCHEMA, withInstallLock } from '../../src/fleet/database.js';
import type { DriftedObject, OrgRunResult, OrgStatus } from '../../src/fleet/history.js';
import { FileOrgState, orgStateDir } from '../../src/fleet/org-state.js';
import type { FleetStatus, WorkerSeen } from '../../src/fleet/status.js';
import type { ChangeAction } from '../../src/plan/plan.js';
import { accessctl } from '../cli/in-process.js';
import { fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet } from '../fleet/fixtures.js';
import { startPostgres, type TestPostgres } from '../fleet/postgres.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { copy, enumOf, exactly, expectAccepted, expectRefused, keysOf, nameRule, outputSchema, schemaJson, type RequiredKeys } from './output-schema.js';

const validate = outputSchema('fleet-status.schema.json');
const orgs = fleetOrgs(4);
const [succeeded, alsoSucceeded, keyless, cut] = orgs as [(typeof orgs)[number], (typeof orgs)[number], (typeof orgs)[number], (typeof orgs)[number]];

let h: Harness;
let dir: string;
let file: string;

beforeAll(async () => {
  h = await startHarness({ seed: multiOrgSeed(orgs, 1) });
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-status-schema-'));
  // The third org's key variable is never set: its run is an error with a message.
  file = await writeFleet(join(dir, 'repo'), {
    name: 'status-schema',
    target: h.sandbox.url,
    orgs,
    flowsPerOrg: 1,
    interval: '1h',
    keys: { [keyless.name]: 'STATUS_SCHEMA_UNSET_KEY' },
  });
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

async function statusJson(args: string[]): Promise<FleetStatus> {
  const run = await accessctl(['fleet', 'status', file, ...args, '--format', 'json']);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as FleetStatus;
}

describe('schemas/fleet-status.schema.json (embedded runner)', () => {
  it('accepts the status of a state directory no run has written to', async () => {
    const stateDir = join(dir, 'empty-state');
    await mkdir(stateDir);
    const status = await statusJson(['--state-dir', stateDir]);
    expect(status.runner).toBe('none');
    expect(status.orgs.map((o) => o.lastResult)).toEqual([null, null, null, null]);
    expectAccepted(validate, status);

    // Broken on purpose: a required field gone, a runner state that does not exist, an org id that is no id.
    const { workers: _workers, ...withoutWorkers } = copy(status);
    expectRefused(validate, withoutWorkers, 'required', '');
    expectRefused(validate, { ...copy(status), runner: 'dead' }, 'enum', '/runner');
    const badId = copy(status);
    badId.orgs[0]!.orgId = 'acme';
    expectRefused(validate, badId, 'pattern', '/orgs/0/orgId');
  });

  it('accepts what `fleet run --once` left, with a run a killed runner never finished, with no runner and with a live one', async () => {
    const stateDir = join(dir, 'state');
    const run = await accessctl(['fleet', 'run', file, '--once', '--state-dir', stateDir, '--listen', '127.0.0.1:0'], {
      [KEY_VARIABLE]: MSP_KEY,
      ACCESSCTL_LOG_LEVEL: 'silent',
    });
    expect(run.code).not.toBe(0);
    // The fourth org's run started and its process was killed before it finished.
    await new FileOrgState(orgStateDir(stateDir, cut.name), cut.name, 'gone-worker', () => Date.now()).startRun({ id: 'cut-run' });

    const none = await statusJson(['--state-dir', stateDir]);
    expect(none.runner).toBe('none');
    expect(none.orgs.map((o) => [o.org, o.lastResult, o.running?.stale ?? null])).toEqual([
      [succeeded.name, 'success', null],
      [alsoSucceeded.name, 'success', null],
      [keyless.name, 'error', null],
      [cut.name, 'success', true],
    ]);
    expect(none.orgs[2]?.message).toContain('STATUS_SCHEMA_UNSET_KEY');
    expectAccepted(validate, none);
    const result = copy(none);
    result.orgs[0]!.lastResult = 'ok' as OrgRunResult;
    expectRefused(validate, result, 'enum', '/orgs/0/lastResult');
    const when = copy(none);
    when.orgs[0]!.lastRunAt = 'yesterday';
    expectRefused(validate, when, 'format', '/orgs/0/lastRunAt');
    // With no runner nothing runs next: a next run would say otherwise.
    const next = copy(none);
    next.orgs[0]!.nextRunAt = new Date().toISOString();
    expectRefused(validate, next, 'const', '/orgs/0/nextRunAt');
    // Nor can a run go on with no runner: it is stale.
    const going = copy(none);
    going.orgs[3]!.running!.stale = false;
    expectRefused(validate, going, 'const', '/orgs/3/running/stale');

    // A runner on another host whose heartbeat is fresh holds the state directory now.
    const now = new Date().toISOString();
    await writeFile(
      join(stateDir, 'fleet.lock'),
      JSON.stringify({ pid: 4242, host: 'other-host', startedAt: now, heartbeat: now, id: 'runner', staleAfterMs: 60_000 }),
    );
    const live = await statusJson(['--state-dir', stateDir]);
    expect(live.runner).toBe('live');
    expect(live.orgs[0]?.nextRunAt).not.toBeNull();
    expect(live.orgs[3]?.running).toMatchObject({ worker: 'gone-worker', stale: false });
    expectAccepted(validate, live);
    const failure = copy(live);
    failure.orgs[0]!.failures = [{ kind: 'ApprovalFlow', name: 'Flow 001', action: 'rename' as ChangeAction, reason: 'refused' }];
    expectRefused(validate, failure, 'enum', '/orgs/0/failures/0/action');
  });
});

describe('schemas/fleet-status.schema.json (workers sharing Postgres)', () => {
  let db: TestPostgres;
  beforeAll(async () => {
    db = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('accepts the workers seen, live and presumed dead, and a run with failures and drift', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await withInstallLock(pool, migrate);
      const fleet = 'status-schema';
      await pool.query(
        `INSERT INTO ${STATE_SCHEMA}.worker (fleet, worker, host, pid, concurrency, seen_at)
         VALUES ($1, 'w-live', 'vm-1', 101, 4, clock_timestamp()), ($1, 'w-dead', 'vm-2', 202, 2, clock_timestamp() - interval '6 minutes')`,
        [fleet],
      );
      const failures: RunFailure[] = [{ kind: 'ApprovalFlow', name: 'Flow 001', action: 'update', reason: 'the platform answered 409' }];
      const drifted: DriftedObject[] = [{ kind: 'ApprovalFlow', name: 'Flow 001' }];
      await pool.query(
        `INSERT INTO ${STATE_SCHEMA}.run (id, fleet, org, worker, started_at, finished_at, result, applied, failed, drifted, drifted_objects, failures, message, next_run_at)
         VALUES (gen_random_uuid(), $1, $2, 'w-live', clock_timestamp() - interval '2 minutes', clock_timestamp() - interval '1 minute', 'partial', 1, 1, 1, $3, $4, '1 applied, 1 failed', clock_timestamp() + interval '1 hour'),
                (gen_random_uuid(), $1, $5, 'w-dead', clock_timestamp() - interval '7 minutes', NULL, NULL, 0, 0, 0, '[]', '[]', NULL, NULL)`,
        [fleet, succeeded.name, JSON.stringify(drifted), JSON.stringify(failures), alsoSucceeded.name],
      );
    } finally {
      await pool.end();
    }
    const status = await statusJson(['--database', db.url]);
    expect(status.runner).toBe('live');
    expect(status.workers.map((w) => [w.worker, w.stale])).toEqual([
      ['w-live', false],
      ['w-dead', true],
    ]);
    expect(status.orgs[0]).toMatchObject({
      lastResult: 'partial',
      failures: [expect.objectContaining({ action: 'update' })],
      driftedObjects: [{ kind: 'ApprovalFlow', name: 'Flow 001' }],
    });
    expect(status.orgs[1]?.running).toMatchObject({ worker: 'w-dead', stale: true });
    expectAccepted(validate, status);

    const { stale: _stale, ...withoutStale } = copy(status).workers[0]!;
    expectRefused(validate, { ...copy(status), workers: [withoutStale] }, 'required', '/workers/0');
    // With no runner every worker is presumed dead: a live one says otherwise.
    const noRunner: FleetStatus = { ...copy(status), runner: 'none' };
    for (const org of noRunner.orgs) {
      org.nextRunAt = null;
      if (org.running) org.running.stale = true;
    }
    expectRefused(validate, noRunner, 'const', '/workers/0/stale');
    const pid = copy(status);
    (pid.workers[0] as unknown as { pid: string }).pid = '101';
    expectRefused(validate, pid, 'type', '/workers/0/pid');
  });
});

// Every field of an org's status is always there (null when it has no value).
const ORG_KEYS = [
  'org',
  'orgId',
  'lastResult',
  'lastRunAt',
  'worker',
  'applied',
  'failed',
  'failures',
  'drifted',
  'driftedObjects',
  'nextRunAt',
  'running',
  'consecutiveFailures',
  'conflictsInRow',
  'message',
] as const;

describe('schemas/fleet-status.schema.json matches the types', () => {
  it('lists the fields, required fields and values of the types', () => {
    const schema = schemaJson('fleet-status.schema.json');
    const defs = schema.$defs ?? {};
    type Running = NonNullable<OrgStatus['running']>;
    expect(keysOf(schema)).toEqual({
      properties: exactly<keyof FleetStatus>()(['fleet', 'orgs', 'workers', 'runner']),
      required: exactly<RequiredKeys<FleetStatus>>()(['fleet', 'orgs', 'workers', 'runner']),
    });
    expect(keysOf(defs['org'])).toEqual({ properties: exactly<keyof OrgStatus>()(ORG_KEYS), required: exactly<RequiredKeys<OrgStatus>>()(ORG_KEYS) });
    expect(keysOf(defs['running'])).toEqual({
      properties: exactly<keyof Running>()(['worker', 'startedAt', 'stale']),
      required: exactly<RequiredKeys<Running>>()(['worker', 'startedAt', 'stale']),
    });
    expect(keysOf(defs['worker'])).toEqual({
      properties: exactly<keyof WorkerSeen>()(['worker', 'host', 'pid', 'concurrency', 'startedAt', 'seenAt', 'stale']),
      required: exactly<RequiredKeys<WorkerSeen>>()(['worker', 'host', 'pid', 'concurrency', 'startedAt', 'seenAt', 'stale']),
    });
    expect(keysOf(defs['failure'])).toEqual({
      properties: exactly<keyof RunFailure>()(['kind', 'name', 'action', 'reason']),
      required: exactly<RequiredKeys<RunFailure>>()(['kind', 'name', 'action', 'reason']),
    });
    expect(keysOf(defs['drifted'])).toEqual({
      properties: exactly<keyof DriftedObject>()(['kind', 'name']),
      required: exactly<RequiredKeys<DriftedObject>>()(['kind', 'name']),
    });
    expect(enumOf(defs['org']?.properties?.['lastResult'], schema)).toEqual(
      exactly<OrgRunResult>()(['success', 'partial', 'failed', 'no-op', 'plan-only', 'suspended', 'outside-sync-window', 'stopped', 'conflict', 'error']),
    );
    expect(enumOf(defs['failure']?.properties?.['action'])).toEqual(exactly<ChangeAction>()(['create', 'update', 'delete']));
    expect(enumOf(schema.properties?.['runner'])).toEqual(exactly<FleetStatus['runner']>()(['live', 'none']));
    // Names are the fleet file's, repeated here so the schema stands alone: the same rule.
    expect(nameRule(defs['name'])).toEqual(nameRule(schemaJson('fleet.schema.json').$defs?.['fleetName']));
  });
});
