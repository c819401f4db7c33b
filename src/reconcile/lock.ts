// The single-writer lock on a reconciler's state directory: a JSON file holding pid, its start, host,
// a heartbeat its holder refreshes on a timer, and the holder's own staleness window. It is created with
// link() (atomic create-if-absent); a stale one is taken over by the one taker that creates a guard file
// named after the stale content, so two takers cannot both win, and a heartbeat cannot undo a takeover.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AccessctlError } from '../errors.js';
import { abortableSleep } from '../retry/abortable-sleep.js';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  heartbeat: string;
  /** Unique per acquisition: tells this holder's lock from a later one by the same pid. */
  id: string;
  /**
   * When the holder's process started, as its host tells it (processStart): a live pid that started
   * at another time is another process that reused the pid. Absent when unknown or in older locks.
   */
  pidStart?: string;
  /**
   * How long after its last heartbeat the holder's lock may be taken over, as the holder itself
   * judged it. Absent in locks written before it was recorded: the taker's own window is used.
   */
  staleAfterMs?: number;
  /** The accessctl command holding it, when not the reconciler (`apply`): how a refusal names the holder. Absent in older locks. */
  command?: 'apply';
}

/** The exit code of a command refused because another process holds the lock (--lock fail): reconcile, apply, up and fleet runners alike. */
export const EXIT_LOCKED = 3;

/** The holder as a refusal or a wait names it: "another reconciler", or "an accessctl apply". */
export function holderName(holder: Pick<LockInfo, 'command'>): string {
  return holder.command === 'apply' ? 'an accessctl apply' : 'another reconciler';
}

/** Runs `tick` every `ms` until the returned function is called; ticks never overlap. */
export type HeartbeatTimer = (ms: number, tick: () => Promise<void>) => () => void;

export interface StateLockOptions {
  dir: string;
  staleAfterMs: number;
  now?: () => number;
  hostname?: string;
  isAlive?: (pid: number) => boolean;
  /** When the process with this pid started (default processStart); undefined when unknown. */
  startOf?: (pid: number) => Promise<string | undefined>;
  /** Called after a stale, dead or unreadable lock was taken over: say so (at WARN), naming the old holder. */
  onTakeover?: (notice: TakeoverNotice) => void;
  /** How often acquire('wait') looks again (default 1 s). */
  pollMs?: number;
  /** Called by acquire('wait') when it starts waiting on a holder, and when the holder changes. */
  onWait?: (holder: LockInfo) => void;
  /** Default reconcile.lock. */
  fileName?: string;
  /** Recorded in the lock for a holder that is not the reconciler, so that whoever it refuses knows what to wait for. */
  command?: LockInfo['command'];
  /** How often the heartbeat is refreshed while the lock is held (default a third of staleAfterMs). */
  heartbeatEveryMs?: number;
  /** What runs the heartbeat while the lock is held (default setInterval, unref'd); tests drive it by hand. */
  heartbeatTimer?: HeartbeatTimer;
  /**
   * Called when a heartbeat from the timer fails. `lost` is true when another holder has the lock
   * now (the timer has stopped); otherwise it is an I/O error and the next tick tries again.
   */
  onHeartbeatError?: (error: AccessctlError, lost: boolean) => void;
}

/** A takeover, for the log: the holder it replaced (undefined when the file was unreadable) and why it was stale. */
export interface TakeoverNotice {
  message: string;
  path: string;
  previous: LockInfo | undefined;
  reason: string;
}

type Attempt = { acquired: true } | { acquired: false; holder: LockInfo | undefined };

/**
 * The ids of the locks StateLock instances of this process hold now: a lock naming this process's pid
 * with another id cannot be held by this process, so it is left from an earlier process with the same pid.
 */
const heldHere = new Set<string>();

/** Lock temp files live for one write; one older than this was left by a write that died. */
const TEMP_LEFTOVER_MS = 60_000;

export class StateLock {
  readonly path: string;
  private readonly dir: string;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly host: string;
  private readonly isAlive: (pid: number) => boolean;
  private readonly startOf: (pid: number) => Promise<string | undefined>;
  private readonly onTakeover: ((notice: TakeoverNotice) => void) | undefined;
  private ownStart: Promise<string | undefined> | undefined;
  private readonly pollMs: number;
  private readonly onWait: ((holder: LockInfo) => void) | undefined;
  private readonly heartbeatEveryMs: number;
  private readonly heartbeatTimer: HeartbeatTimer;
  private readonly onHeartbeatError: ((error: AccessctlError, lost: boolean) => void) | undefined;
  private readonly command: LockInfo['command'];
  private mine: LockInfo | undefined;
  private stopTimer: (() => void) | undefined;
  /** Heartbeats and release, one at a time: a release never races a heartbeat that recreates the file. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: StateLockOptions) {
    this.dir = path.resolve(options.dir);
    this.path = path.join(this.dir, options.fileName ?? 'reconcile.lock');
    this.staleAfterMs = options.staleAfterMs;
    this.now = options.now ?? Date.now;
    this.host = options.hostname ?? os.hostname();
    this.isAlive = options.isAlive ?? processIsAlive;
    this.startOf = options.startOf ?? processStart;
    this.onTakeover = options.onTakeover;
    this.pollMs = options.pollMs ?? 1000;
    this.onWait = options.onWait;
    this.heartbeatEveryMs = options.heartbeatEveryMs ?? Math.max(Math.floor(this.staleAfterMs / 3), 1);
    this.heartbeatTimer = options.heartbeatTimer ?? intervalTimer;
    this.onHeartbeatError = options.onHeartbeatError;
    this.command = options.command;
  }

  /** True while this instance holds the lock. */
  get held(): boolean {
    return this.mine !== undefined;
  }

  /**
   * Takes the lock. Held by a live owner: 'wait' polls until it is free (rejecting with the
   * signal's reason on abort), 'fail' throws AccessctlError('conflict') naming pid and host.
   * A stale lock is taken over, with onTakeover: on any host when its heartbeat is older than the
   * window the holder recorded (its timer refreshes it three times a window, so a live holder that
   * misses that is frozen, and finds out at its next heartbeat); on this host also when its pid is
   * dead, is this very process (which does not hold it: a restart reused the pid), or started at
   * another time than the lock says (the pid was reused). Once held, the heartbeat is refreshed on a
   * timer until release(). Temp files that earlier writes left behind are removed first.
   */
  async acquire(mode: 'wait' | 'fail', signal?: AbortSignal): Promise<void> {
    if (this.mine) return;
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw new AccessctlError('io', `cannot create the state directory ${this.dir}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    await this.sweepTemps();
    let reported: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const attempt = await this.attempt();
      if (attempt.acquired) {
        this.startTimer();
        return;
      }
      const holder = attempt.holder;
      if (mode === 'fail') {
        if (!holder) throw new AccessctlError('conflict', `another process is taking over the stale lock ${this.path}`);
        const window = holder.staleAfterMs ?? this.staleAfterMs;
        throw new AccessctlError(
          'conflict',
          `${holderName(holder)} holds the lock ${this.path}: pid ${holder.pid} on host ${holder.host} (heartbeat ${holder.heartbeat}); ` +
            `it is free once that process ends, or ${formatWindow(window)} after its last heartbeat. Delete the file only when no reconciler or apply uses this state directory`,
        );
      }
      if (holder && holder.id !== reported) {
        reported = holder.id;
        this.onWait?.(holder);
      }
      // A stop ends the pause early; the check at the top of the loop then rejects with its reason.
      await abortableSleep(this.pollMs, signal);
    }
  }

  /** Refreshes the heartbeat; throws AccessctlError('conflict') if the lock was taken over. */
  heartbeat(): Promise<void> {
    return this.serially(() => this.beat());
  }

  /** Stops the heartbeat and removes the lock if this instance still holds it. */
  release(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    return this.serially(async () => {
      const mine = this.mine;
      if (!mine) return;
      this.hold(undefined);
      const current = await this.read();
      if (current?.id !== mine.id) return;
      await unlink(this.path).catch((error: unknown) => {
        if (code(error) !== 'ENOENT') throw error;
      });
    });
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private startTimer(): void {
    this.stopTimer?.();
    this.stopTimer = this.heartbeatTimer(this.heartbeatEveryMs, async () => {
      if (!this.mine) return;
      try {
        await this.heartbeat();
      } catch (error) {
        const failure = error instanceof AccessctlError ? error : this.ioError('refresh', error);
        const lost = !this.mine;
        if (lost) {
          this.stopTimer?.();
          this.stopTimer = undefined;
        }
        this.onHeartbeatError?.(failure, lost);
      }
    });
  }

  private async beat(): Promise<void> {
    const mine = this.mine;
    if (!mine) throw new AccessctlError('internal', `heartbeat on ${this.path} without holding it`);
    const updated: LockInfo = { ...mine, heartbeat: new Date(this.now()).toISOString() };
    const temp = await this.writeTemp(updated);
    try {
      for (let round = 0; round < 8; round++) {
        const current = await this.readText();
        const owner = current === undefined ? undefined : parseInfo(current);
        if (current !== undefined && owner?.id !== mine.id) throw this.lost(owner);
        if (current === undefined) {
          // Missing: someone deleted it. Recreate it, unless another holder got there first.
          try {
            await link(temp, this.path);
          } catch (error) {
            if (code(error) !== 'EEXIST') throw this.ioError('refresh', error);
            continue; // look at who created it
          }
          this.hold(updated);
          return;
        }
        // A taker that judged this very content stale holds the guard named after it: the same
        // guard admits this heartbeat or that takeover, never both.
        const guard = this.guardFor(current);
        try {
          await link(temp, guard);
        } catch (error) {
          if (code(error) !== 'EEXIST') throw this.ioError('refresh', error);
          const taker = parseInfo((await readFile(guard, 'utf8').catch(() => undefined)) ?? '');
          if (taker && taker.id !== mine.id && (await this.staleReason(taker)) === undefined) throw this.lost(taker);
          await unlink(guard).catch(() => undefined); // its taker died mid-takeover
          continue;
        }
        try {
          if ((await this.readText()) !== current) continue; // changed meanwhile: look again
          await rename(temp, this.path);
          this.hold(updated);
          return;
        } finally {
          await unlink(guard).catch(() => undefined);
        }
      }
      throw this.ioError('refresh', new Error('the lock kept changing while its heartbeat was written'));
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** The lock's current content, or undefined when there is none (or it is unreadable). */
  async read(): Promise<LockInfo | undefined> {
    const text = await this.readText();
    return text === undefined ? undefined : parseInfo(text);
  }

  /** The lock's holder while it holds it, judged as acquire judges it; undefined when free, stale or unreadable. */
  async liveHolder(): Promise<LockInfo | undefined> {
    const holder = await this.read();
    return holder && (await this.staleReason(holder)) === undefined ? holder : undefined;
  }

  private async attempt(): Promise<Attempt> {
    const nowMs = this.now();
    this.ownStart ??= this.startOf(process.pid);
    const pidStart = await this.ownStart;
    const info: LockInfo = {
      pid: process.pid,
      host: this.host,
      startedAt: new Date(nowMs).toISOString(),
      heartbeat: new Date(nowMs).toISOString(),
      id: randomUUID(),
      staleAfterMs: this.staleAfterMs,
      ...(pidStart === undefined ? {} : { pidStart }),
      ...(this.command === undefined ? {} : { command: this.command }),
    };
    const temp = await this.writeTemp(info);
    try {
      for (let round = 0; round < 8; round++) {
        try {
          await link(temp, this.path);
          this.hold(info);
          return { acquired: true };
        } catch (error) {
          if (code(error) !== 'EEXIST') throw this.ioError('create', error);
        }
        const judged = await this.readText();
        if (judged === undefined) continue; // released meanwhile: try again
        const holder = parseInfo(judged);
        const reason = holder ? await this.staleReason(holder) : judged.trim() === '' ? 'empty' : 'not a lock';
        if (holder && reason === undefined) return { acquired: false, holder };
        // Stale (or unreadable). A guard named after this exact content admits one taker; the
        // taker checks the content is unchanged and renames its own lock over it.
        const guard = this.guardFor(judged);
        try {
          await link(temp, guard);
        } catch (error) {
          if (code(error) !== 'EEXIST') throw this.ioError('take over', error);
          const taker = parseInfo((await readFile(guard, 'utf8').catch(() => undefined)) ?? '');
          if (taker && (await this.staleReason(taker)) === undefined) return { acquired: false, holder: undefined };
          await unlink(guard).catch(() => undefined); // its taker died mid-takeover
          continue;
        }
        try {
          if ((await this.readText()) !== judged) continue; // moved on meanwhile: look again
          await rename(temp, this.path);
          this.hold(info);
        } catch (error) {
          throw this.ioError('take over', error);
        } finally {
          await unlink(guard).catch(() => undefined);
        }
        this.tookOver(holder, reason ?? 'stale');
        return { acquired: true };
      }
      return { acquired: false, holder: await this.read() };
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Tells onTakeover whose lock this was, so a takeover is never silent. */
  private tookOver(previous: LockInfo | undefined, reason: string): void {
    const message = previous
      ? `took over the lock ${this.path} from pid ${previous.pid} on ${previous.host} (heartbeat ${previous.heartbeat}; ${reason})`
      : `took over the unreadable lock file ${this.path} (${reason}); a reconciler that wrote it, if still running, stops at its next heartbeat`;
    this.onTakeover?.({ message, path: this.path, previous, reason });
  }

  /** Records what this instance holds, here and in the process-wide set of held ids. */
  private hold(info: LockInfo | undefined): void {
    if (this.mine) heldHere.delete(this.mine.id);
    this.mine = info;
    if (info) heldHere.add(info.id);
  }

  /** The guard file that admits one writer to replace the lock whose content is `content`. */
  private guardFor(content: string): string {
    return `${this.path}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
  }

  /**
   * Why `holder` no longer holds its lock, or undefined while it does. A lock held by this process is
   * never stale. Anywhere, a heartbeat older than the window its holder recorded means the holder is
   * gone or frozen; on this host the pid also tells: dead, this very process (not holding it), or
   * alive but started at another time than the lock records.
   */
  private async staleReason(holder: LockInfo): Promise<string | undefined> {
    if (holder.host === this.host) {
      if (holder.pid === process.pid) {
        if (heldHere.has(holder.id)) return undefined;
        return `pid ${holder.pid} is this process, which did not write it: an earlier process had the same pid`;
      }
      if (!this.isAlive(holder.pid)) return 'process gone';
      if (holder.pidStart !== undefined) {
        const start = await this.startOf(holder.pid);
        if (start !== undefined && start !== holder.pidStart) return `pid ${holder.pid} is now another process`;
      }
    }
    const beat = Date.parse(holder.heartbeat);
    if (!Number.isFinite(beat)) return 'heartbeat unreadable';
    const window = holder.staleAfterMs ?? this.staleAfterMs;
    if (this.now() - beat > window) return `heartbeat older than its ${formatWindow(window)} window`;
    return undefined;
  }

  /** Removes this lock's temp files that a write which died (or failed) left behind. */
  private async sweepTemps(): Promise<void> {
    const prefix = `${path.basename(this.path)}.`;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return; // the acquire that follows reports what is wrong with the directory
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const file = path.join(this.dir, name);
      const info = await stat(file).catch(() => undefined);
      // Judged by age, not by the pid in the name: another host's write in progress (a shared disk)
      // is young, and its pid means nothing here.
      if (info && this.now() - info.mtimeMs > TEMP_LEFTOVER_MS) await unlink(file).catch(() => undefined);
    }
  }

  private async writeTemp(info: LockInfo): Promise<string> {
    const temp = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(info)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      // A failed write (a full disk) leaves no temp file behind.
      await unlink(temp).catch(() => undefined);
      throw this.ioError('write', error);
    }
    return temp;
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if (code(error) === 'ENOENT') return undefined;
      throw this.ioError('read', error);
    }
  }

  private lost(owner: LockInfo | undefined): AccessctlError {
    this.hold(undefined);
    const who = owner ? `pid ${owner.pid} on host ${owner.host}` : 'someone else';
    return new AccessctlError('conflict', `lost the lock ${this.path} to ${who}`);
  }

  private ioError(action: string, error: unknown): AccessctlError {
    const message = error instanceof Error ? error.message : String(error);
    return new AccessctlError('io', `cannot ${action} the lock ${this.path}: ${message}`, { cause: error });
  }
}

/** The holder named by the lock file in `dir`, or undefined when there is none or it is unreadable. */
export async function readLockHolder(dir: string, fileName: string = 'reconcile.lock'): Promise<LockInfo | undefined> {
  const file = path.join(dir, fileName);
  try {
    return parseInfo(await readFile(file, 'utf8'));
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw new AccessctlError('io', `cannot read the lock ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function parseInfo(text: string): LockInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    const { pid, host, startedAt, heartbeat, id, staleAfterMs, pidStart, command } = record;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof startedAt !== 'string' || typeof heartbeat !== 'string') return undefined;
    const window = typeof staleAfterMs === 'number' && Number.isFinite(staleAfterMs) && staleAfterMs > 0 ? { staleAfterMs } : {};
    const start = typeof pidStart === 'string' && pidStart !== '' ? { pidStart } : {};
    return { pid, host, startedAt, heartbeat, id: typeof id === 'string' ? id : '', ...window, ...start, ...(command === 'apply' ? { command } : {}) };
  } catch {
    return undefined;
  }
}

/** The default heartbeat timer: an interval that does not keep the process alive on its own, its ticks never overlapping. */
export function intervalTimer(ms: number, tick: () => Promise<void>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void tick().finally(() => {
      running = false;
    });
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** A staleness window for people: whole seconds, minutes or hours where it is one. */
function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

let bootId: Promise<string> | undefined;

/**
 * When the process with this pid started, as a string to compare (never to show), or undefined
 * when it is gone or the host cannot tell. Linux: the boot id and the start tick from
 * /proc/PID/stat (unique across reboots and pid namespaces); elsewhere: the start time `ps` gives.
 */
export async function processStart(pid: number, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (platform !== 'linux') return psStart(pid);
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command, is in parentheses and may hold spaces or ')': fields 3 on follow the last ')'.
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22, starttime
  if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
  bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  return `${await bootId}:${ticks}`;
}

/** The start time `ps` prints for the pid (macOS, the BSDs), or undefined when there is no such process or no ps. */
function psStart(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 5000, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout) => {
      const start = stdout.trim();
      resolve(error || start === '' ? undefined : start);
    });
  });
}

/** Whether a process with this pid exists on this host (one we may not signal exists too). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) === 'EPERM';
  }
}

function code(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
