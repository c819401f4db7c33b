// The request lifecycle as JumpCloud documents it: access held while any grant holds it, static
// members kept, Error denied as well as retried, Missing Data resumed when the data arrives, `all`
// levels, one person per level (four eyes), the requester never an approver, events that mean what
// they say, and the Request Queue's two views.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrate, migrations } from '../../src/sandbox/migrations.js';
import type { SeedFile } from '../../src/sandbox/seed.js';
import {
  allEvents,
  approve,
  as,
  exampleFlows,
  exampleSeed,
  githubAdminFlow,
  memberNames,
  startHarness,
  startStrictHarness,
  submit,
  userKeys,
  type DirectoryEventShape,
  type Harness,
  type RequestShape,
} from './harness.js';
import { Receiver } from './receiver.js';

const hour = 3600 * 1000;
const day = 24 * hour;

let h: Harness;
afterEach(async () => {
  await h.close();
});
const dir = mkdtempSync(join(tmpdir(), 'accessctl-lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type ListShape = { results: RequestShape[]; totalCount: number };

const read = async (id: string): Promise<RequestShape> => (await h.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${id}`)).body;

/** A flow through the harness, failing loudly when refused. */
async function flow(body: Record<string, unknown>): Promise<string> {
  const answer = await h.call<{ id: string; message?: string }>('POST', '/api/v2/approvalflows', body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.id;
}

async function timedGitHubUsers(): Promise<string> {
  return flow({
    name: 'Timed GitHub',
    category: 'Application',
    resourceType: 'user_group',
    resourceId: await h.groupId('GitHub Users'),
    visibleTo: [await h.groupId('Engineering User')],
    approvalType: 'automated',
    timeBasedAccess: true,
    ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
    multiSelectDuration: ['PT8H', 'P1D'],
  });
}

const removals = async (user: string): Promise<DirectoryEventShape[]> => {
  const id = await h.userId(user);
  return (await allEvents(h)).filter((e) => e.association?.op === 'remove' && e.association.connection.to.object_id === id);
};

describe('overlapping grants (1)', () => {
  it('keeps the membership while any grant holds it, and removes it when the last ends', async () => {
    h = await startHarness();
    await exampleFlows(h);
    const timed = await timedGitHubUsers();
    const first = await submit(h, 'alice', { approvalFlowId: timed, requestedDuration: 'P1D' });
    expect(first.body.status).toBe('approved');
    h.sandbox.clock.advance(20 * hour);
    // Extending: a new request while the first is approved.
    const second = await submit(h, 'alice', { approvalFlowId: timed, requestedDuration: 'PT8H' });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body.status).toBe('approved');
    expect(await memberNames(h, 'GitHub Users')).toEqual(['alice']);

    h.sandbox.clock.advance(4 * hour);
    expect(await memberNames(h, 'GitHub Users')).toEqual(['alice']);
    expect((await read(first.body.id)).sandbox?.access?.state).toBe('ended');
    expect((await read(second.body.id)).sandbox?.access?.state).toBe('active');
    expect(await removals('alice')).toEqual([]);

    h.sandbox.clock.advance(4 * hour);
    expect(await memberNames(h, 'GitHub Users')).toEqual([]);
    expect([(await read(second.body.id)).status, (await read(second.body.id)).sandbox?.access?.state]).toEqual(['approved', 'ended']);
    expect(await removals('alice')).toHaveLength(1);
  });

  it('never removes a user who was a static member before the grant', async () => {
    h = await startHarness();
    await exampleFlows(h);
    const timed = await timedGitHubUsers();
    await h.call('POST', `/api/v2/usergroups/${await h.groupId('GitHub Users')}/members`, { op: 'add', type: 'user', id: await h.userId('bob') });
    const granted = await submit(h, 'bob', { approvalFlowId: timed, requestedDuration: 'PT8H' });
    expect(granted.body.status).toBe('approved');
    h.sandbox.clock.advance(8 * hour);
    expect((await read(granted.body.id)).sandbox?.access?.state).toBe('ended');
    expect(await memberNames(h, 'GitHub Users')).toEqual(['bob']);
    expect(await removals('bob')).toEqual([]);
  });

  it('keeps a member an administrator removed and added back by hand, once the grant ends', async () => {
    h = await startHarness();
    await exampleFlows(h);
    const timed = await timedGitHubUsers();
    const granted = await submit(h, 'carol', { approvalFlowId: timed, requestedDuration: 'PT8H' });
    const members = `/api/v2/usergroups/${await h.groupId('GitHub Users')}/members`;
    const carol = await h.userId('carol');
    expect((await h.call('POST', members, { op: 'remove', type: 'user', id: carol })).status).toBe(204);
    expect((await h.call('POST', members, { op: 'add', type: 'user', id: carol })).status).toBe(204);
    h.sandbox.clock.advance(8 * hour);
    expect((await read(granted.body.id)).sandbox?.access?.state).toBe('ended');
    expect(await memberNames(h, 'GitHub Users')).toEqual(['carol']);
  });
});

describe("JumpCloud's statuses (2)", () => {
  it("answers only published statuses; the extension block is the default profile's, and revoked is refused by strict", async () => {
    const dbPath = join(dir, 'statuses.db');
    h = await startHarness({ dbPath });
    const flows = await exampleFlows(h);
    const { body } = await submit(h, 'alice', { approvalFlowId: flows.user });
    expect(body.sandbox).toEqual({ queue: 'administrator', access: { state: 'active' } });
    for (const status of ['granted', 'revoked-ish']) {
      expect((await h.call('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status })).status, status).toBe(400);
    }
    await h.close();
    h = await startStrictHarness({ dbPath });
    const strict = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflowrequest/${body.id}`);
    expect(strict.body['status']).toBe('approved');
    expect(strict.body).not.toHaveProperty('sandbox');
    const listed = await h.call<{ results: Record<string, unknown>[] }>('GET', '/api/v2/approvalflowrequest');
    expect(listed.body.results.every((r) => !('sandbox' in r))).toBe(true);
    const revoke = await h.call<{ details: { field: string; message: string }[] }>('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'revoked' });
    expect(revoke.status).toBe(400);
    expect(revoke.body.details[0]).toMatchObject({ field: 'status', message: expect.stringContaining('sandbox extension') });
  });

  it('reads a database from before: granted becomes approved with its access active, revoked approved with its access ended', () => {
    const db = new Database(':memory:');
    migrate(
      db,
      'then',
      migrations.filter((m) => m.version <= 5),
    );
    db.exec(`INSERT INTO orgs (id, name, created_at) VALUES ('o', 'Org', 'then');
      INSERT INTO users (id, org_id, username, email, doc) VALUES ('u', 'o', 'ann', 'ann@example.com', '{}');
      INSERT INTO user_groups (id, org_id, name, doc) VALUES ('g', 'o', 'G', '{}');
      INSERT INTO group_members (group_id, user_id) VALUES ('g', 'u');`);
    const insert = db.prepare(`INSERT INTO access_requests (id, org_id, flow_id, requester_id, status, doc) VALUES (?, 'o', 'f', 'u', ?, ?)`);
    const doc = (status: string, extra: Record<string, unknown>) =>
      JSON.stringify({ status, flow: { resourceId: 'g', nonAdminApproval: true }, updatedAt: '2026-01-02T00:00:00.000Z', ...extra });
    insert.run('r1', 'granted', doc('granted', { membershipAdded: true, expiresAt: '2026-02-01T00:00:00.000Z' }));
    insert.run('r2', 'revoked', doc('revoked', { membershipAdded: true }));
    migrate(db, 'now');
    const rows = db.prepare('SELECT id, status, doc FROM access_requests ORDER BY id').all() as { id: string; status: string; doc: string }[];
    expect(rows.map((r) => [r.id, r.status, (JSON.parse(r.doc) as { access: unknown }).access])).toEqual([
      ['r1', 'approved', { state: 'active', endsAt: '2026-02-01T00:00:00.000Z' }],
      ['r2', 'approved', { state: 'ended', endedAt: '2026-01-02T00:00:00.000Z' }],
    ]);
    expect(db.prepare('SELECT request_id FROM access_holds').pluck().all()).toEqual(['r1']);
    expect(db.prepare('SELECT group_id, user_id FROM granted_memberships').all()).toEqual([{ group_id: 'g', user_id: 'u' }]);
    db.close();
  });
});

describe('Error (3)', () => {
  it('lets an administrator deny a request in Error, as well as retry it', async () => {
    h = await startHarness({ hooks: true });
    const flows = await exampleFlows(h);
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/usergroups/{group_id}/members', errorRate: 1, status: 503 }] });
    const failed = await submit(h, 'carol', { approvalFlowId: flows.user });
    expect(failed.body.status).toBe('error');
    expect(failed.body.sandbox?.queue).toBe('administrator');
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    const denied = await h.call<RequestShape>('PUT', `/api/v2/approvalflowrequest/${failed.body.id}`, { status: 'denied', remarks: 'not now' });
    expect(denied.status, JSON.stringify(denied.body)).toBe(200);
    expect(denied.body.status).toBe('denied');
    expect(await memberNames(h, 'GitHub Users')).toEqual([]);
    const decision = (await allEvents(h)).at(-1);
    expect(decision).toMatchObject({ event_type: 'access_management_access_request_approval', initiated_by: { type: 'admin' } });
    expect(decision?.changes?.[0]).toEqual({ field: 'status', from: 'error', to: 'denied' });
    expect((await h.call('PUT', `/api/v2/approvalflowrequest/${failed.body.id}`, { status: 'approved' })).status).toBe(409);
  });
});

describe('Missing Data (4)', () => {
  it('resumes a request waiting on a manager once the manager is set, where it stopped', async () => {
    h = await startHarness({ hooks: true });
    await exampleFlows(h);
    const everyone = await flow(await githubAdminFlow(h, { name: 'For Everyone', visibleTo: [await h.groupId('Engineering All')] }));
    const { body } = await submit(h, 'dana.cto', { approvalFlowId: everyone });
    expect(body.status).toBe('missing_data');
    expect(body.sandbox).toEqual({ queue: 'administrator', missing: 'manager' });

    const dana = await h.userId('dana.cto');
    expect((await h.call('PUT', `/api/systemusers/${dana}`, { manager: dana })).status).toBe(400);
    expect((await h.call('PUT', `/api/systemusers/${dana}`, { manager: 'ffffffffffffffffffffffff' })).status).toBe(400);
    const updated = await h.call<{ manager: string }>('PUT', `/api/systemusers/${dana}`, { manager: await h.userId('erin.em') });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.manager).toBe(await h.userId('erin.em'));

    const resumed = await read(body.id);
    expect(resumed.status).toBe('pending');
    expect(resumed.sandbox).toEqual({ queue: 'others' });
    const byErin = await h.call<ListShape>('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.erin });
    expect(byErin.body.results.map((r) => r.id)).toContain(body.id);
    const events = (await allEvents(h)).filter((e) => e.resource.id === body.id);
    expect(events.map((e) => [e.event_type, e.changes?.[0]])).toEqual([
      ['access_management_access_request', { field: 'status', from: null, to: 'pending' }],
      ['sandbox_access_request_update', { field: 'status', from: 'pending', to: 'missing_data' }],
      ['sandbox_access_request_update', { field: 'status', from: 'missing_data', to: 'pending' }],
    ]);
    const mail = (await h.call<{ results: { to: string }[] }>('GET', `/sandbox/v1/mail?kind=approval_needed&requestId=${body.id}`)).body.results;
    expect(mail.map((m) => m.to)).toEqual(['admin@example.com', 'erin@example.com']);

    expect((await approve(h, 'erin.em', body.id)).body.status).toBe('pending');
    expect((await approve(h, 'grace.sec', body.id)).body.status).toBe('approved');
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['dana.cto']);
  });
});

describe('who approves what (5)', () => {
  it('needs every member of a group on an all level', async () => {
    h = await startHarness();
    await exampleFlows(h);
    const leads = await h.groupId('Security Leads');
    const allLeads = await flow(
      await githubAdminFlow(h, {
        name: 'All Leads',
        approverRequirement: 'all',
        approverResources: [{ resourceType: 'user_group', resourceId: leads, resourceOrder: 0, requireAll: true }],
      }),
    );
    const { body } = await submit(h, 'erin.em', { approvalFlowId: allLeads });
    const first = await approve(h, 'grace.sec', body.id);
    expect(first.body.status).toBe('pending');
    const progress = await h.call<{ approvers: { approvedCount: number; totalCount: number; approvalStatus: string }[] }>(
      'GET',
      `/api/v2/approversprogress/${body.id}`,
    );
    expect(progress.body.approvers).toMatchObject([{ approvedCount: 1, totalCount: 2, approvalStatus: 'pending' }]);
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);
    expect((await approve(h, 'heidi.sec', body.id)).body.status).toBe('approved');
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['erin.em']);
  });

  it('lets no one approve two levels of one request: the level goes to Missing Data, and resumes when someone else may approve', async () => {
    h = await startHarness();
    await exampleFlows(h);
    const leads = await h.groupId('Security Leads');
    const securityAdmin = await flow(await githubAdminFlow(h, { name: 'Security Admin', visibleTo: [leads] }));
    // heidi's manager, grace, is also a Security Lead: she approves level 1, and may not approve level 2.
    const { body } = await submit(h, 'heidi.sec', { approvalFlowId: securityAdmin });
    const first = await approve(h, 'grace.sec', body.id);
    expect(first.body.status).toBe('missing_data');
    expect(first.body.sandbox).toEqual({ queue: 'administrator', missing: 'approver' });
    expect((await approve(h, 'grace.sec', body.id)).status).toBe(403);
    const events = (await allEvents(h)).filter((e) => e.resource.id === body.id).slice(1);
    expect(events.map((e) => [e.event_type, e.changes])).toEqual([
      [
        'access_management_access_request_approval',
        [
          { field: 'status', from: 'pending', to: 'pending' },
          { field: 'level', from: 1, to: 2 },
        ],
      ],
      [
        'sandbox_access_request_update',
        [
          { field: 'status', from: 'pending', to: 'missing_data' },
          { field: 'missing', from: null, to: 'approver' },
        ],
      ],
    ]);

    // Another Security Lead arrives: the level can pass, without grace.
    await h.call('POST', `/api/v2/usergroups/${leads}/members`, { op: 'add', type: 'user', id: await h.userId('dana.cto') });
    expect((await read(body.id)).status).toBe('pending');
    const again = await approve(h, 'grace.sec', body.id);
    expect(again.status).toBe(403);
    expect(again.body.message).toBe(`you approved an earlier level of access request ${body.id}; one person approves one level of a request`);
    expect((await approve(h, 'dana.cto', body.id)).body.status).toBe('approved');
  });

  it('never counts the requester among the approvers: not in who it waits on, the mail, or the progress counts', async () => {
    // The requester is also an administrator, with an admin key under her own address.
    const seed: SeedFile = {
      ...exampleSeed,
      adminKeys: [...(exampleSeed.adminKeys ?? []), { name: 'Erin as admin', email: 'erin@example.com', key: 'sandbox-test-erin-admin-key' }],
    };
    h = await startHarness({ seed, hooks: true });
    await exampleFlows(h);
    const peers = await flow(
      await githubAdminFlow(h, {
        name: 'Peer Reviewed',
        approverResources: [
          { resourceType: 'user_group', resourceId: await h.groupId('Engineering Admin'), resourceOrder: 0 },
          { resourceType: 'admin', resourceOrder: 0 },
        ],
      }),
    );
    const { body } = await submit(h, 'erin.em', { approvalFlowId: peers });
    const waiting = h.sandbox.store.db.prepare('SELECT waiting_on FROM access_requests WHERE id = ?').pluck().get(body.id) as string;
    expect(JSON.parse(waiting)).toEqual([await h.userId('frank.em')]);
    const mail = (await h.call<{ results: { to: string }[] }>('GET', `/sandbox/v1/mail?kind=approval_needed&requestId=${body.id}`)).body.results;
    expect(mail.map((m) => m.to)).toEqual(['admin@example.com', 'frank@example.com']);
    const progress = await h.call<{ approvers: { resourceType: string; totalCount: number }[] }>('GET', `/api/v2/approversprogress/${body.id}`);
    expect(progress.body.approvers.map((a) => [a.resourceType, a.totalCount])).toEqual([
      ['user_group', 1],
      ['admin', 1],
    ]);
    expect((await approve(h, 'erin.em', body.id)).status).toBe(403);
  });
});

describe('events mean what they say (6)', () => {
  it('records access_management_access_request once per request, when it is created, whatever happens to it after', async () => {
    h = await startHarness();
    const flows = await exampleFlows(h);
    const everyone = await flow(await githubAdminFlow(h, { name: 'For Everyone', visibleTo: [await h.groupId('Engineering All')] }));
    const automatic = await submit(h, 'alice', { approvalFlowId: flows.user });
    const expiring = await submit(h, 'frank.em', { approvalFlowId: flows.admin });
    h.sandbox.clock.advance(30 * day);
    const missing = await submit(h, 'dana.cto', { approvalFlowId: everyone });
    const canceled = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect((await h.call('PUT', `/api/v2/approvalflowrequest/${automatic.body.id}`, { status: 'revoked' })).status).toBe(200);
    expect((await h.call('DELETE', `/api/v2/approvalflows/${flows.admin}`)).status).toBe(200);
    const ids = [automatic, missing, expiring, canceled].map((r) => r.body.id);
    expect(await Promise.all(ids.map(async (id) => (await read(id)).status))).toEqual(['approved', 'missing_data', 'expired', 'canceled']);

    const directory = await h.call<DirectoryEventShape[]>('POST', '/insights/directory/v1/events', {
      service: ['directory'],
      start_time: '2026-01-01T00:00:00Z',
    });
    const created = directory.body.filter((e) => e.event_type === 'access_management_access_request');
    expect(created.map((e) => e.resource.id).sort()).toEqual([...ids].sort());
    for (const event of created) expect(event.changes).toEqual([{ field: 'status', from: null, to: 'pending' }]);
    const byType = (type: string) => directory.body.filter((e) => e.event_type === type && ids.includes(e.resource.id)).map((e) => e.changes);
    expect(byType('access_management_access_request_approval')).toEqual([
      [
        { field: 'status', from: 'pending', to: 'approved' },
        { field: 'approval', from: null, to: 'automatic' },
      ],
    ]);
    expect(byType('sandbox_access_request_update').map((changes) => changes?.[0])).toEqual([
      { field: 'status', from: 'pending', to: 'expired' },
      { field: 'status', from: 'pending', to: 'missing_data' },
      { field: 'access', from: 'active', to: 'revoked' },
      { field: 'status', from: 'pending', to: 'canceled' },
    ]);
  });

  it('delivers Access Requests events only, never directory or sandbox events, to a channel subscribed to every type', async () => {
    const receiver = new Receiver();
    await receiver.up();
    try {
      h = await startHarness({ hooks: true, allowPrivateWebhooks: true });
      const flows = await exampleFlows(h);
      const channel = await h.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', { name: 'Everything', url: receiver.url() });
      const all = [
        'ACCESS_MANAGEMENT_ACCESS_REQUEST',
        'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL',
        'ACCESS_MANAGEMENT_ASSOCIATION_CHANGE',
        'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE',
        'ACCESS_MANAGEMENT_APPROVAL_FLOW_UPDATE',
        'ACCESS_MANAGEMENT_APPROVAL_FLOW_DELETE',
        'ACCESS_MANAGEMENT_ACCESS_REQUEST_SETTINGS_UPDATE',
      ];
      expect((await h.call('PUT', '/api/v2/approvalflowsettings', { channelEvents: [{ channelObjectId: channel.body.id, eventTypes: all }] })).status).toBe(
        200,
      );
      const group = await h.call<{ id: string }>('POST', '/api/v2/usergroups', { name: 'Not Access Requests' });
      await h.call('POST', `/api/v2/usergroups/${group.body.id}/members`, { op: 'add', type: 'user', id: await h.userId('bob') });
      await h.call('POST', '/api/v2/notifications/webhook/channels', { name: 'Another', url: receiver.url('/other') });
      await h.call('PUT', `/api/systemusers/${await h.userId('bob')}`, { jobTitle: 'Staff Engineer' });
      await submit(h, 'erin.em', { approvalFlowId: flows.admin });
      h.sandbox.clock.advance(30 * day);
      await h.sandbox.webhooks.whenIdle();
      const delivered = (await h.call<{ results: { eventType: string }[] }>('GET', '/sandbox/v1/deliveries?limit=1000')).body.results.map((d) => d.eventType);
      expect([...new Set(delivered)].sort()).toEqual(['access_management_access_request', 'access_management_access_request_settings_update']);
      const recorded = new Set((await allEvents(h)).map((e) => e.event_type));
      for (const type of ['user_group_create', 'association_change', 'webhook_channel_create', 'user_update', 'sandbox_access_request_update']) {
        expect(recorded.has(type), type).toBe(true);
      }
    } finally {
      await receiver.down();
    }
  });
});

describe('the Request Queue views (7)', () => {
  it('files each undecided request under Administrator or Others, as a filter', async () => {
    h = await startHarness();
    const flows = await exampleFlows(h);
    const everyone = await flow(await githubAdminFlow(h, { name: 'For Everyone', visibleTo: [await h.groupId('Engineering All')] }));
    const adminOnly = await flow(await githubAdminFlow(h, { name: 'Admins Decide', nonAdminApproval: false }));
    const others = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    const missing = await submit(h, 'dana.cto', { approvalFlowId: everyone });
    const admins = await submit(h, 'frank.em', { approvalFlowId: adminOnly });
    const ids = async (query: string) => (await h.call<ListShape>('GET', `/api/v2/approvalflowrequest?${query}`)).body.results.map((r) => r.id);
    expect(await ids('filter=queue:eq:others')).toEqual([others.body.id]);
    expect(await ids('queue=administrator')).toEqual([admins.body.id, missing.body.id]);
    expect(await ids('queue=administrator&filter=status:eq:missing_data')).toEqual([missing.body.id]);
    expect((await h.call('GET', '/api/v2/approvalflowrequest?queue=nobody', undefined, as('erin.em'))).status).toBe(200);
  });
});
