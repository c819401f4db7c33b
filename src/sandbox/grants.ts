// Granting and taking back access: a grant joins the requester to the flow's group through the
// members API's own membership code; time-bound access is revoked by a timer. Also expiry of
// stale requests, cancelling when a flow is deleted, and the handler the scheduler calls.
import { ApiError } from './api-error.js';
import { durationMs } from './durations.js';
import type { TestHooks } from './faults.js';
import { applyMembership, isMember } from './group-members.js';
import { mailRequester } from './request-mail.js';
import { openStatuses, type StoredRequest } from './request-model.js';
import { changeStatus } from './request-status.js';
import { findRequest, openRequestsOfFlow } from './request-store.js';
import { clearTimer, setTimer, type DueTimer } from './scheduler.js';
import type { Actor, SandboxStore } from './store.js';
import { findGroup } from './user-groups.js';
import { findUser } from './users.js';

/** The route whose injected faults also fail grants, since grants go through the same code. */
export const membershipRoute = 'POST /api/v2/usergroups/{group_id}/members';

export const systemActor = (orgId: string): Actor => ({ orgId, id: 'sandbox', type: 'system', email: 'sandbox@accessctl.local' });

/**
 * Adds the membership and moves the request to granted, or to error when that fails (an admin may
 * retry with PUT). Records the association change, then the step's event of `eventType`.
 */
export function grantRequest(
  store: SandboxStore,
  actor: Actor,
  request: StoredRequest,
  eventType: 'access_management_access_request' | 'access_management_access_request_approval',
  hooks: TestHooks | undefined,
): void {
  store.transaction(() => {
    clearTimer(store, 'expire', request.id);
    const orgId = request.organization;
    let failure: string | undefined;
    try {
      const group = findGroup(store, orgId, request.flow.resourceId);
      const user = findUser(store, orgId, request.requester.id);
      if (group === undefined) throw new Error(`user group ${request.flow.resourceId} no longer exists`);
      if (user === undefined) throw new Error(`user ${request.requester.username} no longer exists`);
      const fault = hooks?.decide(membershipRoute);
      if (fault?.errorStatus !== undefined) throw new Error(`the membership write failed (injected fault ${fault.errorStatus})`);
      if (isMember(store, group.id, user._id)) {
        request.membershipAdded = false;
      } else {
        // A savepoint: a membership write that fails halfway leaves nothing behind.
        store.db.transaction(() => applyMembership(store, actor, group, user, 'add', 'access_management_association_change'))();
        request.membershipAdded = true;
      }
    } catch (error) {
      failure = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    }
    if (failure !== undefined) {
      request.error = failure;
      changeStatus(store, actor, request, 'error', eventType, [{ field: 'error', from: null, to: failure }]);
      mailRequester(
        store,
        request,
        `Your request for ${request.flow.name} could not be completed`,
        `Request ${request.id} was approved, but granting access failed; an administrator has been told.`,
      );
      return;
    }
    delete request.error;
    const now = store.clock.nowMs();
    request.grantedAt = new Date(now).toISOString();
    const duration = request.approvedDuration ?? request.requestedDuration;
    const ms = request.flow.timeBasedAccess && duration !== '' ? durationMs(duration) : undefined;
    if (ms !== undefined) {
      request.expiresAt = new Date(now + ms).toISOString();
      setTimer(store, 'revoke', orgId, request.id, now + ms);
    }
    changeStatus(store, actor, request, 'granted', eventType);
    mailRequester(
      store,
      request,
      `Access granted: ${request.flow.name}`,
      `Your request ${request.id} for "${request.flow.name}" was granted${request.expiresAt === undefined ? '' : ` until ${request.expiresAt}`}.`,
    );
  });
}

/** Takes granted access back: removes the membership the grant added and marks the request revoked. */
export function revokeRequest(store: SandboxStore, actor: Actor, request: StoredRequest): void {
  store.transaction(() => {
    clearTimer(store, 'revoke', request.id);
    const group = findGroup(store, request.organization, request.flow.resourceId);
    const user = findUser(store, request.organization, request.requester.id);
    if (request.membershipAdded === true && group !== undefined && user !== undefined && isMember(store, group.id, user._id)) {
      applyMembership(store, actor, group, user, 'remove', 'access_management_association_change');
    }
    changeStatus(store, actor, request, 'revoked', 'access_management_access_request');
    mailRequester(
      store,
      request,
      `Access ended: ${request.flow.name}`,
      `Your access from request ${request.id} to "${request.flow.name}" has ended.`,
    );
  });
}

/** What the scheduler runs when a timer falls due. */
export function runTimer(store: SandboxStore, timer: DueTimer): void {
  const request = findRequest(store, timer.orgId, timer.refId);
  if (request === undefined) return;
  const actor = systemActor(timer.orgId);
  if (timer.kind === 'revoke' && request.status === 'granted') revokeRequest(store, actor, request);
  if (timer.kind === 'expire' && openStatuses.includes(request.status)) {
    changeStatus(store, actor, request, 'expired', 'access_management_access_request');
    mailRequester(
      store,
      request,
      `Your request for ${request.flow.name} expired`,
      `Request ${request.id} was not decided within 30 days and has expired.`,
    );
  }
}

/** Deleting a flow cancels its open requests; granted access stays until its own end. */
export function cancelRequestsOfFlow(store: SandboxStore, actor: Actor, flowId: string): void {
  for (const request of openRequestsOfFlow(store, actor.orgId, flowId)) {
    clearTimer(store, 'expire', request.id);
    changeStatus(store, actor, request, 'canceled', 'access_management_access_request', [
      { field: 'reason', from: null, to: 'approval flow deleted' },
    ]);
    mailRequester(
      store,
      request,
      `Your request for ${request.flow.name} was canceled`,
      `Request ${request.id} was canceled because its approval flow was deleted.`,
    );
  }
}
