// The totals lists report are counted once per query while nothing changes, and counted again
// after any change: a write on the store's own connection (a trigger's too), a write by another
// connection to the same file, and a transaction rolled back after it counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { SandboxStore } from '../../src/sandbox/store.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-list-count-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNT = 'SELECT count(*) AS n FROM items WHERE kind = ?';

describe('store.count', () => {
  let store: SandboxStore;
  let path: string;
  let cases = 0;
  beforeEach(() => {
    path = join(dir, `store-${cases++}.db`);
    store = new SandboxStore(path, new SandboxClock());
    store.db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, kind TEXT); CREATE TABLE sources (kind TEXT)');
    store.db.exec('CREATE TRIGGER copy AFTER INSERT ON sources BEGIN INSERT INTO items (kind) VALUES (NEW.kind); END');
    const insert = store.db.prepare('INSERT INTO items (kind) VALUES (?)');
    for (let i = 0; i < 10; i++) insert.run(i % 2 === 0 ? 'even' : 'odd');
  });
  afterEach(() => store.close());

  it('counts a query once while nothing changes, each set of parameters on its own', () => {
    const statements = vi.spyOn(store, 'stmt');
    expect(store.count(COUNT, ['even'])).toBe(5);
    expect(store.count(COUNT, ['even'])).toBe(5);
    expect(store.count(COUNT, ['odd'])).toBe(5);
    expect(statements.mock.calls.filter(([sql]) => sql === COUNT)).toHaveLength(2);
  });

  it('counts again after a write on its own connection, and after a write made by a trigger', () => {
    expect(store.count(COUNT, ['even'])).toBe(5);
    store.db.prepare("INSERT INTO items (kind) VALUES ('even')").run();
    expect(store.count(COUNT, ['even'])).toBe(6);
    store.db.prepare("INSERT INTO sources (kind) VALUES ('even')").run();
    expect(store.count(COUNT, ['even'])).toBe(7);
    store.db.prepare("DELETE FROM items WHERE kind = 'even'").run();
    expect(store.count(COUNT, ['even'])).toBe(0);
  });

  it('counts again after another connection to the same file wrote', () => {
    expect(store.count(COUNT, ['odd'])).toBe(5);
    const other = new Database(path);
    try {
      other.prepare("INSERT INTO items (kind) VALUES ('odd')").run();
    } finally {
      other.close();
    }
    expect(store.count(COUNT, ['odd'])).toBe(6);
  });

  it('keeps no count taken inside a transaction that is then rolled back', () => {
    expect(store.count(COUNT, ['odd'])).toBe(5);
    expect(() =>
      store.transaction(() => {
        store.db.prepare("INSERT INTO items (kind) VALUES ('odd')").run();
        expect(store.count(COUNT, ['odd'])).toBe(6);
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(store.count(COUNT, ['odd'])).toBe(5);
  });
});
