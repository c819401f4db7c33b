// The intent journal settles only runs that are over: its own process's earlier runs, a process on
// this host that is dead or whose lock is gone, or a process elsewhere that no longer holds the state
// lock. A live reconciler's entries are never re-emitted by another one; damaged entries are moved aside.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import {
  IntentJournal,
  parseEntry,
  parseIntentText,
  type Intent,
  type IntentFailure,
  type IntentJournalOptions,
  type JournalNotice,
} from '../../src/reconcile/journal.js';

const LIVE_PID = 101;
const DEAD_PID = 102;
const OTHER_PID = 103;

let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-journal-'));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function journal(options: IntentJournalOptions = {}): IntentJournal {
  return new IntentJournal(stateDir, { hostname: 'host-a', pid: process.pid, isAlive: (pid) => pid !== DEAD_PID, ...options });
}

function intent(runId: string, name: string): Intent {
  return { runId, configCommit: null, kind: 'ApprovalFlow', name, action: 'create', fields: [] };
}

/** The lock file as a holder writes it. */
function holdLock(host: string, pid: number): void {
  const at = new Date().toISOString();
  writeFileSync(path.join(stateDir, 'reconcile.lock'), JSON.stringify({ pid, host, startedAt: at, heartbeat: at, id: `${host}-${pid}` }));
}

async function names(of: IntentJournal): Promise<string[]> {
  return (await of.leftovers()).map(({ intent: i }) => i.name);
}

describe('IntentJournal.leftovers', () => {
  it("settles an earlier run of this process, and hands back the intent without the writer's name", async () => {
    const entry = await journal().record(intent('run-1', 'Mine'));

    const found = await journal().leftovers();

    expect(found).toEqual([{ entry, intent: intent('run-1', 'Mine') }]);
  });

  it('leaves alone the entries of a live reconciler on this host, and settles them once it is dead', async () => {
    await journal({ pid: LIVE_PID }).record(intent('run-live', 'Live'));
    await journal({ pid: DEAD_PID }).record(intent('run-dead', 'Dead'));

    expect(await names(journal())).toEqual(['Dead']);
    expect(await names(journal({ isAlive: () => false }))).toEqual(['Dead', 'Live']);
  });

  it('leaves alone the entries of a reconciler on another host while it holds the lock', async () => {
    await journal({ hostname: 'host-b', pid: OTHER_PID }).record(intent('run-b', 'Elsewhere'));

    holdLock('host-b', OTHER_PID);
    expect(await names(journal())).toEqual([]);

    // It released the lock, or lost it after its heartbeat stopped for longer than its own window.
    holdLock('host-a', process.pid);
    expect(await names(journal())).toEqual(['Elsewhere']);
  });

  it('settles entries written before writers were recorded', async () => {
    const file = path.join(stateDir, 'journal', 'run-old-000001.json');
    await journal().record(intent('seed', 'Seed'));
    writeFileSync(file, JSON.stringify(intent('run-old', 'Old')));

    expect((await names(journal())).sort()).toEqual(['Old', 'Seed']);
  });
});

/** Writes an entry's text by hand, as damage or an older accessctl would leave it. */
function plant(name: string, text: string): string {
  mkdirSync(path.join(stateDir, 'journal'), { recursive: true });
  const file = path.join(stateDir, 'journal', name);
  writeFileSync(file, text);
  return file;
}

async function leftoversWithNotices(of: IntentJournal): Promise<{ names: string[]; notices: JournalNotice[] }> {
  const notices: JournalNotice[] = [];
  const found = await of.leftovers((notice) => notices.push(notice));
  return { names: found.map(({ intent: i }) => i.name), notices };
}

function erofs(op: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EROFS: read-only file system, ${op} '${file}'`), { code: 'EROFS' });
}

describe('IntentJournal: damaged entries', () => {
  it.each([
    ['null', 'null', /not a JSON object \(null\)/],
    ['an empty object', '{}', /runId is missing/],
    ['an array', '[]', /not a JSON object \(an array\)/],
    [
      'an entry without fields',
      JSON.stringify({ runId: 'r1', configCommit: null, kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'update' }),
      /fields is not a list/,
    ],
    ['an entry of an unknown kind', JSON.stringify({ ...intent('r1', 'X'), kind: 'Gadget' }), /kind is not one of/],
    ['a torn entry', '{"runId":"r1","configCommit":null,"kind":"ApprovalFlow","name":"Bulk Fl', /not valid JSON/],
  ])('moves %s to journal/corrupt/, names it and settles the rest', async (_label, text, reason) => {
    await journal().record(intent('run-1', 'Good'));
    const bad = plant('r0-000001.json', text);

    const { names: found, notices } = await leftoversWithNotices(journal());

    expect(found).toEqual(['Good']);
    const moved = path.join(stateDir, 'journal', 'corrupt', 'r0-000001.json');
    expect(existsSync(bad)).toBe(false);
    expect(readFileSync(moved, 'utf8')).toBe(text);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ type: 'corrupt', entry: bad, movedTo: moved });
    expect(notices[0]?.message).toMatch(reason);
    expect(notices[0]?.message).toContain(bad);
    expect(notices[0]?.message).toContain(`moved it to ${moved}`);
    expect(notices[0]?.message).toContain('may have been sent');
    // Moved aside, it is not reported again by the next run.
    expect((await leftoversWithNotices(journal())).notices).toEqual([]);
  });

  it('names the object a damaged entry still tells, for the operator to check', async () => {
    plant('r1-000001.json', JSON.stringify({ runId: 'r1', configCommit: null, kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'update' }));

    const { notices } = await leftoversWithNotices(journal());

    expect(notices[0]).toMatchObject({ type: 'corrupt', recovered: { kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'update' } });
    expect(notices[0]?.message).toContain('check ApprovalFlow "Bulk Flow 03" on the platform');
  });

  it("recovers a damaged entry's run from its file name and its object's id, so its settled event carries the id its run gave it", async () => {
    const runId = '0b6f5a52-3c1e-4f55-9a43-5a0f0e7b9d21';
    plant(`${runId}-000004.json`, JSON.stringify({ kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'delete', id: 'af-3', fields: 'lost' }));
    plant('hand-placed.json', JSON.stringify({ kind: 'ApprovalFlow', name: 'Bulk Flow 04', action: 'update', id: 7 }));

    const { notices } = await leftoversWithNotices(journal());

    expect(notices.map((n) => (n.type === 'corrupt' ? n.recovered : undefined))).toEqual([
      { kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'delete', runId, id: 'af-3' },
      { kind: 'ApprovalFlow', name: 'Bulk Flow 04', action: 'update' },
    ]);
  });

  it('never overwrites an earlier damaged entry of the same name', async () => {
    plant('r1-000001.json', 'first');
    await journal().leftovers();
    plant('r1-000001.json', 'second');
    await journal().leftovers();

    const folder = path.join(stateDir, 'journal', 'corrupt');
    expect(readdirSync(folder).sort()).toEqual(['r1-000001.json', 'r1-000001.json.1']);
    expect(readFileSync(path.join(folder, 'r1-000001.json'), 'utf8')).toBe('first');
    expect(readFileSync(path.join(folder, 'r1-000001.json.1'), 'utf8')).toBe('second');
  });

  it('leaves a damaged entry in place, and says so, when it cannot be moved aside', async () => {
    const bad = plant('r1-000001.json', 'null');
    const readOnly = journal({ files: { rename: async (from) => Promise.reject(erofs('rename', from)) } });

    const { names: found, notices } = await leftoversWithNotices(readOnly);

    expect(found).toEqual([]);
    expect(readFileSync(bad, 'utf8')).toBe('null');
    expect(notices[0]).toMatchObject({ type: 'corrupt', entry: bad, movedTo: undefined });
    expect(notices[0]?.message).toContain(`could not be moved aside (EROFS: read-only file system, rename '${bad}')`);
  });
});

describe('IntentJournal: the failure a run keeps in its entry', () => {
  const failure: IntentFailure = { code: 'platform', message: 'HTTP 400 Bad Request: name: already taken', status: 400 };

  it('amends an entry in place with how its change failed, keeping its writer, and hands the failure back as a leftover', async () => {
    holdLock('host-a', process.pid);
    const entry = await journal().record(intent('run-1', 'Refused'));

    await journal().amend(entry, { ...intent('run-1', 'Refused'), failure });

    expect(JSON.parse(readFileSync(entry, 'utf8'))).toEqual({
      ...intent('run-1', 'Refused'),
      failure,
      writer: { pid: process.pid, host: 'host-a', lock: `host-a-${process.pid}` },
    });
    expect(await journal().leftovers()).toEqual([{ entry, intent: { ...intent('run-1', 'Refused'), failure } }]);
  });

  it('reads an entry without a failure as whole (as earlier versions wrote it), and keeps only the failure fields it knows', () => {
    expect(parseEntry(JSON.stringify(intent('run-1', 'Old')))).toEqual({ ok: true, intent: intent('run-1', 'Old'), writer: undefined });
    const { status: _status, ...noStatus } = failure;
    expect(parseEntry(JSON.stringify({ ...intent('run-1', 'New'), failure: { ...noStatus, hint: 'from a newer accessctl' } }))).toMatchObject({
      ok: true,
      intent: { name: 'New', failure: noStatus },
    });
  });

  it.each([
    ['a failure that is text', 'HTTP 500'],
    ['a failure without a code', { message: 'HTTP 500' }],
    ['a failure whose status is text', { code: 'platform', message: 'HTTP 500', status: '500' }],
  ])('finds an entry with %s damaged, and still recovers its object', (_label, bad) => {
    const parsed = parseEntry(JSON.stringify({ ...intent('run-1', 'Flow'), id: 'af-1', failure: bad }), 'run-1-000001.json');

    expect(parsed).toEqual({
      ok: false,
      reason: 'failure is not a code and a message (and an integer status)',
      recovered: { kind: 'ApprovalFlow', name: 'Flow', action: 'create', runId: 'run-1', id: 'af-1' },
    });
  });

  it('reads an entry marked landed (an applied change whose event a sink refused), and finds landed: false or landed with a failure damaged', () => {
    expect(parseEntry(JSON.stringify({ ...intent('run-1', 'Flow'), landed: true }))).toMatchObject({ ok: true, intent: { name: 'Flow', landed: true } });
    expect(parseEntry(JSON.stringify({ ...intent('run-1', 'Flow'), landed: false }))).toMatchObject({ ok: false, reason: 'landed is not true' });
    expect(parseEntry(JSON.stringify({ ...intent('run-1', 'Flow'), landed: true, failure }))).toMatchObject({
      ok: false,
      reason: 'landed and failure are both set',
    });
  });

  it('recovers a whole failure from an entry damaged elsewhere, and the run its store names when the entry lost its own', () => {
    const parsed = parseIntentText(JSON.stringify({ kind: 'ApprovalFlow', name: 'Flow', action: 'update', id: 'af-1', failure }), 'run-from-the-store');

    expect(parsed).toMatchObject({
      ok: false,
      reason: 'runId is missing or not a string',
      recovered: { kind: 'ApprovalFlow', name: 'Flow', action: 'update', runId: 'run-from-the-store', id: 'af-1', failure },
    });
  });

  it('an entry that cannot be rewritten is an io error naming it', async () => {
    const entry = await journal().record(intent('run-1', 'Refused'));
    rmSync(path.join(stateDir, 'journal'), { recursive: true });
    writeFileSync(path.join(stateDir, 'journal'), 'not a folder');

    await expect(journal().amend(entry, { ...intent('run-1', 'Refused'), failure })).rejects.toMatchObject({
      code: 'io',
      subject: entry,
      message: expect.stringMatching(/^cannot rewrite the journal entry .*run-1-000001\.json: /),
    });
  });
});

describe('IntentJournal: writers whose pid was reused', () => {
  it("records the lock acquisition the writer held, and settles its entries once that acquisition is gone, even though the writer's pid is alive again", async () => {
    holdLock('host-a', LIVE_PID);
    const entry = await journal({ pid: LIVE_PID }).record(intent('run-old', 'Old'));
    expect(JSON.parse(readFileSync(entry, 'utf8'))).toMatchObject({ writer: { pid: LIVE_PID, host: 'host-a', lock: `host-a-${LIVE_PID}` } });

    // While that acquisition holds the lock, its run may still be going.
    const held = await leftoversWithNotices(journal());
    expect(held.names).toEqual([]);
    expect(held.notices).toMatchObject([{ type: 'left', entry, writer: { pid: LIVE_PID, host: 'host-a' } }]);
    expect(held.notices[0]?.message).toMatch(new RegExp(`left for pid ${LIVE_PID} on host host-a, which still holds the lock`));

    // A restart (same pid, a new acquisition) or another process: the old run is over.
    const at = new Date().toISOString();
    writeFileSync(
      path.join(stateDir, 'reconcile.lock'),
      JSON.stringify({ pid: LIVE_PID, host: 'host-a', startedAt: at, heartbeat: at, id: 'a-new-acquisition' }),
    );
    expect(await names(journal())).toEqual(['Old']);
  });

  it('settles an entry of a live pid on this host that does not hold the lock this process holds (the pid was reused)', async () => {
    // As an older accessctl wrote it: no lock acquisition recorded.
    plant('old-000001.json', JSON.stringify({ ...intent('old', 'Bulk Flow 03'), action: 'update', writer: { pid: LIVE_PID, host: 'host-a' } }));
    holdLock('host-a', process.pid);

    const { names: found, notices } = await leftoversWithNotices(journal());

    expect(found).toEqual(['Bulk Flow 03']);
    expect(notices).toEqual([]);
  });

  it('reports each entry it leaves to a live writer, naming the file, the pid and what to do if the pid was reused', async () => {
    const entry = await journal({ pid: LIVE_PID }).record(intent('run-live', 'Live'));

    const { names: found, notices } = await leftoversWithNotices(journal());

    expect(found).toEqual([]);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toBe(
      `the journal entry ${entry} (create ApprovalFlow "Live") is left for pid ${LIVE_PID} on host host-a, which is still running; that run settles it. If no accessctl reconciler of ${stateDir} runs as that pid (the pid was reused), check ApprovalFlow "Live" on the platform and move the entry out of the journal.`,
    );
  });
});

describe('IntentJournal: disk failures', () => {
  it('a strike that fails is an io error naming the entry', async () => {
    const entry = await journal().record(intent('run-1', 'Mine'));
    const readOnly = journal({ files: { remove: async (file) => Promise.reject(erofs('unlink', file)) } });

    const failed = await readOnly.strike(entry).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failed).toBeInstanceOf(AccessctlError);
    expect(failed).toMatchObject({
      code: 'io',
      subject: entry,
      message: `cannot remove the journal entry ${entry}: EROFS: read-only file system, unlink '${entry}'`,
    });
    expect(existsSync(entry)).toBe(true);
  });

  it('a journal that cannot be listed is an io error naming it, not "no leftovers"', async () => {
    writeFileSync(path.join(stateDir, 'journal'), 'not a folder');

    await expect(journal().leftovers()).rejects.toMatchObject({ code: 'io', message: expect.stringMatching(/^cannot read the journal .*journal: ENOTDIR/) });
  });
});
