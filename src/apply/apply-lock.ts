// apply's hold on state directories' single-writer locks: the reconciler's own (StateLock, the same
// file), taken before the plan's fresh read and held until the last write, so a hand-run apply and a
// reconciler (or two applies) never write at once; and which directories those are (found, or --state-dir).
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../config/discover.js';
import { AccessctlError, usageError } from '../errors.js';
import { EXIT_LOCKED, holderName, type LockInfo, StateLock } from '../reconcile/lock.js';

/** The reconciler's default --state-dir (src/cli/reconcile.ts), relative to the working directory it was started in. */
export const RECONCILER_STATE_DIR = '.accessctl/reconcile';

/** The lock a fleet runner holds in its state directory (src/fleet/embedded.ts): not the one apply shares. */
const FLEET_LOCK = 'fleet.lock';

/**
 * How long after its last heartbeat an apply's lock may be taken over. Its timer refreshes the
 * heartbeat three times a window, so only a frozen or killed apply misses it; the reconciler's own
 * floor is the same minute.
 */
export const APPLY_LOCK_STALE_MS = 60_000;

type Kind = 'directory' | 'other' | undefined;

/** What `file` is: a directory, something else, or nothing (undefined); an I/O error is said naming `subject`. */
async function kindOf(file: string, subject: string): Promise<Kind> {
  try {
    return (await stat(file)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AccessctlError('io', `cannot tell whether ${file} exists: ${error instanceof Error ? error.message : String(error)}`, {
      subject,
      cause: error,
    });
  }
}

/** Where apply looked for a reconciler's default state directory, and what it found. */
export interface StateDirSearch {
  /** Every distinct `.accessctl/reconcile` directory found, sorted: apply locks each, in this order. */
  found: string[];
  /** The working directory, resolved. */
  cwd: string;
  /** The config's directory (a saved plan's own directory), resolved: the walk up starts there. */
  from: string;
  /** The directories the walk up looked in, `from` first. */
  walked: string[];
  /** Where the walk up stopped: the git root holding `from`, else the file system's root. */
  top: string;
  topIsGitRoot: boolean;
}

/**
 * The reconciler state directories apply locks when no --state-dir is given. A reconciler's default
 * is `.accessctl/reconcile` in the directory it was started in, which apply cannot know; it looks
 * where that usually is: in its own working directory, and in the config's directory or any directory
 * above it, up to the git root holding the config (the file system's root when it is in none), so a
 * reconciler started anywhere in the config's repo is found from wherever apply runs. Only
 * directories that exist count: apply never creates one.
 */
export async function findReconcilerStateDirs(from: string, cwd: string = process.cwd()): Promise<StateDirSearch> {
  const found = new Set<string>();
  const look = async (dir: string): Promise<void> => {
    const candidate = path.join(dir, RECONCILER_STATE_DIR);
    // By its real path: one directory reached through a symlink, or spelt in another case on a
    // case-insensitive disk, is one lock, which apply would otherwise wait on against itself.
    if ((await kindOf(candidate, '--state-dir')) === 'directory') found.add(await realpath(candidate).catch(() => candidate));
  };
  const here = path.resolve(cwd);
  await look(here);
  const start = path.resolve(cwd, from);
  const walked: string[] = [];
  for (let dir = start; ; dir = path.dirname(dir)) {
    walked.push(dir);
    await look(dir);
    // `.git` is a directory in a clone, a file in a worktree or submodule: either way the repo's root.
    const gitRoot = (await kindOf(path.join(dir, '.git'), '--state-dir')) !== undefined;
    if (gitRoot || path.dirname(dir) === dir) return { found: [...found].sort(), cwd: here, from: start, walked, top: dir, topIsGitRoot: gitRoot };
  }
}

/** Where a search looked, for a message: "no .accessctl/reconcile in …". */
export function describeSearch(search: StateDirSearch): string {
  const top = search.topIsGitRoot ? 'the git root' : 'the file system root';
  const walked = `${displayPath(search.from, search.cwd)} or above it up to ${top}`;
  // A working directory on the walk was looked in with it.
  return search.walked.includes(search.cwd)
    ? `no ${RECONCILER_STATE_DIR} in ${walked}`
    : `no ${RECONCILER_STATE_DIR} in the working directory, nor in ${walked}`;
}

/**
 * A --state-dir given for apply, resolved: it must be a directory that exists (one made here would be
 * no reconciler's, and would keep nothing out) and not a fleet runner's (fleet runs hold another
 * lock, `fleet.lock`, which apply does not share). `search` names the directories apply would find
 * by itself, for the message.
 */
export async function checkedStateDir(written: string, search: StateDirSearch): Promise<string> {
  const dir = path.resolve(search.cwd, written);
  const kind = await kindOf(dir, '--state-dir');
  if (kind === undefined) {
    const known = search.found.map((found) => displayPath(found, search.cwd));
    const hint =
      known.length > 0
        ? `; the reconciler state directory here is ${known.join(' and ')}`
        : `; give the one a reconciler was given, or its default ${RECONCILER_STATE_DIR} in the directory it runs in (made when it starts)`;
    throw usageError(
      `--state-dir ${written}: no such directory: apply locks only a state directory that exists, since one made now would keep nothing out${hint}`,
      '--state-dir',
    );
  }
  if (kind === 'other') throw usageError(`--state-dir ${written}: it is a file, not a directory`, '--state-dir');
  const fleet =
    (await kindOf(path.join(dir, FLEET_LOCK), '--state-dir')) !== undefined || (await kindOf(path.join(dir, 'orgs'), '--state-dir')) === 'directory';
  if (fleet) {
    throw usageError(
      `--state-dir ${written} is a fleet runner's state directory: \`fleet run\` holds another lock (${FLEET_LOCK}), which apply does not share, so it would keep the runner out of nothing; stop the fleet runner before applying to one of its orgs by hand`,
      '--state-dir',
    );
  }
  return dir;
}

/** A holder as a waiting apply names it: who, where, since when. */
export function describeHolder(holder: LockInfo): string {
  return `${holderName(holder)}, pid ${holder.pid} on host ${holder.host} since ${holder.startedAt} (heartbeat ${holder.heartbeat})`;
}

export interface ApplyLockOptions {
  /**
   * The state directories, resolved and existing: each one's lock is taken, in this order (sorted,
   * so two applies that lock the same ones never each hold one the other waits for).
   */
  dirs: readonly string[];
  mode: 'wait' | 'fail';
  /** Aborted by a stop: a wait rejects with its reason. */
  signal: AbortSignal;
  /** Says one line to the user: a wait, a takeover, a heartbeat that failed and is tried again, a release that failed. */
  say: (line: string) => void;
}

/** Held state locks. Their heartbeats run on a timer until release(); a takeover one finds is kept in `lost`. */
export class ApplyLock {
  private constructor(
    private readonly locks: readonly StateLock[],
    /** Set by the heartbeat (or confirm) that finds a lock taken over. */
    private readonly state: { lost?: AccessctlError },
    private readonly say: (line: string) => void,
  ) {}

  /**
   * Takes the lock of each directory. Held by a live process: 'wait' waits (and says so, naming the
   * holder), 'fail' throws AccessctlError('conflict') naming its pid and host, with reconcile's exit
   * code 3; the locks taken before it are released.
   */
  static async take(options: ApplyLockOptions): Promise<ApplyLock> {
    const { say } = options;
    const state: { lost?: AccessctlError } = {};
    const locks: StateLock[] = [];
    for (const dir of options.dirs) {
      const lock: StateLock = new StateLock({
        dir,
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
        await new ApplyLock(locks, state, say).release();
        if (error instanceof AccessctlError && error.code === 'conflict') {
          throw new AccessctlError('conflict', error.message, { exitCode: EXIT_LOCKED, subject: '--state-dir', cause: error });
        }
        throw error;
      }
      locks.push(lock);
    }
    return new ApplyLock(locks, state, say);
  }

  /** The lock files, in the order taken. */
  get paths(): string[] {
    return this.locks.map((lock) => lock.path);
  }

  /** Why no further change may start: another process took a lock over. Undefined while all are held. */
  get lost(): AccessctlError | undefined {
    return this.state.lost;
  }

  /** Refreshes each heartbeat now; throws AccessctlError('conflict') when another process took one over. */
  async confirm(): Promise<void> {
    if (this.state.lost) throw this.state.lost;
    for (const lock of this.locks) {
      try {
        await lock.heartbeat();
      } catch (error) {
        if (error instanceof AccessctlError && error.code === 'conflict' && !lock.held) this.state.lost ??= error;
        throw error;
      }
    }
  }

  /**
   * Stops the heartbeats and removes each lock file that is still this apply's. Never rejects: it runs
   * after the apply has ended, whose outcome (applied, or its own failure) is what the exit code says;
   * a lock it cannot remove is said as a warning, and is taken over once this process has ended.
   */
  async release(): Promise<void> {
    for (const lock of this.locks) {
      try {
        await lock.release();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.say(`warning: cannot release the lock ${lock.path}: ${message}; the next writer takes it over once this process has ended`);
      }
    }
  }
}
