// Another writer changes a flow between a reconcile run's plan and its write (changed-since-plan):
// a conflict, not an error. The run plans again at once and applies what the fresh plan says; a
// writer that races every plan makes it give up after MAX_PLANS_PER_RUN, as `conflict`, at WARN;
// and a conflict next to a real failure is told apart from it. The race is made by a proxy that
// holds the run's read of the flow while the other writer writes it (racing-writer.ts).
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleApp } from '../../src/console/app.js';
import { ConsoleModel } from '../../src/console/model.js';
import { EventFanout } from '../../src/events/fanout.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { EXIT_FAILED, runReconciler, type ReconcilerOptions } from '../../src/reconcile/loop.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { MAX_PLANS_PER_RUN, reconcileOnce, type RunOptions, type RunOutcome } from '../../src/reconcile/run.js';
import { CONFLICT_REQUEUE_MS, CONFLICTS_BEFORE_FAILURE } from '../../src/reconcile/schedule.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { startRecordingProxy, type RecordingProxy } from '../fleet/recording-proxy.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { flowSetBody, type ReadFlow } from '../apply/flow-set.js';
import { collectingLog, ERROR, MemorySink, WARN, type LogLine } from './memory-sink.js';
import { flowRace, holdAll, holdNthRead, raceFlow, raceGroup } from './racing-writer.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const CONFIG_DESCRIPTION = 'Member access to the GitHub organisation for engineers';

describe('a reconcile run that another writer races between plan and write', () => {
  let h: Harness;
  let proxy: RecordingProxy;
  let client: JumpCloudClient;
  let work: string;
  let sink: MemorySink;
  let logs: LogLine[];
  let metrics: ReconcileMetrics;

  function options(stopping: RunOptions['stopping'] = () => undefined): RunOptions {
    return {
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([sink]),
      metrics,
      log: collectingLog(logs),
      allowHistoryRewrite: false,
      stopping,
    };
  }

  /** The long-running reconciler over the same config and sandbox, an hour between runs. */
  function reconcilerOptions(log: ReconcilerOptions['log']): Omit<ReconcilerOptions, 'once' | 'signal'> {
    return {
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      intervalMs: 3_600_000,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clients: TargetBinding.fixed(client),
      log,
      allowHistoryRewrite: false,
      lockMode: 'fail',
    };
  }

  async function edit(file: string, from: string, to: string): Promise<void> {
    const path = join(work, 'config', file);
    const text = await readFile(path, 'utf8');
    expect(text).toContain(from);
    await writeFile(path, text.replace(from, to));
  }

  async function liveFlow(name: string): Promise<{ id: string; description: string; fixedDuration?: string }> {
    const list = await h.call<{ results?: { id: string; name: string; description: string; fixedDuration?: string }[] }>('GET', '/api/v2/approvalflows');
    const flow = (list.body.results ?? []).find((f) => f.name === name);
    if (flow === undefined) throw new Error(`no live flow ${name}`);
    return flow;
  }

  /** Another writer's PUT of the flow: as read, with `changes`. */
  async function writeFlow(id: string, changes: Record<string, unknown>): Promise<void> {
    const read = await h.call<ReadFlow>('GET', `/api/v2/approvalflows/${id}`);
    expect((await h.call('PUT', `/api/v2/approvalflows/${id}`, flowSetBody(read.body, changes))).status).toBe(200);
  }

  /** The journal's entries as their files hold them, by file name. */
  async function journalEntries(): Promise<Map<string, string>> {
    const dir = join(work, 'state', 'journal');
    const names = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)));
  }

  /** The value of one sample of /metrics, or undefined when the series has none. */
  async function sample(series: string): Promise<number | undefined> {
    const line = (await metrics.text()).split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    proxy = await startRecordingProxy(h.sandbox.url);
    client = new JumpCloudClient({ baseUrl: proxy.url, apiKey: h.sandbox.adminKey, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    work = await mkdtemp(join(tmpdir(), 'accessctl-conflict-'));
    await cp(examples, join(work, 'config'), { recursive: true });
    sink = new MemorySink();
    logs = [];
    metrics = new ReconcileMetrics();
    // The example applied, then a change to one flow for the next run to write.
    expect((await reconcileOnce(options())).result).toBe('success');
    await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
    sink = new MemorySink();
    logs.length = 0;
    metrics = new ReconcileMetrics();
  });

  afterEach(async () => {
    await client.close();
    await proxy.close();
    await h.close();
    await rm(work, { recursive: true, force: true });
  });

  it('re-plans at once when another writer changes a flow between plan and write, and applies what the fresh plan says', async () => {
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 1 });
    const outcome = await reconcileOnce(options());
    expect(writer).toMatchObject({ writes: 1, problems: [] });
    expect(outcome).toMatchObject({ result: 'success', applied: 1, failed: 0, failures: [] });
    expect(outcome.conflicts).toBeUndefined();
    expect(outcome.message).toContain('re-planned once after another writer changed ApprovalFlow "GitHub User" since the plan');
    expect(outcome.message).toContain('applied 1, failed 0, skipped 0');
    expect(outcome.message).not.toContain('not written for a conflict');
    // The fresh plan saw both: the config's duration written, the other writer's description put back as the config says.
    expect(await liveFlow('GitHub User')).toMatchObject({ fixedDuration: 'P14D', description: CONFIG_DESCRIPTION });
    // The conflict is a warning naming the object, saying the run plans again; nothing is an error.
    const warned = logs.filter((l) => l.level === WARN && l['name'] === 'GitHub User');
    expect(warned).toEqual([
      expect.objectContaining({
        kind: 'ApprovalFlow',
        action: 'update',
        plan: 1,
        msg: expect.stringContaining(`re-planning now (plan 2 of at most ${MAX_PLANS_PER_RUN}`),
      }),
    ]);
    expect(warned[0]?.msg).toMatch(/^update ApprovalFlow "GitHub User" not written: .*changed on the platform since the plan was made/);
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
    // One change, one event: the write the conflict refused sent nothing, so it has none; the re-planned one is applied.
    expect(sink.events.filter((e) => e.type.startsWith('accessctl.change.')).map((e) => `${e.type} ${e.subject}`)).toEqual([
      'accessctl.change.applied ApprovalFlow/GitHub User',
    ]);
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'success', applied: 1, failed: 0 } });
    expect(await sample('accessctl_changes_conflicted_total{kind="ApprovalFlow",action="update"}')).toBe(1);
    expect(await sample('accessctl_changes_failed_total{kind="ApprovalFlow",action="update"}')).toBeUndefined();
    expect(await sample('accessctl_runs_total{result="success"}')).toBe(1);
    expect(await sample('accessctl_plans_total{made="new"}')).toBe(2);
    // Nothing is left in the journal for the next run to settle.
    expect((await readdir(join(work, 'state', 'journal'))).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it('re-plans a group another writer changed together with the flow that waited on it, and applies both', async () => {
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    const groupId = await h.groupId('GitHub Users');
    const writer = raceGroup(proxy, h, { groupId, times: 1 });
    const outcome = await reconcileOnce(options());
    expect(writer).toMatchObject({ writes: 1, problems: [] });
    expect(outcome).toMatchObject({ result: 'success', applied: 2, failed: 0, failures: [] });
    // The flow grants the group, so it was not written while the group's change was refused: both wait for the re-plan, as warnings.
    expect(logs.filter((l) => l.level === WARN && l['plan'] === 1).map((l) => `${l['kind']} ${l['name']}`)).toEqual([
      'GroupAssignment GitHub Users',
      'ApprovalFlow GitHub User',
    ]);
    expect(logs.find((l) => l.level === WARN && l['plan'] === 1 && l['kind'] === 'ApprovalFlow')?.msg).toContain(
      'not written: the change of user group "GitHub Users" was not written (another writer changed the group since the plan); re-planning now',
    );
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
    expect(
      sink.events
        .filter((e) => e.type.startsWith('accessctl.change.'))
        .map((e) => `${e.type} ${e.subject}`)
        .sort(),
    ).toEqual(['accessctl.change.applied ApprovalFlow/GitHub User', 'accessctl.change.applied GroupAssignment/GitHub Users']);
    expect((await h.call<{ description: string }>('GET', `/api/v2/usergroups/${groupId}`)).body.description).toMatch(/^All members of/);
    expect(await liveFlow('GitHub User')).toMatchObject({ fixedDuration: 'P14D' });
    expect(await sample('accessctl_changes_conflicted_total{kind="GroupAssignment",action="update"}')).toBe(1);
    expect(await sample('accessctl_changes_conflicted_total{kind="ApprovalFlow",action="update"}')).toBeUndefined();
  });

  it("gives a re-plan's drift and change of an object an earlier plan already corrected events of their own, whose ids a re-send keeps", async () => {
    await edit('settings.yaml', 'exposeApprovalProgress: true', 'exposeApprovalProgress: false');
    const admin = (await liveFlow('GitHub Admin')).id;
    // Drift before the run: plan 1 reports it and puts the flow back.
    await writeFlow(admin, { description: 'changed by hand (1)' });
    // While plan 1 reads the settings to write them (the plan read them first), the other writer
    // changes the settings (a conflict: plan 2 comes) and drifts the flow plan 1 has just put back.
    let settingsWrite = 0;
    holdAll(
      proxy,
      holdNthRead('/api/v2/approvalflowsettings', 2, (held) => {
        void (async () => {
          try {
            settingsWrite = (await h.call('PUT', '/api/v2/approvalflowsettings', { resourceRequest: false })).status;
            await writeFlow(admin, { description: 'changed by hand (2)' });
          } finally {
            await held.release();
          }
        })();
      }),
    );
    // A sink that refuses the second change.applied of the flow: its entry is kept, and the next run sends it again.
    let adminApplied = 0;
    sink.refuses = (e) => e.type === 'accessctl.change.applied' && e.subject === 'ApprovalFlow/GitHub Admin' && ++adminApplied === 2;
    const outcome = await reconcileOnce(options());
    expect(settingsWrite).toBe(200);
    expect(outcome.message).toContain('re-planned once after another writer changed AccessRequestSettings "settings"');
    const admins = sink.offered.filter((e) => e.subject === 'ApprovalFlow/GitHub Admin');
    expect(admins.map((e) => e.type)).toEqual(['accessctl.drift.detected', 'accessctl.change.applied', 'accessctl.drift.detected', 'accessctl.change.applied']);
    // Two drifts and two writes in one run: four events, four ids (a consumer dropping copies by id keeps all).
    expect(new Set(admins.map((e) => e.id)).size).toBe(4);
    expect(await liveFlow('GitHub Admin')).toMatchObject({ description: expect.not.stringContaining('changed by hand') });
    // The refused event's entry is kept with its plan, and the next run sends the same event: the same id.
    const refused = admins[3]!;
    expect(outcome.result).toBe('partial');
    expect([...(await journalEntries()).values()].map((text) => JSON.parse(text) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ name: 'GitHub Admin', runId: outcome.runId, landed: true, occurrence: 'plan 2' }),
    ]);
    sink.refuses = undefined;
    sink.events.length = 0;
    const next = await reconcileOnce(options());
    expect(next.result).toBe('no-op');
    const resent = sink.events.filter((e) => e.type === 'accessctl.change.applied');
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatchObject({ id: refused.id, subject: 'ApprovalFlow/GitHub Admin', data: { runId: outcome.runId } });
    expect(resent[0]?.id).not.toBe(admins[1]!.id);
  });

  it("keeps a refused change's error in its journal entry while the rest of the apply goes on, so a run killed then has it settled with that error", async () => {
    await edit('settings.yaml', 'exposeApprovalProgress: true', 'exposeApprovalProgress: false');
    const writer = flowRace(h, { flowId: (await liveFlow('GitHub User')).id, times: 1 });
    // The flow's change refused, the settings' change (after the flows) is held in its read: the journal as a kill would leave it.
    let atKill: Map<string, string> | undefined;
    holdAll(
      proxy,
      writer,
      holdNthRead('/api/v2/approvalflowsettings', 2, (held) => {
        void (async () => {
          try {
            atKill = await journalEntries();
          } finally {
            await held.release();
          }
        })();
      }),
    );
    const killed = await reconcileOnce(options());
    expect(writer).toMatchObject({ writes: 1, problems: [] });
    expect(killed.result).toBe('success');
    const entries = [...(atKill ?? new Map<string, string>()).values()].map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({ name: 'GitHub User', failure: expect.objectContaining({ code: 'changed-since-plan' }) }),
      expect.objectContaining({ kind: 'AccessRequestSettings' }),
    ]);
    expect(entries[1]).not.toHaveProperty('failure');
    // As if the process had died there: its entries are back for the next run to settle.
    for (const [name, text] of atKill ?? []) await writeFile(join(work, 'state', 'journal', name), text);
    sink.events.length = 0;
    await reconcileOnce(options());
    // The refused write is settled with the platform's reason, under the run that made it: not `interrupted`,
    // nor applied (the re-plan wrote the flow since, so the live state alone would say it landed).
    expect(sink.events.filter((e) => e.subject === 'ApprovalFlow/GitHub User')).toEqual([
      expect.objectContaining({
        type: 'accessctl.change.failed',
        data: expect.objectContaining({ runId: killed.runId, error: expect.objectContaining({ code: 'changed-since-plan' }) }),
      }),
    ]);
  });

  it("sends a held flow's change.failed when its group's conflict outlasts the run's plans", async () => {
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    const writer = raceGroup(proxy, h, { groupId: await h.groupId('GitHub Users'), times: 100 });
    const outcome = await reconcileOnce(options());
    expect(writer.writes).toBe(MAX_PLANS_PER_RUN);
    expect(outcome).toMatchObject({ result: 'conflict', applied: 0, failed: 0, failures: [] });
    expect(outcome.conflicts?.map((c) => `${c.kind} ${c.name}`)).toEqual(['GroupAssignment GitHub Users', 'ApprovalFlow GitHub User']);
    // The last plan's refused group and the flow that waited on it each have their failure event, with its own code.
    expect(
      sink.events
        .filter((e) => e.type.startsWith('accessctl.change.'))
        .map((e) => `${e.type} ${e.subject} ${(e.data as { error?: { code: string } }).error?.code ?? ''}`),
    ).toEqual([
      'accessctl.change.failed GroupAssignment/GitHub Users changed-since-plan',
      'accessctl.change.failed ApprovalFlow/GitHub User dependency-failed',
    ]);
    expect((await readdir(join(work, 'state', 'journal'))).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
  });

  it('skips paused drift once when the sync window closes between plans: the re-plan holds back only what it has not skipped', async () => {
    await edit('accessctl.yaml', 'spec:\n  prune:', 'spec:\n  syncWindows:\n    - {days: [Mon], start: "09:00", end: "17:00", timeZone: UTC}\n  prune:');
    await edit(
      'flows/github-admin.yaml',
      '  name: GitHub Admin\n',
      '  name: GitHub Admin\n  annotations: {accessctl.io/pause-drift-until: "2026-12-01T00:00:00Z"}\n',
    );
    await writeFlow((await liveFlow('GitHub Admin')).id, { description: 'changed by hand, on purpose' });
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 1 });
    // Monday 16:59 for plan 1; the window has closed by the time plan 2 is made.
    const replanning = () => logs.some((l) => l.msg.includes('re-planning now'));
    const outcome = await reconcileOnce({ ...options(), now: () => Date.parse(replanning() ? '2026-03-02T17:00:00Z' : '2026-03-02T16:59:00Z') });
    expect(writer.writes).toBe(1);
    expect(outcome.result).toBe('outside-sync-window');
    expect(outcome.skipped.map((c) => `${c.name} ${c.reason}`)).toEqual(['GitHub Admin drift-paused', 'GitHub User outside-sync-window']);
    expect(sink.events.filter((e) => e.type === 'accessctl.change.skipped').map((e) => e.subject)).toEqual([
      'ApprovalFlow/GitHub Admin',
      'ApprovalFlow/GitHub User',
    ]);
    expect(await sample('accessctl_changes_skipped_total{kind="ApprovalFlow",reason="drift-paused"}')).toBe(1);
  });

  it('plans nothing more when a stop comes with the conflict: the run ends stopped, naming the conflict apart from what the stop left undone', async () => {
    await edit('settings.yaml', 'exposeApprovalProgress: true', 'exposeApprovalProgress: false');
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    // SIGTERM arrives while the other writer writes the flow: the settings, after the flows, are not started.
    const outcome = await reconcileOnce(options(() => (writer.writes > 0 ? { why: 'accessctl is shutting down', stateIsOurs: true } : undefined)));
    expect(writer.writes).toBe(1);
    expect(outcome).toMatchObject({
      result: 'stopped',
      applied: 0,
      failed: 0,
      failures: [],
      conflicts: [{ kind: 'ApprovalFlow', name: 'GitHub User', action: 'update' }],
    });
    expect(outcome.message).toContain('not started: update AccessRequestSettings "settings"');
    expect(outcome.message).toContain('not written for another writer\'s change since the plan: update ApprovalFlow "GitHub User"');
    expect(await sample('accessctl_plans_total{made="new"}')).toBe(1);
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
    // Not re-planned, so the refused change keeps the event it always had.
    expect(sink.events.filter((e) => e.type.startsWith('accessctl.change.'))).toMatchObject([
      { type: 'accessctl.change.failed', subject: 'ApprovalFlow/GitHub User', data: { error: { code: 'changed-since-plan' } } },
    ]);
  });

  it('makes no further plan when the stop comes between plans: the run ends stopped, naming the re-plan it did not make and the conflict', async () => {
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    // SIGTERM arrives once plan 1 has decided to plan again (its WARN says so), before plan 2 reads anything.
    const stopping = () => (logs.some((l) => l.msg.includes('re-planning now')) ? { why: 'accessctl is shutting down', stateIsOurs: true } : undefined);
    const outcome = await reconcileOnce(options(stopping));
    expect(writer.writes).toBe(1);
    expect(outcome).toMatchObject({ result: 'stopped', applied: 0, failed: 0, conflicts: [{ kind: 'ApprovalFlow', name: 'GitHub User', action: 'update' }] });
    expect(outcome.message).toContain('cut short: plan 2, for another writer\'s change since the plan to ApprovalFlow "GitHub User"');
    expect(await sample('accessctl_plans_total{made="new"}')).toBe(1);
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
    // The refused write sent nothing and has no event; the next run plans it.
    expect(sink.events.filter((e) => e.type.startsWith('accessctl.change.') || e.type === 'accessctl.drift.detected')).toEqual([]);
    expect((await readdir(join(work, 'state', 'journal'))).filter((f) => f.endsWith('.json'))).toEqual([]);
  });

  it(`gives up after ${MAX_PLANS_PER_RUN} conflicting plans, says so at WARN, and ends as conflict rather than failed`, async () => {
    // A writer that never stops: it would race every read of the flow.
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    const outcome = await reconcileOnce(options());
    expect(writer).toMatchObject({ writes: MAX_PLANS_PER_RUN, problems: [] });
    expect(outcome).toMatchObject({
      result: 'conflict',
      applied: 0,
      failed: 0,
      failures: [],
      conflicts: [
        { kind: 'ApprovalFlow', name: 'GitHub User', action: 'update', reason: expect.stringContaining('changed on the platform since the plan was made') },
      ],
    });
    // Never overwritten: the other writer's last change stands, and the config's duration waits for the next run.
    expect(await liveFlow('GitHub User')).toMatchObject({ fixedDuration: 'P30D', description: `changed by another writer (${MAX_PLANS_PER_RUN})` });
    const warned = logs.filter((l) => l.level === WARN);
    expect(warned.filter((l) => l['name'] === 'GitHub User').map((l) => l.msg.replace(/^.*; /, ''))).toEqual([
      `re-planning now (plan 2 of at most ${MAX_PLANS_PER_RUN} in this run)`,
      `re-planning now (plan 3 of at most ${MAX_PLANS_PER_RUN} in this run)`,
      'the next run plans it again',
    ]);
    expect(warned.filter((l) => l['name'] === 'GitHub User').at(-1)?.msg).toContain(
      `this was the run's last plan (${MAX_PLANS_PER_RUN} of ${MAX_PLANS_PER_RUN}, each ended by another writer's conflict)`,
    );
    // The run's summary is a warning too, with its own result.
    expect(warned.at(-1)).toMatchObject({ result: 'conflict', failed: 0, conflicts: outcome.conflicts });
    expect(logs.filter((l) => l.level >= ERROR)).toEqual([]);
    // The change did not land: one failure event, from the last plan, that says why (its code), and none applied.
    expect(sink.events.filter((e) => e.type.startsWith('accessctl.change.'))).toMatchObject([
      { type: 'accessctl.change.failed', subject: 'ApprovalFlow/GitHub User', data: { error: { code: 'changed-since-plan' } } },
    ]);
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'conflict', failed: 0, conflicts: outcome.conflicts } });
    expect(sink.events.at(-1)?.data).not.toHaveProperty('failures');
    expect(await sample('accessctl_runs_total{result="conflict"}')).toBe(1);
    expect(await sample('accessctl_changes_conflicted_total{kind="ApprovalFlow",action="update"}')).toBe(MAX_PLANS_PER_RUN);
    expect(await sample('accessctl_changes_failed_total{kind="ApprovalFlow",action="update"}')).toBeUndefined();
    expect(await sample('accessctl_plans_total{made="new"}')).toBe(MAX_PLANS_PER_RUN);
    // Once the writer stops, the next run writes it.
    proxy.holdWhen(undefined);
    expect(await reconcileOnce(options())).toMatchObject({ result: 'success', applied: 1 });
    expect(await liveFlow('GitHub User')).toMatchObject({ fixedDuration: 'P14D', description: CONFIG_DESCRIPTION });
  });

  it('does not re-plan when another change failed too: the failure is an ERROR, the conflict a WARN, apart in the result', async () => {
    await edit('settings.yaml', 'exposeApprovalProgress: true', 'exposeApprovalProgress: false');
    const fault = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'PUT /api/v2/approvalflowsettings', errorRate: 1, status: 500 }] });
    expect(fault.status).toBe(200);
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    const outcome = await reconcileOnce(options());
    expect(writer.writes).toBe(1);
    expect(outcome).toMatchObject({
      result: 'failed',
      applied: 0,
      failed: 1,
      failures: [{ kind: 'AccessRequestSettings', action: 'update' }],
      conflicts: [{ kind: 'ApprovalFlow', name: 'GitHub User', action: 'update' }],
    });
    expect(logs.filter((l) => l.level === ERROR && l['kind'] !== undefined).map((l) => l['kind'])).toEqual(['AccessRequestSettings']);
    expect(logs.filter((l) => l.level === WARN && l['name'] === 'GitHub User').map((l) => l.msg.replace(/^.*; /, ''))).toEqual(['the next run plans it again']);
    expect(await sample('accessctl_plans_total{made="new"}')).toBe(1);
    expect(await sample('accessctl_changes_conflicted_total{kind="ApprovalFlow",action="update"}')).toBe(1);
    expect(await sample('accessctl_changes_failed_total{kind="AccessRequestSettings",action="update"}')).toBe(1);
    expect(await sample('accessctl_changes_failed_total{kind="ApprovalFlow",action="update"}')).toBeUndefined();
  });

  it('schedules the next run soon after a conflict, not a whole interval later, shows the run as a conflict on the console, and exits 1 from --once, where no next run comes', async () => {
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    const base = reconcilerOptions(pino({ level: 'silent' }));
    const results: RunOutcome['result'][] = [];
    const onOutcome = (outcome: RunOutcome): void => void results.push(outcome.result);
    expect(await runReconciler({ ...base, once: true, signal: new AbortController().signal, onOutcome })).toBe(EXIT_FAILED);
    // The long-running reconciler: the delay it waits after the conflict is the requeue's, and the test stops it there.
    const controller = new AbortController();
    const delays: number[] = [];
    const view = new ConsoleModel({});
    const exit = await runReconciler({
      ...base,
      once: false,
      signal: controller.signal,
      onOutcome,
      console: view,
      setTimer: (_fire, ms) => {
        delays.push(ms);
        controller.abort();
        return () => undefined;
      },
    });
    expect(results).toEqual(['conflict', 'conflict']);
    expect(writer.writes).toBe(2 * MAX_PLANS_PER_RUN);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(CONFLICT_REQUEUE_MS * 0.9);
    expect(delays[0]).toBeLessThanOrEqual(CONFLICT_REQUEUE_MS * 1.1);
    // A conflict is no failure: the reconciler that stopped on its signal exits 0.
    expect(exit).toBe(0);
    // The console shows the run as a conflict, with its mark, and lists the object apart from failures.
    expect(view.run(1)).toMatchObject({ status: 'conflict', failed: 0, failures: [], conflicts: [{ kind: 'ApprovalFlow', name: 'GitHub User' }] });
    const page = await (await consoleApp(view, { token: undefined, loopbackOnly: true }).request('/runs/1', { headers: { host: '127.0.0.1' } })).text();
    expect(page).toContain('<span class="state s-conflict"><span aria-hidden="true">↻ </span>conflict</span>');
    expect(page).toMatch(/<h2>Conflicts<\/h2>[\s\S]*GitHub User/);
    expect(page).not.toContain('<h2>Failures</h2>');
  });

  it(`requeues each conflict in a row later (30 s, then 1 m), and makes the ${CONFLICTS_BEFORE_FAILURE}rd a failure: an ERROR naming the object, and the interval's wait`, async () => {
    const writer = raceFlow(proxy, h, { flowId: (await liveFlow('GitHub User')).id, times: 100 });
    const controller = new AbortController();
    const delays: number[] = [];
    const results: RunOutcome['result'][] = [];
    const lines: LogLine[] = [];
    const exit = await runReconciler({
      ...reconcilerOptions(collectingLog(lines)),
      once: false,
      signal: controller.signal,
      onOutcome: (outcome) => void results.push(outcome.result),
      // Each wait is cut short at once, until the third: the test stops the reconciler there.
      setTimer: (fire, ms) => {
        delays.push(ms);
        if (delays.length < CONFLICTS_BEFORE_FAILURE) queueMicrotask(fire);
        else controller.abort();
        return () => undefined;
      },
    });
    expect(exit).toBe(0);
    expect(results).toEqual(['conflict', 'conflict', 'conflict']);
    expect(writer.writes).toBe(3 * MAX_PLANS_PER_RUN);
    const within = (ms: number) => [Math.round(ms * 0.9), Math.round(ms * 1.1)];
    const [first, second, third] = delays as [number, number, number];
    expect(first).toBeGreaterThanOrEqual(within(CONFLICT_REQUEUE_MS)[0]!);
    expect(first).toBeLessThanOrEqual(within(CONFLICT_REQUEUE_MS)[1]!);
    expect(second).toBeGreaterThanOrEqual(within(2 * CONFLICT_REQUEUE_MS)[0]!);
    expect(second).toBeLessThanOrEqual(within(2 * CONFLICT_REQUEUE_MS)[1]!);
    // The third conflict in a row is a failure: no requeue, the interval.
    expect(third).toBeGreaterThanOrEqual(within(3_600_000)[0]!);
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([
      expect.objectContaining({
        conflictsInRow: 3,
        msg: expect.stringMatching(
          /^3 runs in a row ended in a conflict \(each after 3 plans\): another writer keeps changing ApprovalFlow "GitHub User" .*counted as a failed run/,
        ),
      }),
    ]);
    expect(lines.filter((l) => l.msg.startsWith('next run in ')).map((l) => l.msg.replace(/^next run in \d+ s/, ''))).toEqual([
      ", sooner than the interval: another writer's conflict is planned again",
      ", sooner than the interval: another writer's conflict is planned again",
      '',
    ]);
  });
});
