// Webhook channels: the shape, unique names, URL placeholders, and write-only secrets that come
// back masked with an HMAC fingerprint — and never appear in responses, events or logs.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, startHarness, type Harness } from './harness.js';

// Planted fake secrets: every test below checks they never come back out.
const token = 'planted-url-token-7f3a9c';
const auth = 'Bearer planted-header-secret-51d2';
const signing = `whsec_${Buffer.from('planted-signing-secret-0123456789ab').toString('base64')}`;
const planted = [token, auth, signing, 'planted-url-token', 'planted-header-secret', Buffer.from('planted-signing-secret-0123456789ab').toString('base64')];

type Channel = {
  id: string;
  name: string;
  url: string;
  sensitiveValues: Record<string, string>;
  headers: { name: string; value: string; sensitive: boolean }[];
  signingSecret?: string;
  secretsFingerprint: string;
};

const siem = (overrides: Record<string, unknown> = {}) => ({
  name: 'Audit log',
  url: 'https://siem.example.com/ingest/{{TOKEN}}',
  enabled: true,
  verifySsl: true,
  sensitiveValues: { TOKEN: token },
  headers: [
    { name: 'X-Source', value: 'accessctl' },
    { name: 'Authorization', value: auth, sensitive: true },
  ],
  signingSecret: signing,
  ...overrides,
});

describe('webhook channels', () => {
  let h: Harness;
  const bodies: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function call<T>(method: string, path: string, body?: unknown) {
    const answer = await h.call<T>(method, path, body);
    bodies.push(JSON.stringify(answer.body));
    return answer;
  }

  it('creates a channel and returns it with secrets masked and a fingerprint', async () => {
    const created = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', siem());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Audit log',
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      sensitiveValues: { TOKEN: '********' },
      headers: [
        { name: 'X-Source', value: 'accessctl', sensitive: false },
        { name: 'Authorization', value: '********', sensitive: true },
      ],
      signingSecret: '********',
      secretsFingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{32}:[0-9a-f]{64}$/),
    });
    const read = await call<Channel>('GET', `/api/v2/notifications/webhook/channels/${created.body.id}`);
    expect(read.body).toEqual(created.body);
    // After the example seed's console-made channel, whose id is older.
    const list = await call<{ results: Channel[]; totalCount: number }>('GET', '/api/v2/notifications/webhook/channels');
    expect(list.body).toEqual({ results: [expect.objectContaining({ id: '65a0000000000000000000c1' }), created.body], totalCount: 2 });
  });

  it('keeps the fingerprint when secrets are sent back masked, and changes it when they change', async () => {
    const created = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'Fingerprinted' }));
    const path = `/api/v2/notifications/webhook/channels/${created.body.id}`;
    const { id: _id, secretsFingerprint: _fp, ...roundTrip } = created.body as Channel & Record<string, unknown>;
    delete roundTrip['createdBy'];
    delete roundTrip['updatedBy'];
    const same = await call<Channel>('PUT', path, { ...roundTrip, enabled: false });
    expect(same.status).toBe(200);
    expect(same.body.secretsFingerprint).toBe(created.body.secretsFingerprint);
    const changed = await call<Channel>('PUT', path, siem({ name: 'Fingerprinted', sensitiveValues: { TOKEN: `${token}-rotated` } }));
    expect(changed.body.secretsFingerprint).not.toBe(created.body.secretsFingerprint);
    const removed = await call<Channel>('PUT', path, siem({ name: 'Fingerprinted', signingSecret: undefined }));
    expect(removed.body).not.toHaveProperty('signingSecret');
  });

  it('salts each channel differently, so equal secrets in two channels do not look equal', async () => {
    const a = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'Twin A' }));
    const b = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'Twin B', url: 'https://other.example.com/{{TOKEN}}' }));
    expect(a.body.secretsFingerprint).not.toBe(b.body.secretsFingerprint);
  });

  it('lets a client that holds the values recompute the fingerprint from the documented canonical form', async () => {
    const body = siem({ name: 'Recomputed' }) as {
      sensitiveValues: Record<string, string>;
      headers: { name: string; value: string; sensitive: boolean }[];
      signingSecret?: string;
    };
    const created = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', body);
    const [, salt, digest] = created.body.secretsFingerprint.split(':');
    const canonical = JSON.stringify([
      Object.entries(body.sensitiveValues).sort(([x], [y]) => (x < y ? -1 : 1)),
      body.headers
        .filter((h) => h.sensitive)
        .map((h) => [h.name.toLowerCase(), h.value])
        .sort(([x], [y]) => (String(x) < String(y) ? -1 : 1)),
      body.signingSecret ?? null,
    ]);
    expect(createHmac('sha256', Buffer.from(salt!, 'hex')).update(canonical).digest('hex')).toBe(digest);
  });

  it('refuses a duplicate name with 409 and a name over 100 characters with 400', async () => {
    expect((await call('POST', '/api/v2/notifications/webhook/channels', siem())).status).toBe(409);
    const long = await call('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'n'.repeat(101) }));
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ details: [{ field: 'name', message: 'must be at most 100 characters' }] });
  });

  it.each([
    ['a placeholder without a value', { sensitiveValues: {} }, 'sensitiveValues'],
    ['a value without a placeholder', { sensitiveValues: { TOKEN: token, OTHER: 'x' } }, 'sensitiveValues.OTHER'],
    ['a URL that is not http(s)', { url: 'ftp://siem.example.com/{{TOKEN}}' }, 'url'],
    ['credentials in the URL', { url: 'https://user:pw@siem.example.com/{{TOKEN}}' }, 'url'],
    [
      'a repeated header',
      {
        headers: [
          { name: 'X-A', value: '1' },
          { name: 'x-a', value: '2' },
        ],
      },
      'headers[1].name',
    ],
    ['a header the sandbox sets', { headers: [{ name: 'webhook-signature', value: 'x' }] }, 'headers[0].name'],
    ['a header value outside Latin-1', { headers: [{ name: 'X-Site', value: 'Zürich €' }] }, 'headers[0].value'],
    ['a header value with a control character', { headers: [{ name: 'X-Site', value: 'a\u0001b' }] }, 'headers[0].value'],
    ['a sensitive header value with a line break', { headers: [{ name: 'X-Key', value: 'a\r\nX-Evil: 1', sensitive: true }] }, 'headers[0].value'],
    ...['Transfer-Encoding', 'Connection', 'Upgrade', 'keep-alive', 'TE', 'Trailer', 'Proxy-Authorization'].map(
      (name): [string, Record<string, unknown>, string] => [`the hop-by-hop header ${name}`, { headers: [{ name, value: 'x' }] }, 'headers[0].name'],
    ),
    ['a signing secret in the wrong format', { signingSecret: 'not-a-whsec' }, 'signingSecret'],
    ['a mask with nothing stored behind it', { signingSecret: '********' }, 'signingSecret'],
  ])('refuses %s with 400 without echoing secrets', async (_what, overrides, field) => {
    const answer = await call<{ details: { field: string }[] }>('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'Invalid', ...overrides }));
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d) => d.field)).toContain(field);
  });

  it('accepts a Latin-1 header value with a tab', async () => {
    const answer = await call<Channel>(
      'POST',
      '/api/v2/notifications/webhook/channels',
      siem({ name: 'Latin-1', headers: [{ name: 'X-Site', value: 'Zürich\tBüro' }] }),
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.headers).toEqual([{ name: 'X-Site', value: 'Zürich\tBüro', sensitive: false }]);
  });

  it('names why a hop-by-hop header is refused', async () => {
    const answer = await call<{ details: { field: string; message: string }[] }>(
      'POST',
      '/api/v2/notifications/webhook/channels',
      siem({ name: 'Hop', headers: [{ name: 'Transfer-Encoding', value: 'chunked' }] }),
    );
    expect(answer.body.details).toEqual([{ field: 'headers[0].name', message: 'is a hop-by-hop header, reserved' }]);
  });

  it('refuses to delete a channel the settings name, then deletes it once they do not', async () => {
    const created = await call<Channel>('POST', '/api/v2/notifications/webhook/channels', siem({ name: 'In Use' }));
    const settings = await call('PUT', '/api/v2/approvalflowsettings', {
      channelEvents: [{ channelObjectId: created.body.id, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });
    expect(settings.status).toBe(200);
    const path = `/api/v2/notifications/webhook/channels/${created.body.id}`;
    expect((await call('DELETE', path)).status).toBe(409);
    await call('PUT', '/api/v2/approvalflowsettings', { channelEvents: [] });
    expect((await call('DELETE', path)).status).toBe(200);
    expect((await call('GET', path)).status).toBe(404);
  });

  it('answers 404 for a channel that does not exist, on every method', async () => {
    const path = '/api/v2/notifications/webhook/channels/ffffffffffffffffffffffff';
    expect((await call('GET', path)).status).toBe(404);
    expect((await call('PUT', path, siem({ name: 'Ghost' }))).status).toBe(404);
    expect((await call('DELETE', path)).status).toBe(404);
  });

  it('records channel events whose changes show the fingerprint, never a secret', async () => {
    const events = (await allEvents(h)).filter((e) => e.resource.type === 'webhook_channel');
    expect(events.map((e) => e.event_type)).toContain('webhook_channel_update');
    const update = events.find((e) => e.event_type === 'webhook_channel_update' && e.changes?.some((c) => c.field === 'secretsFingerprint'));
    expect(update).toBeDefined();
  });

  it('never lets a planted secret out: not in responses, events, logs or the public columns', async () => {
    const everything = [
      ...bodies,
      JSON.stringify(await allEvents(h)),
      h.logs.join('\n'),
      JSON.stringify(h.sandbox.store.db.prepare('SELECT doc FROM webhook_channels').all()),
      JSON.stringify(h.sandbox.store.db.prepare('SELECT doc FROM events').all()),
    ].join('\n');
    for (const secret of planted) expect(everything).not.toContain(secret);
  });
});
