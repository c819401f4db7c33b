// The access request state machine's one step: a status change, saved with the event that records it.
import type { Change } from './event-model.js';
import { recordEvent } from './insights.js';
import { requestResource, type RequestStatus, type StoredRequest } from './request-model.js';
import { saveRequest } from './request-store.js';
import type { Actor, SandboxStore } from './store.js';

/** Moves a request to a new status: saves it and records the event of that step. */
export function changeStatus(
  store: SandboxStore,
  actor: Actor,
  request: StoredRequest,
  to: RequestStatus,
  eventType: 'access_management_access_request' | 'access_management_access_request_approval',
  extra: Change[] = [],
): void {
  const from = request.status;
  request.status = to;
  request.updatedAt = store.clock.nowIso();
  request.updatedBy = actor.email === '' ? actor.type : actor.email;
  saveRequest(store, request);
  recordEvent(store, actor, {
    eventType,
    resource: requestResource(request),
    changes: [{ field: 'status', from, to }, ...extra],
  });
}
