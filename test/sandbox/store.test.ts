// The store: versioned migrations that run once and refuse a newer database, WAL on disk,
// and ids that only grow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { migrate, migrations } from '../../src/sandbox/migrations.js';
import { SandboxStore } from '../../src/sandbox/store.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('run each version once and record it', () => {
    const db = new Database(':memory:');
    expect(migrate(db, '2026-01-01T00:00:00Z')).toEqual(migrations.map((m) => m.version));
    expect(migrate(db, '2026-01-02T00:00:00Z')).toEqual([]);
    expect(db.prepare('SELECT version, applied_at FROM schema_migrations').all()).toEqual(
      migrations.map((m) => ({ version: m.version, applied_at: '2026-01-01T00:00:00Z' })),
    );
    db.close();
  });

  it('apply a new version on top of an existing database', () => {
    const db = new Database(':memory:');
    migrate(db, 'then');
    const next = { version: 99, name: 'test column', sql: 'ALTER TABLE orgs ADD COLUMN note TEXT' };
    expect(migrate(db, 'now', [...migrations, next])).toEqual([99]);
    expect(db.prepare("SELECT name FROM pragma_table_info('orgs') WHERE name = 'note'").get()).toEqual({ name: 'note' });
    db.close();
  });

  it('refuse a database written by a newer sandbox', () => {
    const db = new Database(':memory:');
    migrate(db, 'then', [...migrations, { version: 500, name: 'future', sql: 'SELECT 1' }]);
    expect(() => migrate(db, 'now')).toThrow(/schema version 500/);
    db.close();
  });

  it('move events filed under access_management to Directory Insights service directory (version 4)', () => {
    const db = new Database(':memory:');
    migrate(
      db,
      'then',
      migrations.filter((m) => m.version <= 3),
    );
    const event = (id: string) => JSON.stringify({ id, event_type: 'access_management_approval_flow_create', service: 'access_management' });
    db.prepare(
      `INSERT INTO events (id, org_id, event_type, service, timestamp_ms, doc) VALUES ('e1', 'o', 'access_management_approval_flow_create', 'access_management', 1, ?)`,
    ).run(event('e1'));
    const delivery = db.prepare(
      `INSERT INTO deliveries (id, org_id, channel_id, event_id, event_type, payload, status, created_at) VALUES (?, 'o', 'c', ?, 't', ?, ?, 'then')`,
    );
    delivery.run('d-pending', 'e1', event('e1'), 'pending');
    delivery.run('d-sent', 'e0', event('e0'), 'delivered');
    expect(
      migrate(
        db,
        'now',
        migrations.filter((m) => m.version <= 4),
      ),
    ).toEqual([4]);
    const row = db.prepare('SELECT service, doc FROM events').get() as { service: string; doc: string };
    expect(row.service).toBe('directory');
    expect(JSON.parse(row.doc)).toMatchObject({ id: 'e1', service: 'directory' });
    const payloads = db.prepare('SELECT id, payload FROM deliveries ORDER BY id').all() as { id: string; payload: string }[];
    expect(payloads.map((p) => [p.id, (JSON.parse(p.payload) as { service: string }).service])).toEqual([
      ['d-pending', 'directory'],
      ['d-sent', 'access_management'],
    ]);
    db.close();
  });

  it('roll back a migration that fails, leaving it unrecorded', () => {
    const db = new Database(':memory:');
    migrate(db, 'then');
    const broken = { version: 98, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table' };
    expect(() => migrate(db, 'now', [...migrations, broken])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(db.prepare('SELECT version FROM schema_migrations WHERE version = 98').get()).toBeUndefined();
    db.close();
  });
});

describe('SandboxStore', () => {
  it('opens a file database in WAL mode, creating its folder', () => {
    const store = new SandboxStore(join(dir, 'nested', 'folder', 'sandbox.db'), new SandboxClock());
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    store.close();
  });

  it('hands out 24-hex ids that keep growing across reopen and a clock set backwards', () => {
    const path = join(dir, 'ids.db');
    const clock = new SandboxClock({ frozenAt: Date.parse('2030-01-01T00:00:00Z') });
    const first = new SandboxStore(path, clock);
    const a = first.newId();
    const b = first.newId();
    first.close();
    clock.set(Date.parse('2000-01-01T00:00:00Z'));
    const second = new SandboxStore(path, clock);
    const c = second.newId();
    second.close();
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect([a, b, c]).toEqual([a, b, c].slice().sort());
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('keeps its fingerprint key across reopen', () => {
    const path = join(dir, 'key.db');
    const first = new SandboxStore(path, new SandboxClock());
    const key = first.hmacKey().toString('hex');
    first.close();
    const second = new SandboxStore(path, new SandboxClock());
    expect(second.hmacKey().toString('hex')).toBe(key);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    second.close();
  });
});

describe('store.kept', () => {
  it('reads once while nothing changes, again after any write, and shares a frozen value', () => {
    const store = new SandboxStore(':memory:', new SandboxClock());
    try {
      store.db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT)');
      let reads = 0;
      const read = () => {
        reads++;
        return { kinds: (store.db.prepare('SELECT kind FROM items ORDER BY id').all() as { kind: string }[]).map((row) => row.kind) };
      };
      expect(store.kept('kinds', read)).toEqual({ kinds: [] });
      const first = store.kept('kinds', read);
      expect(reads).toBe(1);
      expect(Object.isFrozen(first) && Object.isFrozen(first.kinds)).toBe(true);
      store.db.prepare("INSERT INTO items (kind) VALUES ('a')").run();
      expect(store.kept('kinds', read)).toEqual({ kinds: ['a'] });
      expect(reads).toBe(2);
      // Another key is another reading.
      store.kept('other', read);
      expect(reads).toBe(3);
      // A kept value's JSON text is written once; any other value has none kept.
      const kept = store.kept('kinds', read);
      const stringify = vi.spyOn(JSON, 'stringify');
      expect(store.keptJson(kept)).toBe('{"kinds":["a"]}');
      expect(store.keptJson(kept)).toBe('{"kinds":["a"]}');
      expect(stringify).toHaveBeenCalledTimes(1);
      stringify.mockRestore();
      expect(store.keptJson({ kinds: ['a'] })).toBeUndefined();
      expect(store.keptJson('text')).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('keeps nothing read inside a transaction, nor what a read that throws saw', () => {
    const store = new SandboxStore(':memory:', new SandboxClock());
    try {
      let reads = 0;
      store.transaction(() => {
        store.kept('inside', () => ++reads);
        store.kept('inside', () => ++reads);
      });
      expect(reads).toBe(2);
      expect(() =>
        store.kept('failing', () => {
          throw new Error('no');
        }),
      ).toThrow('no');
      expect(store.kept('failing', () => 'read')).toBe('read');
    } finally {
      store.close();
    }
  });
});
