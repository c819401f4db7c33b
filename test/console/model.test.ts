// The console's in-memory model, fed as the loop feeds it (a plan, the run's real events, the
// outcome): the state each event leaves an object in, secrets redacted on the way in, and bounds
// on everything kept (runs, drift entries per object, changes listed per run).
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/config/desired.js';
import { loadConfig } from '../../src/config/load.js';
import { ConsoleModel } from '../../src/console/model.js';
import { changeApplied, changeFailed, changeSkipped, driftDetected, type RunContext } from '../../src/events/cloudevent.js';
import type { Plan } from '../../src/plan/plan.js';
import { emptyPlan } from '../plan/builders.js';
import type { RunOutcome } from '../../src/reconcile/run.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const SECRET = 'planted-api-key-0f9e8d7c6b5a';
const at = new Date('2026-03-01T09:00:00Z');

let desired: DesiredState;
beforeAll(async () => {
  desired = (await loadConfig(examples)).desired;
});

function outcome(runId: string, result: RunOutcome['result'] = 'success', message = 'done'): RunOutcome {
  return { runId, result, applied: 0, failed: 0, drifted: 0, failures: [], skipped: [], message };
}

const ctx = (runId: string): RunContext => ({ runId, configCommit: 'c0ffee', source: 'accessctl/reconcile', target: null });

describe('the console model', () => {
  it('lists every declared object with the file and line of its name, synced when the plan changes nothing', () => {
    const model = new ConsoleModel({});
    model.runStarted(1);
    model.planned(
      emptyPlan({ references: { groups: { 'GitHub Admins': 'g-1' }, users: {}, applications: {}, channels: {}, channelIdEncoding: 'base64' } }),
      desired,
    );
    const admins = model.object('GroupAssignment', 'github admins');
    expect(admins).toMatchObject({ state: 'synced', id: 'g-1', source: { file: expect.stringMatching(/groups\/github-admins\.yaml$/), line: 5 } });
    expect(model.objects.map((o) => o.kind)).toEqual([...Array(6).fill('GroupAssignment'), 'ApprovalFlow', 'ApprovalFlow', 'AccessRequestSettings']);
  });

  it('knows the live id of an object the plan finds already matching, though no run has changed it', () => {
    const model = new ConsoleModel({});
    model.runStarted(1);
    model.planned(
      emptyPlan({
        noop: { GroupAssignment: 0, ApprovalFlow: 1, AccessRequestSettings: 1, WebhookChannel: 0 },
        inSync: [
          { kind: 'ApprovalFlow', name: 'GitHub User', id: 'f-7' },
          { kind: 'AccessRequestSettings', name: 'settings', id: 'settings' },
        ],
      }),
      desired,
    );
    expect(model.object('ApprovalFlow', 'GitHub User')).toMatchObject({ state: 'synced', id: 'f-7' });
    expect(model.object('AccessRequestSettings', 'settings')).toMatchObject({ state: 'synced', id: 'settings' });
  });

  it('moves an object through drifted, failed and suspended as the events of its runs say, and synced once a change lands', async () => {
    const model = new ConsoleModel({});
    const object = {
      kind: 'ApprovalFlow',
      name: 'GitHub Admin',
      action: 'update' as const,
      id: 'f-1',
      fields: [{ path: 'spec.description', before: 'a', after: 'b' }],
    };
    model.runStarted(1);
    model.planned(emptyPlan(), desired);
    await model.sink.emit([driftDetected(ctx('r1'), { ...object, policy: 'correct' }, at)]);
    expect(model.object('ApprovalFlow', 'GitHub Admin')).toMatchObject({ state: 'drifted', id: 'f-1' });
    await model.sink.emit([changeFailed(ctx('r1'), { ...object, error: { code: 'platform', message: 'answered 500' } }, at)]);
    expect(model.object('ApprovalFlow', 'GitHub Admin')).toMatchObject({ state: 'failed', note: 'answered 500' });
    model.runFinished(outcome('r1', 'failed'));

    model.runStarted(2);
    model.planned(emptyPlan(), desired);
    await model.sink.emit([changeSkipped(ctx('r2'), { ...object, reason: 'suspended', until: '2026-03-02T00:00:00Z' }, at)]);
    expect(model.object('ApprovalFlow', 'GitHub Admin')).toMatchObject({ state: 'suspended', note: expect.stringContaining('suspended until 2026-03-02') });
    model.runFinished(outcome('r2', 'suspended'));

    model.runStarted(3);
    model.planned(emptyPlan(), desired);
    await model.sink.emit([
      changeApplied(ctx('r3'), { ...object, attribution: { commit: 'c0ffee', author: { name: 'Ada', email: 'ada@example.com' }, date: at.toISOString() } }, at),
    ]);
    model.runFinished(outcome('r3'));
    const applied = model.object('ApprovalFlow', 'GitHub Admin');
    expect(applied).toMatchObject({ state: 'synced', lastApplied: { run: 3, runId: 'r3', commit: 'c0ffee', action: 'update' } });
    expect(applied?.drift).toEqual([expect.objectContaining({ run: 1, policy: 'correct', fields: object.fields })]);
  });

  it('marks objects of a kind the target does not serve, and live objects git does not hold', () => {
    const model = new ConsoleModel({});
    model.runStarted(1);
    model.planned(
      emptyPlan({
        unsupported: [{ kind: 'AccessRequestSettings', reason: 'no settings API here' }],
        unmanaged: [{ kind: 'ApprovalFlow', name: 'Made by hand', id: 'f-9' }],
      }),
      desired,
    );
    expect(model.object('AccessRequestSettings', 'settings')).toMatchObject({ state: 'unsupported', note: 'no settings API here' });
    expect(model.object('ApprovalFlow', 'Made by hand')).toMatchObject({ state: 'unmanaged', id: 'f-9', source: undefined });
  });

  it('redacts the secrets it knows from every message and field it keeps', async () => {
    const model = new ConsoleModel({ JUMPCLOUD_API_KEY: SECRET });
    model.runStarted(1);
    model.planned(emptyPlan(), desired);
    await model.sink.emit([
      changeFailed(
        ctx('r1'),
        {
          kind: 'ApprovalFlow',
          name: 'GitHub Admin',
          action: 'update',
          fields: [{ path: 'spec.description', after: `key ${SECRET}` }],
          error: { code: 'platform', message: `refused ${SECRET}` },
        },
        at,
      ),
    ]);
    model.runFinished(outcome('r1', 'failed', `failed with ${SECRET}`));
    expect(JSON.stringify(model.objects)).not.toContain(SECRET);
    expect(JSON.stringify(model.runs)).not.toContain(SECRET);
    expect(model.object('ApprovalFlow', 'GitHub Admin')?.note).toBe('refused [redacted]');
  });

  it('keeps the last runs, the last drift entries per object and the first changes of each plan, and no more', async () => {
    const model = new ConsoleModel({}, { limits: { runs: 3, driftPerObject: 2, changesPerRun: 1 } });
    const seen: number[] = [];
    model.subscribe((run) => {
      if (run.status !== 'running') seen.push(run.number);
    });
    for (let run = 1; run <= 5; run++) {
      model.runStarted(run);
      model.planned(
        emptyPlan({
          changes: desired.flows.map(
            (f) =>
              ({
                kind: 'ApprovalFlow',
                action: 'create',
                name: f.name,
                fields: [],
                after: f.object.spec,
                source: { file: 'f', line: 1, column: 1 },
              }) as unknown as Plan['changes'][number],
          ),
        }),
        desired,
      );
      await model.sink.emit([driftDetected(ctx(`r${run}`), { kind: 'GroupAssignment', name: 'GitHub Admins', fields: [], policy: 'report' }, at)]);
      model.runFinished(outcome(`r${run}`));
    }
    expect(model.runs.map((r) => r.number)).toEqual([5, 4, 3]);
    expect(model.run(1)).toBeUndefined();
    expect(model.runs[0]?.changes).toHaveLength(1);
    expect(model.runs[0]?.changesNotListed).toBe(1);
    expect(model.object('GroupAssignment', 'GitHub Admins')?.drift.map((d) => d.run)).toEqual([5, 4]);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
