// The directory over HTTP: user groups (create, replace, delete, unique names), members and
// application associations (add, remove, duplicates, missing objects) and the events they record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, startHarness, type Harness } from './harness.js';

describe('directory', () => {
  let h: Harness;
  let appId: string;
  beforeAll(async () => {
    h = await startHarness();
    appId = (await h.call<{ results: { _id: string }[] }>('GET', '/api/applications')).body.results[0]?._id ?? '';
  });
  afterAll(async () => {
    await h.close();
  });

  it('seeds users with managers, and one without', async () => {
    const users = await h.call<{ results: { username: string; manager?: string; _id: string }[]; totalCount: number }>('GET', '/api/systemusers?limit=100');
    expect(users.body.totalCount).toBeGreaterThanOrEqual(13);
    const withoutManager = users.body.results.filter((u) => u.manager === undefined).map((u) => u.username);
    expect(withoutManager).toEqual(['dana.cto']);
    const byId = new Map(users.body.results.map((u) => [u._id, u.username]));
    const erin = users.body.results.find((u) => u.username === 'erin.em');
    expect(byId.get(erin?.manager ?? '')).toBe('dana.cto');
  });

  it('answers 404 for a user or application that does not exist', async () => {
    expect((await h.call('GET', '/api/systemusers/ffffffffffffffffffffffff')).status).toBe(404);
    expect((await h.call('GET', '/api/applications/ffffffffffffffffffffffff')).status).toBe(404);
  });

  it('creates, replaces and deletes a user group, recording each change', async () => {
    const created = await h.call<{ id: string; name: string; type: string }>('POST', '/api/v2/usergroups', {
      name: 'Temp',
      description: 'one',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Temp', type: 'user_group', membershipMethod: 'STATIC' });
    const path = `/api/v2/usergroups/${created.body.id}`;
    expect((await h.call('PUT', path, { name: 'Temp 2', description: 'two' })).body).toMatchObject({ name: 'Temp 2', description: 'two' });
    expect((await h.call('DELETE', path)).status).toBe(200);
    expect((await h.call('GET', path)).status).toBe(404);
    const events = (await allEvents(h)).filter((e) => e.resource.id === created.body.id);
    expect(events.map((e) => e.event_type)).toEqual(['user_group_create', 'user_group_update', 'user_group_delete']);
    expect(events[1]?.changes).toEqual([
      { field: 'name', from: 'Temp', to: 'Temp 2' },
      { field: 'description', from: 'one', to: 'two' },
    ]);
  });

  it('refuses duplicate group names with 409 and bad bodies with 400', async () => {
    expect((await h.call('POST', '/api/v2/usergroups', { name: 'GitHub Users' })).status).toBe(409);
    const other = await h.call<{ id: string }>('POST', '/api/v2/usergroups', { name: 'Rename Target' });
    expect((await h.call('PUT', `/api/v2/usergroups/${other.body.id}`, { name: 'GitHub Users' })).status).toBe(409);
    const bad = await h.call<{ details: { field: string }[] }>('POST', '/api/v2/usergroups', { name: '', membershipMethod: 'SOMETIMES' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d) => d.field)).toEqual(['name', 'membershipMethod']);
    expect((await h.call('PUT', '/api/v2/usergroups/ffffffffffffffffffffffff', { name: 'x' })).status).toBe(404);
  });

  it('adds and removes members with 204, refusing duplicates and absent members', async () => {
    const group = await h.groupId('GitHub Users');
    const bob = await h.userId('bob');
    const path = `/api/v2/usergroups/${group}/members`;
    expect((await h.call('POST', path, { op: 'add', type: 'user', id: bob })).status).toBe(204);
    expect((await h.call('POST', path, { op: 'add', type: 'user', id: bob })).status).toBe(409);
    expect((await h.call<{ to: { id: string } }[]>('GET', path)).body.map((m) => m.to.id)).toEqual([bob]);
    expect((await h.call('POST', path, { op: 'remove', type: 'user', id: bob })).status).toBe(204);
    expect((await h.call('POST', path, { op: 'remove', type: 'user', id: bob })).status).toBe(404);
    expect((await h.call('POST', path, { op: 'add', type: 'user', id: 'ffffffffffffffffffffffff' })).status).toBe(400);
    expect((await h.call('POST', path, { op: 'add', type: 'system', id: bob })).status).toBe(400);
    expect((await h.call('POST', path, { op: 'join', type: 'user', id: bob })).status).toBe(400);
    expect((await h.call('GET', '/api/v2/usergroups/ffffffffffffffffffffffff/members')).status).toBe(404);
    const membership = (await allEvents(h)).filter((e) => e.event_type === 'association_change' && e.association?.connection.to.object_id === bob);
    expect(membership.map((e) => e.association?.op)).toEqual(['add', 'remove']);
    expect(membership[0]?.association?.connection.from).toMatchObject({ object_id: group, type: 'user_group', name: 'GitHub Users' });
  });

  it('accepts update on an existing member only', async () => {
    const group = await h.groupId('Security Leads');
    const path = `/api/v2/usergroups/${group}/members`;
    expect((await h.call('POST', path, { op: 'update', type: 'user', id: await h.userId('grace.sec'), attributes: {} })).status).toBe(204);
    expect((await h.call('POST', path, { op: 'update', type: 'user', id: await h.userId('alice') })).status).toBe(404);
  });

  it('pages members with limit and skip', async () => {
    const group = await h.groupId('Engineering All');
    const page = await h.call<unknown[]>('GET', `/api/v2/usergroups/${group}/members?limit=4&skip=8`);
    expect(page.body).toHaveLength(3);
    expect((await h.call('GET', `/api/v2/usergroups/${group}/members?limit=500`)).status).toBe(400);
  });

  it('associates a group with an application from either side', async () => {
    const group = await h.groupId('Engineering User');
    expect((await h.call('POST', `/api/v2/usergroups/${group}/associations`, { op: 'add', type: 'application', id: appId })).status).toBe(204);
    expect((await h.call('POST', `/api/v2/applications/${appId}/associations`, { op: 'add', type: 'user_group', id: group })).status).toBe(409);
    const fromApp = await h.call<{ to: { id: string } }[]>('GET', `/api/v2/applications/${appId}/associations?targets=user_group`);
    expect(fromApp.body.map((a) => a.to.id)).toContain(group);
    expect((await h.call<unknown[]>('GET', `/api/v2/applications/${appId}/associations?targets=user`)).body).toEqual([]);
    expect((await h.call<unknown[]>('GET', `/api/v2/usergroups/${group}/associations?targets=system`)).body).toEqual([]);
    expect((await h.call('POST', `/api/v2/applications/${appId}/associations`, { op: 'remove', type: 'user_group', id: group })).status).toBe(204);
    expect((await h.call<unknown[]>('GET', `/api/v2/usergroups/${group}/applications`)).body).toEqual([]);
  });

  it('refuses association requests without or with unknown targets, and unknown objects', async () => {
    const group = await h.groupId('Engineering User');
    expect((await h.call('GET', `/api/v2/usergroups/${group}/associations`)).status).toBe(400);
    expect((await h.call('GET', `/api/v2/usergroups/${group}/associations?targets=planet`)).status).toBe(400);
    expect((await h.call('GET', `/api/v2/applications/${appId}/associations?targets=system`)).status).toBe(400);
    expect((await h.call('POST', `/api/v2/usergroups/${group}/associations`, { op: 'add', type: 'application', id: 'ffffffffffffffffffffffff' })).status).toBe(
      400,
    );
    expect((await h.call('POST', `/api/v2/usergroups/${group}/associations`, { op: 'add', type: 'system', id: appId })).status).toBe(400);
    expect((await h.call('POST', '/api/v2/applications/ffffffffffffffffffffffff/associations', { op: 'add', type: 'user_group', id: group })).status).toBe(404);
    expect((await h.call('GET', '/api/v2/applications/ffffffffffffffffffffffff/associations?targets=user_group')).status).toBe(404);
  });
});
