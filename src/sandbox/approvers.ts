// Who approves what: the users eligible for each approver entry of a request's level, which entries
// are satisfied, and who the request now waits on. The requester is never among them.
import { levelsOf, type StoredApprover } from './flow-model.js';
import { memberIds } from './group-members.js';
import type { StoredRequest } from './request-model.js';
import type { SandboxStore } from './store.js';

/** User ids that may approve for one approver entry (admins approve with an admin key instead). */
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

export function isSatisfied(request: StoredRequest, level: number, index: number): boolean {
  return request.approvals.some((a) => a.level === level && a.resourceIndex === index && a.decision === 'approved');
}

/** Users the request now waits on: eligible for an approver of the current level not yet satisfied. */
export function waitingOn(store: SandboxStore, request: StoredRequest): string[] {
  if (request.status !== 'pending') return [];
  const level = levelsOf(request.flow)[request.level];
  if (level === undefined) return [];
  const decided = new Set(request.approvals.filter((a) => a.level === request.level).map((a) => a.approverId));
  const ids = level.approvers
    .filter((a) => !isSatisfied(request, request.level, a.index))
    .flatMap((a) => eligibleUsers(store, request, a.approver))
    .filter((id) => !decided.has(id));
  return [...new Set(ids)].sort();
}
