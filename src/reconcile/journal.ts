// The reconciler's intent journal: a change is written down (fsynced) before it is sent and struck
// out once its event has gone to the sinks. A run killed in between leaves the entry behind, and a
// later run settles it from the live state, so no change goes without its event.
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { basename, join } from 'node:path';
import { AccessctlError } from '../errors.js';
import { writeFileDurably } from '../events/durable-file.js';
import type { Change, ChangeAction, FieldChange, ManagedKind } from '../plan/plan.js';
import { processIsAlive, readLockHolder, type LockInfo } from './lock.js';

export interface Intent {
  runId: string;
  configCommit: string | null;
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  id?: string;
  fields: Change['fields'];
  sourceFile?: string;
  /**
   * How the change failed, as its event said it, once the platform (or the run) refused it: the
   * settling run sends this again instead of a reason guessed from the live state. Added after the
   * first version of the format; an older reader ignores it, and an entry without it is still whole.
   */
  failure?: IntentFailure;
  /**
   * Set when the change was applied and a sink refused its event: the settling run sends the same
   * `change.applied` (same type, same id) instead of judging again from the live state, which may
   * have moved since. Optional, as `failure` is.
   */
  landed?: true;
  /**
   * Sets the change's event apart from another of the same object in its run: a later plan of the
   * run (`plan 2`) that writes the object again. Part of the event id, so a settled re-send keeps it.
   */
  occurrence?: string;
}

/** A failed change's error as its event carries it: already redacted and printable (PlatformError's message). */
export interface IntentFailure {
  code: string;
  message: string;
  /** The platform's HTTP status, when it answered. */
  status?: number;
}

/** The process that wrote an entry, and the lock acquisition it held then (absent in older entries, or without a lock). */
export interface JournalWriter {
  pid: number;
  host: string;
  lock?: string;
}

/** What an entry names of its change, as far as a damaged entry still tells it. */
export interface RecoveredObject {
  kind: ManagedKind;
  name: string;
  action: ChangeAction;
  /** The run that wrote the entry, when the entry or its file name still names it. */
  runId?: string;
  /** The live object's id, when the entry still has it: with the run, it gives the settled event the id the first one had. */
  id?: string;
  /** How the change failed, when the entry still says it whole. */
  failure?: IntentFailure;
}

/**
 * Something the operator must hear about while leftovers are read: an entry moved aside as corrupt
 * (and what it still tells of its change), or an entry left for a writer that may still be running.
 */
export type JournalNotice =
  | { type: 'corrupt'; entry: string; movedTo: string | undefined; reason: string; recovered: RecoveredObject | undefined; message: string }
  | { type: 'left'; entry: string; writer: JournalWriter; message: string };

/** The file operations the journal makes besides its durable writes; tests inject disk failures here. */
export interface JournalFiles {
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

const realFiles: JournalFiles = {
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
};

export interface IntentJournalOptions {
  /** This process, as entries name it (default process.pid and os.hostname()). */
  pid?: number;
  hostname?: string;
  isAlive?: (pid: number) => boolean;
  /** The state directory's lock file name: whose acquisition an entry was written under, and who holds it now. */
  lockFileName?: string;
  files?: Partial<JournalFiles>;
}

const KINDS: readonly ManagedKind[] = ['GroupAssignment', 'ApprovalFlow', 'AccessRequestSettings', 'WebhookChannel'];
const ACTIONS: readonly ChangeAction[] = ['create', 'update', 'delete'];

/** The folder of the journal that damaged entries are moved to, for the operator to inspect. */
export const CORRUPT_FOLDER = 'corrupt';

export type ParsedEntry =
  | { ok: true; intent: Intent; writer: JournalWriter | undefined }
  | { ok: false; reason: string; recovered: RecoveredObject | undefined };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFieldChange(value: unknown): value is FieldChange {
  return isRecord(value) && typeof value['path'] === 'string' && (value['sensitive'] === undefined || typeof value['sensitive'] === 'boolean');
}

function isFailure(value: unknown): value is IntentFailure {
  return (
    isRecord(value) &&
    typeof value['code'] === 'string' &&
    value['code'] !== '' &&
    typeof value['message'] === 'string' &&
    (value['status'] === undefined || (typeof value['status'] === 'number' && Number.isInteger(value['status'])))
  );
}

/** A failure as the entry holds it, without anything else the object may carry. */
function failureOf(value: IntentFailure): IntentFailure {
  return { code: value.code, message: value.message, ...(value.status === undefined ? {} : { status: value.status }) };
}

/** The run an entry's file name says wrote it: record() names each entry `<runId>-<sequence>.json`. */
function runOfFileName(fileName: string | undefined): string | undefined {
  return fileName === undefined ? undefined : /^(.+)-\d{6,}\.json$/.exec(fileName)?.[1];
}

/**
 * Kind, name and action, when the entry still has them right: what the operator should check. The
 * run (from the entry, else from where the store kept it) and the object's id come along when still
 * there, so the event the settling run sends for it is the same event, by id, as the one its own run
 * may have sent; so does a failure still whole, so that event keeps the platform's reason.
 */
function recoverObject(value: Record<string, unknown>, storedRunId: string | undefined): RecoveredObject | undefined {
  const { kind, name, action, runId, id, failure } = value;
  if (!KINDS.includes(kind as ManagedKind) || typeof name !== 'string' || name === '' || !ACTIONS.includes(action as ChangeAction)) return undefined;
  const run = typeof runId === 'string' && runId !== '' ? runId : storedRunId;
  return {
    kind: kind as ManagedKind,
    name,
    action: action as ChangeAction,
    ...(run === undefined || run === '' ? {} : { runId: run }),
    ...(typeof id === 'string' && id !== '' ? { id } : {}),
    ...(isFailure(failure) ? { failure: failureOf(failure) } : {}),
  };
}

/** An entry's text (of the file `fileName`, when known) as an intent and its writer, or why it is not one. */
export function parseEntry(text: string, fileName?: string): ParsedEntry {
  return parseIntentText(text, runOfFileName(fileName));
}

/**
 * The journal's one shape check, for every store of entries: `text` as an intent and its writer, or
 * why it is not one. `storedRunId` is the run the store says wrote the entry (a file's name, a
 * database row's column), recovered for a damaged entry that lost its own.
 */
export function parseIntentText(text: string, storedRunId?: string): ParsedEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})`, recovered: undefined };
  }
  if (!isRecord(value))
    return { ok: false, reason: `not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`, recovered: undefined };
  const recovered = recoverObject(value, storedRunId);
  const bad = (reason: string): ParsedEntry => ({ ok: false, reason, recovered });
  const { runId, configCommit, kind, name, action, id, fields, sourceFile, failure, landed, occurrence, writer } = value;
  if (typeof runId !== 'string' || runId === '') return bad('runId is missing or not a string');
  if (configCommit !== null && typeof configCommit !== 'string') return bad('configCommit is not a string or null');
  if (!KINDS.includes(kind as ManagedKind)) return bad(`kind is not one of ${KINDS.join(', ')}`);
  if (typeof name !== 'string' || name === '') return bad('name is missing or not a string');
  if (!ACTIONS.includes(action as ChangeAction)) return bad(`action is not one of ${ACTIONS.join(', ')}`);
  if (id !== undefined && typeof id !== 'string') return bad('id is not a string');
  if (!Array.isArray(fields) || !fields.every(isFieldChange)) return bad('fields is not a list of field changes');
  if (sourceFile !== undefined && typeof sourceFile !== 'string') return bad('sourceFile is not a string');
  if (failure !== undefined && !isFailure(failure)) return bad('failure is not a code and a message (and an integer status)');
  if (landed !== undefined && landed !== true) return bad('landed is not true');
  if (landed === true && failure !== undefined) return bad('landed and failure are both set');
  if (occurrence !== undefined && (typeof occurrence !== 'string' || occurrence === '')) return bad('occurrence is not a string');
  let parsedWriter: JournalWriter | undefined;
  if (writer !== undefined) {
    if (
      !isRecord(writer) ||
      typeof writer['pid'] !== 'number' ||
      typeof writer['host'] !== 'string' ||
      (writer['lock'] !== undefined && typeof writer['lock'] !== 'string')
    )
      return bad('writer is not a pid and host');
    parsedWriter = { pid: writer['pid'], host: writer['host'], ...(typeof writer['lock'] === 'string' ? { lock: writer['lock'] } : {}) };
  }
  const intent: Intent = {
    runId,
    configCommit: configCommit as string | null,
    kind: kind as ManagedKind,
    name,
    action: action as ChangeAction,
    ...(id !== undefined ? { id } : {}),
    fields,
    ...(sourceFile !== undefined ? { sourceFile } : {}),
    ...(failure !== undefined ? { failure: failureOf(failure) } : {}),
    ...(landed === true ? { landed } : {}),
    ...(occurrence !== undefined ? { occurrence: occurrence as string } : {}),
  };
  return { ok: true, intent, writer: parsedWriter };
}

/**
 * What the operator must know of a damaged entry, wherever it was kept: entries are written whole,
 * so a damaged one is not a write that never finished, and its change may have been sent.
 */
export function damagedEntryAdvice(recovered: RecoveredObject | undefined): string {
  const what = recovered ? `${recovered.action} ${recovered.kind} "${recovered.name}"` : 'a change it no longer names';
  const check = recovered ? `check ${recovered.kind} "${recovered.name}" on the platform` : 'check the objects changed around that time on the platform';
  return `Its change (${what}) may have been sent, and its event may be missing: ${check}. This run plans from the live state, so what the config still asks for is applied.`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Whether the run that wrote an entry is over, and if not, why it is left. */
type Verdict = { over: true } | { over: false; why: string };

export class IntentJournal {
  private readonly dir: string;
  private readonly stateDir: string;
  private readonly me: { pid: number; host: string };
  private readonly isAlive: (pid: number) => boolean;
  private readonly lockFileName: string;
  private readonly files: JournalFiles;
  private sequence = 0;
  /** The lock acquisition this process holds, read once at the first record. */
  private ownLock: Promise<string | undefined> | undefined;

  constructor(stateDir: string, options: IntentJournalOptions = {}) {
    this.stateDir = stateDir;
    this.dir = join(stateDir, 'journal');
    this.me = { pid: options.pid ?? process.pid, host: options.hostname ?? os.hostname() };
    this.isAlive = options.isAlive ?? processIsAlive;
    this.lockFileName = options.lockFileName ?? 'reconcile.lock';
    this.files = { ...realFiles, ...options.files };
  }

  /** Records an intent before its change is sent; returns the entry to strike out afterwards. */
  async record(intent: Intent): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${intent.runId}-${String(++this.sequence).padStart(6, '0')}.json`);
    await writeFileDurably(file, await this.entryText(intent));
    return file;
  }

  /**
   * Rewrites an entry of this process with what its run learned since recording it (how its change
   * failed), whole and durably as record wrote it, so a later run settling the entry says the same.
   */
  async amend(entry: string, intent: Intent): Promise<void> {
    try {
      await writeFileDurably(entry, await this.entryText(intent));
    } catch (error) {
      throw new AccessctlError('io', `cannot rewrite the journal entry ${entry}: ${errorText(error)}`, { subject: entry, cause: error });
    }
  }

  /** An entry as written: the intent and its writer (this process, and the lock acquisition it holds). */
  private async entryText(intent: Intent): Promise<string> {
    this.ownLock ??= this.heldLockId();
    const lock = await this.ownLock;
    const writer: JournalWriter = { ...this.me, ...(lock ? { lock } : {}) };
    return JSON.stringify({ ...intent, writer });
  }

  /** Removes a settled entry; an entry that cannot be removed is an io error naming it. */
  async strike(entry: string): Promise<void> {
    try {
      await this.files.remove(entry);
    } catch (error) {
      throw new AccessctlError('io', `cannot remove the journal entry ${entry}: ${errorText(error)}`, { subject: entry, cause: error });
    }
  }

  /**
   * Intents a killed run left behind, oldest first: only those whose run is provably over. Entries
   * of a writer that may still be running are left for it to strike, and each is reported; an entry
   * that is not an intent (unparseable, or the wrong shape) is moved to journal/corrupt/ and reported.
   */
  async leftovers(report: (notice: JournalNotice) => void = () => undefined): Promise<{ entry: string; intent: Intent }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw new AccessctlError('io', `cannot read the journal ${this.dir}: ${errorText(error)}`, { subject: this.dir, cause: error });
    }
    const found: { entry: string; intent: Intent }[] = [];
    let holder: Promise<LockInfo | undefined> | undefined;
    const lockHolder = (): Promise<LockInfo | undefined> => (holder ??= this.readHolder());
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const entry = join(this.dir, name);
      let text: string;
      try {
        text = await readFile(entry, 'utf8');
      } catch (error) {
        // Gone since the listing (its writer struck it), or unreadable: nothing this run can settle.
        if (errorCode(error) === 'ENOENT') continue;
        throw new AccessctlError('io', `cannot read the journal entry ${entry}: ${errorText(error)}`, { subject: entry, cause: error });
      }
      const parsed = parseEntry(text, name);
      if (!parsed.ok) {
        report(await this.quarantine(entry, parsed.reason, parsed.recovered));
        continue;
      }
      if (parsed.writer !== undefined) {
        const verdict = await this.isOver(parsed.writer, lockHolder);
        if (!verdict.over) {
          report({ type: 'left', entry, writer: parsed.writer, message: this.leftMessage(entry, parsed.intent, parsed.writer, verdict.why) });
          continue;
        }
      }
      found.push({ entry, intent: parsed.intent });
    }
    return found;
  }

  /**
   * Moves a damaged entry aside. Entries are written whole (temp file and rename), so a damaged one
   * is not a write that never finished: its change may have been sent, and the operator must look.
   */
  private async quarantine(entry: string, reason: string, recovered: RecoveredObject | undefined): Promise<JournalNotice> {
    const after = damagedEntryAdvice(recovered);
    let movedTo: string | undefined;
    let message: string;
    try {
      movedTo = await this.corruptPath(basename(entry));
      await this.files.rename(entry, movedTo);
      message = `the journal entry ${entry} is damaged (${reason}); moved it to ${movedTo}. ${after} Delete the moved file once checked.`;
    } catch (error) {
      movedTo = undefined;
      message = `the journal entry ${entry} is damaged (${reason}) and could not be moved aside (${errorText(error)}); it is left in place and reported again each run. ${after} Move or delete it once checked.`;
    }
    return { type: 'corrupt', entry, movedTo, reason, recovered, message };
  }

  /** A free name in journal/corrupt/: an earlier damaged entry of the same name is never overwritten. */
  private async corruptPath(name: string): Promise<string> {
    const folder = join(this.dir, CORRUPT_FOLDER);
    await mkdir(folder, { recursive: true });
    for (let n = 0; ; n++) {
      const candidate = join(folder, n === 0 ? name : `${name}.${n}`);
      const taken = await stat(candidate).then(
        () => true,
        (error: unknown) => {
          if (errorCode(error) === 'ENOENT') return false;
          throw error;
        },
      );
      if (!taken) return candidate;
    }
  }

  private leftMessage(entry: string, intent: Intent, writer: JournalWriter, why: string): string {
    return `the journal entry ${entry} (${intent.action} ${intent.kind} "${intent.name}") is left for pid ${writer.pid} on host ${writer.host}, which ${why}; that run settles it. If no accessctl reconciler of ${this.stateDir} runs as that pid (the pid was reused), check ${intent.kind} "${intent.name}" on the platform and move the entry out of the journal.`;
  }

  /** The id of the lock this process holds on the state directory, if it holds one. */
  private async heldLockId(): Promise<string | undefined> {
    const holder = await this.readHolder();
    return holder && holder.pid === this.me.pid && holder.host === this.me.host && holder.id !== '' ? holder.id : undefined;
  }

  /** The lock's holder; an unreadable lock says nothing, and the writer's pid is asked instead. */
  private readHolder(): Promise<LockInfo | undefined> {
    return readLockHolder(this.stateDir, this.lockFileName).catch(() => undefined);
  }

  /**
   * Whether the run that wrote an entry is over. A writer records the lock acquisition it held:
   * once the lock names another acquisition, that run is over, even if its pid now belongs to
   * another process. This process runs one reconcile at a time, so its own entries are from a run
   * that has ended. Without that proof, a process on this host is asked directly (and one that is
   * alive but no longer holds the lock is over too); a process on another host is over once it no
   * longer holds the lock (it released it, or lost it after its heartbeat stopped for longer than its window).
   */
  private async isOver(writer: JournalWriter, lockHolder: () => Promise<LockInfo | undefined>): Promise<Verdict> {
    const own = writer.host === this.me.host && writer.pid === this.me.pid;
    const holder = await lockHolder();
    const holdsLock = holder !== undefined && holder.host === writer.host && holder.pid === writer.pid;
    if (writer.lock !== undefined && holder !== undefined && holder.id !== '') {
      if (holder.id !== writer.lock) return { over: true };
      return own ? { over: true } : { over: false, why: `still holds the lock ${join(this.stateDir, this.lockFileName)} it wrote the entry under` };
    }
    if (own) return { over: true };
    if (writer.host === this.me.host) {
      if (!this.isAlive(writer.pid)) return { over: true };
      if (holder !== undefined && !holdsLock) return { over: true };
      return { over: false, why: 'is still running' };
    }
    return holdsLock ? { over: false, why: `still holds the lock ${join(this.stateDir, this.lockFileName)}` } : { over: true };
  }
}
