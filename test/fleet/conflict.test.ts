// An org run that another writer races between plan and write (changed-since-plan) is a conflict,
// not a failure: it re-plans at once, and one the writer races through every plan ends `conflict`
// without raising the org's failures in a row or its back-off, is requeued soon, and says so in
// `fleet status` and the metrics. The race is made by a proxy that holds the run's read of the flow.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, nextDelayMs } from '../../src/fleet/backoff.js';
import { runEmbedded } from '../../src/fleet/embedded.js';
import { readFleet } from '../../src/fleet/fleet-file.js';
import { conflictsInRow, failureStreak, type OrgRunRecord, type OrgRunResult } from '../../src/fleet/history.js';
import { FleetMetrics } from '../../src/fleet/metrics.js';
import { OrgClients, runOrg, type OrgRunOptions } from '../../src/fleet/org-run.js';
import { FileOrgState, fileStatuses, orgStateDir } from '../../src/fleet/org-state.js';
import { renderStatusText } from '../../src/fleet/status.js';
import { MAX_PLANS_PER_RUN } from '../../src/reconcile/run.js';
import { CONFLICT_REQUEUE_MS, CONFLICTS_BEFORE_FAILURE } from '../../src/reconcile/schedule.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { collectingLog, ERROR, type LogLine } from '../reconcile/memory-sink.js';
import { raceFlow } from '../reconcile/racing-writer.js';
import { flowName, fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet, type FleetOrgFixture } from './fixtures.js';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const orgs = fleetOrgs(4);
const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-01T09:00:00Z');
let sandbox: Harness;
let proxy: RecordingProxy;
let dir: string;
const clients = new OrgClients({ [KEY_VARIABLE]: MSP_KEY });

beforeAll(async () => {
  sandbox = await startHarness({ seed: multiOrgSeed(orgs, 1) });
  proxy = await startRecordingProxy(sandbox.sandbox.url);
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-conflict-'));
});

// A test that fails while the proxy holds a read must not leave the hold to the next one.
afterEach(() => proxy.holdWhen(undefined));

afterAll(async () => {
  await clients.close();
  await proxy?.close();
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An org's fleet (one flow, an hourly interval) applied once, then a change to its flow for the next run to write. */
async function appliedOrg(org: FleetOrgFixture): Promise<{ options: OrgRunOptions; state: FileOrgState; metrics: FleetMetrics; flowId: string }> {
  const fleetFile = await writeFleet(join(dir, org.name), { name: `race-${org.name}`, target: proxy.url, orgs: [org], flowsPerOrg: 1, interval: '1h' });
  const state = new FileOrgState(orgStateDir(join(dir, `${org.name}-state`), org.name), org.name, 'w1', () => NOW);
  const metrics = new FleetMetrics();
  const options: OrgRunOptions = {
    fleetFile,
    org: org.name,
    state,
    clients,
    sinks: [],
    metrics,
    log: pino({ level: 'silent' }),
    env: { [KEY_VARIABLE]: MSP_KEY },
    worker: 'w1',
    stopping: () => undefined,
    now: () => NOW,
    random: () => 0.5,
  };
  expect((await runOrg(options)).record).toMatchObject({ result: 'success', applied: 1 });
  const flowFile = join(dir, org.name, 'base', 'flows', 'flow-1.yaml');
  await writeFile(flowFile, (await readFile(flowFile, 'utf8')).replace('duration: P30D', 'duration: P14D'));
  const flows = await sandbox.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows', undefined, {
    'x-api-key': MSP_KEY,
    'x-org-id': org.orgId,
  });
  const flowId = flows.body.results.find((f) => f.name === flowName(0))?.id;
  if (flowId === undefined) throw new Error(`no ${flowName(0)} in ${org.name}`);
  return { options, state, metrics, flowId };
}

/** Two runs that could not be carried out (no key): the org's failures in a row are 2. */
async function failTwice(options: OrgRunOptions): Promise<void> {
  const keyless = new OrgClients({});
  try {
    for (let i = 0; i < 2; i++) expect((await runOrg({ ...options, clients: keyless, env: {} })).record.result).toBe('error');
  } finally {
    await keyless.close();
  }
  expect(await options.state.consecutiveFailures()).toBe(2);
}

describe('an org run another writer races between plan and write', () => {
  it('re-plans at once, applies what the fresh plan says, and ends the failure streak as a success', async () => {
    const org = orgs[0]!;
    const { options, state, flowId } = await appliedOrg(org);
    await failTwice(options);
    const headers = { 'x-api-key': MSP_KEY, 'x-org-id': org.orgId };
    const writer = raceFlow(proxy, sandbox, { flowId, times: 1, headers });
    const { record } = await runOrg(options);
    proxy.holdWhen(undefined);
    expect(writer).toMatchObject({ writes: 1, problems: [] });
    expect(record).toMatchObject({ result: 'success', applied: 1, failed: 0, nextRunAt: new Date(NOW + HOUR).toISOString() });
    expect(record.message).toContain(`re-planned once after another writer changed ApprovalFlow "${flowName(0)}"`);
    expect(await state.consecutiveFailures()).toBe(0);
    const flow = await sandbox.call<{ fixedDuration: string; description: string }>('GET', `/api/v2/approvalflows/${flowId}`, undefined, headers);
    expect(flow.body).toMatchObject({ fixedDuration: 'P14D', description: 'Access 1 for staff, granted at once' });
  });

  it(`does not raise the fleet back-off for a conflict that outlasts ${MAX_PLANS_PER_RUN} plans: the org is requeued soon, and status says conflict`, async () => {
    const org = orgs[1]!;
    const { options, state, metrics, flowId } = await appliedOrg(org);
    await failTwice(options);
    const writer = raceFlow(proxy, sandbox, { flowId, times: 100, headers: { 'x-api-key': MSP_KEY, 'x-org-id': org.orgId } });
    const { record } = await runOrg(options);
    proxy.holdWhen(undefined);
    expect(writer).toMatchObject({ writes: MAX_PLANS_PER_RUN, problems: [] });
    // Two failures in a row before it: a failing run would have made them 3 and waited 8 hours (capped at the hour).
    expect(record).toMatchObject({ result: 'conflict', applied: 0, failed: 0, failures: [], nextRunAt: new Date(NOW + CONFLICT_REQUEUE_MS).toISOString() });
    expect(record.message).toContain(`update ApprovalFlow "${flowName(0)}"`);
    expect(await state.consecutiveFailures()).toBe(2);
    const text = await metrics.text();
    expect(text).toContain(`accessctl_fleet_org_runs_total{org="${org.orgId}",result="conflict"} 1`);
    expect(text).toContain(`accessctl_fleet_org_consecutive_failures{org="${org.orgId}"} 2`);
    expect(text).toContain('accessctl_changes_conflicted_total{kind="ApprovalFlow",action="update"} 3');
    expect(text).not.toContain('accessctl_changes_failed_total{kind="ApprovalFlow"');
    const fleet = (await readFleet(options.fleetFile)).fleet!;
    const [status] = await fileStatuses(join(dir, `${org.name}-state`), fleet.orgs);
    expect(status).toMatchObject({ lastResult: 'conflict', failed: 0, consecutiveFailures: 2, nextRunAt: record.nextRunAt });
    const table = renderStatusText({ fleet: fleet.name, orgs: [status!], workers: [], runner: 'live' }, NOW);
    expect(table).toMatch(new RegExp(`^${org.name}\\s+conflict\\s`, 'm'));
    expect(table).toContain(`${org.name}: conflict, not a failure (2 failed runs in a row): `);
    // The writer gone, the requeued run writes the change and the streak ends.
    const next = await runOrg(options);
    expect(next.record).toMatchObject({ result: 'success', applied: 1, nextRunAt: new Date(NOW + HOUR).toISOString() });
    expect(await state.consecutiveFailures()).toBe(0);
  });

  it(`requeues a second conflict in a row later, and counts the ${CONFLICTS_BEFORE_FAILURE}rd as a failure: the streak, the back-off, an ERROR naming the object`, async () => {
    const org = orgs[3]!;
    const { options, state, metrics, flowId } = await appliedOrg(org);
    const lines: LogLine[] = [];
    const logged = { ...options, log: collectingLog(lines) };
    const headers = { 'x-api-key': MSP_KEY, 'x-org-id': org.orgId };
    const conflictRun = async (): Promise<OrgRunRecord> => {
      const writer = raceFlow(proxy, sandbox, { flowId, times: MAX_PLANS_PER_RUN, headers });
      try {
        const { record } = await runOrg(logged);
        expect(writer).toMatchObject({ writes: MAX_PLANS_PER_RUN, problems: [] });
        return record;
      } finally {
        proxy.holdWhen(undefined);
      }
    };
    const fleet = (await readFleet(options.fleetFile)).fleet!;
    const status = async () => (await fileStatuses(join(dir, `${org.name}-state`), fleet.orgs))[0]!;
    const text = async () => renderStatusText({ fleet: fleet.name, orgs: [await status()], workers: [], runner: 'live' }, NOW);

    expect(await conflictRun()).toMatchObject({ result: 'conflict', nextRunAt: new Date(NOW + CONFLICT_REQUEUE_MS).toISOString() });
    expect(await text()).toContain(`${org.name}: conflict, not a failure: `);
    // The second in a row: twice the requeue, still no failure.
    expect(await conflictRun()).toMatchObject({ result: 'conflict', nextRunAt: new Date(NOW + 2 * CONFLICT_REQUEUE_MS).toISOString() });
    expect(await state.consecutiveFailures()).toBe(0);
    expect(await status()).toMatchObject({ conflictsInRow: 2, consecutiveFailures: 0 });
    expect(await text()).toContain(`${org.name}: conflict, not a failure (2 in a row): `);
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([]);
    // The third: a failure, backed off as one (one failure in a row: twice the interval, capped at the larger of the interval and 30 minutes).
    expect(await conflictRun()).toMatchObject({ result: 'conflict', nextRunAt: new Date(NOW + HOUR).toISOString() });
    expect(await state.consecutiveFailures()).toBe(1);
    expect(await status()).toMatchObject({ lastResult: 'conflict', conflictsInRow: 3, consecutiveFailures: 1 });
    expect(await text()).toContain(`${org.name}: conflict 3 runs in a row, another writer keeps changing it: counted as a failure, 1 failed run in a row: `);
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([
      expect.objectContaining({
        conflictsInRow: 3,
        msg: expect.stringContaining(
          `3 runs in a row ended in a conflict (each after ${MAX_PLANS_PER_RUN} plans): another writer keeps changing ApprovalFlow "${flowName(0)}"`,
        ),
      }),
    ]);
    expect(await metrics.text()).toContain(`accessctl_fleet_org_consecutive_failures{org="${org.orgId}"} 1`);
    // The writer gone, the next run writes the change: the streaks end.
    expect((await runOrg(logged)).record).toMatchObject({ result: 'success', applied: 1 });
    expect(await status()).toMatchObject({ conflictsInRow: 0, consecutiveFailures: 0 });
  });
});

describe('fleet run --once (embedded)', () => {
  it('exits 1 when an org ended in a conflict: no next run will resolve it', async () => {
    const org = orgs[2]!;
    const { options, flowId } = await appliedOrg(org);
    const writer = raceFlow(proxy, sandbox, { flowId, times: 100, headers: { 'x-api-key': MSP_KEY, 'x-org-id': org.orgId } });
    const results: string[] = [];
    const exit = await runEmbedded({
      fleetFile: options.fleetFile,
      orgs: [],
      concurrency: 1,
      worker: 'w1',
      env: options.env,
      log: options.log,
      sinks: [],
      metrics: new FleetMetrics(),
      signal: new AbortController().signal,
      stateDir: join(dir, `${org.name}-state`),
      once: true,
      lockMode: 'fail',
      now: () => NOW,
      random: () => 0.5,
      onRun: (record) => void results.push(record.result ?? 'none'),
    });
    proxy.holdWhen(undefined);
    expect(writer.writes).toBe(MAX_PLANS_PER_RUN);
    expect(results).toEqual(['conflict']);
    expect(exit).toBe(1);
  });
});

describe("a conflict and an org's schedule", () => {
  it(`keeps the failures in a row as they were, neither ending nor raising them, until the ${CONFLICTS_BEFORE_FAILURE}rd conflict in a row`, () => {
    expect(failureStreak(2, 'conflict')).toBe(2);
    expect(failureStreak(0, 'conflict', 1)).toBe(0);
    expect(failureStreak(2, 'conflict', CONFLICTS_BEFORE_FAILURE - 1)).toBe(2);
    expect(failureStreak(2, 'conflict', CONFLICTS_BEFORE_FAILURE)).toBe(3);
  });

  it('counts the newest runs that ended in a conflict in a row, skipping stopped and unfinished ones', () => {
    const run = (result: OrgRunResult, finished = true) => ({ result, finishedAt: finished ? '2026-03-01T09:00:00Z' : null });
    expect(conflictsInRow([])).toBe(0);
    expect(conflictsInRow([run('conflict', false), run('conflict'), run('stopped'), run('conflict'), run('success'), run('conflict')])).toBe(2);
    expect(conflictsInRow([run('failed'), run('conflict')])).toBe(0);
  });

  it('requeues after the conflict delay whatever the streak, doubled for each conflict in a row, never later than the interval; then backs off as a failure', () => {
    const half = (): number => 0.5;
    expect(nextDelayMs({ intervalMs: HOUR, consecutiveFailures: 5, random: half, result: 'conflict' })).toBe(CONFLICT_REQUEUE_MS);
    expect(nextDelayMs({ intervalMs: HOUR, consecutiveFailures: 5, random: half, result: 'conflict', conflictsInRow: 2 })).toBe(2 * CONFLICT_REQUEUE_MS);
    expect(nextDelayMs({ intervalMs: 40_000, consecutiveFailures: 0, random: half, result: 'conflict', conflictsInRow: 2 })).toBe(40_000);
    expect(nextDelayMs({ intervalMs: HOUR, consecutiveFailures: 5, random: half, result: 'failed' })).toBe(Math.max(HOUR, MAX_BACKOFF_MS));
    expect(nextDelayMs({ intervalMs: 10_000, consecutiveFailures: 0, random: half, result: 'conflict' })).toBe(10_000);
    expect(nextDelayMs({ intervalMs: 60_000, consecutiveFailures: 1, random: half, result: 'conflict', conflictsInRow: CONFLICTS_BEFORE_FAILURE })).toBe(
      120_000,
    );
    expect(nextDelayMs({ intervalMs: 60_000, consecutiveFailures: 0, random: () => 0 })).toBe(54_000);
  });
});
