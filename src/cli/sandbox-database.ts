// What the CLI guards about a sandbox's --db file: one process serves it at a time (a lock file
// beside it, the reconciler's StateLock), and a damaged file is reported as that, naming the file.
// Also the operator key's file beside it, for `sandbox clock` to read without the key in shell history.
import { mkdirSync, realpathSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { AccessctlError } from '../errors.js';
import { type HeartbeatTimer, intervalTimer, StateLock, type TakeoverNotice } from '../reconcile/lock.js';
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
   * the next heartbeat: the lock may have been taken over unseen, and a heartbeat tells which. A
   * lapsed lease starts that heartbeat at once rather than at the timer's next tick.
   */
  current(): boolean;
  /**
   * Whether this process may write now, asking a heartbeat first when the lease lapsed: what a close
   * checks before it saves the clock and checkpoints. False when the lock was lost or a heartbeat
   * could not refresh it (the caller then lets go of the database without writing).
   */
  confirm(): Promise<boolean>;
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
  // The heartbeat the timer runs, also run at once when the lease is found lapsed: the timer's next
  // tick may be up to an interval away (a suspended machine's timers do not count the suspension).
  let beatNow: (() => Promise<void>) | undefined;
  let beating: Promise<void> | undefined;
  let lastBeatFrom = leaseFrom;
  let lostTold: Promise<void> | undefined;
  const lock: StateLock = new StateLock({
    dir: dirname(file),
    fileName: `${basename(file)}.lock`,
    staleAfterMs: sandboxLockStaleAfterMs,
    heartbeatTimer: (ms, tick) => {
      const beat = async (): Promise<void> => {
        const started = now();
        lastBeatFrom = started;
        refreshFailed = false;
        await tick();
        // A loss is told (onLost) before this heartbeat resolves: whoever waits on it (a close) finds it told.
        await lostTold;
        if (!refreshFailed && lock.held) leaseFrom = started;
      };
      // One at a time, whoever asks (the timer or a lapsed lease): a second asker joins the one running.
      const once = (): Promise<void> =>
        (beating ??= beat().finally(() => {
          beating = undefined;
        }));
      beatNow = once;
      const stop = beatEvery(ms, once);
      return () => {
        if (beatNow === once) beatNow = undefined;
        stop();
      };
    },
    onTakeover: (notice: TakeoverNotice) => options.onTakeover?.(notice.message),
    onHeartbeatError: (error, lost) => {
      refreshFailed = true;
      if (!lost) {
        options.onRefreshError?.(error);
        return;
      }
      lostTold = lock.read().then(
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
  const fresh = (): boolean => held.held && now() - leaseFrom < sandboxLockLeaseMs;
  return {
    path: held.path,
    current: () => {
      if (fresh()) return true;
      // Judged by the wall clock still (the clock a taker judges staleness by), but asked at once: a
      // healthy holder answers again within one heartbeat of waking. At most one a second while
      // refreshes fail, so a failing disk is not hammered (nor its error said) once per request.
      if (held.held && now() - lastBeatFrom >= lapsedBeatSpacingMs) void beatNow?.();
      return false;
    },
    confirm: async () => {
      if (fresh()) return true;
      // A heartbeat already running may have begun before the pause: its answer keeps no lease, so one
      // more; but, as current(), no new one within a second of the last while refreshes fail, so
      // requests that each wait on confirm() do not hammer a failing disk.
      for (let round = 0; round < 2 && !fresh() && held.held && beatNow !== undefined; round++) {
        if (beating === undefined && now() - lastBeatFrom < lapsedBeatSpacingMs) break;
        await beatNow();
      }
      return fresh();
    },
    release: () => held.release(),
  };
}

/** The least time between two heartbeats a lapsed lease starts (the timer's own are a third of the window apart). */
const lapsedBeatSpacingMs = 1000;

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

/** Where the operator key of the sandbox serving `db` is kept while it runs: beside the database, readable by its owner only. */
export function operatorKeyFile(db: string): string | undefined {
  return db === ':memory:' ? undefined : `${canonicalPath(db)}.operator-key`;
}

/**
 * Writes `key` to operatorKeyFile(db), mode 0600, for `export ACCESSCTL_SANDBOX_OPERATOR_KEY=$(cat
 * FILE)`: the key reaches the variable without being typed or pasted into a shell's history. Call it
 * holding the database's lock (no other sandbox writes it meanwhile). Undefined for ":memory:", and
 * for a sandbox without test hooks (no key).
 */
export async function writeOperatorKeyFile(db: string, key: string | undefined): Promise<string | undefined> {
  const file = key === undefined ? undefined : operatorKeyFile(db);
  if (file === undefined) return undefined;
  // Created anew ('wx' follows no link and keeps no earlier mode): a leftover of a killed run goes first.
  await unlink(file).catch(() => undefined);
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AccessctlError('io', `cannot write the operator key file ${file}: ${message}`, { subject: '--db', cause: error });
  }
  return file;
}

/** Removes the operator key file when it still holds `key` (a sandbox that took the database over writes its own). */
export async function removeOperatorKeyFile(file: string | undefined, key: string | undefined): Promise<void> {
  if (file === undefined || key === undefined) return;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text?.trim() === key) await unlink(file).catch(() => undefined);
}

/**
 * The shell line that sets ACCESSCTL_SANDBOX_OPERATOR_KEY from the key file (writeOperatorKeyFile),
 * for a banner or hint: it never holds the key itself, since a line pasted into a shell is kept in
 * its history. Without a file (":memory:"), it points at the key printed above.
 */
export function operatorKeyExport(keyFile: string | undefined): string {
  if (keyFile === undefined) return 'export ACCESSCTL_SANDBOX_OPERATOR_KEY=<the operator key above>';
  const word = /^[\w./@:+-]+$/.test(keyFile) ? keyFile : `'${keyFile.replace(/'/g, "'\\''")}'`;
  return `export ACCESSCTL_SANDBOX_OPERATOR_KEY="$(cat ${word})"`;
}
