// Who approves what. A level's approvers are fixed when it starts: never the requester, and never
// someone who approved an earlier level of the same request (four eyes). An `all` level needs every
// entry, and an entry naming a group then needs every member so fixed; an `any` level needs one.
import { levelsOf, type Level, type StoredApprover } from './flow-model.js';
import { memberIds } from './group-members.js';
import type { EntryApprovers, MissingReason, QueueView, StoredRequest } from './request-model.js';
import type { SandboxStore } from './store.js';

/** User ids an approver entry names today, the requester left out (admins approve with an admin key instead). */
export function eligibleUsers(store: SandboxStore, request: StoredRequest, approver: StoredApprover): string[] {
  let ids: string[];
  switch (approver.resourceType) {
    case 'manager':
      ids = request.requester.managerId === undefined ? [] : [request.requester.managerId];
      break;
    case 'user':
      ids = [approver.resourceId];
      break;
    case 'user_group':
      ids = memberIds(store, approver.resourceId);
      break;
    case 'admin':
      ids = [];
      break;
  }
  // Nobody approves their own request.
  return ids.filter((id) => id !== request.requester.id);
}

/** Users who approved a level before `level`: each approves one level of a request at most. */
export function earlierApprovers(request: StoredRequest, level: number): Set<string> {
  return new Set(request.approvals.filter((a) => a.level < level && a.decision === 'approved').map((a) => a.approverId));
}

/** The approvers of the request's current level, as of now: what a level fixes when it starts. */
export function resolveLevel(store: SandboxStore, request: StoredRequest): EntryApprovers[] {
  const level = levelsOf(request.flow)[request.level];
  if (level === undefined) return [];
  const excluded = earlierApprovers(request, request.level);
  return level.approvers.map(({ index, approver }) => ({
    index,
    users: eligibleUsers(store, request, approver).filter((id) => !excluded.has(id)),
    admins: approver.resourceType === 'admin',
  }));
}

/** The current level and its fixed approvers, when the request has started one. */
export function currentLevel(request: StoredRequest): { level: Level; entries: EntryApprovers[] } | undefined {
  const level = levelsOf(request.flow)[request.level];
  const entries = request.levelApprovers[request.level];
  return level === undefined || entries === undefined ? undefined : { level, entries };
}

function approvedBy(request: StoredRequest, level: number, index: number): Set<string> {
  return new Set(request.approvals.filter((a) => a.level === level && a.resourceIndex === index && a.decision === 'approved').map((a) => a.approverId));
}

/**
 * Whether one entry of a level is satisfied: an entry of one person when that person approved; a
 * group entry when one member approved, or under `all` when every member fixed for it did. Admin
 * entries are satisfied only by an administrator's decision, which decides the whole request.
 */
export function entrySatisfied(request: StoredRequest, level: number, requireAll: boolean, entry: EntryApprovers): boolean {
  if (entry.users.length === 0) return false;
  const approved = approvedBy(request, level, entry.index);
  return requireAll ? entry.users.every((id) => approved.has(id)) : entry.users.some((id) => approved.has(id));
}

/** `all`: every entry satisfied; `any`: one. */
export function levelComplete(request: StoredRequest, level: number, requireAll: boolean, entries: EntryApprovers[]): boolean {
  const satisfied = entries.filter((entry) => entrySatisfied(request, level, requireAll, entry));
  return requireAll ? satisfied.length === entries.length : satisfied.length > 0;
}

/** How many entries of the current level are satisfied. */
export function satisfiedEntries(request: StoredRequest): number {
  const current = currentLevel(request);
  if (current === undefined) return 0;
  return current.entries.filter((entry) => entrySatisfied(request, request.level, current.level.requireAll, entry)).length;
}

/**
 * What keeps a level from ever passing, if anything: under `all`, an entry of users with nobody
 * left; under `any`, no entry with anybody (administrators count). A manager entry the requester
 * has no manager for is "manager"; anything else "approver".
 */
export function missingFor(request: StoredRequest, level: Level, entries: EntryApprovers[]): MissingReason | undefined {
  const empty = entries.filter((entry) => !entry.admins && entry.users.length === 0);
  const stuck = level.requireAll ? empty.length > 0 : entries.every((entry) => !entry.admins && entry.users.length === 0);
  if (!stuck) return undefined;
  const managerGap = empty.some((entry) => request.flow.approverResources[entry.index]?.resourceType === 'manager');
  return managerGap && request.requester.managerId === undefined ? 'manager' : 'approver';
}

/** Users the request now waits on: fixed for an unsatisfied entry of the current level, not yet decided there. */
export function waitingOn(request: StoredRequest): string[] {
  if (request.status !== 'pending') return [];
  const current = currentLevel(request);
  if (current === undefined) return [];
  const decided = new Set(request.approvals.filter((a) => a.level === request.level).map((a) => a.approverId));
  const ids = current.entries
    .filter((entry) => !entrySatisfied(request, request.level, current.level.requireAll, entry))
    .flatMap((entry) => entry.users)
    .filter((id) => !decided.has(id));
  return [...new Set(ids)].sort();
}

/**
 * The Request Queue view of an undecided request: Administrator when an administrator must act
 * (Missing Data, Error, a flow only administrators decide, or an admin entry on the current level),
 * Others when it waits on assigned approvers.
 */
export function queueOf(request: StoredRequest): QueueView {
  if (request.status !== 'pending' || !request.flow.nonAdminApproval) return 'administrator';
  const current = currentLevel(request);
  if (current === undefined || current.entries.some((entry) => entry.admins)) return 'administrator';
  return 'others';
}
