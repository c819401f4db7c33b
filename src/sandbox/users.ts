// v1 system users: read over HTTP, seeded, and updated (names, department, job title, manager)
// with PUT; the manager relation the Access Requests lifecycle resolves approvers through.
import { notFound } from './api-error.js';
import { diffFields, recordEvent } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { Problems, type JsonObject } from './request-body.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

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

export function listUsers(store: SandboxStore, orgId: string, params: URLSearchParams): { results: Partial<SystemUser>[]; totalCount: number } {
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
  const row = store.stmt('SELECT doc FROM users WHERE org_id = ? AND (username = ? OR email = ?)').get(orgId, login, login) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<SystemUser>(row.doc);
}

/**
 * The fields PUT /api/systemusers/{id} may change, as the SystemUserUpdate schema accepted them.
 * The sandbox keeps these of the published systemuserput; manager "" clears the manager.
 */
export interface SystemUserUpdate {
  firstname?: string;
  lastname?: string;
  department?: string;
  jobTitle?: string;
  manager?: string;
}

/**
 * PUT /api/systemusers/{id}: changes the fields given (v1 PUTs are partial), records user_update.
 * The manager must be another user of the org.
 */
export function updateUser(store: SandboxStore, actor: Actor, id: string, body: SystemUserUpdate): SystemUser {
  return store.transaction(() => {
    const before = findUser(store, actor.orgId, id);
    if (before === undefined) throw notFound(`system user ${id}`);
    const problems = new Problems();
    if (body.manager !== undefined && body.manager !== '') {
      if (body.manager === id) problems.fail('manager', 'a user cannot manage themself');
      else if (findUser(store, actor.orgId, body.manager) === undefined) problems.fail('manager', `user ${body.manager} does not exist`);
    }
    problems.finish('invalid system user');
    const { manager: _manager, ...kept } = before;
    const manager = body.manager === undefined ? before.manager : body.manager === '' ? undefined : body.manager;
    const after: SystemUser = {
      ...kept,
      ...(body.firstname === undefined ? {} : { firstname: body.firstname }),
      ...(body.lastname === undefined ? {} : { lastname: body.lastname }),
      ...(body.department === undefined ? {} : { department: body.department }),
      ...(body.jobTitle === undefined ? {} : { jobTitle: body.jobTitle }),
      ...(manager === undefined ? {} : { manager }),
    };
    after.displayname = `${after.firstname} ${after.lastname}`.trim();
    store.stmt('UPDATE users SET doc = ? WHERE id = ?').run(JSON.stringify(after), id);
    recordEvent(store, actor, {
      eventType: 'user_update',
      resource: { id, type: 'user', name: after.username },
      changes: diffFields(before as unknown as JsonObject, after as unknown as JsonObject),
    });
    return after;
  });
}
