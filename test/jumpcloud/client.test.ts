import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { JumpCloudClient, clientOptionsFromEnv } from '../../src/jumpcloud/client.js';
import { listAll } from '../../src/jumpcloud/paginate.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { TokenBucket } from '../../src/jumpcloud/rate-limit.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';
import { closedInOrder, json, ManualClock, startLocalServer, type LocalServer } from './local-server.js';

/** A client whose waiting is recorded instead of slept, and whose waits move the sandbox clock. */
function testClient(h: Harness, clock: SandboxClock, overrides: Partial<ConstructorParameters<typeof JumpCloudClient>[0]> = {}) {
  const delays: number[] = [];
  let now = 0;
  const client = new JumpCloudClient({
    baseUrl: h.sandbox.url,
    apiKey: h.sandbox.adminKey,
    now: () => now,
    sleep: async (ms) => {
      delays.push(ms);
      now += ms;
      clock.advance(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  return { client, delays };
}

describe('the platform client against a real sandbox', () => {
  const clock = new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') });
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ hooks: true, clock });
    for (let i = 0; i < 205; i++) {
      const answer = await h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: `Flow ${String(i).padStart(3, '0')}` }));
      expect(answer.status).toBe(200);
    }
  });
  afterAll(async () => h.close());
  afterEach(async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    await h.call('PUT', '/sandbox/v1/ratelimit', { rateLimit: null });
  });

  it('reads a {results, totalCount} list in pages of 100 sorted by _id', async () => {
    const { client } = testClient(h, clock);
    const flows = await listAll<{ id: string; name: string }>(client, routes.flows, { style: 'results' });
    expect(flows).toHaveLength(205);
    expect(new Set(flows.map((f) => f.id)).size).toBe(205);
    expect(client.requests.entries()).toEqual([{ method: 'GET', route: routes.flows, status: '200', count: 3 }]);
    await client.close();
  });

  it('reads a bare-array list (user groups) to the end', async () => {
    const { client } = testClient(h, clock);
    const groups = await listAll<{ name: string }>(client, routes.groups, { style: 'array' });
    expect(groups.map((g) => g.name)).toContain('GitHub Admins');
    expect(client.requests.total({ route: routes.groups })).toBe(1);
    await client.close();
  });

  it('retries a 503 with exponential backoff and full jitter, then gives up after the attempt bound', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/approvalflowsettings', errorRate: 1, status: 503 }] });
    const { client, delays } = testClient(h, clock, { retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250, retryAfterCapMs: 60_000 } });
    const failure = await client.get(routes.settings).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).status).toBe(503);
    // random() is 0.5: half of min(max, base * 2^(n-1)) for retries 1..3
    expect(delays).toEqual([50, 100, 125]);
    expect(client.requests.entries()).toEqual([{ method: 'GET', route: routes.settings, status: '503', count: 4 }]);
    await client.close();
  });

  it("honours the sandbox rate limit's Retry-After in seconds", async () => {
    expect((await h.call('PUT', '/sandbox/v1/ratelimit', { rateLimit: { capacity: 1, refillPerSecond: 0.25 } })).status).toBe(200);
    const { client, delays } = testClient(h, clock);
    await client.get(routes.settings);
    const settings = await client.get<{ resourceRequest?: boolean }>(routes.settings);
    expect(settings).toHaveProperty('resourceRequest');
    // Retry-After, then full jitter over the first backoff window: 0.5 of 250 ms.
    expect(delays).toEqual([4000 + 125]);
    expect(client.requests.entries()).toEqual([
      { method: 'GET', route: routes.settings, status: '200', count: 2 },
      { method: 'GET', route: routes.settings, status: '429', count: 1 },
    ]);
    await client.close();
  });

  it('retries a GET whose connection was reset', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { seed: 7, rules: [{ route: 'GET /api/v2/approvalflowsettings', resetRate: 0.5 }] });
    const { client } = testClient(h, clock, { retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    for (let i = 0; i < 6; i++) await client.get(routes.settings);
    const counted = client.requests.entries();
    expect(counted.find((c) => c.status === 'error')?.count ?? 0).toBeGreaterThan(0);
    expect(counted.find((c) => c.status === '200')?.count).toBe(6);
    await client.close();
  });

  async function flowsNamed(client: JumpCloudClient, name: string): Promise<{ id: string }[]> {
    const page = await client.get<{ results: { id: string }[] }>(routes.flows, undefined, { filter: `name:eq:${name}` });
    return page.results;
  }

  it('does not duplicate a POST whose connection broke after the platform committed it', async () => {
    const faults = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', resetAfterRate: 1 }] });
    expect(faults.status).toBe(200);
    const { client } = testClient(h, clock, { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    const body = await githubAdminFlow(h, { name: 'Created once' });
    const created = await client.create<{ id: string }>(routes.flows, {}, body, async () => (await flowsNamed(client, 'Created once'))[0]);
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    expect(await flowsNamed(client, 'Created once')).toEqual([expect.objectContaining({ id: created.id })]);
    expect(client.requests.total({ method: 'POST' })).toBe(1);
    await client.close();
  });

  it('POSTs again when the re-read shows the first attempt never landed', async () => {
    const faults = await h.call('PUT', '/sandbox/v1/faults', { seed: 7, rules: [{ route: 'POST /api/v2/approvalflows', resetRate: 0.5 }] });
    expect(faults.status).toBe(200);
    const { client } = testClient(h, clock, { retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    const body = await githubAdminFlow(h, { name: 'Created after resets' });
    await client.create<{ id: string }>(routes.flows, {}, body, async () => (await flowsNamed(client, 'Created after resets'))[0]);
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    expect(await flowsNamed(client, 'Created after resets')).toHaveLength(1);
    // Seed 7 draws 0.01, 0.06, 0.98: two resets before the POST that lands.
    expect(client.requests.total({ method: 'POST' })).toBe(3);
    await client.close();
  });

  it("turns an error answer into a PlatformError with the status and JumpCloud's message, never the key", async () => {
    const { client } = testClient(h, clock);
    const failure = await client.create(routes.flows, {}, { name: 'Broken' }, async () => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).status).toBe(400);
    expect((failure as PlatformError).message).toContain('invalid approval flow');
    expect(JSON.stringify({ message: (failure as Error).message, details: (failure as PlatformError).details })).not.toContain(h.sandbox.adminKey);
    await client.close();
  });

  it('does not retry a 400, a 404 or a 409', async () => {
    const { client, delays } = testClient(h, clock);
    await expect(client.get(routes.flow, { approvalFlowId: '000000000000000000000000' })).rejects.toMatchObject({ status: 404 });
    expect(delays).toEqual([]);
    await client.close();
  });

  const quickRetry = { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } };

  async function newFlowId(name: string): Promise<string> {
    const answer = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name }));
    expect(answer.status).toBe(200);
    return answer.body.id;
  }

  // Seed 7 draws 0.01 then 0.06: against a rate of 0.05 the first request is carried out and its
  // connection cut before the answer, and the second is answered.
  const cutFirstAnswer = (route: string) => ({ seed: 7, rules: [{ route, resetAfterRate: 0.05 }] });

  it('remove() resolves confirmedByRetry when the retry of a DELETE that landed answers 404', async () => {
    const id = await newFlowId('Removed across a cut connection');
    expect((await h.call('PUT', '/sandbox/v1/faults', cutFirstAnswer(`DELETE ${routes.flow}`))).status).toBe(200);
    const { client } = testClient(h, clock, quickRetry);
    await expect(client.remove(routes.flow, { approvalFlowId: id })).resolves.toEqual({ confirmedByRetry: true });
    expect(client.requests.total({ method: 'DELETE', status: 'error' })).toBe(1);
    expect(client.requests.total({ method: 'DELETE', status: 404 })).toBe(1);
    expect((await h.call('GET', `/api/v2/approvalflows/${id}`)).status).toBe(404);
    await client.close();
  });

  it('remove() of an object that is absent on the first attempt is a 404 error, and a plain delete is not confirmedByRetry', async () => {
    const { client } = testClient(h, clock, quickRetry);
    const failure = await client.remove(routes.flow, { approvalFlowId: '000000000000000000000000' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).status).toBe(404);
    const id = await newFlowId('Removed at once');
    await expect(client.remove(routes.flow, { approvalFlowId: id })).resolves.toEqual({ confirmedByRetry: false });
    expect(client.requests.total({ method: 'DELETE' })).toBe(2);
    await client.close();
  });

  async function groupWithoutApps(name: string): Promise<{ groupId: string; appId: string; associated: () => Promise<string[]> }> {
    const group = await h.call<{ id: string }>('POST', '/api/v2/usergroups', { name });
    expect(group.status).toBe(201);
    const apps = await h.call<{ results: { _id: string }[] }>('GET', '/api/applications');
    const appId = apps.body.results[0]?._id;
    if (appId === undefined) throw new Error('the seed has no application');
    const associated = async () =>
      (await h.call<{ to: { id: string } }[]>('GET', `/api/v2/usergroups/${group.body.id}/associations?targets=application`)).body.map((c) => c.to.id);
    return { groupId: group.body.id, appId, associated };
  }

  it('relate() resolves confirmedByRetry when a retry answers 409 to an add or 404 to a remove that landed', async () => {
    const { groupId, appId, associated } = await groupWithoutApps('Related across cut connections');
    const { client } = testClient(h, clock, quickRetry);
    const params = { group_id: groupId };
    expect((await h.call('PUT', '/sandbox/v1/faults', cutFirstAnswer(`POST ${routes.groupAssociations}`))).status).toBe(200);
    await expect(client.relate(routes.groupAssociations, params, { op: 'add', type: 'application', id: appId })).resolves.toEqual({ confirmedByRetry: true });
    expect(await associated()).toEqual([appId]);
    expect((await h.call('PUT', '/sandbox/v1/faults', cutFirstAnswer(`POST ${routes.groupAssociations}`))).status).toBe(200);
    await expect(client.relate(routes.groupAssociations, params, { op: 'remove', type: 'application', id: appId })).resolves.toEqual({
      confirmedByRetry: true,
    });
    expect(await associated()).toEqual([]);
    expect(client.requests.entries()).toEqual(
      expect.arrayContaining([
        { method: 'POST', route: routes.groupAssociations, status: 'error', count: 2 },
        { method: 'POST', route: routes.groupAssociations, status: '409', count: 1 },
        { method: 'POST', route: routes.groupAssociations, status: '404', count: 1 },
      ]),
    );
    await client.close();
  });

  it('relate() on the first attempt: a 409 to an add and a 404 to a remove are errors', async () => {
    const { groupId, appId } = await groupWithoutApps('Related twice');
    const { client } = testClient(h, clock, quickRetry);
    const params = { group_id: groupId };
    const add = { op: 'add', type: 'application', id: appId } as const;
    await expect(client.relate(routes.groupAssociations, params, add)).resolves.toEqual({ confirmedByRetry: false });
    await expect(client.relate(routes.groupAssociations, params, add)).rejects.toMatchObject({ name: 'PlatformError', status: 409 });
    const remove = { op: 'remove', type: 'application', id: appId } as const;
    await expect(client.relate(routes.groupAssociations, params, remove)).resolves.toEqual({ confirmedByRetry: false });
    await expect(client.relate(routes.groupAssociations, params, remove)).rejects.toMatchObject({ name: 'PlatformError', status: 404 });
    expect(client.requests.total({ method: 'POST' })).toBe(4);
    await client.close();
  });
});

describe('the platform client with answers the sandbox cannot give', () => {
  it('honours Retry-After given as an HTTP date, cut to the cap', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('https://api.example.test');
    const now = Date.parse('2026-03-01T09:00:00Z');
    pool
      .intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' })
      .reply(503, { message: 'busy' }, { headers: { 'retry-after': new Date(now + 5000).toUTCString() } });
    pool
      .intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' })
      .reply(429, { message: 'slow down' }, { headers: { 'retry-after': new Date(now + 3_600_000).toUTCString() } });
    pool.intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' }).reply(200, { resourceRequest: true });
    const delays: number[] = [];
    const client = new JumpCloudClient({
      baseUrl: 'https://api.example.test',
      apiKey: 'k',
      dispatcher: agent,
      now: () => now,
      sleep: async (ms) => void delays.push(ms),
      // No jitter on top of the 429's shared pause, so the delays are Retry-After's alone.
      random: () => 0,
      retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 30_000 },
    });
    await expect(client.get(routes.settings)).resolves.toEqual({ resourceRequest: true });
    expect(delays).toEqual([5000, 30_000]);
    await agent.close();
  });

  it('sends x-api-key and, for multi-org keys, x-org-id', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://api.example.test')
      .intercept({ path: '/api/v2/approvalflowsettings', method: 'GET', headers: { 'x-api-key': 'the-key', 'x-org-id': 'org123' } })
      .reply(200, {});
    const client = new JumpCloudClient({ baseUrl: 'https://api.example.test', apiKey: 'the-key', orgId: 'org123', dispatcher: agent });
    await expect(client.get(routes.settings)).resolves.toEqual({});
    await agent.close();
  });

  it('refuses to start without JUMPCLOUD_API_KEY, naming the variable', () => {
    expect(() => clientOptionsFromEnv({})).toThrow(/JUMPCLOUD_API_KEY/);
    expect(() => clientOptionsFromEnv({ JUMPCLOUD_API_KEY: 'k' }, 'ftp://x')).toThrow(/--target/);
    expect(clientOptionsFromEnv({ JUMPCLOUD_API_KEY: 'k', JUMPCLOUD_ORG_ID: 'o' })).toEqual({
      baseUrl: 'https://console.jumpcloud.com',
      apiKey: 'k',
      orgId: 'o',
    });
  });
});

describe('the platform client under 429s and retried deletes, against a local server', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  function clientOf(url: string, clock: ManualClock, retry?: ConstructorParameters<typeof JumpCloudClient>[0]['retry']): JumpCloudClient {
    client = new JumpCloudClient({ baseUrl: url, apiKey: 'k', now: clock.now, sleep: clock.sleep, random: () => 0.5, ...(retry ? { retry } : {}) });
    return client;
  }

  const statusesSeen = (s: LocalServer, at: number[]) => s.seen.map((request, i) => `${request.method} ${at[i]}`);

  it("holds calls that never sent at the shared pause of another call's 429, without using up their attempts", async () => {
    const clock = new ManualClock();
    const sentAt: number[] = [];
    server = await startLocalServer((_request, response) => {
      sentAt.push(clock.now());
      if (clock.now() < 2000) json(response, 429, { message: 'slow down' }, { 'retry-after': '2' });
      else json(response, 200, { ok: true });
    });
    // One attempt only: a 429 must not count as a failed try.
    const c = clientOf(server.url, clock, { attempts: 1, baseDelayMs: 250, maxDelayMs: 10_000, retryAfterCapMs: 60_000 });
    const first = c.get(routes.settings);
    // Fails at once, not by timing out, when the 429 ends the call instead of holding it.
    await Promise.race([clock.untilAsleep(1), first]);
    const others = [c.get(routes.settings), c.get(routes.settings)];
    await clock.untilAsleep(3);
    // Both later calls are waiting at the gate and have sent nothing.
    expect(server.seen).toHaveLength(1);
    const answers = await clock.drive(Promise.all([first, ...others]));
    expect(answers).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(c.requests.total({ status: 429 })).toBe(1);
    expect(c.requests.total()).toBe(4);
    // Retry-After of 2 s plus jitter (0.5 of 250 ms) for all; the two let go after the probe take their own jitter.
    expect(sentAt).toEqual([0, 2125, 2250, 2250]);
  });

  it('20 concurrent GETs under a sustained 429 all succeed, with about one 429 per pause after the first burst', async () => {
    const clock = new ManualClock();
    server = await startLocalServer((_request, response) => {
      if (clock.now() < 10_000) json(response, 429, { message: 'slow down' }, { 'retry-after': '1' });
      else json(response, 200, { ok: true });
    });
    const c = clientOf(server.url, clock);
    const all = Promise.all(Array.from({ length: 20 }, () => c.get<{ ok: boolean }>(routes.settings)));
    // Time stands still until all 20 first requests are in: they are all answered 429.
    await server.untilSeen(20);
    const answers = await clock.drive(all);
    expect(answers.every((answer) => answer.ok)).toBe(true);
    const limited = c.requests.total({ status: 429 });
    // The first 20 all go out before any answer; after that one probe per pause of at least 1 s
    // until 10 s, and no more: without the single probe every waiter would go out each pause.
    expect(limited).toBeGreaterThanOrEqual(20);
    expect(limited).toBeLessThanOrEqual(20 + 10);
    expect(c.requests.total({ status: 200 })).toBe(20);
    expect(server.seen).toHaveLength(limited + 20);
    expect(clock.now()).toBeGreaterThanOrEqual(10_000);
  });

  it('gives up with a 429 PlatformError once a call has been held back longer than the rate-limit budget', async () => {
    const clock = new ManualClock();
    server = await startLocalServer((_request, response) => json(response, 429, { message: 'slow down' }, { 'retry-after': '60' }));
    const c = clientOf(server.url, clock, { attempts: 5, baseDelayMs: 250, maxDelayMs: 10_000, retryAfterCapMs: 60_000, rateLimitBudgetMs: 150_000 });
    const failure = await clock.drive(c.get(routes.settings)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).status).toBe(429);
    expect((failure as PlatformError).message).toMatch(/still rate limited after 150s/);
    // Waits of 60 s (+ jitter): the third 429 would have meant waiting past 150 s.
    expect(server.seen).toHaveLength(3);
    expect(clock.delays).toEqual([60_125, 60_250]);
  });

  it('a 404 to a DELETE retried after a 429 is an error (nothing was carried out), after a 503 it confirms the delete', async () => {
    const clock = new ManualClock();
    const script: number[] = [429, 404, 503, 404];
    server = await startLocalServer((_request, response) => {
      const status = script.shift() ?? 500;
      json(response, status, { message: `scripted ${status}` }, status === 429 ? { 'retry-after': '1' } : {});
    });
    const c = clientOf(server.url, clock);
    const afterLimit = await clock.drive(c.remove(routes.flow, { approvalFlowId: 'a' })).catch((error: unknown) => error);
    expect(afterLimit).toBeInstanceOf(PlatformError);
    expect((afterLimit as PlatformError).status).toBe(404);
    await expect(clock.drive(c.remove(routes.flow, { approvalFlowId: 'b' }))).resolves.toEqual({ confirmedByRetry: true });
    expect(statusesSeen(server, [1, 2, 3, 4])).toEqual(['DELETE 1', 'DELETE 2', 'DELETE 3', 'DELETE 4']);
    expect(server.seen.map((r) => r.url)).toEqual(['/api/v2/approvalflows/a', '/api/v2/approvalflows/a', '/api/v2/approvalflows/b', '/api/v2/approvalflows/b']);
  });

  it('keeps the last value of each rate-limit header it saw, and only those', async () => {
    const clock = new ManualClock();
    let remaining = 100;
    server = await startLocalServer((_request, response) => {
      remaining--;
      const headers = { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': String(remaining), 'x-request-id': `r${remaining}` };
      if (remaining === 99) json(response, 429, { message: 'slow down' }, { ...headers, 'retry-after': '1', 'ratelimit-policy': '100;w=60' });
      else json(response, 200, { ok: true }, { ...headers, 'ratelimit-reset': '30' });
    });
    const c = clientOf(server.url, clock);
    expect(c.rateLimitHeadersSeen()).toEqual({});
    await clock.drive(c.get(routes.settings));
    await c.get(routes.settings);
    const seen = c.rateLimitHeadersSeen();
    expect(seen).toEqual({
      'ratelimit-policy': '100;w=60',
      'ratelimit-reset': '30',
      'retry-after': '1',
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '97',
    });
    seen['x-ratelimit-limit'] = 'changed';
    expect(c.rateLimitHeadersSeen()['x-ratelimit-limit']).toBe('100');
  });

  it('refuses an answer larger than its bound once, without retrying or holding it in memory', async () => {
    server = await startLocalServer((_request, response) => json(response, 200, { results: ['x'.repeat(4096)], totalCount: 1 }));
    const clock = new ManualClock();
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', now: clock.now, sleep: clock.sleep, maxAnswerBytes: 1024 });
    const failure = await client.get('/api/v2/approvalflows').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).message).toMatch(/larger than 1024 bytes/);
    expect(server.seen).toHaveLength(1);
  });
});

describe('the token bucket', () => {
  it('lets a burst through at once, then paces requests at the steady rate', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(
      { perSecond: 10, burst: 3 },
      () => now,
      async (ms) => {
        waits.push(ms);
        now += ms;
      },
    );
    for (let i = 0; i < 6; i++) await bucket.take();
    expect(waits).toEqual([100, 100, 100]);
  });
});
