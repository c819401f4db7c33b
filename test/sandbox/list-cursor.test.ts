// A page sorted by _id that follows one already read is found by seeking past that page's last id,
// not by stepping over every row before it; a seek is never made from a cursor older than the last
// change. Stored documents are parsed once while their text is the same. A name check searches
// the name indexes, not every object of the org.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { parseListQuery, selectPage } from '../../src/sandbox/lists.js';
import { assertNameFree } from '../../src/sandbox/name-index.js';
import { nameKey } from '../../src/sandbox/names.js';
import { createOrganization } from '../../src/sandbox/seed.js';
import { SandboxStore } from '../../src/sandbox/store.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-list-cursor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (n: number) => n.toString(16).padStart(24, '0');

describe('paging by _id', () => {
  let store: SandboxStore;
  let path: string;
  let orgId: string;
  let cases = 0;
  beforeEach(() => {
    path = join(dir, `store-${cases++}.db`);
    store = new SandboxStore(path, new SandboxClock());
    orgId = createOrganization(store, 'Paging');
    // Ids 10, 20, ..., 250: room to put a row between any two.
    for (let i = 1; i <= 25; i++) insertFlow(i * 10);
  });
  afterEach(() => store.close());

  function insertFlow(n: number): void {
    const id = hex(n);
    store
      .stmt('INSERT INTO approval_flows (id, org_id, name, name_key, doc) VALUES (?, ?, ?, ?, ?)')
      .run(id, orgId, `Flow ${n}`, nameKey(`Flow ${n}`), JSON.stringify({ id, name: `Flow ${n}` }));
  }
  const page = (skip: number, sort = '_id') =>
    selectPage(
      store,
      'approval_flows',
      { sql: 'org_id = ?', params: [orgId] },
      parseListQuery(new URLSearchParams({ limit: '10', skip: String(skip), sort }), { name: 'string' }),
      {},
    ).rows.map((row) => Number.parseInt(row.id, 16));
  const seeks = (statements: { mock: { calls: unknown[][] } }) => statements.mock.calls.filter(([sql]) => String(sql).includes('AND id >')).length;
  const range = (from: number, to: number) => Array.from({ length: (to - from) / 10 + 1 }, (_, i) => from + i * 10);

  it('seeks past the last id of the page before, with the rows an OFFSET gives', () => {
    const statements = vi.spyOn(store, 'stmt');
    expect(page(0)).toEqual(range(10, 100));
    expect(page(10)).toEqual(range(110, 200));
    expect(page(20)).toEqual(range(210, 250));
    expect(seeks(statements)).toBe(2);
  });

  it('steps over the rows when no page ended at that skip, and when sorted descending or by another field', () => {
    const statements = vi.spyOn(store, 'stmt');
    expect(page(5)).toEqual(range(60, 150));
    expect(page(0, '-_id')).toEqual(range(160, 250).reverse());
    expect(page(10, '-_id')).toEqual(range(60, 150).reverse());
    expect(page(0, 'name')).toHaveLength(10);
    expect(page(10, 'name')).toHaveLength(10);
    // The descending page after a descending page seeks below its last id; no other did.
    expect(seeks(statements)).toBe(0);
    expect(statements.mock.calls.filter(([sql]) => String(sql).includes('AND id <')).length).toBe(1);
  });

  it('forgets where pages ended when a row is added before them', () => {
    expect(page(0)).toEqual(range(10, 100));
    insertFlow(15);
    const statements = vi.spyOn(store, 'stmt');
    // 100 moved to the second page: a seek past 100 would have lost it.
    expect(page(10)).toEqual(range(100, 190));
    expect(seeks(statements)).toBe(0);
  });

  it('forgets where pages ended when another connection to the file writes', () => {
    expect(page(0)).toEqual(range(10, 100));
    const other = new Database(path);
    try {
      other.prepare('DELETE FROM approval_flows WHERE id = ?').run(hex(50));
    } finally {
      other.close();
    }
    expect(page(10)).toEqual([...range(120, 200), 210]);
  });

  it('keeps no cursor from a page read inside a transaction', () => {
    store.transaction(() => expect(page(0)).toEqual(range(10, 100)));
    const statements = vi.spyOn(store, 'stmt');
    expect(page(10)).toEqual(range(110, 200));
    expect(seeks(statements)).toBe(0);
  });
});

describe('store.parsedDoc', () => {
  let store: SandboxStore;
  beforeEach(() => {
    store = new SandboxStore(':memory:', new SandboxClock());
  });
  afterEach(() => store.close());

  it('parses a row once while its text is the same, again when it changes, and hands out a frozen object', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const first = store.parsedDoc<{ name: string; tags: string[] }>('t', 'a', '{"name":"A","tags":["x"]}');
    const again = store.parsedDoc<{ name: string; tags: string[] }>('t', 'a', '{"name":"A","tags":["x"]}');
    expect(again).toBe(first);
    expect(parse).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(first.tags)).toBe(true);
    expect(() => first.tags.push('y')).toThrow(TypeError);
    const changed = store.parsedDoc<{ name: string }>('t', 'a', '{"name":"B","tags":[]}');
    expect(changed.name).toBe('B');
    // The same id in another table is another row.
    expect(store.parsedDoc<{ name: string }>('u', 'a', '{"name":"C"}').name).toBe('C');
    expect(parse).toHaveBeenCalledTimes(3);
    parse.mockRestore();
  });
});

describe('assertNameFree', () => {
  it('searches the name indexes, not every object of the org', () => {
    const store = new SandboxStore(':memory:', new SandboxClock());
    try {
      const orgId = createOrganization(store, 'Names');
      const statements = vi.spyOn(store, 'stmt');
      assertNameFree(store, 'approval_flows', 'an approval flow', orgId, 'Deploy');
      const sql = String(statements.mock.calls.at(-1)?.[0]);
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(orgId, 'deploy', orgId, 'Deploy') as { detail: string }[]).map((row) => row.detail);
      expect(plan).toContain('SEARCH approval_flows USING INDEX approval_flows_by_name_key (org_id=? AND name_key=?)');
      expect(plan.filter((detail) => detail.startsWith('SEARCH') || detail.startsWith('SCAN'))).toHaveLength(2);
      expect(plan.some((detail) => detail.includes('approval_flows_by_org'))).toBe(false);
    } finally {
      store.close();
    }
  });
});
