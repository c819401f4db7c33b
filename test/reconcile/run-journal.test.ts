// The journal's promise through whole reconcile runs against a real sandbox: a change event a sink
// refuses keeps its entry and fails the run, a strike that fails is reported instead of crashing, a
// leftover is settled from the live state (never "applied" without evidence), and a damaged entry is moved aside.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import { EventFanout } from '../../src/events/fanout.js';
import type { EventSink } from '../../src/events/sink.js';
import type { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { IntentJournal, type Intent } from '../../src/reconcile/journal.js';
import { EXIT_FAILED, runReconciler } from '../../src/reconcile/loop.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { diff } from '../../src/plan/diff.js';
import { fileRunState, reconcileOnce, settleFromLive, type RunOptions, type RunState } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { desired, emptyInput, flow, live } from '../plan/builders.js';
import type { Harness } from '../sandbox/harness.js';
import { exampleOrg } from './example-org.js';
import { collectingLog, ERROR, MemorySink, WARN, type LogLine } from './memory-sink.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface World {
  h: Harness;
  work: string;
  stateDir: string;
  client: JumpCloudClient;
  lines: LogLine[];
  options(sinks: EventSink[], extra?: Partial<RunOptions>): RunOptions;
}

async function world(hooks = false): Promise<World> {
  const { h, work, client } = await exampleOrg('run-journal', cleanup, hooks);
  const lines: LogLine[] = [];
  const stateDir = join(work, 'state');
  return {
    h,
    work,
    stateDir,
    client,
    lines,
    options: (sinks, extra = {}) => ({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clients: TargetBinding.fixed(client),
      events: new EventFanout(sinks),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      stopping: () => undefined,
      ...extra,
    }),
  };
}

function changeEvents(events: readonly AccessctlEvent[]): [string, string, string][] {
  return events
    .filter((e) => e.type.startsWith('accessctl.change.'))
    .map((e) => {
      const data = e.data as { kind: string; name: string; error?: { code: string } };
      return [e.type.replace('accessctl.change.', ''), `${data.kind}/${data.name}`, data.error?.code ?? ''];
    });
}

async function journalFiles(stateDir: string): Promise<string[]> {
  return (await readdir(join(stateDir, 'journal')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
}

function intent(runId: string, kind: Intent['kind'], name: string, action: Intent['action']): Intent {
  return { runId, configCommit: null, kind, name, action, fields: [] };
}

describe('a reconcile run and its journal', () => {
  it('keeps the journal entry of each change event a sink refused, ends the run partial with an ERROR naming the sink, and the next run sends the events', async () => {
    const w = await world();
    const full = new MemorySink('file:/var/events.jsonl');
    const other = new MemorySink('memory');
    full.failing = true;

    const first = await reconcileOnce(w.options([full, other]));

    expect(first.applied).toBeGreaterThan(0);
    expect(first.result).toBe('partial');
    expect(first.message).toContain(
      `change events not delivered to file:/var/events.jsonl (could not append events to /var/events.jsonl: ENOSPC: no space left on device, write); ${first.applied} journal entries are kept, and the next run sends their events again`,
    );
    expect(w.lines.filter((l) => l.level >= ERROR).map((l) => l.msg)).toEqual([first.message]);
    const kept = await journalFiles(w.stateDir);
    expect(kept).toHaveLength(first.applied);

    full.failing = false;
    const second = await reconcileOnce(w.options([full, other]));

    expect(second.result).toBe('no-op');
    const resent = changeEvents(full.events);
    expect(resent).toHaveLength(first.applied);
    expect(resent.every(([type]) => type === 'applied')).toBe(true);
    // Under the run that made the changes.
    expect(new Set(full.events.filter((e) => e.type === 'accessctl.change.applied').map((e) => (e.data as { runId: string }).runId))).toEqual(
      new Set([first.runId]),
    );
    expect(await journalFiles(w.stateDir)).toEqual([]);
  });

  it('a run with nothing to apply whose settled events a sink refuses fails, and keeps the entries', async () => {
    const w = await world();
    const sink = new MemorySink('file:/var/events.jsonl');
    await reconcileOnce(w.options([sink]));
    await new IntentJournal(w.stateDir).record(intent('killed-run', 'ApprovalFlow', 'GitHub User', 'update'));
    sink.failing = true;

    const outcome = await reconcileOnce(w.options([sink]));

    expect(outcome.result).toBe('failed');
    expect(outcome.message).toContain('change events not delivered to file:/var/events.jsonl');
    expect(await journalFiles(w.stateDir)).toHaveLength(1);
  });

  it('a stopped run whose settled events a sink refuses fails, still naming the stop, at ERROR, and keeps the entry', async () => {
    const w = await world();
    const sink = new MemorySink('file:/var/events.jsonl');
    await reconcileOnce(w.options([sink]));
    await new IntentJournal(w.stateDir).record(intent('killed-run', 'ApprovalFlow', 'GitHub User', 'update'));
    const file = join(w.work, 'config', 'flows', 'github-user.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('duration: P30D', 'duration: P14D'));
    sink.failing = true;

    const outcome = await reconcileOnce(w.options([sink], { stopping: () => ({ why: 'accessctl is shutting down', stateIsOurs: true }) }));

    // Nothing applied before the stop: failed (the loop, the fleet and --once all count it), and the summary says it was stopped.
    expect(outcome.result).toBe('failed');
    expect(outcome.message).toMatch(/^stopped \(accessctl is shutting down\): cut short: not started: update ApprovalFlow "GitHub User"/);
    expect(outcome.message).toContain('change events not delivered to file:/var/events.jsonl');
    expect(w.lines.filter((l) => l.level >= ERROR).map((l) => l.msg)).toEqual([outcome.message]);
    expect(await journalFiles(w.stateDir)).toHaveLength(1);
  });

  /**
   * reconcile --once whose only sink is a file that cannot be appended to (a directory stands where
   * the events file should be, so the append fails on a real file system). `onPlan` runs once the
   * plan is made; the outcomes are collected as "result: message".
   */
  async function onceIntoUnwritableFile(w: World, onPlan?: (controller: AbortController) => void) {
    const eventsPath = join(w.work, 'events.jsonl');
    await mkdir(eventsPath);
    const controller = new AbortController();
    const outcomes: string[] = [];
    const code = await runReconciler({
      source: { kind: 'dir', dir: join(w.work, 'config') },
      stateDir: w.stateDir,
      intervalMs: 60_000,
      once: true,
      eventSpecs: [`file:${eventsPath}`],
      env: { JUMPCLOUD_API_KEY: w.h.sandbox.adminKey },
      clients: TargetBinding.fixed(w.client),
      log: pino({ level: 'silent' }),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: controller.signal,
      ...(onPlan === undefined ? {} : { onPlan: () => onPlan(controller) }),
      onOutcome: (outcome) => outcomes.push(`${outcome.result}: ${outcome.message}`),
    });
    return { code, outcomes, eventsPath };
  }

  it('reconcile --once stopped by its signal exits 1 when a sink refused the change events, and the run says it was stopped', async () => {
    const w = await world();
    await reconcileOnce(w.options([new MemorySink('memory')]));
    await new IntentJournal(w.stateDir).record(intent('killed-run', 'ApprovalFlow', 'GitHub User', 'update'));
    const file = join(w.work, 'config', 'flows', 'github-user.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('duration: P30D', 'duration: P14D'));

    // SIGTERM once the plan is made (the leftover already settled): the change to the flow never starts.
    const { code, outcomes } = await onceIntoUnwritableFile(w, (controller) => controller.abort());

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatch(
      /^failed: stopped \(accessctl is shutting down\): cut short: not started: update ApprovalFlow "GitHub User"; .*change events not delivered to file:/,
    );
    expect(code).toBe(EXIT_FAILED);
    expect(await journalFiles(w.stateDir)).toHaveLength(1);
  });

  it('reconcile --once exits 1 when its file sink cannot take the change events, and keeps the journal entries', async () => {
    const w = await world();
    const { code, outcomes, eventsPath } = await onceIntoUnwritableFile(w);

    expect(code).toBe(EXIT_FAILED);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatch(new RegExp(`^partial: .*change events not delivered to file:${eventsPath} \\(could not append .*EISDIR`));
    expect((await journalFiles(w.stateDir)).length).toBeGreaterThan(0);
  });

  it('a journal entry that cannot be struck is an ERROR naming it and a partial run, not a crash, and every change still finishes', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    const files = fileRunState(w.stateDir);
    const readOnly: RunState = {
      ...files,
      journal: {
        record: (i) => files.journal.record(i),
        leftovers: (report) => files.journal.leftovers(report),
        strike: async (entry) => {
          throw new AccessctlError('io', `cannot remove the journal entry ${entry}: EROFS: read-only file system, unlink '${entry}'`);
        },
      },
    };

    const outcome = await reconcileOnce(w.options([sink], { state: readOnly }));

    expect(outcome.result).toBe('partial');
    expect(outcome.failed).toBe(0);
    const applied = changeEvents(sink.events).filter(([type]) => type === 'applied');
    expect(applied).toHaveLength(outcome.applied);
    const entries = await journalFiles(w.stateDir);
    expect(entries).toHaveLength(outcome.applied);
    const errors = w.lines.filter((l) => l.level >= ERROR);
    expect(errors.filter((l) => l.msg.includes('EROFS: read-only file system, unlink'))).toHaveLength(outcome.applied + 1);
    expect(errors.some((l) => typeof l['entry'] === 'string' && l.msg.includes('the next run settles the entry again'))).toBe(true);
    expect(outcome.message).toContain('journal entries not removed: cannot remove the journal entry');
  });

  it('settles leftovers from the live state: a create that never landed and left the config is interrupted, not applied', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    await reconcileOnce(w.options([sink]));
    sink.events.length = 0;
    const journal = new IntentJournal(w.stateDir);
    // As a run killed mid-way left them, before the config changed.
    await journal.record(intent('killed-run', 'ApprovalFlow', 'Ghost 01', 'create'));
    await journal.record(intent('killed-run', 'ApprovalFlow', 'GitHub User', 'create'));
    await journal.record(intent('killed-run', 'ApprovalFlow', 'Never There', 'delete'));
    await journal.record(intent('killed-run', 'ApprovalFlow', 'GitHub Admin', 'delete'));
    await journal.record(intent('killed-run', 'AccessRequestSettings', 'settings', 'update'));

    const outcome = await reconcileOnce(w.options([sink]));

    expect(outcome.result).toBe('no-op');
    expect(changeEvents(sink.events)).toEqual([
      ['failed', 'ApprovalFlow/Ghost 01', 'interrupted'],
      ['applied', 'ApprovalFlow/GitHub User', ''],
      ['applied', 'ApprovalFlow/Never There', ''],
      ['failed', 'ApprovalFlow/GitHub Admin', 'interrupted'],
      ['applied', 'AccessRequestSettings/settings', ''],
    ]);
    const ghost = sink.events.find((e) => (e.data as { name: string }).name === 'Ghost 01');
    expect(ghost?.data).toMatchObject({
      error: { message: 'the run stopped before this create landed: the object does not exist, and the config no longer asks for it' },
    });
    expect(await journalFiles(w.stateDir)).toEqual([]);
  });

  it('moves a damaged journal entry aside with a WARN naming it, and the run goes on', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    await mkdir(join(w.stateDir, 'journal'), { recursive: true });
    const bad = join(w.stateDir, 'journal', 'r1-000001.json');
    await writeFile(bad, 'null');

    const outcome = await reconcileOnce(w.options([sink]));

    expect(outcome.result).toBe('success');
    const moved = join(w.stateDir, 'journal', 'corrupt', 'r1-000001.json');
    expect(await readFile(moved, 'utf8')).toBe('null');
    const warned = w.lines.filter((l) => l.level === WARN && l['entry'] === bad);
    expect(warned).toHaveLength(1);
    expect(warned[0]?.msg).toMatch(/^the journal entry .*r1-000001\.json is damaged \(not a JSON object \(null\)\); moved it to .*corrupt\/r1-000001\.json\./);
    expect(changeEvents(sink.events).filter(([, object]) => object === 'ApprovalFlow/Ghost 02')).toEqual([]);
  });

  it('settles the object a damaged entry still names from the live state, under its run, and keeps the entry aside', async () => {
    const w = await world();
    const sink = new MemorySink('memory');
    await mkdir(join(w.stateDir, 'journal'), { recursive: true });
    const text = JSON.stringify({ runId: 'killed-run', kind: 'ApprovalFlow', name: 'Ghost 02', action: 'create' });
    await writeFile(join(w.stateDir, 'journal', 'killed-run-000001.json'), text);

    const outcome = await reconcileOnce(w.options([sink]));

    expect(outcome.result).toBe('success');
    const ghost = sink.events.filter((e) => (e.data as { name: string }).name === 'Ghost 02');
    expect(ghost).toHaveLength(1);
    expect(ghost[0]).toMatchObject({ type: 'accessctl.change.failed', data: { runId: 'killed-run', action: 'create', error: { code: 'interrupted' } } });
    expect(await readFile(join(w.stateDir, 'journal', 'corrupt', 'killed-run-000001.json'), 'utf8')).toBe(text);
    expect(await journalFiles(w.stateDir)).toEqual([]);
  });
});

/** What each failed change event says, and its id (what a settled re-send must repeat), by object name. */
function failedChanges(events: readonly AccessctlEvent[]): { id: string; name: string; runId: string; error: unknown }[] {
  return events
    .filter((e) => e.type === 'accessctl.change.failed')
    .map((e) => {
      const data = e.data as { name: string; runId: string; error: unknown };
      return { id: e.id, name: data.name, runId: data.runId, error: data.error };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe("a settled failed change keeps the platform's reason", () => {
  /** Every create of a flow is refused by the platform with a 500 until the faults are cleared. */
  async function refusingCreates(w: World): Promise<() => Promise<void>> {
    const put = (rules: unknown[]) => w.h.call('PUT', '/sandbox/v1/faults', { rules });
    expect((await put([{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }])).status).toBe(200);
    return async () => {
      expect((await put([])).status).toBe(200);
    };
  }

  it("re-sends a failed change's event a sink refused with the platform's message, status and code, and the same id", async () => {
    const w = await world(true);
    const clearFaults = await refusingCreates(w);
    const full = new MemorySink('file:/var/events.jsonl');
    const other = new MemorySink('memory');
    full.failing = true;

    const first = await reconcileOnce(w.options([full, other]));

    const refused = failedChanges(other.events);
    expect(refused.map((f) => f.name)).toEqual(['GitHub Admin', 'GitHub User']);
    for (const f of refused) expect(f.error).toMatchObject({ code: 'platform', status: 500, message: expect.stringContaining('500') });
    expect((await journalFiles(w.stateDir)).length).toBeGreaterThanOrEqual(refused.length);
    await clearFaults();
    full.failing = false;
    other.events.length = 0;

    const second = await reconcileOnce(w.options([full, other]));

    expect(second.result).toBe('success');
    // The creates land now; the first run's failures are sent again as that run told them.
    const resent = failedChanges(full.events).filter((f) => f.runId === first.runId);
    expect(resent).toEqual(refused);
    expect(failedChanges(other.events).filter((f) => f.runId === first.runId)).toEqual(refused);
    expect(await journalFiles(w.stateDir)).toEqual([]);
  });

  it("after a crash before its entry was struck, settles a failed change with the platform's reason, not a generic one", async () => {
    const w = await world(true);
    const clearFaults = await refusingCreates(w);
    const sink = new MemorySink('memory');
    const files = new IntentJournal(w.stateDir);
    // The run dies after each event went out, before it strikes the entry.
    const crashing: RunState = {
      ...fileRunState(w.stateDir),
      journal: {
        record: (i) => files.record(i),
        amend: (e, i) => files.amend(e, i),
        leftovers: (r) => files.leftovers(r),
        strike: async () => {},
      },
    };

    const crashed = await reconcileOnce(w.options([sink], { state: crashing }));

    const sent = failedChanges(sink.events);
    expect(sent).toHaveLength(2);
    await clearFaults();
    sink.events.length = 0;

    await reconcileOnce(w.options([sink]));

    const settled = failedChanges(sink.events).filter((f) => f.runId === crashed.runId);
    expect(settled).toEqual(sent);
    expect(settled.map((f) => f.error)).not.toContainEqual(expect.objectContaining({ code: 'interrupted' }));
  });
});

describe('a failed change whose entry cannot be amended', () => {
  it('still sends its event with the platform reason and strikes the entry, with a WARN naming the entry', async () => {
    const w = await world(true);
    expect((await w.h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }] })).status).toBe(200);
    const sink = new MemorySink('memory');
    const files = new IntentJournal(w.stateDir);
    const readOnly: RunState = {
      ...fileRunState(w.stateDir),
      journal: {
        record: (i) => files.record(i),
        amend: async (entry) => {
          throw new AccessctlError('io', `cannot rewrite the journal entry ${entry}: EROFS: read-only file system, open '${entry}.tmp'`);
        },
        leftovers: (r) => files.leftovers(r),
        strike: (entry) => files.strike(entry),
      },
    };

    const outcome = await reconcileOnce(w.options([sink], { state: readOnly }));

    expect(outcome.result).toBe('partial');
    expect(failedChanges(sink.events).map((f) => f.error)).toEqual([
      expect.objectContaining({ code: 'platform', status: 500 }),
      expect.objectContaining({ code: 'platform', status: 500 }),
    ]);
    const warned = w.lines.filter((l) => l.level === WARN && l.msg.startsWith('cannot rewrite the journal entry'));
    expect(warned).toHaveLength(2);
    expect(warned[0]?.msg).toContain("should a later run settle the entry, its event gives a reason read from the live state instead of the platform's");
    expect(typeof warned[0]?.['entry']).toBe('string');
    expect(await journalFiles(w.stateDir)).toEqual([]);
  });
});

describe('settleFromLive', () => {
  // Live: Kept (declared, in sync), Changed (declared, an update planned), Orphan (no longer declared). Declared, not live: Wanted.
  const input = emptyInput();
  input.flows.live = [live(flow('Kept'), 'f1'), live(flow('Changed'), 'f2'), live(flow('Orphan'), 'f3')];
  input.flows.desired = [desired(flow('Kept')), desired(flow('Changed', { description: 'changed' })), desired(flow('Wanted'))];
  const plan = diff(input);
  const settle = (name: string, action: Intent['action']) => settleFromLive({ kind: 'ApprovalFlow', name, action }, plan);

  it('a change still planned did not land', () => {
    expect(settle('Wanted', 'create')).toMatchObject({ landed: false, code: 'interrupted' });
    expect(settle('Changed', 'update')).toMatchObject({ landed: false, code: 'interrupted' });
  });

  it('a create landed only if its object exists, a delete only if its object is gone', () => {
    expect(settle('Kept', 'create')).toEqual({ landed: true });
    expect(settle('Orphan', 'create')).toEqual({ landed: true });
    expect(settle('Ghost', 'create')).toMatchObject({ landed: false, code: 'interrupted' });
    expect(settle('Ghost', 'delete')).toEqual({ landed: true });
    expect(settle('Orphan', 'delete')).toMatchObject({ landed: false, code: 'interrupted' });
  });

  it('an update landed if its object matches the config now, and is unknown for an object the config no longer declares', () => {
    expect(settle('Kept', 'update')).toEqual({ landed: true });
    expect(settle('Orphan', 'update')).toMatchObject({
      landed: false,
      code: 'outcome-unknown',
      message: expect.stringContaining('check ApprovalFlow "Orphan" on the platform'),
    });
    expect(settle('Ghost', 'update')).toMatchObject({
      landed: false,
      code: 'outcome-unknown',
      message: expect.stringContaining('the object no longer exists'),
    });
  });
});
