// Starting a request's level: its approvers are fixed, the request goes to Missing Data when the
// level can never pass (no manager, nobody left to approve), and those who must act are mailed.
// Fixing the directory later resumes a Missing Data request where it stopped.
import { currentLevel, missingFor, resolveLevel } from './approvers.js';
import type { MissingReason, StoredRequest } from './request-model.js';
import { notifyApprovers } from './request-mail.js';
import { changeStatus } from './request-status.js';
import { missingDataRequests, saveRequest } from './request-store.js';
import type { Actor, SandboxStore } from './store.js';
import { findUser } from './users.js';

/** Why the current level cannot pass: a flow that names the manager anywhere needs one from the start. */
function missingNow(request: StoredRequest): MissingReason | undefined {
  const namesManager = request.flow.approverResources.some((a) => a.resourceType === 'manager');
  if (namesManager && request.requester.managerId === undefined) return 'manager';
  const current = currentLevel(request);
  return current === undefined ? undefined : missingFor(request, current.level, current.entries);
}

/** Starts request.level: fixes its approvers, moves to Missing Data when it cannot pass, and mails whoever must act. */
export function startLevel(store: SandboxStore, actor: Actor, request: StoredRequest): void {
  request.levelApprovers[request.level] = resolveLevel(store, request);
  const missing = missingNow(request);
  if (missing === undefined) saveRequest(store, request);
  else {
    request.missing = missing;
    changeStatus(store, actor, request, 'missing_data', 'update', [{ field: 'missing', from: null, to: missing }]);
  }
  notifyApprovers(store, request);
}

/** The requester's manager as the directory has it now. */
function refreshManager(store: SandboxStore, request: StoredRequest): void {
  const { managerId: _id, managerName: _name, ...requester } = request.requester;
  const user = findUser(store, request.organization, request.requester.id);
  const manager = user?.manager === undefined ? undefined : findUser(store, request.organization, user.manager);
  request.requester = manager === undefined ? requester : { ...requester, managerId: manager._id, managerName: manager.username };
}

/**
 * After a change to the directory (a manager set, a member added): every Missing Data request of
 * the org that can now pass its level goes back to Pending there, and its approvers are mailed.
 */
export function resumeMissingData(store: SandboxStore, actor: Actor, orgId: string): void {
  for (const request of missingDataRequests(store, orgId)) {
    refreshManager(store, request);
    request.levelApprovers[request.level] = resolveLevel(store, request);
    const before = request.missing ?? null;
    const missing = missingNow(request);
    if (missing !== undefined) {
      request.missing = missing;
      saveRequest(store, request);
      continue;
    }
    delete request.missing;
    changeStatus(store, actor, request, 'pending', 'update', [{ field: 'missing', from: before, to: null }]);
    notifyApprovers(store, request);
  }
}
