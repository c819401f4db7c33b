// The intent journal settles only runs that are over: its own process's earlier runs, a process on
// this host that is dead, or a process elsewhere that no longer holds the state lock. A live
// reconciler's entries are never re-emitted by another one under its run id.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntentJournal, type Intent, type IntentJournalOptions } from '../../src/reconcile/journal.js';

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
