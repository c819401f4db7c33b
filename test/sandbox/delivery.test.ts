// Webhook delivery against a receiver on 127.0.0.1: signatures the standardwebhooks package
// verifies, retries with one webhook-id, Retry-After, dead letters and replay, no redirects, 410,
// timeouts on the sandbox clock, and private addresses refused without --allow-private-webhooks.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { allEvents, exampleFlows, startHarness, submit, type Harness } from './harness.js';
import { Receiver } from './receiver.js';

const signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
const plantedToken = 'planted-url-token-7f3a91';
const plantedAuth = 'Bearer planted-header-secret-c02e';

interface DeliveryShape {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: { result: string; statusCode?: number; error?: string }[];
}

const lifecycleTypes = ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL', 'ACCESS_MANAGEMENT_ASSOCIATION_CHANGE'];

let h: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await h?.close();
  await receiver?.down();
  h = undefined;
  receiver = undefined;
});

async function setUp(
  options: { allowPrivate?: boolean; url?: (r: Receiver) => string; retries?: number; mayWrite?: () => boolean } = {},
): Promise<{ h: Harness; r: Receiver; flows: { user: string; admin: string }; channelId: string }> {
  const r = new Receiver();
  await r.up();
  // Frozen at the real time, so webhook-timestamp passes the receiver's tolerance check.
  const harness = await startHarness({
    hooks: true,
    clock: new SandboxClock({ frozenAt: Date.now() }),
    allowPrivateWebhooks: options.allowPrivate ?? true,
    webhookRetry: { retries: options.retries ?? 3, baseDelayMs: 1000, maxDelayMs: 60_000 },
    ...(options.mayWrite === undefined ? {} : { mayWrite: options.mayWrite }),
  });
  h = harness;
  receiver = r;
  const flows = await exampleFlows(harness);
  const channel = await harness.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', {
    name: 'Audit log',
    url: options.url?.(r) ?? `${r.url('/hook')}/{{TOKEN}}`,
    sensitiveValues: options.url === undefined ? { TOKEN: plantedToken } : {},
    headers: [
      { name: 'X-Source', value: 'accessctl' },
      { name: 'Authorization', value: plantedAuth, sensitive: true },
    ],
    signingSecret,
  });
  expect(channel.status, JSON.stringify(channel.body)).toBe(201);
  const settings = await harness.call('PUT', '/api/v2/approvalflowsettings', {
    channelEvents: [{ channelObjectId: channel.body.id, eventTypes: lifecycleTypes }],
  });
  expect(settings.status).toBe(200);
  return { h: harness, r, flows, channelId: channel.body.id };
}

async function deliveries(harness: Harness): Promise<DeliveryShape[]> {
  return (await harness.call<{ results: DeliveryShape[] }>('GET', '/sandbox/v1/deliveries?limit=1000')).body.results.reverse();
}

describe('webhook delivery', () => {
  it('holds the outcome of an attempt that answers while the database may not be written, and records it once it may', async () => {
    let writable = true;
    const { h, r, flows } = await setUp({ mayWrite: () => writable });
    const answers: (() => void)[] = [];
    r.respond = (_request, response) => answers.push(() => response.writeHead(204).end());
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await r.until(3);
    // The lock's lease lapsed (a pause) while the receiver was answering.
    writable = false;
    for (const answer of answers) answer();
    await h.sandbox.webhooks.whenIdle();
    const recorded = (): { status: string; leased: number; attempts: number }[] =>
      h.sandbox.store
        .stmt('SELECT status, leased, (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts FROM deliveries d ORDER BY id')
        .all() as { status: string; leased: number; attempts: number }[];
    expect(recorded()).toEqual(Array.from({ length: 3 }, () => ({ status: 'pending', leased: 1, attempts: 0 })));
    // A heartbeat confirmed the lock: the next look records what was held, once each, and sends nothing again.
    writable = true;
    h.sandbox.scheduler.kick();
    await h.sandbox.webhooks.whenIdle();
    expect(recorded()).toEqual(Array.from({ length: 3 }, () => ({ status: 'delivered', leased: 0, attempts: 1 })));
    expect(r.received).toHaveLength(3);
  });

  it('POSTs every subscribed event with static headers, filled placeholders and a signature standardwebhooks verifies', async () => {
    const { h, r, flows } = await setUp();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    await r.until(3);
    const verifier = new Webhook(signingSecret);
    const types = r.received.map((request) => {
      expect(request.path).toBe(`/hook/${plantedToken}`);
      expect(request.headers['x-source']).toBe('accessctl');
      expect(request.headers['authorization']).toBe(plantedAuth);
      expect(request.headers['content-type']).toBe('application/json');
      // The body nests the one event under di_events.
      const verified = verifier.verify(request.body, request.headers as Record<string, string>) as { di_events: { event_type: string }[] };
      expect(Object.keys(verified)).toEqual(['di_events']);
      expect(verified.di_events).toHaveLength(1);
      return verified.di_events[0]?.event_type;
    });
    // Created, joined, approved (automatically).
    expect(types).toEqual(['access_management_access_request', 'access_management_association_change', 'access_management_access_request_approval']);
    const events = await allEvents(h);
    const records = await deliveries(h);
    expect(records.map((d) => [d.eventType, d.status])).toEqual([
      ['access_management_access_request', 'delivered'],
      ['access_management_association_change', 'delivered'],
      ['access_management_access_request_approval', 'delivered'],
    ]);
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(records.map((d) => d.id));
    // Secrets appear nowhere the sandbox writes.
    const everything = JSON.stringify([records, events, h.logs, await h.call('GET', '/api/v2/notifications/webhook/channels')]);
    for (const secret of [plantedToken, plantedAuth, signingSecret]) expect(everything).not.toContain(secret);
  });

  it('narrows the deliveries by ?status=, ?eventType=, ?eventId= and ?channelId=, each an exact match', async () => {
    const { h, r, flows, channelId } = await setUp();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    await r.until(3);
    const all = await deliveries(h);
    expect(all).toHaveLength(3);
    const listed = async (query: string): Promise<string[]> =>
      (await h.call<{ results: DeliveryShape[] }>('GET', `/sandbox/v1/deliveries?${query}`)).body.results.map((d) => d.eventType);
    const approval = all.find((d) => d.eventType === 'access_management_access_request_approval')!;
    expect(await listed('eventType=access_management_access_request_approval')).toEqual(['access_management_access_request_approval']);
    expect(await listed(`eventId=${approval.eventId}`)).toEqual(['access_management_access_request_approval']);
    expect(await listed(`channelId=${channelId}&status=delivered`)).toHaveLength(3);
    expect(await listed('status=pending')).toEqual([]);
    expect(await listed('channelId=000000000000000000000000')).toEqual([]);
    // An empty value does not filter; a prefix is not a match.
    expect(await listed('eventType=')).toHaveLength(3);
    expect(await listed('eventType=access_management')).toEqual([]);
  });

  it('retries a receiver that is down until it is up, with one webhook-id per event across attempts', async () => {
    const { h, r, flows } = await setUp();
    await r.down();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    h.sandbox.clock.advance(1000);
    await h.sandbox.webhooks.whenIdle();
    expect((await deliveries(h)).map((d) => d.attempts.map((a) => a.result))).toEqual([
      ['retry', 'retry'],
      ['retry', 'retry'],
      ['retry', 'retry'],
    ]);
    await r.up();
    h.sandbox.clock.advance(2000);
    await h.sandbox.webhooks.whenIdle();
    await r.until(3);
    const records = await deliveries(h);
    expect(records.map((d) => [d.status, d.attempts.length])).toEqual([
      ['delivered', 3],
      ['delivered', 3],
      ['delivered', 3],
    ]);
    expect(r.received.map((x) => x.headers['webhook-id']).sort()).toEqual(records.map((d) => d.id).sort());
    expect(new Set(r.received.map((x) => (JSON.parse(x.body) as { di_events: { id: string }[] }).di_events[0]?.id)).size).toBe(3);
  });

  it('honours Retry-After, dead-letters after the last retry, and replays with the same webhook-id', async () => {
    const { h, r, flows } = await setUp({ retries: 2 });
    r.respond = (_request, response) => response.writeHead(503, { 'retry-after': '30' }).end();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    h.sandbox.clock.advance(2000); // the backoff alone would be due; Retry-After says 30 s
    await h.sandbox.webhooks.whenIdle();
    expect(r.received).toHaveLength(3);
    h.sandbox.clock.advance(28_000);
    await h.sandbox.webhooks.whenIdle();
    expect(r.received).toHaveLength(6);
    h.sandbox.clock.advance(30_000);
    await h.sandbox.webhooks.whenIdle();
    const dead = await deliveries(h);
    expect(dead.map((d) => [d.status, d.attempts.map((a) => a.statusCode)])).toEqual([
      ['dead', [503, 503, 503]],
      ['dead', [503, 503, 503]],
      ['dead', [503, 503, 503]],
    ]);
    r.respond = (_request, response) => response.writeHead(200).end();
    const first = dead[0]?.id ?? '';
    const replay = await h.call<DeliveryShape>('POST', `/sandbox/v1/deliveries/${first}/replay`);
    expect(replay.status).toBe(202);
    await h.sandbox.webhooks.whenIdle();
    expect(r.received.at(-1)?.headers['webhook-id']).toBe(first);
    expect((await deliveries(h))[0]?.status).toBe('delivered');
  });

  it('does not follow a redirect', async () => {
    const { h, r, flows } = await setUp();
    r.respond = (_request, response) => response.writeHead(302, { location: r.url('/elsewhere') }).end();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    expect(r.received.every((x) => x.path.startsWith('/hook/'))).toBe(true);
    expect(r.received).toHaveLength(3);
    const records = await deliveries(h);
    expect(records.map((d) => d.status)).toEqual(['dead', 'dead', 'dead']);
    expect(records[0]?.attempts[0]).toMatchObject({ statusCode: 302, result: 'failed' });
  });

  it('disables the channel when the receiver answers 410', async () => {
    const { h, r, flows, channelId } = await setUp();
    r.respond = (_request, response) => response.writeHead(410).end();
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    const channel = await h.call<{ enabled: boolean }>('GET', `/api/v2/notifications/webhook/channels/${channelId}`);
    expect(channel.body.enabled).toBe(false);
    expect((await deliveries(h)).map((d) => d.attempts[0]?.result)).toContain('gone');
    const before = r.received.length;
    await submit(h, 'bob', { approvalFlowId: flows.user });
    await h.sandbox.webhooks.whenIdle();
    expect(r.received).toHaveLength(before);
  });

  it('times out an attempt after 10 s on the sandbox clock and retries it', async () => {
    const { h, r, flows } = await setUp();
    let hang = true;
    r.respond = (_request, response) => {
      if (!hang) response.writeHead(200).end();
    };
    await submit(h, 'alice', { approvalFlowId: flows.user });
    await r.until(3);
    hang = false;
    h.sandbox.clock.advance(10_000);
    await h.sandbox.webhooks.whenIdle();
    expect((await deliveries(h)).map((d) => d.attempts[0]?.result)).toEqual(['timeout', 'timeout', 'timeout']);
    h.sandbox.clock.advance(1000);
    await h.sandbox.webhooks.whenIdle();
    expect((await deliveries(h)).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('refuses loopback receivers, by address and by name, unless private webhooks are allowed', async () => {
    for (const url of [(r: Receiver) => r.url('/hook'), (r: Receiver) => `http://localhost:${r.port}/hook`]) {
      const { h, r, flows } = await setUp({ allowPrivate: false, url });
      await submit(h, 'alice', { approvalFlowId: flows.user });
      await h.sandbox.webhooks.whenIdle();
      expect(r.received).toHaveLength(0);
      const records = await deliveries(h);
      expect(records.map((d) => [d.status, d.attempts[0]?.result])).toEqual([
        ['dead', 'refused'],
        ['dead', 'refused'],
        ['dead', 'refused'],
      ]);
      expect(records[0]?.attempts[0]?.error).toMatch(/--allow-private-webhooks/);
      await h.close();
      await r.down();
    }
  });

  it('records a delivery that cannot be sent as failed attempts and dead-letters it after the schedule', async () => {
    const { h, r, flows, channelId } = await setUp({ retries: 2 });
    // A channel an older sandbox accepted: header values HTTP cannot carry (now refused on write).
    for (const value of ['Zürich €', 'a\u0001b']) {
      const row = h.sandbox.store.db.prepare('SELECT doc FROM webhook_channels WHERE id = ?').get(channelId) as { doc: string };
      const doc = JSON.parse(row.doc) as { headers: { name: string; value: string; sensitive: boolean }[] };
      doc.headers = [{ name: 'X-Site', value, sensitive: false }];
      h.sandbox.store.db.prepare('UPDATE webhook_channels SET doc = ? WHERE id = ?').run(JSON.stringify(doc), channelId);
      const before = (await deliveries(h)).length;
      await submit(h, value === 'Zürich €' ? 'alice' : 'bob', { approvalFlowId: flows.user });
      await h.sandbox.webhooks.whenIdle();
      const fresh = (await deliveries(h)).slice(before);
      expect(fresh.map((d) => [d.status, d.attempts.map((a) => a.result)])).toEqual(fresh.map(() => ['pending', ['failed']]));
      expect(fresh[0]?.attempts[0]?.error).toBe('the request could not be sent (ERR_INVALID_CHAR); the channel holds a value HTTP cannot carry');
      for (let retry = 0; retry < 2; retry += 1) {
        h.sandbox.clock.advance(60_000);
        await h.sandbox.webhooks.whenIdle();
      }
      const settled = (await deliveries(h)).slice(before);
      expect(settled.map((d) => [d.status, d.attempts.map((a) => a.result)])).toEqual(settled.map(() => ['dead', ['failed', 'failed', 'failed']]));
    }
    expect(r.received).toHaveLength(0);
    expect(JSON.stringify(await deliveries(h))).not.toContain('Zürich');
  });
});
