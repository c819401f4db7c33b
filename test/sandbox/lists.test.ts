// List conventions: limit (default 10, max 100), skip, sort (-field, _id), fields, and
// filter=field:op:value repeated as AND; and paging by _id while other clients write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubAdminFlow, startHarness, type Harness } from './harness.js';

type FlowList = {
  results: { id: string; name: string; status: string; timeBasedAccess: boolean; description?: string }[];
  totalCount: number;
};

describe('lists', () => {
  let h: Harness;
  const names: string[] = [];
  beforeAll(async () => {
    h = await startHarness({ hooks: true });
    for (let i = 0; i < 25; i += 1) {
      const name = `Flow ${String(i).padStart(2, '0')}`;
      names.push(name);
      const overrides: Record<string, unknown> = {
        name,
        status: i % 5 === 0 ? 'inactive' : 'active',
        description: i % 2 === 0 ? 'even' : 'odd',
      };
      if (i % 3 === 0) Object.assign(overrides, { timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_UNSPECIFIED', fixedDuration: undefined });
      const answer = await h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, overrides));
      expect(answer.status).toBe(200);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  const list = async (query: string) => h.call<FlowList>('GET', `/api/v2/approvalflows${query}`);
  const namesOf = (body: FlowList) => body.results.map((r) => r.name);

  it('returns 10 by default, in creation order, with the total', async () => {
    const answer = await list('');
    expect(namesOf(answer.body)).toEqual(names.slice(0, 10));
    expect(answer.body.totalCount).toBe(25);
  });

  it('pages with limit and skip', async () => {
    expect(namesOf((await list('?limit=5&skip=20')).body)).toEqual(names.slice(20));
    expect(namesOf((await list('?limit=100&skip=24')).body)).toEqual(names.slice(24));
    expect((await list('?skip=30')).body).toEqual({ results: [], totalCount: 25 });
  });

  it.each(['limit=101', 'limit=0', 'limit=ten', 'skip=-1', 'skip=1.5'])('refuses %s with 400', async (query) => {
    const answer = await list(`?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'BAD_REQUEST', details: [{ field: query.split('=')[0] }] });
  });

  it('sorts by a field, descending with -, and by _id', async () => {
    expect(namesOf((await list('?sort=-name&limit=3')).body)).toEqual(['Flow 24', 'Flow 23', 'Flow 22']);
    expect(namesOf((await list('?sort=-_id&limit=2')).body)).toEqual(['Flow 24', 'Flow 23']);
    expect(namesOf((await list('?sort=_id&limit=2')).body)).toEqual(['Flow 00', 'Flow 01']);
    // Ties on status break by _id, so the order is total.
    expect(namesOf((await list('?sort=status,-name&limit=6')).body)).toEqual(['Flow 24', 'Flow 23', 'Flow 22', 'Flow 21', 'Flow 19', 'Flow 18']);
  });

  it.each([
    ['name:eq:Flow 07', ['Flow 07']],
    ['status:ne:active', ['Flow 00', 'Flow 05', 'Flow 10', 'Flow 15', 'Flow 20']],
    ['name:gt:Flow 22', ['Flow 23', 'Flow 24']],
    ['name:ge:Flow 23', ['Flow 23', 'Flow 24']],
    ['name:lt:Flow 02', ['Flow 00', 'Flow 01']],
    ['name:le:Flow 01', ['Flow 00', 'Flow 01']],
    ['name:in:Flow 03|Flow 04|Nope', ['Flow 03', 'Flow 04']],
    ['name:search:low 1', ['Flow 10', 'Flow 11', 'Flow 12', 'Flow 13', 'Flow 14', 'Flow 15', 'Flow 16', 'Flow 17', 'Flow 18', 'Flow 19']],
    ['timeBasedAccess:eq:false', ['Flow 00', 'Flow 03', 'Flow 06', 'Flow 09', 'Flow 12', 'Flow 15', 'Flow 18', 'Flow 21', 'Flow 24']],
  ])('filters with %s', async (filter, expected) => {
    const answer = await list(`?limit=100&filter=${encodeURIComponent(filter)}`);
    expect(answer.status).toBe(200);
    expect(namesOf(answer.body)).toEqual(expected);
    expect(answer.body.totalCount).toBe(expected.length);
  });

  it('ANDs repeated filters', async () => {
    const answer = await list(`?limit=100&filter=${encodeURIComponent('status:eq:inactive')}&filter=${encodeURIComponent('description:eq:even')}`);
    expect(namesOf(answer.body)).toEqual(['Flow 00', 'Flow 10', 'Flow 20']);
  });

  it('treats % and _ in a search as plain characters', async () => {
    expect((await list(`?filter=${encodeURIComponent('name:search:%')}`)).body.totalCount).toBe(0);
  });

  it.each([
    ['nofield', 'filter'],
    ['name:like:x', 'filter'],
    ['secret:eq:x', 'filter'],
    ['timeBasedAccess:eq:maybe', 'filter'],
  ])('refuses the filter %s with 400', async (filter, field) => {
    const answer = await list(`?filter=${encodeURIComponent(filter)}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ details: [{ field }] });
  });

  it('refuses sorting by an unknown field', async () => {
    expect((await list('?sort=-password')).status).toBe(400);
  });

  it('returns only the requested fields, plus the id', async () => {
    const answer = await h.call<{ results: Record<string, unknown>[] }>('GET', '/api/v2/approvalflows?limit=1&fields=name,status');
    expect(answer.body.results).toEqual([{ id: expect.any(String), name: 'Flow 00', status: 'inactive' }]);
  });

  it('applies the same conventions to v1 and v2 directory lists', async () => {
    const users = await h.call<{ results: { username: string }[]; totalCount: number }>(
      'GET',
      '/api/systemusers?sort=-username&limit=2&filter=department:eq:Security',
    );
    expect(users.body).toEqual({
      results: [expect.objectContaining({ username: 'heidi.sec' }), expect.objectContaining({ username: 'grace.sec' })],
      totalCount: 2,
    });
    const groups = await h.call<{ name: string }[]>('GET', `/api/v2/usergroups?sort=name&filter=${encodeURIComponent('name:search:GitHub')}`);
    expect(groups.body.map((g) => g.name)).toEqual(['GitHub Admins', 'GitHub Users']);
    expect((await h.call('GET', '/api/v2/usergroups?limit=101')).status).toBe(400);
  });

  it('neither drops nor repeats a row when paging by _id while others create and update', async () => {
    const before = (await list('?limit=100&sort=_id')).body.results.map((r) => r.id);
    const seen: string[] = [];
    let skip = 0;
    let round = 0;
    for (;;) {
      const page = await list(`?limit=7&skip=${skip}&sort=_id`);
      seen.push(...page.body.results.map((r) => r.id));
      if (page.body.results.length < 7) break;
      skip += 7;
      // Another client writes between our pages: new flows, and renames of ones already listed.
      round += 1;
      const writes = [
        h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: `Concurrent ${round}a` })),
        h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: `Concurrent ${round}b` })),
        h.call('PUT', `/api/v2/approvalflows/${before[round] ?? ''}`, await githubAdminFlow(h, { name: `Renamed ${round}` })),
      ];
      expect((await Promise.all(writes)).map((w) => w.status)).toEqual([200, 200, 200]);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, before.length)).toEqual(before);
  });

  it('neither drops nor repeats a row when paging by _id:gt while others create and delete', async () => {
    const before = (await list('?limit=100&sort=_id')).body.results.map((r) => r.id);
    const deleted = new Set<string>();
    const seen: string[] = [];
    let after = '';
    let round = 0;
    for (;;) {
      const filter = after === '' ? '' : `&filter=${encodeURIComponent(`_id:gt:${after}`)}`;
      const page = await list(`?limit=6&sort=_id${filter}`);
      seen.push(...page.body.results.map((r) => r.id));
      if (page.body.results.length < 6) break;
      after = page.body.results.at(-1)?.id ?? '';
      // Another client deletes a flow already listed and one not yet listed, and creates one.
      round += 1;
      const behind = before[round * 2];
      const ahead = before[before.length - round];
      for (const id of [behind, ahead]) {
        if (id === undefined || deleted.has(id)) continue;
        expect((await h.call('DELETE', `/api/v2/approvalflows/${id}`)).status).toBe(200);
        deleted.add(id);
      }
      expect((await h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: `Keyset ${round}` }))).status).toBe(200);
    }
    expect(new Set(seen).size).toBe(seen.length);
    // Every flow that existed throughout was listed exactly once.
    const survivors = before.filter((id) => !deleted.has(id));
    expect(survivors.filter((id) => !seen.includes(id))).toEqual([]);
  });

  it('keeps new ids after every existing one even when the clock goes back', async () => {
    const last = (await list('?limit=1&sort=-_id')).body.results[0]?.id ?? '';
    await h.call('POST', '/sandbox/v1/clock', { set: '2001-01-01T00:00:00Z' });
    await h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'From The Past' }));
    const newest = (await list('?limit=1&sort=-_id')).body.results[0];
    expect(newest?.name).toBe('From The Past');
    expect((newest?.id ?? '') > last).toBe(true);
  });

  it('keeps ids 24 hex and increasing when the clock goes past 2106 and back', async () => {
    const ids: string[] = [(await list('?limit=1&sort=-_id')).body.results[0]?.id ?? ''];
    const create = async (name: string): Promise<void> => {
      const answer = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name }));
      expect(answer.status).toBe(200);
      ids.push(answer.body.id);
    };
    await h.call('POST', '/sandbox/v1/clock', { set: '2107-03-01T00:00:00Z' });
    await create('After 2106 a');
    await create('After 2106 b');
    await h.call('POST', '/sandbox/v1/clock', { set: '2026-03-02T00:00:00Z' });
    await create('Back in 2026');
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Paging by _id meets them in creation order, at the end.
    const newest = (await list('?limit=3&sort=-_id')).body.results.map((r) => r.name);
    expect(newest).toEqual(['Back in 2026', 'After 2106 b', 'After 2106 a']);
  });

  it('hands out 24-hex ids again after an older sandbox left a 25-hex one behind', async () => {
    h.sandbox.store.setMeta('last_id', '1000000000000000000000005');
    const answer = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'After The Overflow' }));
    expect(answer.body.id).toBe('ffffffff0000000000000006');
    const newest = (await list('?limit=1&sort=-_id')).body.results[0];
    expect(newest?.name).toBe('After The Overflow');
  });
});
