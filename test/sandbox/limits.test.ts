// What keeps loopback traffic from knocking the sandbox over: list filters and Insights arrays have
// documented caps (400 past them), the prepared-statement cache is bounded however many query shapes
// arrive, and Insights numbers and timestamps that cannot be used are 400, never 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaps } from '../../src/sandbox/lists.js';
import { maxEventServices } from '../../src/sandbox/openapi.js';
import { statementCacheSize } from '../../src/sandbox/store.js';
import { exampleFlows, startHarness, submit, userKeys, type Harness } from './harness.js';

type ErrorBody = { code: string; message: string; details: { field: string; message: string }[] };

const values = (count: number, prefix = 'v'): string => Array.from({ length: count }, (_, i) => `${prefix}${i}`).join('|');

describe('caps on what a query may ask for', () => {
  let h: Harness;
  const asUser = { 'x-api-key': userKeys.alice };
  beforeAll(async () => {
    h = await startHarness();
    const flows = await exampleFlows(h);
    await submit(h, 'alice', { approvalFlowId: flows.user });
  });
  afterAll(async () => {
    await h.close();
  });

  const requests = (query: string, headers: Record<string, string> = asUser) =>
    h.call<ErrorBody>('GET', `/api/v2/approvalflowrequest?${query}`, undefined, headers);

  it(`takes ${listCaps.inValues} values in one in filter and refuses one more, for an ordinary user key too`, async () => {
    expect((await requests(`filter=${encodeURIComponent(`status:in:${values(listCaps.inValues)}`)}`)).status).toBe(200);
    for (const query of [
      `filter=${encodeURIComponent(`status:in:${values(listCaps.inValues + 1)}`)}`,
      `status=${encodeURIComponent(values(listCaps.inValues + 1))}`,
      `filter=status:in:${Array(4000).fill('a').join('|')}`,
    ]) {
      const answer = await requests(query);
      expect(answer.status, query.slice(0, 40)).toBe(400);
      expect(answer.body.details).toEqual([{ field: 'filter', message: expect.stringMatching(/^got \d+$/) }]);
      expect(answer.body.message).toBe(`filter takes at most ${listCaps.inValues} values in one in filter (status)`);
    }
    const flows = await h.call<ErrorBody>('GET', `/api/v2/approvalflows?filter=${encodeURIComponent(`name:in:${values(101)}`)}`);
    expect(flows.status).toBe(400);
  });

  it('refuses too many filters, sort fields or projected fields, and an overlong filter value', async () => {
    const filters = Array.from({ length: listCaps.filters + 1 }, () => `filter=${encodeURIComponent('status:ne:x')}`).join('&');
    expect((await requests(filters)).body.details[0]?.field).toBe('filter');
    expect((await requests(Array.from({ length: listCaps.filters }, () => `filter=${encodeURIComponent('status:ne:x')}`).join('&'))).status).toBe(200);
    expect(
      (
        await requests(
          `sort=${Array(listCaps.sortFields + 1)
            .fill('status')
            .join(',')}`,
        )
      ).body.details[0]?.field,
    ).toBe('sort');
    expect(
      (
        await requests(
          `fields=${Array(listCaps.fields + 1)
            .fill('status')
            .join(',')}`,
        )
      ).body.details[0]?.field,
    ).toBe('fields');
    const long = await requests(`filter=${encodeURIComponent(`status:eq:${'x'.repeat(listCaps.filterValue + 1)}`)}`);
    expect(long.status).toBe(400);
    expect(long.body.details[0]?.field).toBe('filter');
  });

  it(`keeps at most ${statementCacheSize} prepared statements however many query shapes arrive`, async () => {
    const fields = ['status', 'approvalType', 'approvalFlowId', 'createdAt', 'updatedAt'];
    let sent = 0;
    for (let count = 1; count <= listCaps.inValues; count += 1) {
      const batch = fields.map((field) => requests(`filter=${encodeURIComponent(`${field}:in:${values(count)}`)}`));
      for (const answer of await Promise.all(batch)) expect(answer.status).toBe(200);
      sent += batch.length;
    }
    expect(sent).toBeGreaterThan(statementCacheSize * 1.5);
    // Every shape was new, so the cache filled up to its bound and stayed there.
    expect(h.sandbox.store.cachedStatements).toBe(statementCacheSize);
    // Evicted statements are prepared again when they come back.
    expect((await requests(`filter=${encodeURIComponent(`status:in:${values(1)}`)}`)).status).toBe(200);
    expect((await h.call('GET', '/api/v2/approvalflows')).status).toBe(200);
  });
});

describe('Insights input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const query = (body: Record<string, unknown>) => h.call<ErrorBody>('POST', '/insights/directory/v1/events', body);
  const from = '2026-01-01T00:00:00Z';

  it(`takes ${maxEventServices} services and refuses more with 400, 40,000 included`, async () => {
    const services = (n: number) => Array.from({ length: n }, (_, i) => `service-${i}`);
    expect((await query({ service: services(maxEventServices), start_time: from })).status).toBe(200);
    for (const n of [maxEventServices + 1, 40_000]) {
      const answer = await query({ service: services(n), start_time: from });
      expect(answer.status, String(n)).toBe(400);
      expect(answer.body.details).toEqual([{ field: 'service', message: `must have at most ${maxEventServices} items` }]);
    }
  });

  it.each([
    ['skip of 1e300', { skip: 1e300 }, 'skip'],
    ['a skip past the safe integers', { skip: 2 ** 60 }, 'skip'],
    ['a fractional limit', { limit: 1.5 }, 'limit'],
    ['a search_after of 1e300', { search_after: [1e300, 1] }, 'search_after[0]'],
    ['a start_time that names no instant', { start_time: '2026-99-99T99:99:99Z' }, 'start_time'],
    ['an end_time that names no instant', { end_time: '2026-02-30T25:00:00Z' }, 'end_time'],
  ])('answers 400, not 500 or an empty page, to %s', async (_what, change, field) => {
    const answer = await query({ service: ['all'], start_time: from, ...change });
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d) => d.field)).toEqual([field]);
  });
});
