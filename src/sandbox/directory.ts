// The directory: v1 system users and applications (read-only over HTTP, written by seeding) and
// v2 user groups with their members and application associations (read and write).
import { badRequest, conflict, notFound } from './api-error.js';
import { diffFields, recordEvent, type Association } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec, type ListQuery } from './lists.js';
import type { Profile } from './profile.js';
import { BodyReader, type JsonObject } from './request-body.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

// ---- system users (v1) ----

export type UserState = 'STAGED' | 'ACTIVATED' | 'SUSPENDED';

export interface SystemUser {
  _id: string;
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  displayname: string;
  department?: string;
  jobTitle?: string;
  /** The manager's user id. */
  manager?: string;
  state: UserState;
  activated: boolean;
  suspended: boolean;
  account_locked: boolean;
  organization: string;
  created: string;
}

export const userFields: FieldSpec = {
  username: 'string',
  email: 'string',
  firstname: 'string',
  lastname: 'string',
  displayname: 'string',
  department: 'string',
  jobTitle: 'string',
  manager: 'string',
  state: 'string',
  activated: 'boolean',
  suspended: 'boolean',
  account_locked: 'boolean',
  organization: 'string',
  created: 'string',
};

export interface NewUser {
  username: string;
  email: string;
  firstname: string;
  lastname: string;
  department?: string | undefined;
  jobTitle?: string | undefined;
  managerId?: string | undefined;
  state: UserState;
}

export function insertUser(store: SandboxStore, orgId: string, input: NewUser): SystemUser {
  const user: SystemUser = {
    _id: store.newId(),
    username: input.username,
    email: input.email,
    firstname: input.firstname,
    lastname: input.lastname,
    displayname: `${input.firstname} ${input.lastname}`.trim(),
    ...(input.department === undefined ? {} : { department: input.department }),
    ...(input.jobTitle === undefined ? {} : { jobTitle: input.jobTitle }),
    ...(input.managerId === undefined ? {} : { manager: input.managerId }),
    state: input.state,
    activated: input.state === 'ACTIVATED',
    suspended: input.state === 'SUSPENDED',
    account_locked: false,
    organization: orgId,
    created: store.clock.nowIso(),
  };
  store
    .stmt('INSERT INTO users (id, org_id, username, email, doc) VALUES (?, ?, ?, ?, ?)')
    .run(user._id, orgId, user.username, user.email, JSON.stringify(user));
  return user;
}

export function listUsers(
  store: SandboxStore,
  orgId: string,
  params: URLSearchParams,
): { results: Partial<SystemUser>[]; totalCount: number } {
  const query = parseListQuery(params, userFields);
  const page = selectPage(store, 'users', { sql: 'org_id = ?', params: [orgId] }, query, userFields);
  return { results: page.rows.map((row) => project(parseDoc<SystemUser>(row.doc), query.fields)), totalCount: page.totalCount };
}

export function findUser(store: SandboxStore, orgId: string, id: string): SystemUser | undefined {
  const row = store.stmt('SELECT doc FROM users WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<SystemUser>(row.doc);
}

export function getUser(store: SandboxStore, orgId: string, id: string, params: URLSearchParams): Partial<SystemUser> {
  const user = findUser(store, orgId, id);
  if (user === undefined) throw notFound(`system user ${id}`);
  return project(user, parseListQuery(params, userFields).fields);
}

/** A user by username or email, for seeding. */
export function findUserByLogin(store: SandboxStore, orgId: string, login: string): SystemUser | undefined {
  const row = store.stmt('SELECT doc FROM users WHERE org_id = ? AND (username = ? OR email = ?)').get(orgId, login, login) as
    { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<SystemUser>(row.doc);
}

// ---- applications (v1) ----

export interface Application {
  _id: string;
  name: string;
  displayName: string;
  displayLabel: string;
  description?: string;
  ssoUrl: string;
  active: boolean;
  config: JsonObject;
  sso: { type: string };
  organization: string;
  created: string;
}

export const applicationFields: FieldSpec = {
  name: 'string',
  displayName: 'string',
  displayLabel: 'string',
  description: 'string',
  ssoUrl: 'string',
  active: 'boolean',
  organization: 'string',
  created: 'string',
};

export interface NewApplication {
  name: string;
  displayLabel: string;
  description?: string | undefined;
  ssoUrl: string;
}

export function insertApplication(store: SandboxStore, orgId: string, input: NewApplication): Application {
  const app: Application = {
    _id: store.newId(),
    name: input.name,
    displayName: input.displayLabel,
    displayLabel: input.displayLabel,
    ...(input.description === undefined ? {} : { description: input.description }),
    ssoUrl: input.ssoUrl,
    active: true,
    config: {},
    sso: { type: 'saml' },
    organization: orgId,
    created: store.clock.nowIso(),
  };
  store.stmt('INSERT INTO applications (id, org_id, name, doc) VALUES (?, ?, ?, ?)').run(app._id, orgId, app.name, JSON.stringify(app));
  return app;
}

export function listApplications(
  store: SandboxStore,
  orgId: string,
  params: URLSearchParams,
): { results: Partial<Application>[]; totalCount: number } {
  const query = parseListQuery(params, applicationFields, ['name']);
  const page = selectPage(store, 'applications', { sql: 'org_id = ?', params: [orgId] }, query, applicationFields);
  return { results: page.rows.map((row) => project(parseDoc<Application>(row.doc), query.fields)), totalCount: page.totalCount };
}

export function findApplication(store: SandboxStore, orgId: string, id: string): Application | undefined {
  const row = store.stmt('SELECT doc FROM applications WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<Application>(row.doc);
}

export function getApplication(store: SandboxStore, orgId: string, id: string): Application {
  const app = findApplication(store, orgId, id);
  if (app === undefined) throw notFound(`application ${id}`);
  return app;
}

// ---- user groups (v2) ----

export interface UserGroup {
  id: string;
  name: string;
  type: 'user_group';
  description?: string;
  email?: string;
  attributes?: JsonObject;
  /** Absent only after a strict PUT left it out (which clears it). */
  membershipMethod?: string;
  memberQuery?: JsonObject;
  memberQueryExemptions?: JsonObject[];
  memberSuggestionsNotify?: boolean;
  organizationObjectId: string;
}

export const groupFields: FieldSpec = {
  name: 'string',
  description: 'string',
  email: 'string',
  type: 'string',
  membershipMethod: 'string',
};

const groupWritable = [
  'name',
  'description',
  'email',
  'attributes',
  'memberQuery',
  'memberQueryExemptions',
  'memberSuggestionsNotify',
  'membershipMethod',
] as const;
const membershipMethods = ['NOTSET', 'STATIC', 'DYNAMIC_REVIEW_REQUIRED', 'DYNAMIC_AUTOMATED'] as const;

/**
 * Reads a group write. The PUT is a full update: every field it leaves out is cleared, except that
 * the default profile keeps a missing membershipMethod at STATIC, as a create does.
 */
function readGroupBody(body: unknown, defaultMethod: string | undefined): Omit<UserGroup, 'id' | 'type' | 'organizationObjectId'> {
  const reader = new BodyReader(body, groupWritable);
  const name = reader.string('name', { required: true, minLength: 1, maxLength: 255 });
  const description = reader.string('description', { maxLength: 1024 });
  const email = reader.string('email', { maxLength: 1024 });
  const attributes = reader.object('attributes');
  const memberQuery = reader.object('memberQuery');
  const exemptions = reader.array('memberQueryExemptions');
  exemptions?.forEach((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      reader.fail(`memberQueryExemptions[${index}]`, 'must be an object');
  });
  const notify = reader.boolean('memberSuggestionsNotify');
  const method = reader.string('membershipMethod', { oneOf: membershipMethods });
  reader.finish('invalid user group');
  return {
    name: name ?? '',
    ...(description === undefined ? {} : { description }),
    ...(email === undefined ? {} : { email }),
    ...(attributes === undefined ? {} : { attributes }),
    ...(method === undefined && defaultMethod === undefined ? {} : { membershipMethod: method ?? defaultMethod }),
    ...(memberQuery === undefined ? {} : { memberQuery }),
    ...(exemptions === undefined ? {} : { memberQueryExemptions: exemptions as JsonObject[] }),
    ...(notify === undefined ? {} : { memberSuggestionsNotify: notify }),
  };
}

export function findGroup(store: SandboxStore, orgId: string, id: string): UserGroup | undefined {
  const row = store.stmt('SELECT doc FROM user_groups WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<UserGroup>(row.doc);
}

export function findGroupByName(store: SandboxStore, orgId: string, name: string): UserGroup | undefined {
  const row = store.stmt('SELECT doc FROM user_groups WHERE org_id = ? AND name = ?').get(orgId, name) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<UserGroup>(row.doc);
}

function requireGroup(store: SandboxStore, orgId: string, id: string): UserGroup {
  const group = findGroup(store, orgId, id);
  if (group === undefined) throw notFound(`user group ${id}`);
  return group;
}

/** Group names of the org by id, for resolving references in one query. */
export function groupNames(store: SandboxStore, orgId: string): Map<string, string> {
  const rows = store.stmt('SELECT id, name FROM user_groups WHERE org_id = ?').all(orgId) as { id: string; name: string }[];
  return new Map(rows.map((row) => [row.id, row.name]));
}

function nameTaken(store: SandboxStore, orgId: string, name: string, exceptId?: string): boolean {
  const row = store.stmt('SELECT id FROM user_groups WHERE org_id = ? AND name = ?').get(orgId, name) as { id: string } | undefined;
  return row !== undefined && row.id !== exceptId;
}

export function listGroups(store: SandboxStore, orgId: string, params: URLSearchParams): Partial<UserGroup>[] {
  const query = parseListQuery(params, groupFields);
  const page = selectPage(store, 'user_groups', { sql: 'org_id = ?', params: [orgId] }, query, groupFields);
  return page.rows.map((row) => project(parseDoc<UserGroup>(row.doc), query.fields));
}

export function getGroup(store: SandboxStore, orgId: string, id: string): UserGroup {
  return requireGroup(store, orgId, id);
}

/** Inserts a group without an event: for seeding, which is not an admin action. */
export function insertGroup(
  store: SandboxStore,
  orgId: string,
  fields: Omit<UserGroup, 'id' | 'type' | 'organizationObjectId'>,
): UserGroup {
  const group: UserGroup = { id: store.newId(), type: 'user_group', ...fields, organizationObjectId: orgId };
  store.stmt('INSERT INTO user_groups (id, org_id, name, doc) VALUES (?, ?, ?, ?)').run(group.id, orgId, group.name, JSON.stringify(group));
  return group;
}

function groupResource(group: UserGroup): { id: string; type: string; name: string } {
  return { id: group.id, type: 'user_group', name: group.name };
}

export function createGroup(store: SandboxStore, actor: Actor, body: unknown): UserGroup {
  const fields = readGroupBody(body, 'STATIC');
  return store.transaction(() => {
    if (nameTaken(store, actor.orgId, fields.name)) throw conflict(`a user group named "${fields.name}" already exists`);
    const group = insertGroup(store, actor.orgId, fields);
    recordEvent(store, actor, { eventType: 'user_group_create', resource: groupResource(group) });
    return group;
  });
}

export function replaceGroup(store: SandboxStore, actor: Actor, id: string, body: unknown, profile: Profile = 'default'): UserGroup {
  const fields = readGroupBody(body, profile === 'strict' ? undefined : 'STATIC');
  return store.transaction(() => {
    const before = requireGroup(store, actor.orgId, id);
    if (nameTaken(store, actor.orgId, fields.name, id)) throw conflict(`a user group named "${fields.name}" already exists`);
    const after: UserGroup = { id, type: 'user_group', ...fields, organizationObjectId: actor.orgId };
    store.stmt('UPDATE user_groups SET name = ?, doc = ? WHERE id = ?').run(after.name, JSON.stringify(after), id);
    const changes = diffFields(before as unknown as JsonObject, after as unknown as JsonObject);
    recordEvent(store, actor, { eventType: 'user_group_update', resource: groupResource(after), changes });
    return after;
  });
}

export function deleteGroup(store: SandboxStore, actor: Actor, id: string): UserGroup {
  return store.transaction(() => {
    const group = requireGroup(store, actor.orgId, id);
    const flows = flowsReferencingGroup(store, actor.orgId, id);
    if (flows.length > 0) {
      throw conflict(`user group "${group.name}" is used by approval flow(s) ${flows.map((n) => `"${n}"`).join(', ')}; change them first`);
    }
    store.stmt('DELETE FROM user_groups WHERE id = ?').run(id);
    recordEvent(store, actor, { eventType: 'user_group_delete', resource: groupResource(group) });
    return group;
  });
}

function flowsReferencingGroup(store: SandboxStore, orgId: string, groupId: string): string[] {
  const rows = store
    .stmt(
      `SELECT name FROM approval_flows WHERE org_id = ? AND (
         json_extract(doc, '$.resourceId') = ?
         OR EXISTS (SELECT 1 FROM json_each(doc, '$.visibleTo') WHERE value = ?)
         OR EXISTS (SELECT 1 FROM json_each(doc, '$.approverResources') WHERE json_extract(value, '$.resourceId') = ?))
       ORDER BY name`,
    )
    .all(orgId, groupId, groupId, groupId) as { name: string }[];
  return rows.map((row) => row.name);
}

// ---- graph: members and associations ----

export interface GraphObject {
  id: string;
  type: string;
}

export interface GraphConnection {
  from?: GraphObject;
  to: GraphObject;
}

export interface GraphObjectWithPaths {
  id: string;
  type: string;
  compiledAttributes: JsonObject;
  paths: GraphConnection[][];
}

export interface GraphOperation {
  op: 'add' | 'remove' | 'update';
  type: string;
  id: string;
}

function readGraphOperation(body: unknown, types: readonly string[], supported: readonly string[]): GraphOperation {
  const reader = new BodyReader(body, ['op', 'type', 'id', 'attributes']);
  const op = reader.string('op', { required: true, oneOf: ['add', 'remove', 'update'] });
  const type = reader.string('type', { required: true, oneOf: types });
  const id = reader.string('id', { required: true, minLength: 1 });
  reader.object('attributes');
  if (type !== undefined && !supported.includes(type))
    reader.fail('type', `the sandbox only keeps ${supported.join(', ')} associations here`);
  reader.finish('invalid graph operation');
  return { op: op as GraphOperation['op'], type: type ?? '', id: id ?? '' };
}

/** Paging for graph lists: limit and skip only, always in id order. */
function graphPaging(params: URLSearchParams): ListQuery {
  const allowed = new URLSearchParams();
  for (const key of ['limit', 'skip']) {
    const value = params.get(key);
    if (value !== null) allowed.set(key, value);
  }
  return parseListQuery(allowed, {});
}

export function listMembers(store: SandboxStore, orgId: string, groupId: string, params: URLSearchParams): GraphConnection[] {
  requireGroup(store, orgId, groupId);
  const paging = graphPaging(params);
  const rows = store
    .stmt('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id LIMIT ? OFFSET ?')
    .all(groupId, paging.limit, paging.skip) as { user_id: string }[];
  return rows.map((row) => ({ to: { id: row.user_id, type: 'user' } }));
}

/** Adds a member without an event: for seeding. */
export function insertMember(store: SandboxStore, groupId: string, userId: string): void {
  store.stmt('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)').run(groupId, userId);
}

function association(op: GraphOperation['op'], group: UserGroup, to: { id: string; type: string; name: string }): Association {
  return {
    op,
    connection: {
      from: { object_id: group.id, type: 'user_group', name: group.name },
      to: { object_id: to.id, type: to.type, name: to.name },
    },
  };
}

export function changeMember(store: SandboxStore, actor: Actor, groupId: string, body: unknown): void {
  const operation = readGraphOperation(body, ['user'], ['user']);
  store.transaction(() => {
    const group = requireGroup(store, actor.orgId, groupId);
    const user = findUser(store, actor.orgId, operation.id);
    if (user === undefined) throw badRequest('no such user', [{ field: 'id', message: `user ${operation.id} does not exist` }]);
    applyMembership(store, actor, group, user, operation.op, 'association_change');
  });
}

export function isMember(store: SandboxStore, groupId: string, userId: string): boolean {
  return store.stmt('SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?').get(groupId, userId) !== undefined;
}

/**
 * The one membership write: POST /usergroups/{id}/members and access grants and revocations all
 * come through here, so both record the same association event (under their own event type).
 */
export function applyMembership(
  store: SandboxStore,
  actor: Actor,
  group: UserGroup,
  user: SystemUser,
  op: GraphOperation['op'],
  eventType: 'association_change' | 'access_management_association_change',
): void {
  store.transaction(() => {
    const member = isMember(store, group.id, user._id);
    if (op === 'add') {
      if (member) throw conflict(`user ${user.username} is already a member of "${group.name}"`);
      insertMember(store, group.id, user._id);
    } else {
      if (!member) throw notFound(`membership of user ${user.username} in "${group.name}"`);
      if (op === 'remove') store.stmt('DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(group.id, user._id);
    }
    recordEvent(store, actor, {
      eventType,
      resource: groupResource(group),
      association: association(op, group, { id: user._id, type: 'user', name: user.username }),
    });
  });
}

/** User ids of a group's members. */
export function memberIds(store: SandboxStore, groupId: string): string[] {
  return (store.stmt('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id').all(groupId) as { user_id: string }[]).map(
    (row) => row.user_id,
  );
}

const userGroupTargets = [
  'active_directory',
  'application',
  'g_suite',
  'idp_routing_policy',
  'ldap_server',
  'office_365',
  'password_manager_item',
  'radius_server',
  'system',
  'system_group',
] as const;

function requireTargets(params: URLSearchParams, allowed: readonly string[]): string {
  const targets = params.get('targets');
  if (targets === null || targets === '') {
    throw badRequest('targets is required', [{ field: 'targets', message: `one of ${allowed.join(', ')}` }]);
  }
  if (!allowed.includes(targets))
    throw badRequest(`unknown targets "${targets}"`, [{ field: 'targets', message: `one of ${allowed.join(', ')}` }]);
  return targets;
}

export function listGroupAssociations(store: SandboxStore, orgId: string, groupId: string, params: URLSearchParams): GraphConnection[] {
  requireGroup(store, orgId, groupId);
  const targets = requireTargets(params, userGroupTargets);
  const paging = graphPaging(params);
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
  const linked =
    store.stmt('SELECT 1 FROM group_applications WHERE group_id = ? AND application_id = ?').get(group.id, app._id) !== undefined;
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

export function changeGroupAssociation(store: SandboxStore, actor: Actor, groupId: string, body: unknown): void {
  const operation = readGraphOperation(body, userGroupTargets, ['application']);
  store.transaction(() => {
    const group = requireGroup(store, actor.orgId, groupId);
    const app = findApplication(store, actor.orgId, operation.id);
    if (app === undefined)
      throw badRequest('no such application', [{ field: 'id', message: `application ${operation.id} does not exist` }]);
    changeGroupApplication(store, actor, group, app, operation.op);
  });
}

export function listGroupApplications(
  store: SandboxStore,
  orgId: string,
  groupId: string,
  params: URLSearchParams,
): GraphObjectWithPaths[] {
  requireGroup(store, orgId, groupId);
  const paging = graphPaging(params);
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
  const paging = graphPaging(params);
  // Direct user-to-application associations are not kept by the sandbox.
  if (targets === 'user') return [];
  const rows = store
    .stmt('SELECT group_id FROM group_applications WHERE application_id = ? ORDER BY group_id LIMIT ? OFFSET ?')
    .all(appId, paging.limit, paging.skip) as { group_id: string }[];
  return rows.map((row) => ({ from: { id: appId, type: 'application' }, to: { id: row.group_id, type: 'user_group' } }));
}

export function changeApplicationAssociation(store: SandboxStore, actor: Actor, appId: string, body: unknown): void {
  const operation = readGraphOperation(body, ['user', 'user_group'], ['user_group']);
  store.transaction(() => {
    const app = findApplication(store, actor.orgId, appId);
    if (app === undefined) throw notFound(`application ${appId}`);
    const group = findGroup(store, actor.orgId, operation.id);
    if (group === undefined)
      throw badRequest('no such user group', [{ field: 'id', message: `user group ${operation.id} does not exist` }]);
    changeGroupApplication(store, actor, group, app, operation.op);
  });
}
