// The sandbox's durable state: one SQLite database (WAL, synchronous FULL) holding the directory,
// approval flows, settings, webhook channels and the event log. Owns ids and transactions.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SandboxClock, SavedClock } from './clock.js';
import { migrate } from './migrations.js';

/** The most prepared statements kept: every fixed statement fits, with room for recent list shapes. */
export const statementCacheSize = 256;

/** The most counts kept between writes: a paging client asks for one per list it pages through. */
export const countCacheSize = 64;

/** The most page cursors kept between writes: one per page a paging client has read (100 pages is 10,000 objects). */
export const cursorCacheSize = 1024;

/** The most readings kept between writes (see kept): a list page each (10,000 flows are 100 pages of 100), and a principal per API key in use. */
export const readingCacheSize = 128;

/** The most parsed documents kept (see parsedDoc): a list of 10,000 objects read page after page, twice over. */
export const parsedDocCacheSize = 20_000;

/** Ids are 24 hex digits: 96 bits, the first 32 the clock's seconds. */
const idSpace = 1n << 96n;
const maxIdSeconds = 0xffffffff;

/**
 * The last id handed out, brought back inside the 24-hex space: a sandbox before this one let a
 * clock past 2106 hand out 25-hex ids. New ids continue from the greatest 24-hex prefix, keeping
 * the count, so they stay 24 hex and sort after every 24-hex id.
 */
function lastIdWithin(last: bigint): bigint {
  if (last < idSpace) return last;
  return (BigInt(maxIdSeconds) << 64n) | (last & ((1n << 64n) - 1n));
}

export interface Actor {
  orgId: string;
  /** The admin key's or user's id; never the key itself. */
  id: string;
  /** system: the sandbox itself (timers: expiry, revocation). */
  type: 'admin' | 'user' | 'system';
  email: string;
  clientIp?: string | undefined;
}

export class SandboxStore {
  readonly db: Database.Database;
  readonly clock: SandboxClock;
  readonly path: string;
  /** Prepared statements by SQL, least recently used first; never more than statementCacheSize. */
  readonly #statements = new Map<string, Database.Statement>();
  /** Counts by query and parameters, valid while the database is as it was at #countsMark. */
  readonly #counts = new Map<string, number>();
  /** Where pages end, by query and offset: the sort key of the last row before that offset (see pageCursor). */
  readonly #cursors = new Map<string, string>();
  /** Readings derived from the database by key (see kept), valid while #counts is. */
  readonly #readings = new Map<string, unknown>();
  /** Every value kept has an entry, and its JSON text once keptJson wrote it (see keptJson). */
  readonly #keptJson = new WeakMap<object, string | undefined>();
  /** Parsed documents by table and id, each with the text it was parsed from (see parsedDoc). */
  readonly #parsed = new Map<string, { text: string; doc: unknown }>();
  /** total_changes and data_version when #counts and #cursors were last known valid. */
  #readingsMark: string | undefined;
  /** Stops saving the clock's changes into this database (at close). */
  readonly #unwatchClock: () => void;

  constructor(path: string, clock: SandboxClock) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.path = path;
    this.clock = clock;
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: an acknowledged write survives power loss, not just a killed process.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      checkStructure(this.db);
      migrate(this.db, clock.nowIso());
      if (this.getMeta('hmac_key') === undefined) this.setMeta('hmac_key', randomBytes(32).toString('hex'));
      const saved = this.savedClock();
      if (saved !== undefined) clock.resume(saved);
      this.#saveClock();
    } catch (error) {
      // A database that cannot be opened is not held open: the caller reports it, and may retry.
      this.db.close();
      throw error;
    }
    this.#unwatchClock = clock.onChange(() => this.#saveClock());
  }

  /** The clock as this database last saved it, if it ever did. */
  savedClock(): SavedClock | undefined {
    const row = this.stmt('SELECT now_ms, offset_ms, frozen FROM sandbox_clock WHERE id = 1').get() as
      | { now_ms: number; offset_ms: number; frozen: number }
      | undefined;
    return row === undefined ? undefined : { nowMs: row.now_ms, offsetMs: row.offset_ms, frozen: row.frozen === 1 };
  }

  /**
   * Saves the clock at start, at every change (advance, set, freeze, unfreeze) and at close. A
   * process killed in between loses only the instant, not the offset, which is what moves time.
   */
  #saveClock(): void {
    const { nowMs, offsetMs, frozen } = this.clock.saved();
    this.stmt(
      `INSERT INTO sandbox_clock (id, now_ms, offset_ms, frozen) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET now_ms = excluded.now_ms, offset_ms = excluded.offset_ms, frozen = excluded.frozen`,
    ).run(Math.round(nowMs), Math.round(offsetMs), frozen ? 1 : 0);
  }

  /**
   * A prepared statement, from a least-recently-used cache of at most statementCacheSize. Lists and
   * Insights build SQL from the query (filters, IN lists), so the cache must forget: better-sqlite3
   * keeps no cache of its own, and an unbounded one grows with every new query shape a client sends.
   */
  stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.#statements.size >= statementCacheSize) {
        const oldest = this.#statements.keys().next();
        if (oldest.done !== true) this.#statements.delete(oldest.value);
      }
    } else {
      this.#statements.delete(sql);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  /**
   * The `n` of a `SELECT count(*) AS n ...` query, kept until the database changes: a client paging
   * through a list asks for the same total with every page, and counting 10,000 rows costs as much
   * as reading the page. Any change ends what is kept: on this connection (total_changes, writes by
   * triggers and rolled-back ones included) or on another one sharing the file (data_version).
   * Inside a transaction nothing is kept: a rollback takes rows back without a change to count.
   */
  count(sql: string, params: readonly (string | number)[]): number {
    if (!this.#readingsValid()) return (this.stmt(sql).get(...params) as { n: number }).n;
    const key = `${sql}\u0000${JSON.stringify(params)}`;
    let n = this.#counts.get(key);
    if (n === undefined) {
      n = (this.stmt(sql).get(...params) as { n: number }).n;
      keepBounded(this.#counts, countCacheSize, key, n);
    }
    return n;
  }

  /**
   * The sort key of the last row before `offset` in `query` (its SQL and parameters, without
   * LIMIT and OFFSET), when a page read since the database last changed ended there. A paging
   * client asks for skip=100, 200, ...: with the key of where the page before ended, the next page
   * is a seek on the index (id > key) instead of stepping over every row before it. Kept on the
   * same terms as count: forgotten at any change, never kept inside a transaction.
   */
  pageCursor(query: string, offset: number): string | undefined {
    if (!this.#readingsValid()) return undefined;
    return this.#cursors.get(`${offset}\u0000${query}`);
  }

  /** Records that the rows of `query` before `offset` end with the sort key `lastKey` (see pageCursor). */
  keepPageCursor(query: string, offset: number, lastKey: string): void {
    if (!this.#readingsValid()) return;
    keepBounded(this.#cursors, cursorCacheSize, `${offset}\u0000${query}`, lastKey);
  }

  /**
   * What `read` derives from the database, kept under `key` until the database changes, on the
   * same terms as count: a paging client (a reconciler every cycle) asks for the same pages again,
   * and a list page costs its rows' reading, parsing and the names they resolve. `key` must name
   * everything `read` depends on besides the database. What is kept is deep-frozen, since every
   * later reading shares it; a `read` that throws keeps nothing. Inside a transaction nothing is kept.
   */
  kept<T>(key: string, read: () => T): T {
    if (!this.#readingsValid()) return read();
    if (this.#readings.has(key)) {
      const value = this.#readings.get(key) as T;
      // Most recently used last, so the least recently used is forgotten first.
      this.#readings.delete(key);
      this.#readings.set(key, value);
      return value;
    }
    const value = deepFreeze(read());
    keepBounded(this.#readings, readingCacheSize, key, value);
    if (typeof value === 'object' && value !== null) this.#keptJson.set(value, undefined);
    return value;
  }

  /**
   * The JSON text of `value` when it is one kept handed out, written once: it is deep-frozen, so
   * its text cannot change, and a page read again is then answered without serialising it again.
   * Undefined for any other value (the caller serialises it).
   */
  keptJson(value: unknown): string | undefined {
    if (typeof value !== 'object' || value === null || !this.#keptJson.has(value)) return undefined;
    let text = this.#keptJson.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      this.#keptJson.set(value, text);
    }
    return text;
  }

  /**
   * Whether counts and cursors may be kept and read now: false inside a transaction (a rollback
   * takes rows back without a change to count); otherwise true, after forgetting every one kept
   * if the database changed since (on this connection, or through another one sharing the file).
   */
  #readingsValid(): boolean {
    if (this.db.inTransaction) return false;
    const mark = this.stmt('SELECT total_changes() AS changes, data_version AS version FROM pragma_data_version').get() as { changes: number; version: number };
    const now = `${mark.changes}:${mark.version}`;
    if (now !== this.#readingsMark) {
      this.#counts.clear();
      this.#cursors.clear();
      this.#readings.clear();
      this.#readingsMark = now;
    }
    return true;
  }

  /**
   * The stored document `text` of row `id` in `table`, parsed, deep-frozen and kept: a list read
   * again (a paging client, a reconciler every cycle) gets the same object back while the row
   * holds the same text, and parses only the rows that changed. Frozen because it is shared: a
   * caller that changed it would change what every later read returns.
   */
  parsedDoc<T>(table: string, id: string, text: string): T {
    const key = `${table}\u0000${id}`;
    const kept = this.#parsed.get(key);
    if (kept !== undefined && kept.text === text) return kept.doc as T;
    const doc = deepFreeze(JSON.parse(text) as unknown);
    keepBounded(this.#parsed, parsedDocCacheSize, key, { text, doc });
    return doc as T;
  }

  /** How many prepared statements the cache holds now. */
  get cachedStatements(): number {
    return this.#statements.size;
  }

  /** Runs fn in one IMMEDIATE transaction: its writes and the events it records commit together. */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }

  /**
   * A new 24-hex object id, strictly greater than every id this database has handed out: the
   * first 8 digits follow the clock's seconds, the rest count. So a list sorted by _id only ever
   * grows at its end, and paging by _id stays stable while others create objects. The seconds stop
   * at ffffffff (2106-02-07): a clock set later, or set back, only makes the count go on, so an id
   * never grows a 25th digit and never sorts before an older one.
   */
  newId(): string {
    // Read back from the database each time, inside the caller's transaction, so two processes
    // sharing one file cannot hand out the same id.
    const last = lastIdWithin(BigInt(`0x${this.getMeta('last_id') ?? '0'}`));
    const seconds = Math.min(maxIdSeconds, Math.max(0, Math.floor(this.clock.nowMs() / 1000)));
    const fromClock = BigInt(seconds) << 64n;
    const next = fromClock > last ? fromClock : last + 1n;
    if (next >= idSpace) throw new Error('the 24-hex id space is used up');
    this.setMeta('last_id', next.toString(16));
    return next.toString(16).padStart(24, '0');
  }

  /**
   * Takes a given 24-hex id (a seeded object's) and makes newId() hand out only greater ones, so
   * a generated id can never collide with it.
   */
  claimId(id: string): string {
    const last = BigInt(`0x${this.getMeta('last_id') ?? '0'}`);
    const claimed = BigInt(`0x${id}`);
    if (claimed > last) this.setMeta('last_id', claimed.toString(16));
    return id;
  }

  getMeta(key: string): string | undefined {
    const value: unknown = this.stmt('SELECT value FROM meta WHERE key = ?').pluck().get(key);
    return typeof value === 'string' ? value : undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The per-database key for secrets fingerprints; it never leaves the database. */
  hmacKey(): Buffer {
    return Buffer.from(this.getMeta('hmac_key') ?? '', 'hex');
  }

  close(): void {
    if (!this.db.open) return;
    this.#unwatchClock();
    this.#saveClock();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  /**
   * Closes the connection without writing anything first (no clock save, no checkpoint): for a
   * database another process serves now (this one lost its lock), or a damaged one. Every later
   * statement fails. SQLite itself folds the log into the file when the last connection that read
   * it closes; while another one has it open (the process that took it over), this close leaves
   * both files as they are.
   */
  closeWithoutWriting(): void {
    if (!this.db.open) return;
    this.#unwatchClock();
    this.db.close();
  }
}

/** The most problems PRAGMA quick_check lists for a damaged database: the first few say enough. */
const structureProblemsShown = 3;

/**
 * Refuses a damaged database at open, before migrations write to it. quick_check reads every page
 * (b-tree structure, free list, record formats), about 30 ms for a 10,000-flow database of 19 MB;
 * integrity_check would also match every index to its table, at two to three times that. Damage in a
 * table that opening does not read (deliveries, timers, mail) would otherwise surface later, from
 * whatever read it first: a worker at start-up, a timer, a request. Thrown as SQLite's own
 * SQLITE_CORRUPT, so callers tell it from other failures as they tell SQLite's.
 */
function checkStructure(db: Database.Database): void {
  const problems = db.pragma(`quick_check(${structureProblemsShown})`, { simple: false }) as { quick_check: string }[];
  // One row per problem, or one row of several lines under a "*** in database main ***" heading.
  const found = problems
    .flatMap((row) => row.quick_check.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'ok' && !/^\*\*\* in database \S+ \*\*\*$/.test(line));
  if (found.length === 0) return;
  throw new Database.SqliteError(`database disk image is malformed (PRAGMA quick_check: ${found.join('; ')})`, 'SQLITE_CORRUPT');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Sets `key` in `map`, forgetting the oldest entry first when the map already holds `size`. */
function keepBounded<V>(map: Map<string, V>, size: number, key: string, value: V): void {
  if (!map.has(key) && map.size >= size) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** Parses a stored JSON document; the database only ever holds what the sandbox wrote. */
export function parseDoc<T>(text: unknown): T {
  return JSON.parse(String(text)) as T;
}
