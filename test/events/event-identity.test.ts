// An event sent again carries the same CloudEvent id: the id is a name-based UUID of the event's
// source, run, type and object, so a re-send after a crash or a refused sink is a duplicate a
// consumer can drop by source and id, while any two distinct events have distinct ids.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  changeApplied,
  changeFailed,
  changeSkipped,
  driftDetected,
  eventId,
  nameBasedUuid,
  runCompleted,
  type AccessctlEvent,
  type ObjectChange,
} from '../../src/events/cloudevent.js';
import { EventFanout } from '../../src/events/fanout.js';
import { secretRedactor } from '../../src/events/redaction.js';
import type { EventSink } from '../../src/events/sink.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { fileRunState, reconcileOnce, type RunOptions, type RunState } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import type { Harness } from '../sandbox/harness.js';
import { exampleOrg } from '../reconcile/example-org.js';
import { MemorySink } from '../reconcile/memory-sink.js';
import { attribution, NOW, runContext } from './sample-events.js';

/** RFC 9562 UUID, version 5 (name-based, SHA-1), variant 10. */
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const update: ObjectChange = { kind: 'ApprovalFlow', name: 'GitHub Admins', action: 'update', id: 'af-1', fields: [] };

describe('the CloudEvent id', () => {
  it('is the version 5 UUID of RFC 9562, which its own test vector checks', () => {
    // RFC 9562, appendix A.4: "www.example.com" in the DNS namespace.
    expect(nameBasedUuid('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(changeApplied(runContext(), update, NOW).id).toMatch(UUID_V5);
    expect(eventId('accessctl/reconcile', 'run-1', 'accessctl.run.completed', [])).toMatch(UUID_V5);
  });

  it('is the same for the same event built again later, with what a re-send may add or lose', () => {
    const first = changeApplied(runContext(), { ...update, fields: [{ path: 'spec.description', before: 'a', after: 'b' }], attribution }, NOW);
    // The journal's re-send: another time, no attribution, no field diff, confirmed by a retry, other secrets known.
    const again = changeApplied(
      runContext({ redact: secretRedactor(['another-secret']) }),
      { ...update, confirmedByRetry: true },
      new Date(NOW.getTime() + 3_600_000),
    );
    expect(again.id).toBe(first.id);
    expect(changeFailed(runContext(), { ...update, error: { code: 'platform', message: 'HTTP 500' } }, NOW).id).toBe(
      changeFailed(runContext(), { ...update, error: { code: 'interrupted', message: 'the run stopped' } }, NOW).id,
    );
    // A create's id comes from the platform once made: the settled re-send knows none.
    const create: ObjectChange = { kind: 'ApprovalFlow', name: 'New', action: 'create', fields: [] };
    expect(changeApplied(runContext(), { ...create, id: 'af-new' }, NOW).id).toBe(changeApplied(runContext(), create, NOW).id);
    const summary = { result: 'success' as const, applied: 1, failed: 0, drifted: 0, durationMs: 5 };
    expect(runCompleted(runContext(), summary, NOW).id).toBe(runCompleted(runContext(), { ...summary, durationMs: 9 }, NOW).id);
  });

  it('differs between any two distinct events: type, run, source, object, action, live id, occurrence', () => {
    const ctx = runContext();
    const error = { code: 'platform', message: 'HTTP 500' };
    const ids = [
      changeApplied(ctx, update, NOW).id,
      changeFailed(ctx, { ...update, error }, NOW).id,
      changeSkipped(ctx, { ...update, reason: 'suspended' }, NOW).id,
      driftDetected(ctx, { ...update, policy: 'report' }, NOW).id,
      runCompleted(ctx, { result: 'success', applied: 1, failed: 0, drifted: 0, durationMs: 5 }, NOW).id,
      changeApplied(runContext({ runId: 'run-other' }), update, NOW).id,
      runCompleted(runContext({ runId: 'run-other' }), { result: 'success', applied: 1, failed: 0, drifted: 0, durationMs: 5 }, NOW).id,
      changeApplied(runContext({ source: 'https://github.com/acme/access' }), update, NOW).id,
      changeApplied(ctx, { ...update, kind: 'GroupAssignment' }, NOW).id,
      changeApplied(ctx, { ...update, name: 'GitHub Users' }, NOW).id,
      changeApplied(ctx, { ...update, action: 'delete' }, NOW).id,
      // Two live objects of one name, both pruned: two deletes, two events.
      changeApplied(ctx, { ...update, action: 'delete', id: 'af-2' }, NOW).id,
      changeApplied(ctx, { ...update, occurrence: 'journal entry /state/journal/x.json' }, NOW).id,
    ];
    expect(new Set(ids).size).toBe(ids.length);
    // The parts cannot run into each other: a name holding the separator is still another name.
    expect(eventId('s', 'r', 'accessctl.change.applied', ['a","b'])).not.toBe(eventId('s', 'r', 'accessctl.change.applied', ['a', 'b']));
  });
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function world(hooks = false): Promise<{ h: Harness; work: string; stateDir: string; options(sinks: EventSink[], state?: RunState): RunOptions }> {
  const { h, work, client } = await exampleOrg('event-identity', cleanup, hooks);
  const stateDir = join(work, 'state');
  return {
    h,
    work,
    stateDir,
    options: (sinks, state) => ({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clients: TargetBinding.fixed(client),
      events: new EventFanout(sinks),
      metrics: new ReconcileMetrics(),
      log: pino({ level: 'silent' }),
      allowHistoryRewrite: false,
      stopping: () => undefined,
      ...(state ? { state } : {}),
    }),
  };
}

/** Each change event as "type kind/name action" and its id, in that order (a run sends them as they settle, the next one in journal order). */
function changeIds(events: readonly AccessctlEvent[]): [string, string][] {
  return events
    .filter((e) => e.type.startsWith('accessctl.change.'))
    .map((e): [string, string] => {
      const data = e.data as { kind: string; name: string; action: string };
      return [`${e.type} ${data.kind}/${data.name} ${data.action}`, e.id];
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('an event a reconcile run sends again', () => {
  it('after a crash between sending a change event and striking its journal entry, the next run settles it with the same id', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    const files = fileRunState(w.stateDir);
    // The process dies once the sinks took each event, before it removes the entry.
    const crashing: RunState = {
      ...files,
      journal: { record: (i) => files.journal.record(i), leftovers: (r) => files.journal.leftovers(r), strike: async () => {} },
    };

    const first = await reconcileOnce(w.options([sink], crashing));
    expect(first.result).toBe('success');
    const sent = changeIds(sink.events);
    expect(sent.length).toBe(first.applied);
    expect(sent.length).toBeGreaterThan(1);
    // Different changes of one run, and every other event of it, have different ids.
    expect(new Set(sink.events.map((e) => e.id)).size).toBe(sink.events.length);
    sink.events.length = 0;

    const second = await reconcileOnce(w.options([sink]));

    expect(second.result).toBe('no-op');
    expect(changeIds(sink.events)).toEqual(sent);
    expect(new Set(sink.events.filter((e) => e.type.startsWith('accessctl.change.')).map((e) => (e.data as { runId: string }).runId))).toEqual(
      new Set([first.runId]),
    );
    // The second run's own summary is another event.
    const summaries = sink.events.filter((e) => e.type === 'accessctl.run.completed');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]?.id).not.toBe(eventId('accessctl/reconcile', first.runId, 'accessctl.run.completed', []));
  });

  /**
   * A run whose change events one sink (a full disk) refused and another took: an update of GitHub
   * User (a live object, with its id) and the settings. The refusing sink works again afterwards.
   */
  async function refusedByOneSink() {
    const w = await world();
    const full = new MemorySink('file:/var/events.jsonl');
    const other = new MemorySink('memory');
    await reconcileOnce(w.options([full, other]));
    const file = join(w.work, 'config', 'flows', 'github-user.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('duration: P30D', 'duration: P14D'));
    full.events.length = 0;
    other.events.length = 0;
    full.failing = true;
    const refused = await reconcileOnce(w.options([full, other]));
    const delivered = changeIds(other.events);
    const flowId = (other.events.find((e) => (e.data as { name: string }).name === 'GitHub User')?.data as { id?: string } | undefined)?.id;
    other.events.length = 0;
    full.failing = false;
    return { w, full, other, refused, delivered, flowId };
  }

  it('after a sink refused a change event, the next run sends it to every sink with the id the other sinks already have', async () => {
    const { w, full, other, refused, delivered, flowId } = await refusedByOneSink();
    expect(refused.result).toBe('partial');
    expect(delivered.map(([what]) => what)).toContain('accessctl.change.applied ApprovalFlow/GitHub User update');
    expect(flowId).toEqual(expect.any(String));

    const next = await reconcileOnce(w.options([full, other]));

    expect(next.result).toBe('no-op');
    expect(changeIds(full.events)).toEqual(delivered);
    expect(changeIds(other.events)).toEqual(delivered);
  });

  it('after a sink refused an applied change event, the next run sends that same applied event even when the object has since gone', async () => {
    const { w, full, other, delivered: all, flowId } = await refusedByOneSink();
    const delivered = all.filter(([what]) => what.includes('GitHub User'));
    expect(delivered.map(([what]) => what)).toEqual(['accessctl.change.applied ApprovalFlow/GitHub User update']);
    // Before the next run, someone deletes the flow: the live state no longer shows the update.
    expect((await w.h.call('DELETE', `/api/v2/approvalflows/${flowId}`)).status).toBe(200);

    await reconcileOnce(w.options([full, other]));

    // The sink that missed it gets the event the other sink has, not a "failed" with another id.
    expect(changeIds(full.events).filter(([what]) => what.includes('GitHub User update'))).toEqual(delivered);
  });

  it('after a crash, from a damaged journal entry that lost its run and fields: the run comes from its file name, and the id is the same', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    await reconcileOnce(w.options([sink]));
    const file = join(w.work, 'config', 'flows', 'github-user.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('duration: P30D', 'duration: P14D'));
    const files = fileRunState(w.stateDir);
    const crashing: RunState = {
      ...files,
      journal: { record: (i) => files.journal.record(i), leftovers: (r) => files.journal.leftovers(r), strike: async () => {} },
    };
    sink.events.length = 0;
    const crashed = await reconcileOnce(w.options([sink], crashing));
    const sent = sink.events.find((e) => e.type === 'accessctl.change.applied' && (e.data as { name: string }).name === 'GitHub User');
    expect(sent?.data).toMatchObject({ action: 'update', id: expect.any(String) });
    // The disk damaged the entry: its run and its field diff are gone, its object is still named.
    const journalDir = join(w.stateDir, 'journal');
    let damaged = 0;
    for (const name of (await readdir(journalDir)).filter((n) => n.endsWith('.json'))) {
      const entry = JSON.parse(await readFile(join(journalDir, name), 'utf8')) as Record<string, unknown>;
      if (entry['name'] !== 'GitHub User') continue;
      delete entry['runId'];
      delete entry['fields'];
      await writeFile(join(journalDir, name), JSON.stringify(entry));
      damaged++;
    }
    expect(damaged).toBe(1);
    sink.events.length = 0;

    await reconcileOnce(w.options([sink]));

    const settled = sink.events.filter((e) => e.type.startsWith('accessctl.change.') && (e.data as { name: string }).name === 'GitHub User');
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ id: sent?.id, type: 'accessctl.change.applied', data: { runId: crashed.runId, fields: [] } });
  });

  it("a damaged entry that names no run is settled under this run with an id of its own, never the id of this run's own event of that change", async () => {
    const w = await world(true);
    const sink = new MemorySink('memory');
    // Creating a flow fails: this run's create of GitHub Admin ends in a failed event, as does the entry's.
    expect((await w.h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }] })).status).toBe(200);
    await mkdir(join(w.stateDir, 'journal'), { recursive: true });
    await writeFile(join(w.stateDir, 'journal', 'hand-placed.json'), JSON.stringify({ kind: 'ApprovalFlow', name: 'GitHub Admin', action: 'create' }));

    const outcome = await reconcileOnce(w.options([sink]));

    const failed = sink.events.filter((e) => e.type === 'accessctl.change.failed' && (e.data as { name: string }).name === 'GitHub Admin');
    expect(failed.map((e) => [(e.data as { runId: string }).runId, (e.data as { error: { code: string } }).error.code])).toEqual([
      [outcome.runId, 'interrupted'],
      [outcome.runId, expect.not.stringMatching(/^interrupted$/)],
    ]);
    expect(failed[0]?.id).not.toBe(failed[1]?.id);
  });
});
