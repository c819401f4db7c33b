// Group membership (/api/v2/usergroups/{id}/members): the one membership write, which the members
// API and access grants share, so both record the same association event; and which memberships a
// grant added (granted_memberships), since only those may go when access ends.
import { badRequest, conflict, notFound } from './api-error.js';
import { association, type GraphConnection, type GraphOperation } from './graph.js';
import { recordEvent } from './insights.js';
import { pagingOnly } from './lists.js';
import type { Actor, SandboxStore } from './store.js';
import { findUser, type SystemUser } from './users.js';
import { groupResource, requireGroup, type UserGroup } from './user-groups.js';

export function listMembers(store: SandboxStore, orgId: string, groupId: string, params: URLSearchParams): GraphConnection[] {
  requireGroup(store, orgId, groupId);
  const paging = pagingOnly(params);
  const rows = store.stmt('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id LIMIT ? OFFSET ?').all(groupId, paging.limit, paging.skip) as {
    user_id: string;
  }[];
  return rows.map((row) => ({ to: { id: row.user_id, type: 'user' } }));
}

/** Adds a member without an event: for seeding. */
export function insertMember(store: SandboxStore, groupId: string, userId: string): void {
  store.stmt('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)').run(groupId, userId);
}

/** POST /api/v2/usergroups/{id}/members, with a body the MemberOperation schema accepted. */
export function changeMember(store: SandboxStore, actor: Actor, groupId: string, operation: GraphOperation): void {
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
      if (op === 'remove') {
        store.stmt('DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(group.id, user._id);
        // The membership is gone, and with it whatever added it: a later add is a new one.
        store.stmt('DELETE FROM granted_memberships WHERE group_id = ? AND user_id = ?').run(group.id, user._id);
      }
    }
    recordEvent(store, actor, {
      eventType,
      resource: groupResource(group),
      association: association(op, group, { id: user._id, type: 'user', name: user.username }),
    });
  });
}

/** Records that an access grant added this membership (so the grant's end may remove it). */
export function markGranted(store: SandboxStore, groupId: string, userId: string): void {
  store.stmt('INSERT OR IGNORE INTO granted_memberships (group_id, user_id) VALUES (?, ?)').run(groupId, userId);
}

/** Whether an access grant added this membership; a member added any other way is static, and stays. */
export function wasGranted(store: SandboxStore, groupId: string, userId: string): boolean {
  return store.stmt('SELECT 1 FROM granted_memberships WHERE group_id = ? AND user_id = ?').get(groupId, userId) !== undefined;
}

/** User ids of a group's members. */
export function memberIds(store: SandboxStore, groupId: string): string[] {
  return (store.stmt('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id').all(groupId) as { user_id: string }[]).map((row) => row.user_id);
}

/** The ids of the groups a user belongs to. */
export function groupIdsOf(store: SandboxStore, userId: string): Set<string> {
  return new Set((store.stmt('SELECT group_id FROM group_members WHERE user_id = ?').all(userId) as { group_id: string }[]).map((r) => r.group_id));
}
