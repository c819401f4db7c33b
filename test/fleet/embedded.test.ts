// The embedded fleet runner (no database): every org on its own schedule in one process, at most
// --concurrency at once, a slow org holding only its own slot, an org without its key backing off
// while the others go on; time is the test's (an injected clock and timers). Then the real binary:
// `fleet run --once` and `fleet status` on the embedded runner's state directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../src/fleet/embedded.js';
import type { OrgRunRecord } from '../../src/fleet/history.js';
import { FleetMetrics } from '../../src/fleet/metrics.js';
import { fileStatuses } from '../../src/fleet/org-state.js';
import { readFleet } from '../../src/fleet/fleet-file.js';
import type { SetTimer } from '../../src/reconcile/schedule.js';
import { accessctl } from '../e2e/binary.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { flowName, fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet, type FleetOrgFixture } from './fixtures.js';
import { startRecordingProxy, type HeldRequest, type RecordingProxy } from './recording-proxy.js';

const orgs = fleetOrgs(7);
let sandbox: Harness;
let proxy: RecordingProxy;
let dir: string;

beforeAll(async () => {
  sandbox = await startHarness({ seed: multiOrgSeed(orgs, 2) });
  proxy = await startRecordingProxy(sandbox.sandbox.url);
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-embedded-'));
});

afterAll(async () => {
  await proxy?.close();
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The test's time: now() moves only when advanced, and timers fire then. */
class TestTime {
  t = Date.parse('2026-03-01T09:00:00Z');
  private timers: { at: number; fire: () => void }[] = [];
  readonly now = (): number => this.t;
  readonly setTimer: SetTimer = (fire, ms) => {
    const timer = { at: this.t + ms, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((t) => t.at <= this.t);
    this.timers = this.timers.filter((t) => t.at > this.t);
    for (const timer of due) timer.fire();
  }
}

async function flowsOf(org: FleetOrgFixture): Promise<{ name: string; description: string }[]> {
  const answer = await sandbox.call<{ results?: { name: string; description: string }[] }>('GET', '/api/v2/approvalflows?limit=100', undefined, {
    'x-api-key': MSP_KEY,
    'x-org-id': org.orgId,
  });
  return (answer.body.results ?? []).map((f) => ({ name: f.name, description: f.description })).sort((a, b) => a.name.localeCompare(b.name));
}

describe('the embedded runner', () => {
  it('runs every org on its schedule, a slow org holding one slot, an org without its key backing off alone', async () => {
    const [plain, overlaid, excluding, keyless] = orgs;
    const file = await writeFleet(join(dir, 'embedded'), {
      name: 'embedded',
      target: proxy.url,
      orgs: [plain!, overlaid!, excluding!, keyless!],
      flowsPerOrg: 2,
      interval: '1m',
      overlays: { [overlaid!.name]: [0] },
      exclude: { [excluding!.name]: [1] },
      keys: { [keyless!.name]: 'FLEET_TEST_UNSET_KEY' },
    });
    const time = new TestTime();
    const metrics = new FleetMetrics();
    let maxInFlight = 0;
    const setInFlight = metrics.setInFlight.bind(metrics);
    metrics.setInFlight = (count) => {
      maxInFlight = Math.max(maxInFlight, count);
      setInFlight(count);
    };
    const records: OrgRunRecord[] = [];
    const waiters: { count: number; resolve: () => void }[] = [];
    const ran = (count: number): Promise<void> => (records.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })));
    // The first org's first request waits until the test lets it through.
    let held: HeldRequest | undefined;
    let caught: () => void = () => undefined;
    const heldNow = new Promise<void>((resolve) => (caught = resolve));
    proxy.holdWhen(
      (r) => r.org === plain!.orgId,
      (h) => {
        held = h;
        proxy.holdWhen(undefined);
        caught();
      },
    );
    const controller = new AbortController();
    const done = runEmbedded({
      fleetFile: file,
      orgs: [],
      concurrency: 2,
      worker: 'embedded-test',
      env: { [KEY_VARIABLE]: MSP_KEY },
      log: pino({ level: 'silent' }),
      sinks: [],
      metrics,
      signal: controller.signal,
      stateDir: join(dir, 'embedded-state'),
      once: false,
      lockMode: 'fail',
      now: time.now,
      setTimer: time.setTimer,
      random: () => 0.5,
      onRun: (record) => {
        records.push(record);
        for (const w of [...waiters]) if (records.length >= w.count) w.resolve();
      },
    });
    await heldNow;
    // The three other orgs run to the end in the second slot while the first is held.
    await ran(3);
    expect(records.map((r) => r.org)).toEqual([overlaid!.name, excluding!.name, keyless!.name]);
    await held!.release();
    await ran(4);
    expect(maxInFlight).toBe(2);
    const t0 = time.t;
    const byOrg = new Map(records.map((r) => [r.org, r]));
    expect(byOrg.get(plain!.name)).toMatchObject({ result: 'success', applied: 2, nextRunAt: new Date(t0 + 60_000).toISOString() });
    expect(byOrg.get(keyless!.name)).toMatchObject({ result: 'error', nextRunAt: new Date(t0 + 120_000).toISOString() });
    expect(byOrg.get(keyless!.name)!.message).toContain('FLEET_TEST_UNSET_KEY is not set');
    expect((await flowsOf(plain!)).map((f) => f.name)).toEqual([flowName(0), flowName(1)]);
    expect(await flowsOf(overlaid!)).toEqual([
      { name: flowName(0), description: `Access 1, as ${overlaid!.name} wants it` },
      { name: flowName(1), description: 'Access 2 for staff, granted at once' },
    ]);
    expect((await flowsOf(excluding!)).map((f) => f.name)).toEqual([flowName(0)]);
    expect(proxy.log.some((r) => r.org === keyless!.orgId)).toBe(false);

    // One interval on: the three orgs run again and find nothing to do; the keyless one waits out its back-off.
    time.advance(60_000);
    await ran(7);
    expect(
      records
        .slice(4)
        .map((r) => [r.org, r.result])
        .sort(),
    ).toEqual([
      [plain!.name, 'no-op'],
      [overlaid!.name, 'no-op'],
      [excluding!.name, 'no-op'],
    ]);
    time.advance(60_000);
    await ran(11);
    expect(records.slice(7).find((r) => r.org === keyless!.name)).toMatchObject({ result: 'error', nextRunAt: new Date(time.t + 240_000).toISOString() });
    // The third round found each org's config and live answers as in the second: no plan was made again.
    expect(await metrics.text()).toContain('accessctl_plans_total{made="reused"} 3');

    controller.abort();
    expect(await done).toBe(0);
    const fleet = (await readFleet(file)).fleet!;
    const statuses = await fileStatuses(join(dir, 'embedded-state'), fleet.orgs);
    expect(statuses.map((s) => [s.org, s.lastResult, s.consecutiveFailures, s.worker])).toEqual([
      [plain!.name, 'no-op', 0, 'embedded-test'],
      [overlaid!.name, 'no-op', 0, 'embedded-test'],
      [excluding!.name, 'no-op', 0, 'embedded-test'],
      [keyless!.name, 'error', 2, 'embedded-test'],
    ]);
  }, 60_000);
});

describe('the fleet metrics', () => {
  it('label at most --max-org-labels orgs by org id, never by name, and sum the rest (and an org of unknown id) under org="_other"', async () => {
    const metrics = new FleetMetrics(2);
    for (const [name, id] of [
      ['acme-customer', '65b0000000000000000000a1'],
      ['globex-customer', '65b0000000000000000000b2'],
      ['initech-customer', '65b0000000000000000000c3'],
    ])
      metrics.knowOrg(name!, id!);
    for (const org of ['acme-customer', 'globex-customer', 'initech-customer', 'not-known', 'acme-customer'])
      metrics.recordOrgRun(org, 'success', 0.1, new Date(0), { applied: 1, drifted: 0, consecutiveFailures: 0 });
    const text = await metrics.text();
    expect(text).toContain('accessctl_fleet_org_runs_total{org="65b0000000000000000000a1",result="success"} 2');
    expect(text).toContain('accessctl_fleet_org_runs_total{org="65b0000000000000000000b2",result="success"} 1');
    expect(text).toContain('accessctl_fleet_org_runs_total{org="_other",result="success"} 2');
    expect(text).not.toContain('65b0000000000000000000c3');
    // /metrics is open: no org's name (an MSP's customer) is on it.
    expect(text).not.toMatch(/customer|not-known/);
  });
});

describe('accessctl fleet run --once (no database)', () => {
  it('reconciles every org once and exits 0; fleet status shows each org from the state directory', async () => {
    const members = orgs.slice(4, 7);
    const file = await writeFleet(join(dir, 'once'), { name: 'once', target: sandbox.sandbox.url, orgs: members, flowsPerOrg: 2, interval: '5m' });
    const stateDir = join(dir, 'once-state');
    const run = await accessctl(['fleet', 'run', file, '--once', '--state-dir', stateDir], { [KEY_VARIABLE]: MSP_KEY });
    expect(run.stderr).not.toContain(MSP_KEY);
    expect(run.code).toBe(0);
    for (const org of members) expect((await flowsOf(org)).map((f) => f.name)).toEqual([flowName(0), flowName(1)]);
    const status = await accessctl(['fleet', 'status', file, '--state-dir', stateDir, '--format', 'json'], {});
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      fleet: string;
      orgs: { org: string; lastResult: string; applied: number; nextRunAt: string; worker: string }[];
    };
    expect(parsed.fleet).toBe('once');
    expect(parsed.orgs.map((o) => [o.org, o.lastResult, o.applied])).toEqual(members.map((m) => [m.name, 'success', 2]));
    const text = await accessctl(['fleet', 'status', file, '--state-dir', stateDir], {});
    expect(text.stdout).toMatch(/ORG\s+LAST RESULT\s+WHEN\s+WORKER\s+APPLIED\s+FAILED\s+NEXT RUN\s+DRIFTED/);
    // Without the key, the run says which variable is missing, for each org, and fails.
    const keyless = await accessctl(['fleet', 'run', file, '--once', '--state-dir', join(dir, 'keyless-state')], {});
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toContain(`${KEY_VARIABLE} is not set`);
  }, 60_000);
});
