// What the CLI guards about a sandbox's --db file: one process serves it at a time (a lock file
// beside it, the reconciler's StateLock), and a damaged file is reported as that, naming the file.
import { mkdirSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { AccessctlError } from '../errors.js';
import { type HeartbeatTimer, StateLock, type TakeoverNotice } from '../reconcile/lock.js';
import { damageAdvice, databaseDamageIn } from '../sandbox/database-damage.js';

/**
 * How long after its holder's last heartbeat the lock may be taken over (its timer refreshes it a third
 * of that): what tells a dead holder on another host sharing the disk. On this host a dead or reused pid
 * tells at once. The same floor `up` gives the reconciler's lock.
 */
export const sandboxLockStaleAfterMs = 60_000;

/**
 * How long after its last heartbeat began the holder still writes: the window, less a margin for the
 * write in progress. Past it another process may have taken the lock over unseen (this one was
 * paused, or its refreshes failed), so the holder writes nothing until a heartbeat says it holds it.
 */
export const sandboxLockLeaseMs = sandboxLockStaleAfterMs - 10_000;

export interface SandboxDatabaseLockOptions {
  /** Said when a lock left by a process that is gone was taken over. */
  onTakeover?: (message: string) => void;
  /**
   * Called when the lock was taken from this process while it runs (it was frozen past the window, or
   * the file was replaced): it must stop serving the database, whose next holder is `error`'s subject.
   */
  onLost?: (error: AccessctlError) => void;
  /** Called when refreshing the lock failed for a reason of the disk's; the next refresh tries again. */
  onRefreshError?: (error: AccessctlError) => void;
  /** What refreshes the lock while it is held (default an unref'd interval); tests drive it by hand. */
  heartbeatTimer?: HeartbeatTimer;
  /** The clock the lease is judged by (default Date.now); tests move it past the lease. */
  now?: () => number;
}

/** How a command says a takeover and a failed refresh: one line each on stderr (`sandbox` and `up` alike). */
export const lockNoticesOnStderr: Pick<SandboxDatabaseLockOptions, 'onTakeover' | 'onRefreshError'> = {
  onTakeover: (message) => process.stderr.write(`accessctl: ${message}\n`),
  onRefreshError: (error) => process.stderr.write(`accessctl: ${error.message}; the next refresh tries again\n`),
};

/** The lock a sandbox holds on its database; release() when it stops serving it. */
export interface SandboxDatabaseLock {
  /** The lock file, beside the database. */
  readonly path: string;
  /**
   * Whether this process may write to the database now: a heartbeat that found the lock still this
   * process's began less than sandboxLockLeaseMs ago. False after a pause or failed refreshes until
   * the next heartbeat: the lock may have been taken over unseen, and a heartbeat tells which.
   */
  current(): boolean;
  release(): Promise<void>;
}

/**
 * Takes the lock on the sandbox database `db` (a --db value) for this process, or throws
 * AccessctlError('conflict') naming the file and the pid that serves it. A lock left by a process
 * that is gone, or whose pid another process now has, is taken over (with onTakeover). An in-memory
 * database (":memory:") is this process's alone: there is nothing to lock.
 */
export async function lockSandboxDatabase(db: string, options: SandboxDatabaseLockOptions = {}): Promise<SandboxDatabaseLock | undefined> {
  if (db === ':memory:') return undefined;
  const file = canonicalPath(db);
  const now = options.now ?? Date.now;
  // When the last heartbeat that kept the lock began (the acquisition first): the heartbeat it
  // wrote is no older, so a taker judges the lock stale no sooner than the lease ends.
  let leaseFrom = now();
  let refreshFailed = false;
  const beatEvery = options.heartbeatTimer ?? intervalTimer;
  const lock: StateLock = new StateLock({
    dir: dirname(file),
    fileName: `${basename(file)}.lock`,
    staleAfterMs: sandboxLockStaleAfterMs,
    heartbeatTimer: (ms, tick) =>
      beatEvery(ms, async () => {
        const started = now();
        refreshFailed = false;
        await tick();
        if (!refreshFailed && lock.held) leaseFrom = started;
      }),
    onTakeover: (notice: TakeoverNotice) => options.onTakeover?.(notice.message),
    onHeartbeatError: (error, lost) => {
      refreshFailed = true;
      if (!lost) {
        options.onRefreshError?.(error);
        return;
      }
      void lock.read().then(
        (holder) => options.onLost?.(lostError(db, holder === undefined ? undefined : describeHolder(holder))),
        () => options.onLost?.(lostError(db, undefined)),
      );
    },
  });
  try {
    await lock.acquire('fail');
  } catch (error) {
    if (!(error instanceof AccessctlError) || error.code !== 'conflict') throw error;
    const holder = await lock.read().catch(() => undefined);
    const who = holder === undefined ? 'another process, which is taking over a lock left by one that is gone' : describeHolder(holder);
    throw new AccessctlError(
      'conflict',
      `the sandbox database ${db} is in use by another sandbox: ${who} (lock ${lock.path}); ` +
        'stop it (Ctrl-C where it runs), or pass another --db. Two processes serving one database would each run its timers and webhook deliveries',
      { subject: '--db', cause: error },
    );
  }
  const held = lock;
  return { path: held.path, current: () => held.held && now() - leaseFrom < sandboxLockLeaseMs, release: () => held.release() };
}

/** The lock's default heartbeat: an interval that does not keep the process alive, its ticks never overlapping. */
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

/** The holder as a person reads it: its pid, the host when it is not this one, and when it started. */
function describeHolder(holder: { pid: number; host: string; startedAt: string }): string {
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return `pid ${holder.pid}${where}, started ${holder.startedAt}`;
}

function lostError(db: string, holder: string | undefined): AccessctlError {
  return new AccessctlError(
    'conflict',
    `lost the lock on the sandbox database ${db} to ${holder ?? 'another process'}, which serves it now; ` +
      'stopped at once without writing to it again (no clock save, no checkpoint), so that one process serves it',
    { subject: '--db' },
  );
}

/**
 * The one name a database file has however --db spells it (relative, through a symlinked directory,
 * or a symlink itself), so that two spellings of one file take one lock. Its directory is created
 * here, as the store would: a path that cannot be a directory is an error naming --db.
 */
function canonicalPath(db: string): string {
  const full = resolve(db);
  try {
    return realpathSync(full);
  } catch {
    // Not there yet: the store creates it in its (real) directory.
  }
  try {
    mkdirSync(dirname(full), { recursive: true });
    return join(realpathSync(dirname(full)), basename(full));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AccessctlError('io', `cannot create the directory of the sandbox database ${db}: ${message}`, { subject: '--db', cause: error });
  }
}

/**
 * `error` as the damaged database it reports, naming the file and what to do, or undefined when it
 * says something else. SQLite raises SQLITE_NOTADB or SQLITE_CORRUPT at open (the store checks every
 * page then) and from whatever statement first reads a damaged page later: `when` says which.
 */
export function damagedDatabaseError(error: unknown, db: string, when: 'open' | 'serve'): AccessctlError | undefined {
  const damage = databaseDamageIn(error);
  if (damage === undefined) return undefined;
  const start = `cannot ${when === 'open' ? 'open' : 'go on serving'} the sandbox database ${db}: ${damage.message}`;
  const advice = damageAdvice(damage, 'move it aside and start again, which creates a new database (and applies --seed to it)');
  return new AccessctlError('io', `${start}. ${advice}`, { subject: '--db', cause: error });
}
