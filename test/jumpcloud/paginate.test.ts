import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { listAll, MAX_LIST_ITEMS, PAGE_SIZE } from '../../src/jumpcloud/paginate.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { closedInOrder, json, startLocalServer, type LocalServer } from './local-server.js';

const route = '/api/v2/approvalflows';

/** Items a, b, c… with ids in _id order, as the platform sorts them. */
function items(count: number): { id: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `id-${String(i).padStart(4, '0')}` }));
}

describe('listAll over a results-style list that may omit zero values (protobuf JSON)', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  /** Serves `all` in limit/skip pages; `page` shapes each page's body. */
  async function serve(all: { id: string }[], page: (slice: { id: string }[], total: number) => unknown): Promise<JumpCloudClient> {
    await client?.close();
    await server?.close();
    server = await startLocalServer((request, response) => {
      const query = new URL(request.url, 'http://127.0.0.1').searchParams;
      const skip = Number(query.get('skip'));
      const limit = Number(query.get('limit'));
      json(response, 200, page(all.slice(skip, skip + limit), all.length));
    });
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    return client;
  }

  const skips = () => server!.seen.map((request) => new URL(request.url, 'http://127.0.0.1').searchParams.get('skip'));

  it('reads {} as an empty list', async () => {
    const c = await serve([], () => ({}));
    await expect(listAll(c, route, { style: 'results' })).resolves.toEqual([]);
    expect(skips()).toEqual(['0']);
  });

  it('reads results without totalCount over two and a half pages, until the short page', async () => {
    const all = items(250);
    const c = await serve(all, (slice) => ({ results: slice }));
    await expect(listAll(c, route, { style: 'results' })).resolves.toEqual(all);
    expect(skips()).toEqual(['0', '100', '200']);
  });

  it('reads results without totalCount of exactly two pages, ending on the empty third page sent as {}', async () => {
    const all = items(2 * PAGE_SIZE);
    const c = await serve(all, (slice) => (slice.length === 0 ? {} : { results: slice }));
    await expect(listAll(c, route, { style: 'results' })).resolves.toEqual(all);
    expect(skips()).toEqual(['0', '100', '200']);
  });

  it('still checks totalCount when it is present: a list that ends short of it is an error', async () => {
    const all = items(150);
    // Promises 200 but has only 150: the list changed or the platform lost some.
    const c = await serve(all, (slice) => ({ results: slice, totalCount: 200 }));
    const failure = await listAll(c, route, { style: 'results' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).message).toMatch(/the list ended after 150 of 200 items/);
  });

  it('keeps the total promised by an earlier page when a later page omits it', async () => {
    const all = items(150);
    const c = await serve(all, (slice) => (slice[0]?.id === all[0]?.id ? { results: slice, totalCount: 200 } : { results: slice }));
    await expect(listAll(c, route, { style: 'results' })).rejects.toThrow(/the list ended after 150 of 200 items/);
  });

  it('reads a list with totalCount to its total', async () => {
    const all = items(205);
    const c = await serve(all, (slice, total) => ({ results: slice, totalCount: total }));
    await expect(listAll(c, route, { style: 'results' })).resolves.toEqual(all);
    expect(skips()).toEqual(['0', '100', '200']);
  });

  it('refuses a page whose results or totalCount has the wrong type', async () => {
    const c = await serve(items(3), () => ({ results: 'none', totalCount: '3' }));
    await expect(listAll(c, route, { style: 'results' })).rejects.toThrow(/expected \{results, totalCount\}/);
    const arrayBody = await serve(items(3), (slice) => slice);
    await expect(listAll(arrayBody, route, { style: 'results' })).rejects.toThrow(/expected \{results, totalCount\}/);
  });
});

describe('listAll against a target whose list never ends', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  async function serve(page: (skip: number) => unknown): Promise<JumpCloudClient> {
    server = await startLocalServer((request, response) => {
      const skip = Number(new URL(request.url, 'http://127.0.0.1').searchParams.get('skip'));
      json(response, 200, page(skip));
    });
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    return client;
  }

  /** A full page of fresh ids at every skip, forever, and no totalCount. */
  const endless = (skip: number): { id: string; name: string }[] =>
    Array.from({ length: PAGE_SIZE }, (_, i) => ({ id: `g-${skip + i}`, name: `Group ${skip + i}` }));

  it('stops at the bound with an error naming it, after reading no more than the bound', async () => {
    const c = await serve(endless);
    const failure = await listAll(c, '/api/v2/usergroups', { style: 'array', maxItems: 1000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).message).toMatch(/GET \/api\/v2\/usergroups answered 200: the list did not end after 1000 items/);
    // Ten full pages make 1000; the eleventh would pass the bound.
    expect(server!.seen).toHaveLength(11);
  });

  it('bounds every list by default, generously', () => {
    expect(MAX_LIST_ITEMS).toBeGreaterThanOrEqual(1_000_000);
  });

  it('refuses a totalCount above the bound before reading on', async () => {
    const c = await serve((skip) => ({ results: endless(skip), totalCount: 1e12 }));
    await expect(listAll(c, route, { style: 'results', maxItems: 5000 })).rejects.toThrow(
      /the list promises 1000000000000 items, more than the 5000 accessctl reads/,
    );
    expect(server!.seen).toHaveLength(1);
  });

  it('refuses a list whose pages repeat the same items, on the second page', async () => {
    const c = await serve(() => endless(0));
    await expect(listAll(c, '/api/v2/usergroups', { style: 'array' })).rejects.toThrow(/item 100 repeats the id "g-0" of an earlier item/);
    expect(server!.seen).toHaveLength(2);
  });

  it('refuses a results list whose pages repeat, with or without v1 _id', async () => {
    const c = await serve(() => ({
      results: [
        { _id: 'u-1' },
        ...endless(0)
          .slice(1)
          .map((item) => ({ _id: item.id })),
      ],
    }));
    await expect(listAll(c, '/api/systemusers', { style: 'results' })).rejects.toThrow(/item 100 repeats the id "u-1"/);
  });

  it('names the index of the first item that fails the check', async () => {
    const c = await serve((skip) => (skip === 0 ? endless(0) : [{ id: 'g-x', name: 'X' }, { id: 7 }]));
    const check = (item: unknown): string | undefined => (typeof (item as { id?: unknown }).id === 'string' ? undefined : 'id is not a string');
    await expect(listAll(c, '/api/v2/usergroups', { style: 'array', check })).rejects.toThrow(/answered 200: item 101: id is not a string/);
  });
});
