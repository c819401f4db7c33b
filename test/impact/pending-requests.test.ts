// Reading the pending requests a plan reports: per flow id, both waiting statuses, with the query
// the published API takes; a filter the platform ignored does not count decided requests; a list
// that never ends or ends short is unknown, never a wrong count.
import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { MAX_PENDING_REQUESTS, readPendingRequests } from '../../src/jumpcloud/live.js';
import { json, startLocalServer, type LocalServer } from '../jumpcloud/local-server.js';

interface Request {
  id: string;
  approvalFlowId: string;
  status: string;
}

let server: LocalServer | undefined;
let client: JumpCloudClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function serve(answer: (query: URLSearchParams) => unknown): Promise<JumpCloudClient> {
  server = await startLocalServer((request, response) => json(response, 200, answer(new URL(request.url, 'http://127.0.0.1').searchParams)));
  client = new JumpCloudClient({
    baseUrl: server.url,
    apiKey: 'k',
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
  });
  return client;
}

/** Serves `all` filtered by status:eq:, in limit/skip pages with a total. */
function queue(all: Request[], options: { ignoreFilter?: boolean } = {}): (query: URLSearchParams) => unknown {
  return (query) => {
    const status = /^status:eq:(.+)$/.exec(query.get('filter') ?? '')?.[1];
    const matching = options.ignoreFilter ? all : all.filter((r) => r.status === status);
    const skip = Number(query.get('skip'));
    const limit = Number(query.get('limit'));
    return { results: matching.slice(skip, skip + limit), totalCount: matching.length };
  };
}

const request = (i: number, flow: string, status: string): Request => ({ id: `r${i}`, approvalFlowId: flow, status });

describe('readPendingRequests', () => {
  it('counts pending and missing-data requests per flow, over pages, asking for two fields', async () => {
    const all = [
      ...Array.from({ length: 150 }, (_, i) => request(i, 'flow-a', 'pending')),
      request(200, 'flow-b', 'missing_data'),
      request(201, 'flow-b', 'granted'),
      request(202, 'flow-a', 'denied'),
    ];
    const read = await readPendingRequests(await serve(queue(all)));
    expect(read).toEqual({
      status: 'ok',
      value: new Map([
        ['flow-a', 150],
        ['flow-b', 1],
      ]),
    });
    const queries = server!.seen.map((r) => new URL(r.url, 'http://127.0.0.1').searchParams);
    expect(queries.map((q) => [q.get('filter'), q.get('skip')])).toEqual([
      ['status:eq:pending', '0'],
      ['status:eq:pending', '100'],
      ['status:eq:missing_data', '0'],
    ]);
    expect(queries[0]?.getAll('fields')).toEqual(['approvalFlowId', 'status']);
    expect(server!.seen.every((r) => r.method === 'GET' && r.url.startsWith('/api/v2/approvalflowrequest?'))).toBe(true);
  });

  it('does not count decided requests when the platform ignores the filter', async () => {
    const all = [request(1, 'flow-a', 'pending'), request(2, 'flow-a', 'granted'), request(3, 'flow-a', 'missing_data')];
    expect(await readPendingRequests(await serve(queue(all, { ignoreFilter: true })))).toEqual({ status: 'ok', value: new Map([['flow-a', 2]]) });
  });

  it('reads {} (protobuf JSON for no requests) as none', async () => {
    expect(await readPendingRequests(await serve(() => ({})))).toEqual({ status: 'ok', value: new Map() });
  });

  it('is unknown when the list ends short of its total, or is not a list', async () => {
    const short = await readPendingRequests(await serve((q) => ({ results: q.get('skip') === '0' ? [request(1, 'f', 'pending')] : [], totalCount: 5 })));
    expect(short).toMatchObject({ status: 'unknown', reason: expect.stringContaining('the list ended after 1 of 5 items') });
    await client?.close();
    await server?.close();
    const wrong = await readPendingRequests(await serve(() => [request(1, 'f', 'pending')]));
    expect(wrong).toMatchObject({ status: 'unknown', reason: expect.stringContaining('expected {results, totalCount}') });
  });

  it(`stops after ${MAX_PENDING_REQUESTS.toLocaleString('en-US')} requests of a list that never ends`, async () => {
    const page = Array.from({ length: 100 }, (_, i) => request(i, 'f', 'pending'));
    const read = await readPendingRequests(await serve(() => ({ results: page })));
    expect(read).toMatchObject({ status: 'unknown', reason: expect.stringContaining(`more than ${MAX_PENDING_REQUESTS} pending requests`) });
    expect(server!.seen.length).toBe(MAX_PENDING_REQUESTS / 100 + 1);
  });
});
