// Test hooks (--enable-test-hooks): the clock endpoint, the per-key token bucket (429 with
// Retry-After), injected errors, latency and connection resets, and per-route request counts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allEvents, startHarness, type Harness } from './harness.js';

describe('test hooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hooks: true });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    await h.call('PUT', '/sandbox/v1/ratelimit', { rateLimit: null });
  });

  it('reads and advances the sandbox clock, which stamps events', async () => {
    const before = await h.call<{ now: string; frozen: boolean }>('GET', '/sandbox/v1/clock');
    expect(before.body).toMatchObject({ now: '2026-03-01T09:00:00.000Z', frozen: true });
    const after = await h.call<{ now: string }>('POST', '/sandbox/v1/clock', { advanceMs: 3_600_000 });
    expect(after.body.now).toBe('2026-03-01T10:00:00.000Z');
    await h.call('POST', '/api/v2/usergroups', { name: 'Stamped' });
    const events = await allEvents(h);
    expect(events.at(-1)?.timestamp).toBe('2026-03-01T10:00:00.000Z');
  });

  it('refuses a malformed clock change', async () => {
    expect((await h.call('POST', '/sandbox/v1/clock', { advanceMs: -5 })).status).toBe(400);
    expect((await h.call('POST', '/sandbox/v1/clock', { set: 'yesterday' })).status).toBe(400);
  });

  it('rate-limits each key with a token bucket, answering 429 with Retry-After until the clock refills it', async () => {
    const set = await h.call('PUT', '/sandbox/v1/ratelimit', { rateLimit: { capacity: 2, refillPerSecond: 0.5 } });
    expect(set.body).toEqual({ rateLimit: { capacity: 2, refillPerSecond: 0.5 } });
    expect((await h.call('GET', '/api/v2/approvalflows')).status).toBe(200);
    expect((await h.call('GET', '/api/v2/approvalflows')).status).toBe(200);
    const limited = await h.call('GET', '/api/v2/approvalflows');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 429 });
    // Another key has its own bucket.
    const userKey = 'sandbox-demo-user-alice-not-a-secret';
    expect((await h.call('GET', '/api/v2/approvalflows', undefined, { 'x-api-key': userKey })).status).toBe(403);
    await h.call('POST', '/sandbox/v1/clock', { advanceMs: 1_999 });
    expect((await h.call('GET', '/api/v2/approvalflows')).status).toBe(429);
    await h.call('POST', '/sandbox/v1/clock', { advanceMs: 1 });
    expect((await h.call('GET', '/api/v2/approvalflows')).status).toBe(200);
  });

  it('answers injected errors on the chosen route only', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/approvalflows', errorRate: 1, status: 503 }] });
    const failed = await h.call('GET', '/api/v2/approvalflows');
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ code: 'SERVICE_UNAVAILABLE', message: 'injected fault', status: 503 });
    expect((await h.call('GET', '/api/v2/usergroups')).status).toBe(200);
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: '*', errorRate: 1, status: 504 }] });
    expect((await h.call('GET', '/api/v2/usergroups')).body).toEqual({ code: 'GATEWAY_TIMEOUT', message: 'injected fault', status: 504 });
  });

  it('draws error rates from a seeded generator, so a run can be replayed', async () => {
    const run = async (): Promise<number[]> => {
      await h.call('PUT', '/sandbox/v1/faults', { seed: 42, rules: [{ route: '*', errorRate: 0.5, status: 502 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) statuses.push((await h.call('GET', '/api/v2/usergroups')).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(502);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('delays a request by the injected latency on the sandbox clock', async () => {
    await h.call('DELETE', '/sandbox/v1/requests');
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/approvalflowsettings', latencyMs: 30_000 }] });
    let done = false;
    const slow = h.call('GET', '/api/v2/approvalflowsettings').then((answer) => {
      done = true;
      return answer;
    });
    // Wait until the sandbox has the request in hand (the counter sees it), then check it is held.
    for (;;) {
      const counts = await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests');
      if (counts.body.counts['GET /api/v2/approvalflowsettings'] === 1) break;
    }
    expect((await h.call('GET', '/api/v2/usergroups')).status).toBe(200);
    expect(done).toBe(false);
    await h.call('POST', '/sandbox/v1/clock', { advanceMs: 30_000 });
    expect((await slow).status).toBe(200);
  });

  it('resets connections when told to', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/usergroups', resetRate: 1 }] });
    await expect(h.call('GET', '/api/v2/usergroups')).rejects.toThrow(/fetch failed/);
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    expect((await h.call('GET', '/api/v2/usergroups')).status).toBe(200);
  });

  it('refuses an invalid fault rule, naming the field', async () => {
    const answer = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /x', errorRate: 2, status: 418 }] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ details: [{ field: 'rules[0].errorRate' }, { field: 'rules[0].status' }] });
  });

  it('refuses an invalid rate limit', async () => {
    expect((await h.call('PUT', '/sandbox/v1/ratelimit', {})).status).toBe(400);
    const answer = await h.call('PUT', '/sandbox/v1/ratelimit', { rateLimit: { capacity: -1, refillPerSecond: 0 } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ details: [{ field: 'rateLimit.capacity' }, { field: 'rateLimit.refillPerSecond' }] });
  });

  it('counts requests per route and resets the counts', async () => {
    await h.call('DELETE', '/sandbox/v1/requests');
    await h.call('GET', '/api/v2/approvalflows');
    await h.call('GET', '/api/v2/approvalflows');
    await h.call('GET', `/api/v2/usergroups/${'a'.repeat(24)}`);
    const counts = await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests');
    expect(counts.body.counts).toEqual({
      'GET /api/v2/approvalflows': 2,
      'GET /api/v2/usergroups/{id}': 1,
      'GET /sandbox/v1/requests': 1,
    });
  });
});

describe('without --enable-test-hooks', () => {
  it('serves no /sandbox/v1 route and applies no rate limit', async () => {
    const h = await startHarness();
    try {
      expect((await h.call('GET', '/sandbox/v1/clock')).status).toBe(404);
      expect((await h.call('PUT', '/sandbox/v1/faults', { rules: [] })).status).toBe(404);
      const statuses = await Promise.all(Array.from({ length: 30 }, () => h.call('GET', '/api/v2/approvalflows')));
      expect(statuses.every((a) => a.status === 200)).toBe(true);
    } finally {
      await h.close();
    }
  });
});
