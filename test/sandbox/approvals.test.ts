// Deciding access requests: the seed's example end to end through both levels, denial, no
// self-approval, approvers outside the current level, any/all levels, durations, admin decisions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allEvents, approve, as, exampleFlows, githubAdminFlow, memberNames, startHarness, submit, type Harness, type RequestShape } from './harness.js';

const day = 24 * 3600 * 1000;

describe('deciding access requests', () => {
  let h: Harness;
  let flows: { user: string; admin: string };
  beforeEach(async () => {
    h = await startHarness();
    flows = await exampleFlows(h, {
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      fixedDuration: undefined,
      multiSelectDuration: ['PT8H', 'P1D', 'P7D'],
    });
  });
  afterEach(async () => {
    await h.close();
  });

  it('takes a GitHub Admin request through the manager and a Security Leads member, grants the chosen duration and removes it when it ends', async () => {
    const submitted = await submit(h, 'erin.em', { approvalFlowId: flows.admin, requestedDuration: 'P1D' });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({ status: 'pending', requestedDuration: 'P1D', userName: 'erin.em' });
    const id = submitted.body.id;

    // Level 2 approvers cannot act before level 1 is done.
    const early = await approve(h, 'grace.sec', id);
    expect(early.status).toBe(403);
    expect(early.body.message).toMatch(/not an approver of the current level \(level 1\)/);

    const first = await approve(h, 'dana.cto', id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.status).toBe('pending');
    expect(first.body.approvers.map((a) => [a.approvalSequence, a.resourceType, a.approvalStatus])).toEqual([
      ['1', 'manager', 'approved'],
      ['2', 'user_group', 'pending'],
    ]);
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);

    const second = await approve(h, 'heidi.sec', id);
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.status).toBe('approved');
    expect(second.body.sandbox).toEqual({ queue: 'others', access: { state: 'active', endsAt: '2026-03-02T09:00:00.000Z' } });
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['erin.em']);

    h.sandbox.clock.advance(day - 1);
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['erin.em']);
    h.sandbox.clock.advance(1);
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);
    const after = await h.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${id}`);
    // Approved stays Approved; that the access ended is the sandbox's extension, apart.
    expect(after.body.status).toBe('approved');
    expect(after.body.sandbox?.access).toEqual({ state: 'ended', endsAt: '2026-03-02T09:00:00.000Z', endedAt: '2026-03-02T09:00:00.000Z' });

    const lifecycle = [
      'access_management_access_request',
      'access_management_access_request_approval',
      'access_management_association_change',
      'sandbox_access_request_update',
    ];
    const events = (await allEvents(h)).filter((e) => lifecycle.includes(e.event_type));
    expect(
      events.map((e) => [e.event_type, e.initiated_by.email, e.changes?.find((c) => c.field === 'status' || c.field === 'access')?.to ?? e.association?.op]),
    ).toEqual([
      ['access_management_access_request', 'erin@example.com', 'pending'],
      ['access_management_access_request_approval', 'dana@example.com', 'pending'],
      ['access_management_association_change', 'heidi@example.com', 'add'],
      ['access_management_access_request_approval', 'heidi@example.com', 'approved'],
      ['access_management_association_change', 'sandbox@accessctl.local', 'remove'],
      ['sandbox_access_request_update', 'sandbox@accessctl.local', 'ended'],
    ]);
    const add = events.find((e) => e.association?.op === 'add');
    expect(add?.association?.connection.to).toMatchObject({ object_id: await h.userId('erin.em'), type: 'user' });
  });

  it('denies a request when an approver of the current level says no', async () => {
    const { body } = await submit(h, 'frank.em', { approvalFlowId: flows.admin, requestedDuration: 'PT8H' });
    const denied = await approve(h, 'dana.cto', body.id, 'denied', { remarks: 'not this week' });
    expect(denied.body.status).toBe('denied');
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);
    const again = await approve(h, 'grace.sec', body.id);
    expect(again.status).toBe(409);
    const event = (await allEvents(h)).find((e) => e.event_type === 'access_management_access_request_approval');
    expect(event?.changes?.[0]).toEqual({ field: 'status', from: 'pending', to: 'denied' });
  });

  it('refuses self-approval even when the requester is an approver of the level', async () => {
    const flow = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflows',
      await githubAdminFlow(h, {
        name: 'Peer Reviewed',
        approverResources: [{ resourceType: 'user_group', resourceId: await h.groupId('Engineering Admin'), resourceOrder: 0 }],
      }),
    );
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flow.body.id });
    const self = await approve(h, 'erin.em', body.id);
    expect(self.status).toBe(403);
    expect(self.body.message).toBe('nobody approves their own request');
    expect((await approve(h, 'frank.em', body.id)).body.status).toBe('approved');
  });

  it('needs every approver of an all level', async () => {
    const flow = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflows',
      await githubAdminFlow(h, {
        name: 'Two Keys',
        approverRequirement: 'all',
        approverResources: [
          { resourceType: 'user', resourceId: await h.userId('grace.sec'), resourceOrder: 0, requireAll: true },
          { resourceType: 'user', resourceId: await h.userId('heidi.sec'), resourceOrder: 0, requireAll: true },
        ],
      }),
    );
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flow.body.id });
    expect((await approve(h, 'grace.sec', body.id)).body.status).toBe('pending');
    expect((await approve(h, 'grace.sec', body.id)).status).toBe(409);
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);
    expect((await approve(h, 'heidi.sec', body.id)).body.status).toBe('approved');
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['erin.em']);
  });

  it('lets approvedDuration shorten the requested duration but never lengthen it', async () => {
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin, requestedDuration: 'P1D' });
    await approve(h, 'dana.cto', body.id);
    const longer = await approve(h, 'grace.sec', body.id, 'approved', { approvedDuration: 'P7D' });
    expect(longer.status).toBe(400);
    expect(JSON.stringify(longer.body)).toContain('never lengthen');
    const shorter = await approve(h, 'grace.sec', body.id, 'approved', { approvedDuration: 'PT8H' });
    expect(shorter.body).toMatchObject({ status: 'approved', approvedDuration: 'PT8H' });
    h.sandbox.clock.advance(8 * 3600 * 1000);
    expect(await memberNames(h, 'GitHub Admins')).toEqual([]);
  });

  it('puts a request whose requester has no manager in missing_data, which only an administrator decides', async () => {
    const flow = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflows',
      await githubAdminFlow(h, { name: 'For Everyone', visibleTo: [await h.groupId('Engineering All')] }),
    );
    await h.call('POST', `/api/v2/usergroups/${await h.groupId('Engineering All')}/members`, {
      op: 'add',
      type: 'user',
      id: await h.userId('dana.cto'),
    });
    const { body } = await submit(h, 'dana.cto', { approvalFlowId: flow.body.id });
    expect(body.status).toBe('missing_data');
    const user = await approve(h, 'grace.sec', body.id);
    expect(user.status).toBe(403);
    expect(user.body.message).toMatch(/missing data.*only an administrator/);
    const admin = await h.call<RequestShape>('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'approved' });
    expect(admin.status, JSON.stringify(admin.body)).toBe(200);
    expect(admin.body.status).toBe('approved');
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['dana.cto']);
  });

  it('lets an administrator decide with PUT, overriding the levels, and refuses admins on the approver route', async () => {
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin, requestedDuration: 'P7D' });
    const wrongRoute = await h.call<{ message: string }>('POST', '/api/v2/userapprovalrequest', { id: body.id, status: 'approved' });
    expect(wrongRoute.status).toBe(403);
    expect(wrongRoute.body.message).toMatch(/PUT \/api\/v2\/approvalflowrequest/);
    const decided = await h.call<RequestShape>('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'denied' });
    expect(decided.body.status).toBe('denied');
    expect(decided.body.approvers.map((a) => a.approvalStatus)).toEqual(['overridden', 'overridden']);
    expect((await h.call('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'approved' })).status).toBe(409);
    expect((await h.call('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'approved' }, as('erin.em'))).status).toBe(400);
  });

  it('moves a grant that fails to error, and an administrator retries it', async () => {
    const hooked = await startHarness({ hooks: true });
    try {
      const ids = await exampleFlows(hooked);
      await hooked.call('PUT', '/sandbox/v1/faults', {
        rules: [{ route: 'POST /api/v2/usergroups/{group_id}/members', errorRate: 1, status: 503 }],
      });
      const failed = await submit(hooked, 'alice', { approvalFlowId: ids.user });
      expect(failed.body.status).toBe('error');
      expect(await memberNames(hooked, 'GitHub Users')).toEqual([]);
      await hooked.call('PUT', '/sandbox/v1/faults', { rules: [] });
      const retried = await hooked.call<RequestShape>('PUT', `/api/v2/approvalflowrequest/${failed.body.id}`, { status: 'approved' });
      expect(retried.body.status).toBe('approved');
      expect(await memberNames(hooked, 'GitHub Users')).toEqual(['alice']);
    } finally {
      await hooked.close();
    }
  });
});
