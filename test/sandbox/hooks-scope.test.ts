// Test hooks are scoped: an org's admin key reads and replays only its own org's mail and webhook
// deliveries, and the global hooks (clock, faults, rate limit, request counts) open only to the
// sandbox's operator key, which opens nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeedFile } from '../../src/sandbox/seed.js';
import { startHarness, type Harness } from './harness.js';

const orgA = '65a0000000000000000000aa';
const orgB = '65a0000000000000000000bb';
const keyA = 'sandbox-test-admin-key-org-a';
const keyB = 'sandbox-test-admin-key-org-b';
const multiKey = 'sandbox-test-admin-key-both-orgs';

const group = (name: string, members: string[] = []) => ({ name, members });
const twoOrgs: SeedFile = {
  organizations: [
    {
      id: orgA,
      name: 'Org A',
      users: [{ username: 'ann', email: 'ann@a.example', firstname: 'Ann', lastname: 'A' }],
      groups: [group('Staff A', ['ann']), group('Granted A')],
      channels: [{ id: '65a00000000000000000aac1', name: 'Hook A', url: 'https://hooks-a.example.com/in' }],
    },
    {
      id: orgB,
      name: 'Org B',
      users: [{ username: 'bea', email: 'bea@b.example', firstname: 'Bea', lastname: 'B' }],
      groups: [group('Staff B', ['bea']), group('Granted B')],
      channels: [{ id: '65a00000000000000000bbc1', name: 'Hook B', url: 'https://hooks-b.example.com/in' }],
    },
  ],
  adminKeys: [
    { name: 'A admin', email: 'admin@a.example', key: keyA, organizations: ['Org A'] },
    { name: 'B admin', email: 'admin@b.example', key: keyB, organizations: ['Org B'] },
    { name: 'MSP admin', email: 'msp@example.com', key: multiKey },
  ],
};

type Listed = { results: { organization: string; id: string }[]; totalCount: number };

describe('test hooks are scoped', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: twoOrgs, hooks: true });
    // In each org: Access Requests on, a channel subscribed, and one request granted at once.
    for (const [key, channel, staff, granted, user] of [
      [keyA, '65a00000000000000000aac1', 'Staff A', 'Granted A', 'ann'],
      [keyB, '65a00000000000000000bbc1', 'Staff B', 'Granted B', 'bea'],
    ] as const) {
      const as = { 'x-api-key': key };
      const settings = await h.call(
        'PUT',
        '/api/v2/approvalflowsettings',
        {
          resourceRequest: true,
          channelEvents: [{ channelObjectId: channel, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
        },
        as,
      );
      expect(settings.status).toBe(200);
      const groups = await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups', undefined, as);
      const id = (name: string) => groups.body.find((g) => g.name === name)?.id ?? '';
      const flow = await h.call<{ id: string }>(
        'POST',
        '/api/v2/approvalflows',
        { name: 'Auto', category: 'Application', resourceType: 'user_group', resourceId: id(granted), visibleTo: [id(staff)], approvalType: 'automated' },
        as,
      );
      const submitted = await h.call(
        'POST',
        '/api/v2/approvalflowrequest',
        { approvalFlowId: flow.body.id, remarks: 'scoped' },
        { ...as, 'x-sandbox-act-as': user },
      );
      expect(submitted.status).toBe(201);
    }
    await h.sandbox.webhooks.whenIdle();
  });
  afterAll(async () => {
    await h.close();
  });

  const orgsOf = (listed: Listed) => [...new Set(listed.results.map((r) => r.organization))];

  it("gives an org's admin key its own org's mail and deliveries only", async () => {
    for (const [headers, org] of [
      [{ 'x-api-key': keyA }, orgA],
      [{ 'x-api-key': keyB }, orgB],
      [{ 'x-api-key': multiKey, 'x-org-id': orgB }, orgB],
    ] as const) {
      const mail = await h.call<Listed>('GET', '/sandbox/v1/mail?limit=100', undefined, headers);
      expect(mail.status).toBe(200);
      expect(mail.body.totalCount).toBeGreaterThan(0);
      expect(orgsOf(mail.body)).toEqual([org]);
      const deliveries = await h.call<Listed>('GET', '/sandbox/v1/deliveries', undefined, headers);
      expect(deliveries.body.totalCount).toBeGreaterThan(0);
      expect(orgsOf(deliveries.body)).toEqual([org]);
    }
    // A multi-org key names its org, as on every org route.
    expect((await h.call('GET', '/sandbox/v1/mail', undefined, { 'x-api-key': multiKey })).status).toBe(401);
  });

  it("lets an org's admin key replay its own deliveries, and answers 404 for another org's", async () => {
    const ofB = (await h.call<Listed>('GET', '/sandbox/v1/deliveries', undefined, { 'x-api-key': keyB })).body.results[0]?.id ?? '';
    const fromA = await h.call('POST', `/sandbox/v1/deliveries/${ofB}/replay`, undefined, { 'x-api-key': keyA });
    expect(fromA.status).toBe(404);
    expect((await h.call('POST', `/sandbox/v1/deliveries/${ofB}/replay`, undefined, { 'x-api-key': keyB })).status).toBe(202);
    expect((await h.hook('POST', `/sandbox/v1/deliveries/${ofB}/replay`)).status).toBe(202);
  });

  it('gives the operator key every org', async () => {
    expect(orgsOf((await h.hook<Listed>('GET', '/sandbox/v1/mail?limit=100')).body).sort()).toEqual([orgA, orgB]);
    expect(orgsOf((await h.hook<Listed>('GET', '/sandbox/v1/deliveries')).body).sort()).toEqual([orgA, orgB]);
    expect((await h.hook('GET', '/sandbox/v1/mail', undefined, { 'x-org-id': orgA })).status).toBe(403);
  });

  it.each([
    ['GET', '/sandbox/v1/clock', undefined],
    ['POST', '/sandbox/v1/clock', { advanceMs: 1 }],
    ['GET', '/sandbox/v1/faults', undefined],
    ['PUT', '/sandbox/v1/faults', { rules: [{ route: '*', errorRate: 1 }] }],
    ['GET', '/sandbox/v1/ratelimit', undefined],
    ['PUT', '/sandbox/v1/ratelimit', { rateLimit: { capacity: 1, refillPerSecond: 0.001 } }],
    ['GET', '/sandbox/v1/requests', undefined],
    ['DELETE', '/sandbox/v1/requests', undefined],
  ])('opens %s %s to the operator key alone', async (method, path, body) => {
    for (const key of [keyA, keyB, multiKey]) {
      const refused = await h.call<{ message: string }>(method, path, body, { 'x-api-key': key });
      expect(refused.status, key).toBe(403);
      expect(refused.body.message).toBe(
        "this test hook needs the sandbox's operator key (printed at start with --enable-test-hooks), not an organization's API key",
      );
    }
    expect((await h.call(method, path, body, { 'x-api-key': 'sandbox-not-a-key' })).status).toBe(401);
    expect((await h.call(method, path, body, { 'x-api-key': '' })).status).toBe(401);
    // Nothing an org key sent took effect: the sandbox still answers, unfaulted and unlimited.
    expect((await h.call('GET', '/api/v2/usergroups', undefined, { 'x-api-key': keyA })).status).toBe(200);
    expect((await h.hook<{ rules: unknown[] }>('GET', '/sandbox/v1/faults')).body.rules).toEqual([]);
    expect((await h.hook(method, path, method === 'PUT' ? (path.endsWith('faults') ? { rules: [] } : { rateLimit: null }) : body)).status).toBeLessThan(300);
  });

  it('opens nothing but the test hooks to the operator key, and never stores it', async () => {
    const answer = await h.call<{ message: string }>('GET', '/api/v2/usergroups', undefined, { 'x-api-key': h.sandbox.operatorKey ?? '' });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe('the operator key opens only the test hooks under /sandbox/v1; use an API key');
    const operatorKey = h.sandbox.operatorKey ?? '';
    expect(operatorKey).toMatch(/^sandbox_operator_[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(h.sandbox.store.db.prepare('SELECT * FROM api_keys').all())).not.toContain(operatorKey);
    expect(h.logs.join('\n')).not.toContain(operatorKey);
  });
});
