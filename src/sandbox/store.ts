// The sandbox's durable state: one SQLite database (WAL, synchronous FULL) holding the directory,
// approval flows, settings, webhook channels and the event log. Owns ids and transactions.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SandboxClock } from './clock.js';
import { migrate } from './migrations.js';

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
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string, clock: SandboxClock) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.path = path;
    this.clock = clock;
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: an acknowledged write survives power loss, not just a killed process.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db, clock.nowIso());
    if (this.getMeta('hmac_key') === undefined) this.setMeta('hmac_key', randomBytes(32).toString('hex'));
  }

  /** A cached prepared statement. */
  stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs fn in one IMMEDIATE transaction: its writes and the events it records commit together. */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }

  /**
   * A new 24-hex object id, strictly greater than every id this database has handed out: the
   * first 8 digits follow the clock's seconds, the rest count. So a list sorted by _id only ever
   * grows at its end, and paging by _id stays stable while others create objects.
   */
  newId(): string {
    // Read back from the database each time, inside the caller's transaction, so two processes
    // sharing one file cannot hand out the same id.
    const last = BigInt(`0x${this.getMeta('last_id') ?? '0'}`);
    const fromClock = BigInt(Math.max(0, Math.floor(this.clock.nowMs() / 1000))) << 64n;
    const next = fromClock > last ? fromClock : last + 1n;
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
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}

/** Parses a stored JSON document; the database only ever holds what the sandbox wrote. */
export function parseDoc<T>(text: unknown): T {
  return JSON.parse(String(text)) as T;
}
