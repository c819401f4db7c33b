// --profile strict: the sandbox answering as the pessimistic reading of JumpCloud's published API
// (published routes only, PUT replaces, closed bodies, protojson responses, byte ids in base64),
// each next to the default profile, whose answers stay as they were.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../src/sandbox/routes.js';
import { exampleFlows, exampleOrgId, githubAdminFlow, startHarness, startStrictHarness, submit, userKeys, type Harness } from './harness.js';

type ErrorBody = { code: string; message: string; status: number; details?: { field: string; message: string }[] };

const dir = mkdtempSync(join(tmpdir(), 'accessctl-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The seeded SIEM channel and the example org, as hex (stored) and as base64 ObjectId bytes (format: byte). */
const siem = { hex: '65a0000000000000000000c1', bytes: 'ZaAAAAAAAAAAAADB' };
const orgBytes = 'ZaAAAAAAAAAAAAAB';

describe('strict: only published endpoints are served', () => {
  let h: Harness;
  let d: Harness;
  beforeAll(async () => {
    h = await startStrictHarness({ hooks: true });
    d = await startHarness({ hooks: true });
  });
  afterAll(async () => {
    await Promise.all([h.close(), d.close()]);
  });

  it('answers 404 with the usual error body for the webhook channel API, on every method', async () => {
    const base = '/api/v2/notifications/webhook/channels';
    for (const [method, path, body] of [
      ['GET', base, undefined],
      ['POST', base, { name: 'X', url: 'https://x.example.com/' }],
      ['GET', `${base}/${siem.hex}`, undefined],
      ['PUT', `${base}/${siem.hex}`, { name: 'X', url: 'https://x.example.com/' }],
      ['DELETE', `${base}/${siem.hex}`, undefined],
    ] as const) {
      const answer = await h.call<ErrorBody>(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body).toEqual({ code: 'NOT_FOUND', message: `no route for ${method} ${path}`, status: 404 });
    }
    // The default profile serves them.
    expect((await d.call('GET', base)).status).toBe(200);
    expect((await d.call('GET', `${base}/${siem.hex}`)).status).toBe(200);
  });

  it('answers 404 (not 405) to the end-user submit, a sandbox extension, and keeps the published reads of the same path', async () => {
    const submitted = await h.call<ErrorBody>('POST', '/api/v2/approvalflowrequest', { approvalFlowId: 'x', remarks: 'r' });
    expect(submitted.status).toBe(404);
    expect(submitted.body.message).toBe('no route for POST /api/v2/approvalflowrequest');
    expect((await h.call('GET', '/api/v2/approvalflowrequest')).status).toBe(200);
    const patched = await h.call('PATCH', '/api/v2/approvalflowrequest');
    expect(patched.status).toBe(405);
    expect(patched.headers.get('allow')).toBe('GET');
  });

  it('refuses x-sandbox-act-as, on end-user and admin routes alike', async () => {
    for (const path of ['/api/v2/approvalflowrequest', '/api/v2/approvalflows']) {
      const answer = await h.call<ErrorBody>('GET', path, undefined, { 'x-sandbox-act-as': 'alice' });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain('x-sandbox-act-as is a sandbox extension, refused by --profile strict');
    }
    expect((await d.call('GET', '/api/v2/approvalflowrequest', undefined, { 'x-sandbox-act-as': 'alice' })).status).toBe(200);
    // A user's own key is the published way to act as them.
    expect((await h.call('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.alice })).status).toBe(200);
  });

  it('serves every published route, the test hooks and /openapi.json', async () => {
    for (const route of routes.filter((r) => r.origin !== 'extension')) {
      const path = route.path.replace(/\{[^}]+\}/g, 'ffffffffffffffffffffffff');
      const body = route.body ? {} : undefined;
      const answer = await h.call<ErrorBody | undefined>(route.method, path, body);
      expect(answer.body?.message ?? '', `${route.method} ${route.path}`).not.toMatch(/^no route for /);
    }
    expect((await h.call('GET', '/sandbox/v1/requests')).status).toBe(200);
    expect((await h.call('PUT', '/sandbox/v1/faults', { rules: [] })).status).toBe(200);
    expect((await h.call('GET', '/openapi.json', undefined, { 'x-api-key': '' })).status).toBe(200);
    expect(h.sandbox.profile).toBe('strict');
    expect(d.sandbox.profile).toBe('default');
  });
});

describe('strict: a PUT replaces the whole record', () => {
  let h: Harness;
  let d: Harness;
  beforeEach(async () => {
    h = await startStrictHarness();
    d = await startHarness();
  });
  afterEach(async () => {
    await Promise.all([h.close(), d.close()]);
  });

  it('sets every settings field a PUT leaves out to its zero value', async () => {
    for (const sandbox of [h, d]) {
      const first = await sandbox.call('PUT', '/api/v2/approvalflowsettings', {
        resourceRequest: true,
        channelEvents: [{ channelObjectId: siem.bytes, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      });
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect((await sandbox.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: true })).status).toBe(200);
    }
    expect((await h.call('GET', '/api/v2/approvalflowsettings')).body).toEqual({
      id: 1,
      exposeApprovalProgress: true,
      createdBy: 'sandbox',
      updatedBy: 'admin@example.com',
    });
    expect((await d.call('GET', '/api/v2/approvalflowsettings')).body).toEqual({
      id: 1,
      resourceRequest: true,
      exposeApprovalProgress: true,
      adminApprovalEmail: true,
      userRequestEmail: true,
      userApprovalEmail: true,
      channelEvents: [{ channelObjectId: siem.hex, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      createdBy: 'sandbox',
      updatedBy: 'admin@example.com',
    });
  });

  it('clears every ApprovalFlow_Set field a flow PUT leaves out', async () => {
    const full = async (sandbox: Harness) =>
      githubAdminFlow(sandbox, {
        slackEnabled: true,
        slackConfig: [{ slackResourceId: 'C0123456' }],
        iconUrl: 'https://icons.example.com/github.png',
      });
    const minimal = async (sandbox: Harness) => ({
      name: 'GitHub Admin',
      resourceId: await sandbox.groupId('GitHub Admins'),
      approvalType: 'automated',
    });
    const ids: string[] = [];
    for (const sandbox of [h, d]) {
      const created = await sandbox.call<{ id: string }>('POST', '/api/v2/approvalflows', await full(sandbox));
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const put = await sandbox.call('PUT', `/api/v2/approvalflows/${created.body.id}`, await minimal(sandbox));
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      ids.push(created.body.id);
    }
    const strict = await h.call('GET', `/api/v2/approvalflows/${ids[0]}`);
    expect(strict.body).toEqual({
      id: ids[0],
      name: 'GitHub Admin',
      category: 'Application',
      approvalType: 'automated',
      resources: [{ resourceId: await h.groupId('GitHub Admins'), resourceName: 'GitHub Admins', resourceType: 'user_group' }],
      organizationId: orgBytes,
      createdBy: 'admin@example.com',
      updatedBy: 'admin@example.com',
    });
    // The default profile keeps its defaults for status and approverRequirement.
    expect((await d.call('GET', `/api/v2/approvalflows/${ids[1]}`)).body).toMatchObject({
      status: 'active',
      approverRequirement: 'any',
      slackEnabled: false,
      slackConfig: [],
    });
  });

  it('replaces the UserGroupPut fields of a group, a missing one meaning cleared', async () => {
    const body = {
      name: 'Dynamic Engineers',
      description: 'Everyone in engineering',
      email: 'engineers@example.com',
      attributes: { sudo: { enabled: true, withoutPassword: false } },
      memberQuery: { queryType: 'FilterQuery', filters: ['department:$eq:Engineering'] },
      memberQueryExemptions: [{ id: 'ffffffffffffffffffffffff', type: 'user' }],
      memberSuggestionsNotify: true,
      membershipMethod: 'DYNAMIC_REVIEW_REQUIRED',
    };
    const results: Record<string, unknown>[] = [];
    for (const sandbox of [h, d]) {
      const created = await sandbox.call<{ id: string }>('POST', '/api/v2/usergroups', body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect((await sandbox.call('PUT', `/api/v2/usergroups/${created.body.id}`, { name: 'Renamed' })).status).toBe(200);
      results.push((await sandbox.call<Record<string, unknown>>('GET', `/api/v2/usergroups/${created.body.id}`)).body);
    }
    expect(Object.keys(results[0] ?? {}).sort()).toEqual(['id', 'name', 'organizationObjectId', 'type']);
    expect(Object.keys(results[1] ?? {}).sort()).toEqual(['id', 'membershipMethod', 'name', 'organizationObjectId', 'type']);
  });
});

describe('strict: bodies are closed objects', () => {
  let h: Harness;
  let d: Harness;
  let flow: { strict: string; default: string };
  beforeAll(async () => {
    h = await startStrictHarness();
    d = await startHarness();
    const created = await Promise.all([h, d].map(async (s) => s.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(s))));
    flow = { strict: created[0]?.body.id ?? '', default: created[1]?.body.id ?? '' };
  });
  afterAll(async () => {
    await Promise.all([h.close(), d.close()]);
  });

  it('accepts category and resourceType on a flow create (CreateAccessWorkflowRequest)', () => {
    expect(flow.strict).toMatch(/^[0-9a-f]{24}$/);
  });

  it.each(['category', 'resourceType'])('refuses %s on a flow PUT (ApprovalFlow_Set has no such field), naming it', async (field) => {
    const { category, resourceType, ...set } = await githubAdminFlow(h);
    const answer = await h.call<ErrorBody>('PUT', `/api/v2/approvalflows/${flow.strict}`, {
      ...set,
      [field]: { category, resourceType }[field],
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([{ field, message: 'is not a field of the published request body' }]);
    // The default profile accepts them when they do not change.
    expect((await d.call('PUT', `/api/v2/approvalflows/${flow.default}`, await githubAdminFlow(d))).status).toBe(200);
  });

  it('names an unknown field at any depth, and refuses a settings field the contract does not define', async () => {
    const { category: _c, resourceType: _r, ...set } = await githubAdminFlow(h);
    const nested = await h.call<ErrorBody>('PUT', `/api/v2/approvalflows/${flow.strict}`, {
      ...set,
      slackConfig: [{ slackResourceId: 'C1', channelName: 'eng' }],
    });
    expect(nested.status).toBe(400);
    expect(nested.body.details?.map((detail) => detail.field)).toEqual(['slackConfig[0].channelName']);
    const settings = await h.call<ErrorBody>('PUT', '/api/v2/approvalflowsettings', { resourceRequest: true, updatedBy: 'me' });
    expect(settings.status).toBe(400);
    expect(settings.body.details?.map((detail) => detail.field)).toEqual(['updatedBy']);
    expect((await h.call('PUT', `/api/v2/approvalflows/${flow.strict}`, set)).status).toBe(200);
  });
});

describe('strict: protobuf endpoints leave zero values out', () => {
  const dbPath = join(dir, 'requests.db');
  let requestId = '';
  let h: Harness;
  beforeAll(async () => {
    // The submit is a sandbox extension: make the request with the default profile, then serve
    // the same database strictly.
    const before = await startHarness({ dbPath });
    const flows = await exampleFlows(before);
    const submitted = await submit(before, 'erin.em', { approvalFlowId: flows.admin });
    requestId = submitted.body.id;
    await before.close();
    h = await startStrictHarness({ dbPath });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers an empty flow list as {}, where the default profile answers results and totalCount', async () => {
    const s = await startStrictHarness();
    const d = await startHarness();
    try {
      expect((await s.call('GET', '/api/v2/approvalflows')).body).toEqual({});
      expect((await d.call('GET', '/api/v2/approvalflows')).body).toEqual({ results: [], totalCount: 0 });
      expect((await s.call('GET', '/api/v2/approvalflowsettings')).body).toEqual({
        id: 1,
        adminApprovalEmail: true,
        userRequestEmail: true,
        userApprovalEmail: true,
        createdBy: 'sandbox',
        updatedBy: 'sandbox',
      });
    } finally {
      await Promise.all([s.close(), d.close()]);
    }
  });

  it('leaves false, 0, "", [] and an enum zero out of flows, at every depth, and answers writes as {}', async () => {
    const list = await h.call<{ results: Record<string, unknown>[]; totalCount: number }>('GET', '/api/v2/approvalflows?sort=name');
    expect(list.body.totalCount).toBe(2);
    const user = list.body.results.find((flow) => flow['name'] === 'GitHub User') ?? {};
    // Automated, permanent, no description, visible to one group: the zero fields are gone. A list
    // item also leaves out who made and changed the flow and its org, which a read of the one flow has.
    expect(Object.keys(user).sort()).toEqual(['approvalType', 'approverRequirement', 'category', 'id', 'name', 'resources', 'status', 'visibleTo']);
    const one = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${user['id'] as string}`);
    expect(Object.keys(one.body).sort()).toEqual([...Object.keys(user), 'createdBy', 'organizationId', 'updatedBy'].sort());
    const admin = list.body.results.find((flow) => flow['name'] === 'GitHub Admin') ?? {};
    // The manager approver has no id, order 0 and requireAll false: only its type and name remain.
    expect((admin['approverResources'] as unknown[])[0]).toEqual({ resourceName: 'Manager', resourceType: 'manager' });
    const id = admin['id'] as string;
    const { category: _c, resourceType: _r, ...set } = await githubAdminFlow(h);
    expect((await h.call('PUT', `/api/v2/approvalflows/${id}`, set)).body).toEqual({});
  });

  it('leaves zero values out of access requests, their list and their approval progress', async () => {
    const detail = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflowrequest/${requestId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).not.toHaveProperty('approvedDuration');
    expect(detail.body).not.toHaveProperty('timeBasedAccess', false);
    expect(detail.body).toMatchObject({ status: 'pending', nonAdminApproval: true, timeBasedAccess: true, requestedDuration: 'P7D' });
    expect((detail.body['approvers'] as Record<string, unknown>[])[0]).toEqual({
      approvalSequence: '1',
      approvalStatus: 'pending',
      approverId: await h.userId('dana.cto'),
      approverType: 'user',
      createdAt: '2026-03-01T09:00:00.000Z',
      resourceName: 'Manager',
      resourceType: 'manager',
    });
    const list = await h.call<{ results: Record<string, unknown>[] }>('GET', '/api/v2/approvalflowrequest');
    expect(list.body.results[0]).not.toHaveProperty('approvedDuration');
    const progress = await h.call<{ approvers: Record<string, unknown>[] }>('GET', `/api/v2/approversprogress/${requestId}`);
    // Nothing approved yet: approvedCount 0 and overridenApproval false are left out.
    expect(progress.body.approvers[0]).not.toHaveProperty('approvedCount');
    expect(progress.body.approvers[0]).not.toHaveProperty('overridenApproval');
    expect(progress.body.approvers[0]).toMatchObject({ approvalSequence: 1, totalCount: 1 });
    const decided = await h.call<Record<string, unknown>>(
      'POST',
      '/api/v2/userapprovalrequest',
      { id: requestId, status: 'approved' },
      {
        'x-api-key': userKeys.dana,
      },
    );
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).not.toHaveProperty('approvedDuration');
  });

  it('keeps every field of v1 users and applications and v2 groups', async () => {
    const users = await h.call<{ results: Record<string, unknown>[] }>('GET', '/api/systemusers?limit=1');
    expect(users.body.results[0]).toMatchObject({ account_locked: false, suspended: false });
    const apps = await h.call<{ results: Record<string, unknown>[]; totalCount: number }>('GET', '/api/applications');
    expect(apps.body.results[0]).toMatchObject({ config: {} });
    const empty = await h.call('GET', '/api/applications?filter=name:eq:nothing');
    expect(empty.body).toEqual({ results: [], totalCount: 0 });
    expect((await h.call('GET', '/api/v2/usergroups?filter=name:eq:nothing')).body).toEqual([]);
  });
});

describe('strict: ids in format: byte fields are base64 ObjectId bytes', () => {
  let h: Harness;
  let d: Harness;
  beforeEach(async () => {
    h = await startStrictHarness();
    d = await startHarness();
  });
  afterEach(async () => {
    await Promise.all([h.close(), d.close()]);
  });

  const subscribe = (sandbox: Harness, channelObjectId: string) =>
    sandbox.call<ErrorBody & { channelEvents?: unknown }>('PUT', '/api/v2/approvalflowsettings', {
      channelEvents: [{ channelObjectId, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });

  it('reads channelObjectId as base64 and answers it so, refusing a hex id, naming the field', async () => {
    const hex = await subscribe(h, siem.hex);
    expect(hex.status).toBe(400);
    expect(hex.body.details).toEqual([
      { field: 'channelEvents[0].channelObjectId', message: expect.stringContaining('must be the base64 of the 12 ObjectId bytes') },
    ]);
    expect((await subscribe(h, siem.bytes)).status).toBe(200);
    expect((await h.call('GET', '/api/v2/approvalflowsettings')).body).toMatchObject({
      channelEvents: [{ channelObjectId: siem.bytes, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });
    // Twelve bytes that name no channel are refused as such.
    const unknown = await subscribe(h, Buffer.alloc(12, 0xff).toString('base64'));
    expect(unknown.body.details).toEqual([{ field: 'channelEvents[0].channelObjectId', message: 'webhook channel //////////////// does not exist' }]);
  });

  it('takes hex or base64 by default, stores one form and answers hex', async () => {
    for (const sent of [siem.bytes, siem.hex]) {
      expect((await subscribe(d, sent)).status).toBe(200);
      expect((await d.call('GET', '/api/v2/approvalflowsettings')).body).toMatchObject({
        channelEvents: [{ channelObjectId: siem.hex, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      });
    }
    expect((await subscribe(d, 'not-an-id')).body.details?.[0]).toEqual({
      field: 'channelEvents[0].channelObjectId',
      message: 'must be a 24-character hex ObjectId or the base64 of its 12 bytes',
    });
  });

  it('answers organizationId in base64 and reads organizationObjectId so, in bodies and the query', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { organizationObjectId: orgBytes }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await h.call('GET', `/api/v2/approvalflows/${created.body.id}`)).body).toMatchObject({ organizationId: orgBytes });
    const hexBody = await h.call<ErrorBody>('PUT', '/api/v2/approvalflowsettings', { organizationObjectId: exampleOrgId });
    expect(hexBody.status).toBe(400);
    expect(hexBody.body.details?.map((detail) => detail.field)).toEqual(['organizationObjectId']);
    expect((await h.call('GET', `/api/v2/approvalflows?organizationObjectId=${orgBytes}`)).status).toBe(200);
    const hexQuery = await h.call<ErrorBody>('GET', `/api/v2/approvalflows?organizationObjectId=${exampleOrgId}`);
    expect(hexQuery.status).toBe(400);
    expect(hexQuery.body.details?.map((detail) => detail.field)).toEqual(['organizationObjectId']);
    // Default: hex answered, both forms read.
    const byDefault = await d.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(d, { organizationObjectId: orgBytes }));
    expect((await d.call('GET', `/api/v2/approvalflows/${byDefault.body.id}`)).body).toMatchObject({ organizationId: exampleOrgId });
    for (const sent of [orgBytes, exampleOrgId]) {
      expect((await d.call('GET', `/api/v2/approvalflows?organizationObjectId=${sent}`)).status).toBe(200);
    }
  });
});

describe.each(['strict', 'default'] as const)('%s: fields accessctl does not model survive', (profile) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ profile });
  });
  afterAll(async () => {
    await h.close();
  });

  it("keeps a flow's slackEnabled, slackConfig, iconColor and iconUrl through create, read and PUT", async () => {
    const kept = {
      slackEnabled: true,
      slackConfig: [{ slackResourceId: 'C0123456' }, { slackResourceId: 'C0654321' }],
      iconColor: '#112233',
      iconUrl: 'https://icons.example.com/github.png',
    };
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, kept));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect((await h.call('GET', `/api/v2/approvalflows/${created.body.id}`)).body).toMatchObject(kept);
    const { category: _c, resourceType: _r, ...set } = await githubAdminFlow(h, { ...kept, description: 'changed' });
    expect((await h.call('PUT', `/api/v2/approvalflows/${created.body.id}`, set)).status).toBe(200);
    expect((await h.call('GET', `/api/v2/approvalflows/${created.body.id}`)).body).toMatchObject({ ...kept, description: 'changed' });
  });

  it("keeps a group's attributes, memberQuery, email, exemptions, suggestions setting and membership method", async () => {
    const kept = {
      description: 'Built from a query',
      email: 'platform@example.com',
      attributes: { sudo: { enabled: true, withoutPassword: false }, ldapGroups: [{ name: 'platform' }], custom: { any: 'thing' } },
      memberQuery: { queryType: 'FilterQuery', filters: ['department:$eq:Platform'] },
      memberQueryExemptions: [{ id: 'ffffffffffffffffffffffff', type: 'user' }],
      memberSuggestionsNotify: true,
      membershipMethod: 'DYNAMIC_REVIEW_REQUIRED',
    };
    const created = await h.call<{ id: string }>('POST', '/api/v2/usergroups', { name: 'Platform', ...kept });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await h.call('GET', `/api/v2/usergroups/${created.body.id}`)).body).toMatchObject(kept);
    expect((await h.call('PUT', `/api/v2/usergroups/${created.body.id}`, { name: 'Platform team', ...kept })).status).toBe(200);
    const read = await h.call('GET', `/api/v2/usergroups/${created.body.id}`);
    expect(read.body).toEqual({
      id: created.body.id,
      type: 'user_group',
      name: 'Platform team',
      ...kept,
      organizationObjectId: exampleOrgId,
    });
  });
});
