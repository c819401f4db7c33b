// Approval flows: the write shape's rules, the read shape, PUT as full replace, immutable
// fields, unique names under concurrency, and the events each change records.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allEvents, githubAdminFlow, startHarness, type Harness } from './harness.js';

type ErrorBody = { code: string; message: string; status: number; details?: { field: string; message: string }[] };

describe('approval flows', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function create(overrides: Record<string, unknown> = {}): Promise<string> {
    const answer = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, overrides));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.id;
  }

  async function refuse(body: Record<string, unknown>, method = 'POST', path = '/api/v2/approvalflows'): Promise<ErrorBody> {
    const answer = await h.call<ErrorBody>(method, path, body);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('BAD_REQUEST');
    expect(answer.body.status).toBe(400);
    return answer.body;
  }

  it('lists a page again from what it kept, and anew once a name it shows changed', async () => {
    const id = await create({ name: 'Kept Page' });
    const groupId = await h.groupId('Engineering Admin');
    const page = async () =>
      (await h.call<{ results: { id: string; visibleTo: { name: string }[] }[] }>('GET', '/api/v2/approvalflows?limit=100&sort=_id')).body.results.find(
        (flow) => flow.id === id,
      );
    const reads = vi.spyOn(h.sandbox.store, 'parsedDoc');
    expect((await page())?.visibleTo).toEqual([{ id: groupId, name: 'Engineering Admin' }]);
    const readRows = reads.mock.calls.length;
    expect(readRows).toBeGreaterThan(0);
    await page();
    expect(reads.mock.calls.length).toBe(readRows);
    // Answered from the kept JSON text: the same bytes, still application/json.
    const raw = async () => {
      const response = await fetch(`${h.sandbox.url}/api/v2/approvalflows?limit=100&sort=_id`, { headers: { 'x-api-key': h.sandbox.adminKey } });
      return { type: response.headers.get('content-type'), text: await response.text() };
    };
    const first = await raw();
    const stringify = vi.spyOn(JSON, 'stringify');
    const again = await raw();
    const pagesWritten = stringify.mock.calls.filter(([value]) => typeof value === 'object' && value !== null && 'totalCount' in value).length;
    stringify.mockRestore();
    expect(pagesWritten).toBe(0);
    expect(again).toEqual(first);
    expect(first.type).toBe('application/json');
    expect(JSON.parse(first.text)).toMatchObject({ results: expect.arrayContaining([expect.objectContaining({ id, name: 'Kept Page' })]) });
    expect((await h.call('PUT', `/api/v2/usergroups/${groupId}`, { name: 'Engineering Admins' })).status).toBe(200);
    expect((await page())?.visibleTo).toEqual([{ id: groupId, name: 'Engineering Admins' }]);
    expect(reads.mock.calls.length).toBeGreaterThan(readRows);
    expect((await h.call('PUT', `/api/v2/usergroups/${groupId}`, { name: 'Engineering Admin' })).status).toBe(200);
    reads.mockRestore();
  });

  it('creates a flow from the write shape and reads it back in the read shape', async () => {
    const body = await githubAdminFlow(h, { name: 'Read Shape' });
    const id = await create({ name: 'Read Shape' });
    const read = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${id}`);
    expect(read.body).toMatchObject({
      id,
      name: 'Read Shape',
      category: 'Application',
      approvalType: 'manual',
      approverRequirement: 'any',
      status: 'active',
      timeBasedAccess: true,
      ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
      fixedDuration: 'P7D',
      nonAdminApproval: true,
      organizationId: '65a000000000000000000001',
      createdBy: 'admin@example.com',
      resources: [{ resourceId: body['resourceId'], resourceName: 'GitHub Admins', resourceType: 'user_group' }],
      visibleTo: [{ id: (body['visibleTo'] as string[])[0], name: 'Engineering Admin' }],
      approverResources: [
        { resourceId: '', resourceName: 'Manager', resourceOrder: 0, resourceType: 'manager', requireAll: false },
        {
          resourceId: await h.groupId('Security Leads'),
          resourceName: 'Security Leads',
          resourceOrder: 1,
          resourceType: 'user_group',
          requireAll: false,
        },
      ],
    });
    expect(read.body).not.toHaveProperty('resourceId');
  });

  it('names every missing required field in one 400', async () => {
    const error = await refuse({ name: 'Incomplete' });
    expect(error.details?.map((d) => d.field).sort()).toEqual(['approvalType', 'category', 'resourceId', 'resourceType']);
  });

  it.each([
    ['approvalType', { approvalType: 'automatic' }],
    ['category', { category: 'application' }],
    ['resourceType', { resourceType: 'application' }],
    ['approverRequirement', { approverRequirement: 'some' }],
    ['status', { status: 'disabled' }],
    ['ttlConfig', { ttlConfig: 'TTL_CONFIG_FOREVER' }],
    ['approverResources[0].resourceType', { approverResources: [{ resourceType: 'owner' }] }],
    ['fixedDuration', { fixedDuration: 'seven days' }],
    ['iconColor', { iconColor: 'blue' }],
    ['unexpected', { unexpected: true }],
    ['timeBasedAccess', { timeBasedAccess: 'yes' }],
  ])('refuses a value outside the allowed set for %s', async (field, overrides) => {
    const error = await refuse(await githubAdminFlow(h, { name: `Bad ${field}`, ...overrides }));
    expect(error.details?.map((d) => d.field)).toContain(field);
  });

  it('refuses references to groups and users that do not exist, naming each', async () => {
    const missing = 'ffffffffffffffffffffffff';
    const error = await refuse(
      await githubAdminFlow(h, {
        name: 'Dangling',
        resourceId: missing,
        visibleTo: [missing],
        approverResources: [
          { resourceType: 'user', resourceId: missing, resourceOrder: 0 },
          { resourceType: 'user_group', resourceId: missing, resourceOrder: 1 },
        ],
      }),
    );
    expect(error.details?.map((d) => d.field)).toEqual(['resourceId', 'visibleTo[0]', 'approverResources[0].resourceId', 'approverResources[1].resourceId']);
  });

  it('requires approvers for a manual flow and refuses them on an automated one', async () => {
    expect((await refuse(await githubAdminFlow(h, { name: 'No approvers', approverResources: [] }))).details?.[0]?.field).toBe('approverResources');
    const automated = await refuse(await githubAdminFlow(h, { name: 'Auto with approvers', approvalType: 'automated' }));
    expect(automated.details?.[0]?.field).toBe('approverResources');
  });

  it('keeps the duration fields consistent with timeBasedAccess and ttlConfig', async () => {
    await refuse(await githubAdminFlow(h, { name: 'Fixed without duration', fixedDuration: undefined }));
    await refuse(await githubAdminFlow(h, { name: 'Permanent with duration', timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_UNSPECIFIED' }));
    const multi = await create({
      name: 'Multi',
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      fixedDuration: undefined,
      multiSelectDuration: ['PT8H', 'P1D', 'P7D'],
    });
    const read = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${multi}`);
    expect(read.body['multiSelectDuration']).toEqual(['PT8H', 'P1D', 'P7D']);
    expect(read.body).not.toHaveProperty('fixedDuration');
  });

  it("refuses an organizationObjectId other than the request's organization", async () => {
    const error = await refuse(await githubAdminFlow(h, { name: 'Other Org', organizationObjectId: 'ffffffffffffffffffffffff' }));
    expect(error.details).toEqual([{ field: 'organizationObjectId', message: 'does not match the organization of this request' }]);
    await create({ name: 'Same Org', organizationObjectId: '65a000000000000000000001' });
  });

  it('refuses a duplicate name with 409', async () => {
    await create({ name: 'Unique Name' });
    const again = await h.call<ErrorBody>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Unique Name' }));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: 'CONFLICT', message: 'an approval flow named "Unique Name" already exists', status: 409 });
  });

  it('gives exactly one success and 409 for the rest when fifty clients create one name at once', async () => {
    const body = await githubAdminFlow(h, { name: 'Race' });
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.call('POST', '/api/v2/approvalflows', body)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const listed = await h.call<{ totalCount: number }>('GET', '/api/v2/approvalflows?filter=name:eq:Race');
    expect(listed.body.totalCount).toBe(1);
  });

  it('replaces the whole flow on PUT, so omitted fields return to their defaults', async () => {
    const id = await create({ name: 'Replace Me', description: 'before', iconColor: '#202D38' });
    const { category: _category, resourceType: _resourceType, ...rest } = await githubAdminFlow(h, { name: 'Replaced', description: 'after' });
    const { iconColor: _icon, nonAdminApproval: _nonAdmin, ...withoutOptional } = rest;
    const put = await h.call('PUT', `/api/v2/approvalflows/${id}`, withoutOptional);
    expect(put.status).toBe(200);
    const read = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${id}`);
    expect(read.body).toMatchObject({ name: 'Replaced', description: 'after', nonAdminApproval: false, category: 'Application' });
    expect(read.body).not.toHaveProperty('iconColor');
  });

  it('refuses to change category or resourceType on PUT but accepts them unchanged', async () => {
    const id = await create({ name: 'Immutable' });
    const body = await githubAdminFlow(h, { name: 'Immutable' });
    expect((await h.call('PUT', `/api/v2/approvalflows/${id}`, body)).status).toBe(200);
    const category = await refuse({ ...body, category: 'DeviceAdmin' }, 'PUT', `/api/v2/approvalflows/${id}`);
    expect(category.details?.[0]).toMatchObject({ field: 'category' });
    const resourceType = await refuse({ ...body, resourceType: 'system_group' }, 'PUT', `/api/v2/approvalflows/${id}`);
    expect(resourceType.details?.[0]).toMatchObject({ field: 'resourceType' });
  });

  it('refuses a rename onto another flow name with 409', async () => {
    await create({ name: 'Taken A' });
    const id = await create({ name: 'Taken B' });
    const answer = await h.call('PUT', `/api/v2/approvalflows/${id}`, await githubAdminFlow(h, { name: 'Taken A' }));
    expect(answer.status).toBe(409);
  });

  it('answers 404 for a flow that does not exist, on every method', async () => {
    const path = '/api/v2/approvalflows/aaaaaaaaaaaaaaaaaaaaaaaa';
    expect((await h.call('GET', path)).status).toBe(404);
    expect((await h.call('PUT', path, await githubAdminFlow(h))).status).toBe(404);
    expect((await h.call('DELETE', path)).status).toBe(404);
  });

  it('records create, update (with field changes) and delete events', async () => {
    const id = await create({ name: 'Evented', description: 'one' });
    await h.call('PUT', `/api/v2/approvalflows/${id}`, await githubAdminFlow(h, { name: 'Evented', description: 'two', status: 'inactive' }));
    await h.call('DELETE', `/api/v2/approvalflows/${id}`);
    const events = (await allEvents(h)).filter((e) => e.resource.id === id);
    expect(events.map((e) => e.event_type)).toEqual([
      'access_management_approval_flow_create',
      'access_management_approval_flow_update',
      'access_management_approval_flow_delete',
    ]);
    expect(events[1]?.changes).toEqual([
      { field: 'description', from: 'one', to: 'two' },
      { field: 'status', from: 'active', to: 'inactive' },
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        service: 'directory',
        organization: '65a000000000000000000001',
        initiated_by: { type: 'admin', email: 'admin@example.com' },
        resource: { id, type: 'approval_flow', name: 'Evented' },
        success: true,
      });
    }
  });

  it('records no event for a refused change', async () => {
    const before = (await allEvents(h)).length;
    await h.call('POST', '/api/v2/approvalflows', { name: 'Refused' });
    expect((await allEvents(h)).length).toBe(before);
  });

  it('refuses to delete a user group an approval flow uses', async () => {
    await create({ name: 'Uses Security Leads' });
    const answer = await h.call<ErrorBody>('DELETE', `/api/v2/usergroups/${await h.groupId('Security Leads')}`);
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('Uses Security Leads');
  });
});
