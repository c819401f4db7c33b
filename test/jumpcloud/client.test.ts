import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { JumpCloudClient, clientOptionsFromEnv } from '../../src/jumpcloud/client.js';
import { listAll } from '../../src/jumpcloud/paginate.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { TokenBucket } from '../../src/jumpcloud/rate-limit.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';

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
    expect(delays).toEqual([4000]);
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
});

describe('the platform client with answers the sandbox cannot give', () => {
  it('honours Retry-After given as an HTTP date, cut to the cap', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('https://api.example.test');
    const now = Date.parse('2026-03-01T09:00:00Z');
    pool.intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' }).reply(503, { message: 'busy' }, { headers: { 'retry-after': new Date(now + 5000).toUTCString() } });
    pool.intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' }).reply(429, { message: 'slow down' }, { headers: { 'retry-after': new Date(now + 3_600_000).toUTCString() } });
    pool.intercept({ path: '/api/v2/approvalflowsettings', method: 'GET' }).reply(200, { resourceRequest: true });
    const delays: number[] = [];
    const client = new JumpCloudClient({
      baseUrl: 'https://api.example.test',
      apiKey: 'k',
      dispatcher: agent,
      now: () => now,
      sleep: async (ms) => void delays.push(ms),
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
    expect(clientOptionsFromEnv({ JUMPCLOUD_API_KEY: 'k', JUMPCLOUD_ORG_ID: 'o' })).toEqual({ baseUrl: 'https://console.jumpcloud.com', apiKey: 'k', orgId: 'o' });
  });
});

describe('the token bucket', () => {
  it('lets a burst through at once, then paces requests at the steady rate', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    for (let i = 0; i < 6; i++) await bucket.take();
    expect(waits).toEqual([100, 100, 100]);
  });
});
