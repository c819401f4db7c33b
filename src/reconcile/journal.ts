// The reconciler's intent journal: a change is written down (fsynced) before it is sent and struck
// out once its event has gone to the sinks. A run killed in between leaves the entry behind, and a
// later run settles it from the live state, so no change goes without its event. An entry names the
// process that wrote it, and only a run of that process, or one that outlived it, may settle it.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { writeFileDurably } from '../events/durable-file.js';
import type { Change } from '../plan/plan.js';
import { processIsAlive, readLockHolder } from './lock.js';

export interface Intent {
  runId: string;
  configCommit: string | null;
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  id?: string;
  fields: Change['fields'];
  sourceFile?: string;
}

/** The process that wrote an entry. */
export interface JournalWriter {
  pid: number;
  host: string;
}

export interface IntentJournalOptions {
  /** This process, as entries name it (default process.pid and os.hostname()). */
  pid?: number;
  hostname?: string;
  isAlive?: (pid: number) => boolean;
  /** The state directory's lock file name, to see whether a writer on another host still holds it. */
  lockFileName?: string;
}

export class IntentJournal {
  private readonly dir: string;
  private readonly stateDir: string;
  private readonly writer: JournalWriter;
  private readonly isAlive: (pid: number) => boolean;
  private readonly lockFileName: string;
  private sequence = 0;

  constructor(stateDir: string, options: IntentJournalOptions = {}) {
    this.stateDir = stateDir;
    this.dir = join(stateDir, 'journal');
    this.writer = { pid: options.pid ?? process.pid, host: options.hostname ?? os.hostname() };
    this.isAlive = options.isAlive ?? processIsAlive;
    this.lockFileName = options.lockFileName ?? 'reconcile.lock';
  }

  /** Records an intent before its change is sent; returns the entry to strike out afterwards. */
  async record(intent: Intent): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${intent.runId}-${String(++this.sequence).padStart(6, '0')}.json`);
    await writeFileDurably(file, JSON.stringify({ ...intent, writer: this.writer }));
    return file;
  }

  async strike(entry: string): Promise<void> {
    await rm(entry, { force: true });
  }

  /**
   * Intents a killed run left behind, oldest first: only those whose run is provably over. Entries
   * of a process that is still alive, or that still holds the state lock, are left for it to strike.
   */
  async leftovers(): Promise<{ entry: string; intent: Intent }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: { entry: string; intent: Intent }[] = [];
    let holder: Promise<JournalWriter | undefined> | undefined;
    const lockHolder = (): Promise<JournalWriter | undefined> => (holder ??= readLockHolder(this.stateDir, this.lockFileName));
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const entry = join(this.dir, name);
      let parsed: Intent & { writer?: JournalWriter };
      try {
        parsed = JSON.parse(await readFile(entry, 'utf8')) as Intent & { writer?: JournalWriter };
      } catch {
        // A torn write is an intent that was never acted on: the change had not been sent yet.
        await rm(entry, { force: true });
        continue;
      }
      const { writer, ...intent } = parsed;
      if (writer !== undefined && !(await this.isOver(writer, lockHolder))) continue;
      found.push({ entry, intent });
    }
    return found;
  }

  /**
   * Whether the run that wrote an entry is over. This process runs one reconcile at a time, so its
   * own entries are from a run that has ended. Another process on this host is asked directly. A
   * process on another host cannot be: its run is over once it no longer holds the state lock (it
   * released it, or lost it after its heartbeat stopped for longer than its own window).
   */
  private async isOver(writer: JournalWriter, lockHolder: () => Promise<JournalWriter | undefined>): Promise<boolean> {
    if (writer.host === this.writer.host) return writer.pid === this.writer.pid || !this.isAlive(writer.pid);
    const holder = await lockHolder();
    return !(holder !== undefined && holder.host === writer.host && holder.pid === writer.pid);
  }
}
