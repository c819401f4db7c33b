// v2 user groups (/api/v2/usergroups): create, replace (a full update), delete, and the reads the
// rest of the sandbox resolves group ids and names through.
import { conflict, notFound } from './api-error.js';
import { diffFields, recordEvent } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import type { Profile } from './profile.js';
import type { JsonObject } from './request-body.js';
import { assertNameFree } from './name-index.js';
import { nameKey } from './names.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

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

/** The body POST and PUT take, as the UserGroupWrite schema accepted it. */
export interface UserGroupWrite {
  name: string;
  description?: string;
  email?: string;
  attributes?: JsonObject;
  membershipMethod?: string;
  memberQuery?: JsonObject;
  memberQueryExemptions?: JsonObject[];
  memberSuggestionsNotify?: boolean;
}

/**
 * The stored fields of a group write. The PUT is a full update: every field it leaves out is
 * cleared, except that the default profile keeps a missing membershipMethod at STATIC, as a create does.
 */
function groupFieldsOf(body: UserGroupWrite, defaultMethod: string | undefined): Omit<UserGroup, 'id' | 'type' | 'organizationObjectId'> {
  const method = body.membershipMethod ?? defaultMethod;
  return {
    name: body.name,
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.email === undefined ? {} : { email: body.email }),
    ...(body.attributes === undefined ? {} : { attributes: body.attributes }),
    ...(method === undefined ? {} : { membershipMethod: method }),
    ...(body.memberQuery === undefined ? {} : { memberQuery: body.memberQuery }),
    ...(body.memberQueryExemptions === undefined ? {} : { memberQueryExemptions: body.memberQueryExemptions }),
    ...(body.memberSuggestionsNotify === undefined ? {} : { memberSuggestionsNotify: body.memberSuggestionsNotify }),
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

export function requireGroup(store: SandboxStore, orgId: string, id: string): UserGroup {
  const group = findGroup(store, orgId, id);
  if (group === undefined) throw notFound(`user group ${id}`);
  return group;
}

/** Group names of the org by id, for resolving references in one query. */
export function groupNames(store: SandboxStore, orgId: string): Map<string, string> {
  const rows = store.stmt('SELECT id, name FROM user_groups WHERE org_id = ?').all(orgId) as { id: string; name: string }[];
  return new Map(rows.map((row) => [row.id, row.name]));
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
export function insertGroup(store: SandboxStore, orgId: string, fields: Omit<UserGroup, 'id' | 'type' | 'organizationObjectId'>): UserGroup {
  const group: UserGroup = { id: store.newId(), type: 'user_group', ...fields, organizationObjectId: orgId };
  store
    .stmt('INSERT INTO user_groups (id, org_id, name, name_key, doc) VALUES (?, ?, ?, ?, ?)')
    .run(group.id, orgId, group.name, nameKey(group.name), JSON.stringify(group));
  return group;
}

export function groupResource(group: UserGroup): { id: string; type: string; name: string } {
  return { id: group.id, type: 'user_group', name: group.name };
}

export function createGroup(store: SandboxStore, actor: Actor, body: UserGroupWrite): UserGroup {
  const fields = groupFieldsOf(body, 'STATIC');
  return store.transaction(() => {
    assertNameFree(store, 'user_groups', 'a user group', actor.orgId, fields.name);
    const group = insertGroup(store, actor.orgId, fields);
    recordEvent(store, actor, { eventType: 'user_group_create', resource: groupResource(group) });
    return group;
  });
}

export function replaceGroup(store: SandboxStore, actor: Actor, id: string, body: UserGroupWrite, profile: Profile = 'default'): UserGroup {
  const fields = groupFieldsOf(body, profile === 'strict' ? undefined : 'STATIC');
  return store.transaction(() => {
    const before = requireGroup(store, actor.orgId, id);
    assertNameFree(store, 'user_groups', 'a user group', actor.orgId, fields.name, id);
    const after: UserGroup = { id, type: 'user_group', ...fields, organizationObjectId: actor.orgId };
    store.stmt('UPDATE user_groups SET name = ?, name_key = ?, doc = ? WHERE id = ?').run(after.name, nameKey(after.name), JSON.stringify(after), id);
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
    // Its memberships went with it (cascade), so nothing is left for a grant's end to remove.
    store.stmt('DELETE FROM granted_memberships WHERE group_id = ?').run(id);
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
