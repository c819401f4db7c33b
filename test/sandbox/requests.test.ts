// Submitting and reading access requests: an automated flow grants at once, every refusal of a
// submission, the flow snapshot, the admin queue with filters, and what a user key may see.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allEvents,
  approve,
  as,
  exampleFlows,
  githubAdminFlow,
  memberNames,
  startHarness,
  submit,
  userKeys,
  type Harness,
  type RequestShape,
} from './harness.js';

type ListShape = { results: RequestShape[]; totalCount: number };

describe('submitting and reading access requests', () => {
  let h: Harness;
  let flows: { user: string; admin: string };
  beforeEach(async () => {
    h = await startHarness();
    flows = await exampleFlows(h);
  });
  afterEach(async () => {
    await h.close();
  });

  it('grants a GitHub User request from an Engineering User member at once, through the members code', async () => {
    const answer = await submit(h, 'alice', { approvalFlowId: flows.user });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({ status: 'approved', approvalFlowName: 'GitHub User', userName: 'alice' });
    expect(await memberNames(h, 'GitHub Users')).toEqual(['alice']);
    // Alice created the request; the flow approved it on its own, so the sandbox made the grant.
    const events = (await allEvents(h)).filter((e) => e.resource.type === 'access_request' || e.association !== undefined);
    expect(events.map((e) => [e.event_type, e.initiated_by.type, e.changes?.[0]?.to ?? e.association?.op])).toEqual([
      ['access_management_access_request', 'user', 'pending'],
      ['access_management_association_change', 'system', 'add'],
      ['access_management_access_request_approval', 'system', 'approved'],
    ]);
    expect(events[1]).toMatchObject({ association: { op: 'add', connection: { from: { type: 'user_group' }, to: { type: 'user' } } } });
    expect(events[2]?.changes).toEqual([
      { field: 'status', from: 'pending', to: 'approved' },
      { field: 'approval', from: null, to: 'automatic' },
    ]);
  });

  it.each([
    ['an empty reason', { remarks: '   ' }, 400, /remarks/],
    ['a reason over 1,000 characters', { remarks: 'x'.repeat(1001) }, 400, /at most 1000/],
    ['a duration on a permanent flow', { requestedDuration: 'P1D' }, 400, /permanent access/],
    ['an unknown flow', { approvalFlowId: 'ffffffffffffffffffffffff' }, 404, /approval flow ffffffffffffffffffffffff not found/],
  ])('refuses %s', async (_what, body, status, message) => {
    const answer = await submit(h, 'alice', { approvalFlowId: flows.user, ...body });
    expect(answer.status).toBe(status);
    expect(JSON.stringify(answer.body)).toMatch(message);
  });

  it('refuses a duration the flow does not offer', async () => {
    const fixed = await submit(h, 'erin.em', { approvalFlowId: flows.admin, requestedDuration: 'P30D' });
    expect(fixed.status).toBe(400);
    expect(JSON.stringify(fixed.body)).toContain('fixed P7D');
    const multi = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflows',
      await githubAdminFlow(h, {
        name: 'Multi',
        ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
        fixedDuration: undefined,
        multiSelectDuration: ['PT8H', 'P1D'],
      }),
    );
    expect((await submit(h, 'erin.em', { approvalFlowId: multi.body.id })).status).toBe(400);
    expect((await submit(h, 'erin.em', { approvalFlowId: multi.body.id, requestedDuration: 'P2D' })).status).toBe(400);
    expect((await submit(h, 'erin.em', { approvalFlowId: multi.body.id, requestedDuration: 'PT8H' })).status).toBe(201);
  });

  it('refuses a flow not visible to the user, a disabled flow, and requests while Access Requests are off', async () => {
    const hidden = await submit(h, 'alice', { approvalFlowId: flows.admin });
    expect(hidden.status).toBe(403);
    expect(hidden.body.message).toBe('approval flow "GitHub Admin" is not visible to any group of alice');
    await h.call('PUT', `/api/v2/approvalflows/${flows.admin}`, {
      ...(await githubAdminFlow(h)),
      category: undefined,
      resourceType: undefined,
      status: 'inactive',
    });
    const disabled = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect(disabled.status).toBe(403);
    expect(disabled.body.message).toBe('approval flow "GitHub Admin" is disabled');
    await h.call('PUT', '/api/v2/approvalflowsettings', { resourceRequest: false });
    const off = await submit(h, 'alice', { approvalFlowId: flows.user });
    expect(off.status).toBe(403);
    expect(off.body.message).toMatch(/turned off/);
  });

  it('refuses a second pending request for the same flow with 409', async () => {
    expect((await submit(h, 'erin.em', { approvalFlowId: flows.admin })).status).toBe(201);
    const again = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/erin\.em already has a pending request .* for "GitHub Admin"/);
  });

  it('keeps a pending request on the flow as it was when submitted', async () => {
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    // The flow now needs only Security Leads; the pending request still starts with the manager.
    await h.call('PUT', `/api/v2/approvalflows/${flows.admin}`, {
      ...(await githubAdminFlow(h)),
      category: undefined,
      resourceType: undefined,
      name: 'GitHub Admin (new)',
      approverResources: [{ resourceType: 'user_group', resourceId: await h.groupId('Security Leads'), resourceOrder: 0 }],
    });
    expect((await approve(h, 'grace.sec', body.id)).status).toBe(403);
    const read = await h.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${body.id}`);
    expect(read.body.approvalFlowName).toBe('GitHub Admin');
    expect(read.body.approvers.map((a) => a.resourceType)).toEqual(['manager', 'user_group']);
  });

  it('lists the admin queue newest first, filtered by status, approvalType and approvalFlowId', async () => {
    const first = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    const second = await submit(h, 'frank.em', { approvalFlowId: flows.admin });
    const third = await submit(h, 'bob', { approvalFlowId: flows.user });
    const all = await h.call<ListShape>('GET', '/api/v2/approvalflowrequest');
    expect(all.body.results.map((r) => r.id)).toEqual([third.body.id, second.body.id, first.body.id]);
    const pending = await h.call<ListShape>('GET', '/api/v2/approvalflowrequest?filter=status:eq:pending');
    expect(pending.body.results.map((r) => r.id)).toEqual([second.body.id, first.body.id]);
    expect((await h.call<ListShape>('GET', '/api/v2/approvalflowrequest?status=approved')).body.totalCount).toBe(1);
    expect((await h.call<ListShape>('GET', '/api/v2/approvalflowrequest?filter=approvalType:eq:automated')).body.totalCount).toBe(1);
    expect((await h.call<ListShape>('GET', `/api/v2/approvalflowrequest?filter=approvalFlowId:eq:${flows.admin}`)).body.totalCount).toBe(2);
  });

  it("shows a user key only the user's own requests and those waiting on them", async () => {
    const erins = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    const alices = await submit(h, 'alice', { approvalFlowId: flows.user });
    const byAlice = await h.call<ListShape>('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.alice });
    expect(byAlice.body.results.map((r) => r.id)).toEqual([alices.body.id]);
    expect((await h.call('GET', `/api/v2/approvalflowrequest/${erins.body.id}`, undefined, { 'x-api-key': userKeys.alice })).status).toBe(404);
    // Dana manages Erin: the request waits on her.
    const byDana = await h.call<ListShape>('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.dana });
    expect(byDana.body.results.map((r) => r.id)).toEqual([erins.body.id]);
    // Grace is on level 2, which has not started.
    expect((await h.call<ListShape>('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.grace })).body.totalCount).toBe(0);
    await approve(h, 'dana.cto', erins.body.id);
    expect((await h.call<ListShape>('GET', '/api/v2/approvalflowrequest', undefined, { 'x-api-key': userKeys.grace })).body.totalCount).toBe(1);
    const progress = await h.call<{ approvers: { approvalSequence: number; approvalStatus: string; totalCount: number }[] }>(
      'GET',
      `/api/v2/approversprogress/${erins.body.id}`,
      undefined,
      { 'x-api-key': userKeys.erin },
    );
    expect(progress.body.approvers.map((a) => [a.approvalSequence, a.approvalStatus, a.totalCount])).toEqual([
      [1, 'approved', 1],
      [2, 'pending', 2],
    ]);
  });

  it('lets an admin key act for a user with x-sandbox-act-as, and refuses the header from a user key', async () => {
    const acted = await submit(h, 'bob@example.com', { approvalFlowId: flows.user });
    expect(acted.body).toMatchObject({ status: 'approved', userName: 'bob' });
    const refused = await h.call<{ message: string }>(
      'POST',
      '/api/v2/approvalflowrequest',
      { approvalFlowId: flows.user, remarks: 'r' },
      {
        'x-api-key': userKeys.alice,
        'x-sandbox-act-as': 'bob',
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('x-sandbox-act-as needs an administrator key');
    const unknown = await submit(h, 'nobody@example.com', { approvalFlowId: flows.user });
    expect(unknown.status).toBe(404);
    const adminItself = await h.call<{ message: string }>('POST', '/api/v2/approvalflowrequest', {
      approvalFlowId: flows.user,
      remarks: 'r',
    });
    expect(adminItself.status).toBe(403);
    expect(adminItself.body.message).toMatch(/needs a user/);
    expect((await h.call('GET', '/api/v2/approvalflows', undefined, as('alice'))).status).toBe(403);
  });
});
