import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { listAll, PAGE_SIZE } from '../../src/jumpcloud/paginate.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { json, startLocalServer, type LocalServer } from './local-server.js';

const route = '/api/v2/approvalflows';

/** Items a, b, c… with ids in _id order, as the platform sorts them. */
function items(count: number): { id: string }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `id-${String(i).padStart(4, '0')}` }));
}

describe('listAll over a results-style list that may omit zero values (protobuf JSON)', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
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
