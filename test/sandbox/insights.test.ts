// Directory Insights: the event query's body (service, start_time, end_time, limit, skip, sort,
// search_after), its paging headers, and its refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type DirectoryEventShape, type Harness } from './harness.js';

describe('POST /insights/directory/v1/events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hooks: true });
    // Five group creations, one sandbox minute apart from 09:00.
    for (let i = 0; i < 5; i += 1) {
      await h.call('POST', '/api/v2/usergroups', { name: `Timed ${i}` });
      await h.call('POST', '/sandbox/v1/clock', { advanceMs: 60_000 });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  const query = (body: Record<string, unknown>) => h.call<DirectoryEventShape[]>('POST', '/insights/directory/v1/events', body);
  const names = (events: DirectoryEventShape[]) => events.map((e) => e.resource.name);

  it('returns the events in a time window, oldest first, in the envelope', async () => {
    const answer = await query({ service: ['directory'], start_time: '2026-03-01T09:01:00Z', end_time: '2026-03-01T09:03:00Z' });
    expect(answer.status).toBe(200);
    expect(names(answer.body)).toEqual(['Timed 1', 'Timed 2']);
    expect(answer.headers.get('x-result-count')).toBe('2');
    expect(answer.body[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      event_type: 'user_group_create',
      service: 'directory',
      organization: '65a000000000000000000001',
      timestamp: '2026-03-01T09:01:00.000Z',
      initiated_by: { id: expect.any(String), type: 'admin', email: 'admin@example.com' },
      resource: { id: expect.any(String), type: 'user_group', name: 'Timed 1' },
      client_ip: '127.0.0.1',
      success: true,
    });
  });

  it('sorts newest first with DESC, and pages with limit and skip', async () => {
    const answer = await query({ service: ['all'], start_time: '2026-03-01T00:00:00Z', sort: 'DESC', limit: 2, skip: 1 });
    expect(names(answer.body)).toEqual(['Timed 3', 'Timed 2']);
  });

  it('continues after a page with search_after from X-Search_after', async () => {
    const seen: string[] = [];
    let after: unknown;
    for (;;) {
      const answer = await query({
        service: ['all'],
        start_time: '2026-03-01T00:00:00Z',
        limit: 2,
        ...(after === undefined ? {} : { search_after: after }),
      });
      seen.push(...names(answer.body));
      const header = answer.headers.get('x-search_after');
      if (answer.body.length < 2 || header === null) break;
      after = JSON.parse(header) as unknown;
    }
    expect(seen).toEqual(['Timed 0', 'Timed 1', 'Timed 2', 'Timed 3', 'Timed 4']);
  });

  it('refuses a query that is not a JSON object', async () => {
    const answer = await h.call('POST', '/insights/directory/v1/events', '["all"]');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ message: 'the body must be a JSON object', details: [{ field: '', message: 'must be a JSON object' }] });
  });

  it('filters by service', async () => {
    expect((await query({ service: ['sso'], start_time: '2026-03-01T00:00:00Z' })).body).toEqual([]);
    expect(names((await query({ service: ['sso', 'directory'], start_time: '2026-03-01T00:00:00Z' })).body)).toHaveLength(5);
  });

  it('files Access Requests events under Directory, as JumpCloud does, never under access_management', async () => {
    const from = '2026-03-01T09:05:00Z';
    expect((await h.call('PUT', '/api/v2/approvalflowsettings', { resourceRequest: true })).status).toBe(200);
    const flow = await h.call('POST', '/api/v2/approvalflows', {
      name: 'Filed',
      category: 'Application',
      resourceType: 'user_group',
      resourceId: await h.groupId('GitHub Users'),
      approvalType: 'automated',
    });
    expect(flow.status).toBe(200);
    const directory = (await query({ service: ['directory'], start_time: from })).body;
    expect(directory.map((e) => [e.event_type, e.service])).toEqual([
      ['access_management_access_request_settings_update', 'directory'],
      ['access_management_approval_flow_create', 'directory'],
    ]);
    expect((await query({ service: ['all'], start_time: from })).body).toEqual(directory);
    expect((await query({ service: ['access_management'], start_time: from })).body).toEqual([]);
  });

  it.each([
    [{ start_time: '2026-03-01T00:00:00Z' }, 'service'],
    [{ service: [], start_time: '2026-03-01T00:00:00Z' }, 'service'],
    [{ service: ['all'] }, 'start_time'],
    [{ service: ['all'], start_time: 'yesterday' }, 'start_time'],
    [{ service: ['all'], start_time: '2026-03-01T00:00:00Z', limit: 10_001 }, 'limit'],
    [{ service: ['all'], start_time: '2026-03-01T00:00:00Z', sort: 'NEWEST' }, 'sort'],
    [{ service: ['all'], start_time: '2026-03-01T00:00:00Z', search_after: 'abc' }, 'search_after'],
    [{ service: ['all'], start_time: '2026-03-01T00:00:00Z', search_term: {} }, 'search_term'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const answer = await h.call<{ details: { field: string }[] }>('POST', '/insights/directory/v1/events', body);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d) => d.field)).toContain(field);
  });
});
