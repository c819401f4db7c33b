// v1 system users: read over HTTP, written by seeding; the manager relation the Access Requests
// lifecycle resolves approvers through.
import { notFound } from './api-error.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { parseDoc, type SandboxStore } from './store.js';

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
