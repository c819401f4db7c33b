// API keys and organizations: x-api-key (admin and per-user keys, stored hashed) and x-org-id on
// multi-tenant keys, with JumpCloud's documented 400, 401, 403 and 404 answers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashKey } from '../../src/sandbox/auth.js';
import type { SeedFile } from '../../src/sandbox/seed.js';
import { exampleAdminKey, startHarness, type Harness } from './harness.js';

const orgA = '65a0000000000000000000aa';
const orgB = '65a0000000000000000000bb';
const multiKey = 'sandbox-test-multi-tenant-key';
const singleKey = 'sandbox-test-single-tenant-key';
const userKey = 'sandbox-test-user-key-alice';

const twoOrgs: SeedFile = {
  organizations: [
    {
      id: orgA,
      name: 'Org A',
      users: [{ username: 'alice', email: 'alice@a.example', firstname: 'Alice', lastname: 'A', apiKey: userKey }],
      groups: [{ name: 'Only In A' }],
    },
    { id: orgB, name: 'Org B', groups: [{ name: 'Only In B' }] },
  ],
  adminKeys: [
    { name: 'MSP admin', email: 'msp@example.com', key: multiKey },
    { name: 'A admin', email: 'a@example.com', key: singleKey, organizations: ['Org A'] },
  ],
};

describe('authentication and organizations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: twoOrgs, hooks: true });
  });
  afterAll(async () => {
    await h.close();
  });

  const groupsWith = (headers: Record<string, string>) =>
    h.call<{ name: string }[] | { code: string; status: number; message: string }>('GET', '/api/v2/usergroups', undefined, headers);

  it('answers 401 without a key or with an unknown one', async () => {
    const missing = await h.call('GET', '/api/v2/usergroups', undefined, { 'x-api-key': '' });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ code: 'UNAUTHORIZED', message: 'missing x-api-key header', status: 401 });
    const planted = 'planted-unknown-api-key-93e1';
    const unknown = await h.call('GET', '/api/v2/usergroups', undefined, { 'x-api-key': planted });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ code: 'UNAUTHORIZED', message: 'invalid x-api-key', status: 401 });
    expect((await h.call('GET', '/api/v2/usergroups', undefined, { 'x-api-key': exampleAdminKey })).status).toBe(401);
    expect(h.logs.join('\n')).not.toContain(planted);
  });

  it('lets a single-tenant key work without x-org-id, and with its own', async () => {
    expect((await groupsWith({ 'x-api-key': singleKey })).body).toMatchObject([{ name: 'Only In A' }]);
    expect((await groupsWith({ 'x-api-key': singleKey, 'x-org-id': orgA })).status).toBe(200);
  });

  it('sees a key rescoped or removed on the very next request, though it keeps what it looked up', async () => {
    const { store } = h.sandbox;
    const keyId = store.db.prepare('SELECT id FROM api_keys WHERE key_hash = ?').pluck().get(hashKey(singleKey)) as string;
    const lookups = vi.spyOn(store, 'stmt');
    const keyLookups = () => lookups.mock.calls.filter(([sql]) => sql.includes('FROM api_keys WHERE key_hash')).length;
    expect((await groupsWith({ 'x-api-key': singleKey })).status).toBe(200);
    expect((await groupsWith({ 'x-api-key': singleKey })).status).toBe(200);
    expect(keyLookups()).toBeLessThanOrEqual(1);
    store.db.prepare('INSERT INTO api_key_orgs (key_id, org_id) VALUES (?, ?)').run(keyId, orgB);
    expect((await groupsWith({ 'x-api-key': singleKey })).body).toMatchObject({ message: 'ID not included for multi-tenant admin: send x-org-id' });
    store.db.prepare('DELETE FROM api_key_orgs WHERE key_id = ? AND org_id = ?').run(keyId, orgB);
    expect((await groupsWith({ 'x-api-key': singleKey })).status).toBe(200);
    const saved = store.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(keyId) as Record<string, unknown>;
    const orgs = store.db.prepare('SELECT org_id FROM api_key_orgs WHERE key_id = ?').pluck().all(keyId) as string[];
    store.db.prepare('DELETE FROM api_key_orgs WHERE key_id = ?').run(keyId);
    store.db.prepare('DELETE FROM api_keys WHERE id = ?').run(keyId);
    expect((await groupsWith({ 'x-api-key': singleKey })).status).toBe(401);
    store.db
      .prepare(
        `INSERT INTO api_keys (${Object.keys(saved).join(', ')}) VALUES (${Object.keys(saved)
          .map(() => '?')
          .join(', ')})`,
      )
      .run(...Object.values(saved));
    for (const org of orgs) store.db.prepare('INSERT INTO api_key_orgs (key_id, org_id) VALUES (?, ?)').run(keyId, org);
    expect((await groupsWith({ 'x-api-key': singleKey })).status).toBe(200);
    lookups.mockRestore();
  });

  it('answers 401 to a multi-tenant key without x-org-id', async () => {
    const answer = await groupsWith({ 'x-api-key': multiKey });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'ID not included for multi-tenant admin: send x-org-id' });
  });

  it('scopes a multi-tenant key to the organization x-org-id names', async () => {
    expect((await groupsWith({ 'x-api-key': multiKey, 'x-org-id': orgA })).body).toMatchObject([{ name: 'Only In A' }]);
    expect((await groupsWith({ 'x-api-key': multiKey, 'x-org-id': orgB })).body).toMatchObject([{ name: 'Only In B' }]);
  });

  it('answers 400 to a malformed x-org-id', async () => {
    const answer = await groupsWith({ 'x-api-key': multiKey, 'x-org-id': 'not-an-id' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Malformed ID') });
  });

  it('answers 404 to an organization the key cannot reach', async () => {
    expect((await groupsWith({ 'x-api-key': singleKey, 'x-org-id': orgB })).status).toBe(404);
    const unknown = await groupsWith({ 'x-api-key': multiKey, 'x-org-id': 'ffffffffffffffffffffffff' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ message: 'Organization ID Not Found' });
  });

  it('answers 403 to x-org-id on a route that takes none', async () => {
    const answer = await h.hook('GET', '/sandbox/v1/clock', undefined, { 'x-org-id': orgA });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('unsupported route') });
  });

  it('answers 400 when organizationObjectId contradicts x-org-id', async () => {
    const answer = await h.call('GET', `/api/v2/approvalflows?organizationObjectId=${orgB}`, undefined, {
      'x-api-key': multiKey,
      'x-org-id': orgA,
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ message: 'x-org-id and Organization path ID do not match' });
  });

  it('keeps one org from seeing or touching another org’s objects', async () => {
    const bGroups = await h.call<{ id: string }[]>('GET', '/api/v2/usergroups', undefined, { 'x-api-key': multiKey, 'x-org-id': orgB });
    const bGroup = bGroups.body[0]?.id ?? '';
    expect((await h.call('GET', `/api/v2/usergroups/${bGroup}`, undefined, { 'x-api-key': singleKey })).status).toBe(404);
    expect((await h.call('DELETE', `/api/v2/usergroups/${bGroup}`, undefined, { 'x-api-key': singleKey })).status).toBe(404);
  });

  it('refuses admin routes to a per-user key with 403', async () => {
    const answer = await h.call('GET', '/api/v2/approvalflows', undefined, { 'x-api-key': userKey });
    expect(answer.status).toBe(403);
  });

  it('stores keys only as hashes', () => {
    const rows = h.sandbox.store.db.prepare('SELECT * FROM api_keys').all();
    const dump = JSON.stringify(rows);
    for (const key of [multiKey, singleKey, userKey]) expect(dump).not.toContain(key);
    expect(rows).toHaveLength(3); // the seed's three; its first admin key is the one printed, so none is minted
  });

  it('names the admin, never the key, in events', async () => {
    await h.call('POST', '/api/v2/usergroups', { name: 'Made By A' }, { 'x-api-key': singleKey });
    const events = await h.call<{ initiated_by: { email: string } }[]>(
      'POST',
      '/insights/directory/v1/events',
      { service: ['all'], start_time: '1970-01-01T00:00:00Z' },
      { 'x-api-key': singleKey },
    );
    expect(events.body.map((e) => e.initiated_by.email)).toEqual(['a@example.com']);
    expect(JSON.stringify(events.body)).not.toContain(singleKey);
  });
});
