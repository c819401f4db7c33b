// The access request state machine's steps and the event each one records: creation
// (access_management_access_request), a decision (..._approval), and every other change of status
// or of granted access (the sandbox's own sandbox_access_request_update, an extension).
import type { Change } from './event-model.js';
import { requestEventTypes } from './event-model.js';
import { recordEvent } from './insights.js';
import type { RequestStatus } from '../protocols/request-status.js';
import { requestResource, type StoredRequest } from './request-model.js';
import { saveRequest } from './request-store.js';
import type { Actor, SandboxStore } from './store.js';

function touch(store: SandboxStore, actor: Actor, request: StoredRequest): void {
  request.updatedAt = store.clock.nowIso();
  request.updatedBy = actor.email === '' ? actor.type : actor.email;
}

/** A new request: saved, and its one access_management_access_request event (status null to pending). */
export function recordCreated(store: SandboxStore, actor: Actor, request: StoredRequest): void {
  saveRequest(store, request);
  recordEvent(store, actor, {
    eventType: requestEventTypes.created,
    resource: requestResource(request),
    changes: [{ field: 'status', from: null, to: request.status }],
  });
}

/**
 * Moves a request to a status and records the step. decision: an approver's or administrator's
 * approval or denial, or a flow's automatic approval (access_management_access_request_approval;
 * its status is where the decision left the request: pending, approved, denied or error).
 * update: any other change (Missing Data, resumed, Expired, Canceled), a sandbox extension event.
 */
export function changeStatus(
  store: SandboxStore,
  actor: Actor,
  request: StoredRequest,
  to: RequestStatus,
  kind: 'decision' | 'update',
  extra: Change[] = [],
): void {
  const from = request.status;
  request.status = to;
  touch(store, actor, request);
  saveRequest(store, request);
  recordEvent(store, actor, {
    eventType: kind === 'decision' ? requestEventTypes.decision : requestEventTypes.update,
    resource: requestResource(request),
    changes: [{ field: 'status', from, to }, ...extra],
  });
}

/** A change of an Approved request's access (ended, revoked): saved, with its extension update event. */
export function recordAccessChange(store: SandboxStore, actor: Actor, request: StoredRequest, changes: Change[]): void {
  touch(store, actor, request);
  saveRequest(store, request);
  recordEvent(store, actor, { eventType: requestEventTypes.update, resource: requestResource(request), changes });
}
