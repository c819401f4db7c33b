// The single-writer lock on a reconciler's state directory: a JSON file holding pid, host, a heartbeat
// its holder refreshes on a timer, and the holder's own staleness window. It is created with link()
// (atomic create-if-absent); a stale one is taken over by the one taker that creates a guard file
// named after the stale content, so two takers cannot both win, and a heartbeat cannot undo a takeover.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
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
   * How long after its last heartbeat the holder's lock may be taken over, as the holder itself
   * judged it. Absent in locks written before it was recorded: the taker's own window is used.
   */
  staleAfterMs?: number;
}

/** Runs `tick` every `ms` until the returned function is called; ticks never overlap. */
export type HeartbeatTimer = (ms: number, tick: () => Promise<void>) => () => void;

export interface StateLockOptions {
  dir: string;
  staleAfterMs: number;
  now?: () => number;
  hostname?: string;
  isAlive?: (pid: number) => boolean;
  /** How often acquire('wait') looks again (default 1 s). */
  pollMs?: number;
  /** Called by acquire('wait') when it starts waiting on a holder, and when the holder changes. */
  onWait?: (holder: LockInfo) => void;
  /** Default reconcile.lock. */
  fileName?: string;
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

type Attempt = { acquired: true } | { acquired: false; holder: LockInfo | undefined };

export class StateLock {
  readonly path: string;
  private readonly dir: string;
  private readonly staleAfterMs: number;
  private readonly now: () => number;
  private readonly host: string;
  private readonly isAlive: (pid: number) => boolean;
  private readonly pollMs: number;
  private readonly onWait: ((holder: LockInfo) => void) | undefined;
  private readonly heartbeatEveryMs: number;
  private readonly heartbeatTimer: HeartbeatTimer;
  private readonly onHeartbeatError: ((error: AccessctlError, lost: boolean) => void) | undefined;
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
    this.pollMs = options.pollMs ?? 1000;
    this.onWait = options.onWait;
    this.heartbeatEveryMs = options.heartbeatEveryMs ?? Math.max(Math.floor(this.staleAfterMs / 3), 1);
    this.heartbeatTimer = options.heartbeatTimer ?? intervalTimer;
    this.onHeartbeatError = options.onHeartbeatError;
  }

  /** True while this instance holds the lock. */
  get held(): boolean {
    return this.mine !== undefined;
  }

  /**
   * Takes the lock. Held by a live owner: 'wait' polls until it is free (rejecting with the
   * signal's reason on abort), 'fail' throws AccessctlError('conflict') naming pid and host.
   * A stale lock is taken over: on this host, only when its pid is dead (a live holder is never
   * stale, however slow its run); on another host, when its heartbeat is older than the window the
   * holder recorded. Once held, the heartbeat is refreshed on a timer until release().
   */
  async acquire(mode: 'wait' | 'fail', signal?: AbortSignal): Promise<void> {
    if (this.mine) return;
    await mkdir(this.dir, { recursive: true });
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
        const who = holder ? `pid ${holder.pid} on host ${holder.host} (heartbeat ${holder.heartbeat})` : 'another process, which is taking over a stale lock';
        throw new AccessctlError('conflict', `another reconciler holds the lock ${this.path}: ${who}`);
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
      this.mine = undefined;
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
          this.mine = updated;
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
          if (taker && taker.id !== mine.id && !this.isStale(taker)) throw this.lost(taker);
          await unlink(guard).catch(() => undefined); // its taker died mid-takeover
          continue;
        }
        try {
          if ((await this.readText()) !== current) continue; // changed meanwhile: look again
          await rename(temp, this.path);
          this.mine = updated;
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

  private async attempt(): Promise<Attempt> {
    const nowMs = this.now();
    const info: LockInfo = {
      pid: process.pid,
      host: this.host,
      startedAt: new Date(nowMs).toISOString(),
      heartbeat: new Date(nowMs).toISOString(),
      id: randomUUID(),
      staleAfterMs: this.staleAfterMs,
    };
    const temp = await this.writeTemp(info);
    try {
      for (let round = 0; round < 8; round++) {
        try {
          await link(temp, this.path);
          this.mine = info;
          return { acquired: true };
        } catch (error) {
          if (code(error) !== 'EEXIST') throw this.ioError('create', error);
        }
        const judged = await this.readText();
        if (judged === undefined) continue; // released meanwhile: try again
        const holder = parseInfo(judged);
        if (holder && !this.isStale(holder)) return { acquired: false, holder };
        // Stale (or unreadable). A guard named after this exact content admits one taker; the
        // taker checks the content is unchanged and renames its own lock over it.
        const guard = this.guardFor(judged);
        try {
          await link(temp, guard);
        } catch (error) {
          if (code(error) !== 'EEXIST') throw this.ioError('take over', error);
          const taker = parseInfo((await readFile(guard, 'utf8').catch(() => undefined)) ?? '');
          if (taker && !this.isStale(taker)) return { acquired: false, holder: undefined };
          await unlink(guard).catch(() => undefined); // its taker died mid-takeover
          continue;
        }
        try {
          if ((await this.readText()) !== judged) continue; // moved on meanwhile: look again
          await rename(temp, this.path);
          this.mine = info;
          return { acquired: true };
        } catch (error) {
          throw this.ioError('take over', error);
        } finally {
          await unlink(guard).catch(() => undefined);
        }
      }
      return { acquired: false, holder: await this.read() };
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** The guard file that admits one writer to replace the lock whose content is `content`. */
  private guardFor(content: string): string {
    return `${this.path}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
  }

  /**
   * On this host the pid decides: a live holder keeps its lock through any pause of its heartbeat.
   * Elsewhere only the heartbeat can, judged by the window the holder recorded for itself.
   */
  private isStale(holder: LockInfo): boolean {
    if (holder.host === this.host) return !this.isAlive(holder.pid);
    const beat = Date.parse(holder.heartbeat);
    return !Number.isFinite(beat) || this.now() - beat > (holder.staleAfterMs ?? this.staleAfterMs);
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
    this.mine = undefined;
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
    const { pid, host, startedAt, heartbeat, id, staleAfterMs } = record;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof startedAt !== 'string' || typeof heartbeat !== 'string') return undefined;
    const window = typeof staleAfterMs === 'number' && Number.isFinite(staleAfterMs) && staleAfterMs > 0 ? { staleAfterMs } : {};
    return { pid, host, startedAt, heartbeat, id: typeof id === 'string' ? id : '', ...window };
  } catch {
    return undefined;
  }
}

/** The default heartbeat timer: an interval that does not keep the process alive on its own. */
function intervalTimer(ms: number, tick: () => Promise<void>): () => void {
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
