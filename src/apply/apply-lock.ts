// apply's hold on a state directory's single-writer lock: the reconciler's own (StateLock, the same
// file), taken before the plan's fresh read and held until the last write, so a hand-run apply and a
// reconciler (or two applies) never create or write the same objects at once.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AccessctlError } from '../errors.js';
import { type LockInfo, StateLock } from '../reconcile/lock.js';

/** The reconciler's default --state-dir (src/cli/reconcile.ts), relative to the working directory. */
export const RECONCILER_STATE_DIR = '.accessctl/reconcile';

/** The exit code when another process holds the lock and --lock is fail: reconcile's (EXIT_LOCKED in src/reconcile/loop.ts). */
export const EXIT_LOCKED = 3;

/**
 * How long after its last heartbeat an apply's lock may be taken over. Its timer refreshes the
 * heartbeat three times a window, so only a frozen or killed apply misses it; the reconciler's own
 * floor is the same minute.
 */
export const APPLY_LOCK_STALE_MS = 60_000;

/**
 * The reconciler's default state directory under `cwd` when it exists, else undefined: a repo where
 * a reconciler runs is protected without a flag, and a plain apply never creates state directories.
 */
export async function reconcilerStateDir(cwd: string = process.cwd()): Promise<string | undefined> {
  const dir = path.resolve(cwd, RECONCILER_STATE_DIR);
  try {
    return (await stat(dir)).isDirectory() ? dir : undefined;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AccessctlError('io', `cannot tell whether ${dir} exists: ${error instanceof Error ? error.message : String(error)}`, {
      subject: '--state-dir',
      cause: error,
    });
  }
}

/** A holder as a waiting apply names it: who, where, since when. */
export function describeHolder(holder: LockInfo): string {
  return `pid ${holder.pid} on host ${holder.host} since ${holder.startedAt} (heartbeat ${holder.heartbeat})`;
}

export interface ApplyLockOptions {
  /** The state directory, resolved; made when missing (the caller decided it is to be locked). */
  dir: string;
  mode: 'wait' | 'fail';
  /** Aborted by a stop: a wait rejects with its reason. */
  signal: AbortSignal;
  /** Says one line to the user: a wait, a takeover, a heartbeat that failed and is tried again. */
  say: (line: string) => void;
}

/** A held state lock. Its heartbeat runs on a timer until release(); a takeover it finds is kept in `lost`. */
export class ApplyLock {
  private constructor(
    private readonly lock: StateLock,
    /** Set by the heartbeat (or confirm) that finds the lock taken over. */
    private readonly state: { lost?: AccessctlError },
  ) {}

  /**
   * Takes the lock of `dir`. Held by a live process: 'wait' waits (and says so, naming the holder),
   * 'fail' throws AccessctlError('conflict') naming its pid and host, with reconcile's exit code 3.
   */
  static async take(options: ApplyLockOptions): Promise<ApplyLock> {
    const { say } = options;
    const state: { lost?: AccessctlError } = {};
    const lock: StateLock = new StateLock({
      dir: options.dir,
      staleAfterMs: APPLY_LOCK_STALE_MS,
      command: 'apply',
      onWait: (holder) => say(`waiting for the lock ${lock.path}, held by ${describeHolder(holder)}`),
      onTakeover: (notice) => say(`warning: ${notice.message}`),
      // Lost: the other writer may be writing now, so no further change starts (the apply checks `lost`).
      onHeartbeatError: (error, lost) => {
        if (lost) {
          state.lost ??= error;
          return;
        }
        say(`warning: ${error.message}; trying again at the next heartbeat`);
      },
    });
    try {
      await lock.acquire(options.mode, options.signal);
    } catch (error) {
      if (error instanceof AccessctlError && error.code === 'conflict') {
        throw new AccessctlError('conflict', error.message, { exitCode: EXIT_LOCKED, subject: '--state-dir', cause: error });
      }
      throw error;
    }
    return new ApplyLock(lock, state);
  }

  /** The lock file. */
  get path(): string {
    return this.lock.path;
  }

  /** Why no further change may start: another process took the lock over. Undefined while it is held. */
  get lost(): AccessctlError | undefined {
    return this.state.lost;
  }

  /** Refreshes the heartbeat now; throws AccessctlError('conflict') when another process took the lock over. */
  async confirm(): Promise<void> {
    if (this.state.lost) throw this.state.lost;
    try {
      await this.lock.heartbeat();
    } catch (error) {
      if (error instanceof AccessctlError && error.code === 'conflict' && !this.lock.held) this.state.lost ??= error;
      throw error;
    }
  }

  /** Stops the heartbeat and removes the lock file if it is still this apply's. */
  release(): Promise<void> {
    return this.lock.release();
  }
}
