// The single-writer lock on a reconciler's state directory: a JSON file holding pid, host and a
// heartbeat. It is created with link() (atomic create-if-absent); a stale one is taken over by the
// one taker that creates a guard file named after the stale content, so two takers cannot both win.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AccessctlError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  heartbeat: string;
  /** Unique per acquisition: tells this holder's lock from a later one by the same pid. */
  id: string;
}

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
  private mine: LockInfo | undefined;

  constructor(options: StateLockOptions) {
    this.dir = path.resolve(options.dir);
    this.path = path.join(this.dir, options.fileName ?? 'reconcile.lock');
    this.staleAfterMs = options.staleAfterMs;
    this.now = options.now ?? Date.now;
    this.host = options.hostname ?? os.hostname();
    this.isAlive = options.isAlive ?? processIsAlive;
    this.pollMs = options.pollMs ?? 1000;
    this.onWait = options.onWait;
  }

  /** True while this instance holds the lock. */
  get held(): boolean {
    return this.mine !== undefined;
  }

  /**
   * Takes the lock. Held by a live owner: 'wait' polls until it is free (rejecting with the
   * signal's reason on abort), 'fail' throws AccessctlError('conflict') naming pid and host.
   * A stale lock (old heartbeat, or this host and a dead pid) is taken over.
   */
  async acquire(mode: 'wait' | 'fail', signal?: AbortSignal): Promise<void> {
    if (this.mine) return;
    await mkdir(this.dir, { recursive: true });
    let reported: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      const attempt = await this.attempt();
      if (attempt.acquired) return;
      const holder = attempt.holder;
      if (mode === 'fail') {
        const who = holder ? `pid ${holder.pid} on host ${holder.host} (heartbeat ${holder.heartbeat})` : 'another process, which is taking over a stale lock';
        throw new AccessctlError('conflict', `another reconciler holds the lock ${this.path}: ${who}`);
      }
      if (holder && holder.id !== reported) {
        reported = holder.id;
        this.onWait?.(holder);
      }
      await pause(this.pollMs, signal);
    }
  }

  /** Refreshes the heartbeat; throws AccessctlError('conflict') if the lock was taken over. */
  async heartbeat(): Promise<void> {
    const mine = this.mine;
    if (!mine) throw new AccessctlError('internal', `heartbeat on ${this.path} without holding it`);
    const current = await this.readText();
    const owner = current === undefined ? undefined : parseInfo(current);
    if (current !== undefined && owner?.id !== mine.id) throw this.lost(owner);
    const updated: LockInfo = { ...mine, heartbeat: new Date(this.now()).toISOString() };
    const temp = await this.writeTemp(updated);
    try {
      if (current !== undefined) {
        await rename(temp, this.path);
      } else {
        // Missing: someone deleted it. Recreate it, unless another holder got there first.
        try {
          await link(temp, this.path);
        } catch (error) {
          if (code(error) !== 'EEXIST') throw error;
          const now = await this.read();
          if (now?.id !== mine.id) throw this.lost(now);
          return;
        }
      }
      this.mine = updated;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Removes the lock if this instance still holds it. */
  async release(): Promise<void> {
    const mine = this.mine;
    if (!mine) return;
    this.mine = undefined;
    const current = await this.read();
    if (current?.id !== mine.id) return;
    await unlink(this.path).catch((error: unknown) => {
      if (code(error) !== 'ENOENT') throw error;
    });
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
        const guard = `${this.path}.takeover-${createHash('sha256').update(judged).digest('hex').slice(0, 16)}`;
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

  private isStale(holder: LockInfo): boolean {
    const beat = Date.parse(holder.heartbeat);
    if (!Number.isFinite(beat) || this.now() - beat > this.staleAfterMs) return true;
    return holder.host === this.host && !this.isAlive(holder.pid);
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

function parseInfo(text: string): LockInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    const { pid, host, startedAt, heartbeat, id } = record;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof startedAt !== 'string' || typeof heartbeat !== 'string') return undefined;
    return { pid, host, startedAt, heartbeat, id: typeof id === 'string' ? id : '' };
  } catch {
    return undefined;
  }
}

function processIsAlive(pid: number): boolean {
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

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
