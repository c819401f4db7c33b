// The graph between user groups and applications (/api/v2/usergroups/{id}/associations,
// /applications and /api/v2/applications/{id}/associations): the only association kind the sandbox keeps.
import { badRequest, conflict, notFound } from './api-error.js';
import { findApplication, type Application } from './applications.js';
import { association, userGroupTargets, type GraphConnection, type GraphObjectWithPaths, type GraphOperation } from './graph.js';
import { recordEvent } from './insights.js';
import { pagingOnly } from './lists.js';
import { Problems } from './request-body.js';
import type { Actor, SandboxStore } from './store.js';
import { findGroup, groupResource, requireGroup, type UserGroup } from './user-groups.js';

/** The sandbox keeps one kind of association: a 400 says so for the other types the schema allows. */
function onlyKept(operation: GraphOperation, kept: string): void {
  const problems = new Problems();
  if (operation.type !== kept) problems.fail('type', `the sandbox only keeps ${kept} associations here`);
  problems.finish('invalid graph operation');
}

function requireTargets(params: URLSearchParams, allowed: readonly string[]): string {
  const targets = params.get('targets');
  if (targets === null || targets === '') {
    throw badRequest('targets is required', [{ field: 'targets', message: `one of ${allowed.join(', ')}` }]);
  }
  if (!allowed.includes(targets)) throw badRequest(`unknown targets "${targets}"`, [{ field: 'targets', message: `one of ${allowed.join(', ')}` }]);
  return targets;
}

export function listGroupAssociations(store: SandboxStore, orgId: string, groupId: string, params: URLSearchParams): GraphConnection[] {
  requireGroup(store, orgId, groupId);
  const targets = requireTargets(params, userGroupTargets);
  const paging = pagingOnly(params);
  // The sandbox keeps application associations only; every other target type is empty.
  if (targets !== 'application') return [];
  const rows = store
    .stmt('SELECT application_id FROM group_applications WHERE group_id = ? ORDER BY application_id LIMIT ? OFFSET ?')
    .all(groupId, paging.limit, paging.skip) as { application_id: string }[];
  return rows.map((row) => ({ from: { id: groupId, type: 'user_group' }, to: { id: row.application_id, type: 'application' } }));
}

/** Associates a group and an application without an event: for seeding. */
export function insertGroupApplication(store: SandboxStore, groupId: string, applicationId: string): void {
  store.stmt('INSERT OR IGNORE INTO group_applications (group_id, application_id) VALUES (?, ?)').run(groupId, applicationId);
}

function changeGroupApplication(store: SandboxStore, actor: Actor, group: UserGroup, app: Application, op: GraphOperation['op']): void {
  const linked = store.stmt('SELECT 1 FROM group_applications WHERE group_id = ? AND application_id = ?').get(group.id, app._id) !== undefined;
  if (op === 'add') {
    if (linked) throw conflict(`user group "${group.name}" is already associated with application "${app.name}"`);
    insertGroupApplication(store, group.id, app._id);
  } else {
    if (!linked) throw notFound(`association of user group "${group.name}" with application "${app.name}"`);
    if (op === 'remove') store.stmt('DELETE FROM group_applications WHERE group_id = ? AND application_id = ?').run(group.id, app._id);
  }
  recordEvent(store, actor, {
    eventType: 'association_change',
    resource: groupResource(group),
    association: association(op, group, { id: app._id, type: 'application', name: app.name }),
  });
}

export function changeGroupAssociation(store: SandboxStore, actor: Actor, groupId: string, operation: GraphOperation): void {
  onlyKept(operation, 'application');
  store.transaction(() => {
    const group = requireGroup(store, actor.orgId, groupId);
    const app = findApplication(store, actor.orgId, operation.id);
    if (app === undefined) throw badRequest('no such application', [{ field: 'id', message: `application ${operation.id} does not exist` }]);
    changeGroupApplication(store, actor, group, app, operation.op);
  });
}

export function listGroupApplications(store: SandboxStore, orgId: string, groupId: string, params: URLSearchParams): GraphObjectWithPaths[] {
  requireGroup(store, orgId, groupId);
  const paging = pagingOnly(params);
  const rows = store
    .stmt('SELECT application_id FROM group_applications WHERE group_id = ? ORDER BY application_id LIMIT ? OFFSET ?')
    .all(groupId, paging.limit, paging.skip) as { application_id: string }[];
  return rows.map((row) => ({
    id: row.application_id,
    type: 'application',
    compiledAttributes: {},
    paths: [[{ from: { id: groupId, type: 'user_group' }, to: { id: row.application_id, type: 'application' } }]],
  }));
}

export function listApplicationAssociations(store: SandboxStore, orgId: string, appId: string, params: URLSearchParams): GraphConnection[] {
  if (findApplication(store, orgId, appId) === undefined) throw notFound(`application ${appId}`);
  const targets = requireTargets(params, ['user', 'user_group']);
  const paging = pagingOnly(params);
  // Direct user-to-application associations are not kept by the sandbox.
  if (targets === 'user') return [];
  const rows = store
    .stmt('SELECT group_id FROM group_applications WHERE application_id = ? ORDER BY group_id LIMIT ? OFFSET ?')
    .all(appId, paging.limit, paging.skip) as { group_id: string }[];
  return rows.map((row) => ({ from: { id: appId, type: 'application' }, to: { id: row.group_id, type: 'user_group' } }));
}

export function changeApplicationAssociation(store: SandboxStore, actor: Actor, appId: string, operation: GraphOperation): void {
  onlyKept(operation, 'user_group');
  store.transaction(() => {
    const app = findApplication(store, actor.orgId, appId);
    if (app === undefined) throw notFound(`application ${appId}`);
    const group = findGroup(store, actor.orgId, operation.id);
    if (group === undefined) throw badRequest('no such user group', [{ field: 'id', message: `user group ${operation.id} does not exist` }]);
    changeGroupApplication(store, actor, group, app, operation.op);
  });
}
