// Where an org run keeps what the next run needs. The embedded runner keeps each org's state in a
// folder of its state directory (the same files `reconcile` writes, plus its run history); the
// distributed runner keeps it in Postgres (pg-org-state.ts). Both read back as OrgStatus.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccessctlError } from '../errors.js';
import { writeFileDurably } from '../events/durable-file.js';
import { IntentJournal, type Intent, type JournalNotice } from '../reconcile/journal.js';
import { readLastApplied, writeLastApplied, type LastApplied, type StoredLastApplied } from '../reconcile/last-applied.js';
import type { FleetMember } from './fleet-file.js';
import { conflictsInRow, statusOf, type OrgRunRecord, type OrgStatus } from './history.js';

/** The intent journal as a run uses it. */
export interface RunJournal {
  record(intent: Intent): Promise<string>;
  /** Rewrites an entry with how its change failed (IntentJournal.amend), so a later settling keeps the platform's reason. */
  amend?(entry: string, intent: Intent): Promise<void>;
  strike(entry: string): Promise<void>;
  /** Entries left by runs that are over; damaged ones are put aside and reported, never handed back. */
  leftovers(report?: (notice: JournalNotice) => void): Promise<{ entry: string; intent: Intent }[]>;
}

export interface OrgStateStore {
  readLastApplied(): Promise<StoredLastApplied | undefined>;
  writeLastApplied(value: LastApplied): Promise<void>;
  readonly journal: RunJournal;
  consecutiveFailures(): Promise<number>;
  /** The newest finished runs that ended `conflict`, in a row (history.conflictsInRow), read from the run history. */
  conflictsInRow(): Promise<number>;
  /** Records that a run started; resolves with its start time. */
  startRun(run: { id: string; jobId?: string | undefined }): Promise<string>;
  finishRun(record: OrgRunRecord, consecutiveFailures: number): Promise<void>;
}

/** Runs kept per org in the embedded runner's history file. */
export const FILE_RUNS_KEPT = 50;
const HISTORY_FILE = 'runs.json';

interface HistoryFile {
  consecutiveFailures: number;
  /** Newest first. */
  runs: OrgRunRecord[];
}

/** The folder of one org under the embedded runner's state directory. */
export function orgStateDir(stateDir: string, org: string): string {
  return join(stateDir, 'orgs', org);
}

async function readHistory(dir: string): Promise<HistoryFile> {
  const file = join(dir, HISTORY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { consecutiveFailures: 0, runs: [] };
    throw new AccessctlError('io', `cannot read the fleet run history ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      subject: file,
      cause: error,
    });
  }
  try {
    const value = JSON.parse(text) as HistoryFile;
    if (!Array.isArray(value.runs) || typeof value.consecutiveFailures !== 'number') throw new Error('not a history');
    return value;
  } catch {
    throw new AccessctlError('io', `the fleet run history ${file} is not valid; remove it to start a new history`, { subject: file });
  }
}

/** An org's state as files: last-applied.json and journal/ as `reconcile` keeps them, and runs.json. */
export class FileOrgState implements OrgStateStore {
  readonly journal: RunJournal;
  private started: OrgRunRecord | undefined;

  constructor(
    readonly dir: string,
    private readonly org: string,
    private readonly worker: string,
    private readonly now: () => number = Date.now,
  ) {
    this.journal = new IntentJournal(dir);
  }

  readLastApplied(): Promise<StoredLastApplied | undefined> {
    return readLastApplied(this.dir);
  }

  writeLastApplied(value: LastApplied): Promise<void> {
    return writeLastApplied(this.dir, value);
  }

  async consecutiveFailures(): Promise<number> {
    return (await readHistory(this.dir)).consecutiveFailures;
  }

  async conflictsInRow(): Promise<number> {
    return conflictsInRow((await readHistory(this.dir)).runs);
  }

  async startRun(run: { id: string }): Promise<string> {
    const startedAt = new Date(this.now()).toISOString();
    this.started = {
      id: run.id,
      org: this.org,
      worker: this.worker,
      startedAt,
      finishedAt: null,
      result: null,
      applied: 0,
      failed: 0,
      drifted: 0,
      driftedObjects: [],
      failures: [],
      message: null,
      nextRunAt: null,
    };
    const history = await readHistory(this.dir);
    await this.write({ ...history, runs: [this.started, ...history.runs].slice(0, FILE_RUNS_KEPT) });
    return startedAt;
  }

  async finishRun(record: OrgRunRecord, consecutiveFailures: number): Promise<void> {
    const history = await readHistory(this.dir);
    const finished = { ...record, finishedAt: new Date(this.now()).toISOString() };
    const runs = history.runs.some((r) => r.id === record.id) ? history.runs.map((r) => (r.id === record.id ? finished : r)) : [finished, ...history.runs];
    await this.write({ consecutiveFailures, runs: runs.slice(0, FILE_RUNS_KEPT) });
  }

  private async write(history: HistoryFile): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileDurably(join(this.dir, HISTORY_FILE), JSON.stringify(history));
  }
}

/** Each org's status from the embedded runner's state directory. */
export async function fileStatuses(stateDir: string, orgs: readonly FleetMember[]): Promise<OrgStatus[]> {
  return Promise.all(
    orgs.map(async (org) => {
      const history = await readHistory(orgStateDir(stateDir, org.name));
      return statusOf(org, history.runs, history.consecutiveFailures);
    }),
  );
}
