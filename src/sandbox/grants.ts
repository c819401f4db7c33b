// Granting and taking back access. A grant holds the membership of the flow's group: it adds the
// membership when the requester is not a member (through the members API's own code), and the
// membership lasts while any grant holds it; a static member is never removed. Also expiry,
// cancellation, the approval every approve path ends in, and the handler the scheduler calls.
import { ApiError } from './api-error.js';
import { durationMs } from './durations.js';
import type { TestHooks } from './faults.js';
import { applyMembership, isMember, markGranted, wasGranted } from './group-members.js';
import { mailAccessEnded, mailApproved, mailCanceled, mailError, mailExpired } from './request-mail.js';
import { openStatuses, type AccessState, type StoredRequest } from './request-model.js';
import type { Change } from './event-model.js';
import { grantAssociationEventType } from './event-model.js';
import { changeStatus, recordAccessChange } from './request-status.js';
import { findRequest, openRequestsOfFlow } from './request-store.js';
import { clearTimer, setTimer, type DueTimer } from './scheduler.js';
import type { Actor, SandboxStore } from './store.js';
import { findGroup } from './user-groups.js';
import { findUser } from './users.js';

/** The route whose injected faults also fail grants, since grants go through the same code. */
export const membershipRoute = 'POST /api/v2/usergroups/{group_id}/members';

export const systemActor = (orgId: string): Actor => ({ orgId, id: 'sandbox', type: 'system', email: 'sandbox@accessctl.local' });

function holdsOf(store: SandboxStore, groupId: string, userId: string): number {
  return (store.stmt('SELECT count(*) FROM access_holds WHERE group_id = ? AND user_id = ?').pluck().get(groupId, userId) as number) ?? 0;
}

/** Gives the requester the access: a hold on the membership, added when missing. Returns why it failed, if it did. */
function grantAccess(store: SandboxStore, actor: Actor, request: StoredRequest, hooks: TestHooks | undefined): string | undefined {
  const orgId = request.organization;
  try {
    const group = findGroup(store, orgId, request.flow.resourceId);
    const user = findUser(store, orgId, request.requester.id);
    if (group === undefined) throw new Error(`user group ${request.flow.resourceId} no longer exists`);
    if (user === undefined) throw new Error(`user ${request.requester.username} no longer exists`);
    const fault = hooks?.decide(membershipRoute);
    if (fault?.errorStatus !== undefined) throw new Error(`the membership write failed (injected fault ${fault.errorStatus})`);
    // A savepoint: a grant that fails halfway leaves nothing behind.
    store.db.transaction(() => {
      if (!isMember(store, group.id, user._id)) {
        applyMembership(store, actor, group, user, 'add', grantAssociationEventType);
        markGranted(store, group.id, user._id);
      }
      store.stmt('INSERT OR REPLACE INTO access_holds (request_id, org_id, group_id, user_id) VALUES (?, ?, ?, ?)').run(request.id, orgId, group.id, user._id);
    })();
    return undefined;
  } catch (error) {
    return error instanceof ApiError || error instanceof Error ? error.message : String(error);
  }
}

/**
 * Where every approval ends: the access is granted and the request is Approved, or the grant fails
 * and it is in Error (an administrator may approve again, or deny). One decision event says which.
 */
export function approveRequest(store: SandboxStore, actor: Actor, request: StoredRequest, hooks: TestHooks | undefined, extra: Change[] = []): void {
  store.transaction(() => {
    clearTimer(store, 'expire', request.id);
    const failure = grantAccess(store, actor, request, hooks);
    if (failure !== undefined) {
      request.error = failure;
      changeStatus(store, actor, request, 'error', 'decision', [...extra, { field: 'error', from: null, to: failure }]);
      mailError(store, request);
      return;
    }
    delete request.error;
    delete request.missing;
    const now = store.clock.nowMs();
    request.grantedAt = new Date(now).toISOString();
    const duration = request.approvedDuration ?? request.requestedDuration;
    const ms = request.flow.timeBasedAccess && duration !== '' ? durationMs(duration) : undefined;
    request.access = { state: 'active', ...(ms === undefined ? {} : { endsAt: new Date(now + ms).toISOString() }) };
    if (ms !== undefined) setTimer(store, 'revoke', request.organization, request.id, now + ms);
    changeStatus(store, actor, request, 'approved', 'decision', extra);
    mailApproved(store, request);
  });
}

/**
 * Ends an Approved request's access (time-bound access ran out, or an administrator revoked it):
 * its hold goes, and the membership with it when no other grant holds it and the grant added it.
 * The membership's removal is an association change; the request's own change an update event.
 */
export function endAccess(store: SandboxStore, actor: Actor, request: StoredRequest, state: Exclude<AccessState, 'active'>): void {
  store.transaction(() => {
    clearTimer(store, 'revoke', request.id);
    const hold = store.stmt('SELECT group_id, user_id FROM access_holds WHERE request_id = ?').get(request.id) as
      | { group_id: string; user_id: string }
      | undefined;
    store.stmt('DELETE FROM access_holds WHERE request_id = ?').run(request.id);
    if (hold !== undefined && holdsOf(store, hold.group_id, hold.user_id) === 0 && wasGranted(store, hold.group_id, hold.user_id)) {
      const group = findGroup(store, request.organization, hold.group_id);
      const user = findUser(store, request.organization, hold.user_id);
      if (group !== undefined && user !== undefined && isMember(store, group.id, user._id)) {
        applyMembership(store, actor, group, user, 'remove', grantAssociationEventType);
      }
    }
    const from = request.access?.state ?? 'active';
    request.access = { ...request.access, state, endedAt: store.clock.nowIso() };
    recordAccessChange(store, actor, request, [{ field: 'access', from, to: state }]);
    mailAccessEnded(store, request);
  });
}

/** What the scheduler runs when a timer falls due. */
export function runTimer(store: SandboxStore, timer: DueTimer): void {
  const request = findRequest(store, timer.orgId, timer.refId);
  if (request === undefined) return;
  const actor = systemActor(timer.orgId);
  if (timer.kind === 'revoke' && request.status === 'approved' && request.access?.state === 'active') endAccess(store, actor, request, 'ended');
  if (timer.kind === 'expire' && openStatuses.includes(request.status)) {
    changeStatus(store, actor, request, 'expired', 'update', [{ field: 'reason', from: null, to: 'not decided within 30 days' }]);
    mailExpired(store, request);
  }
}

/** Deleting a flow cancels its open requests; approved access stays until its own end. */
export function cancelRequestsOfFlow(store: SandboxStore, actor: Actor, flowId: string): void {
  for (const request of openRequestsOfFlow(store, actor.orgId, flowId)) {
    clearTimer(store, 'expire', request.id);
    changeStatus(store, actor, request, 'canceled', 'update', [{ field: 'reason', from: null, to: 'approval flow deleted' }]);
    mailCanceled(store, request);
  }
}
