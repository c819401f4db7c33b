// Deciding access requests: administrators with PUT /api/v2/approvalflowrequest/{id} (final, and
// the way to retry a failed grant), other approvers level by level with POST /userapprovalrequest.
import { ApiError, conflict } from './api-error.js';
import { durationMs } from './durations.js';
import type { TestHooks } from './faults.js';
import { grantRequest, revokeRequest } from './grants.js';
import { eligibleUsers, isSatisfied } from './approvers.js';
import { levelsOf } from './flow-model.js';
import { mailRequester, notifyApprovers } from './request-mail.js';
import type { StoredRequest } from './request-model.js';
import { changeStatus } from './request-status.js';
import { requireRequest, saveRequest } from './request-store.js';
import { detailView, type RequestDetail } from './request-views.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { Problems } from './request-body.js';
import type { Actor, SandboxStore } from './store.js';

const approveWords = ['approved', 'granted'];

/** approvedDuration may shorten the requested duration, never lengthen it. */
function checkApprovedDuration(request: StoredRequest, approved: string | undefined, reader: Problems): void {
  if (approved === undefined || approved === '') return;
  if (!request.flow.timeBasedAccess) {
    reader.fail('approvedDuration', 'this request is for permanent access; send no approvedDuration');
    return;
  }
  const ms = durationMs(approved);
  if (ms === undefined || ms <= 0) {
    reader.fail('approvedDuration', 'must be an ISO 8601 duration such as PT8H or P1D');
    return;
  }
  const requested = durationMs(request.requestedDuration) ?? 0;
  if (ms > requested)
    reader.fail('approvedDuration', `may shorten the requested ${request.requestedDuration}, never lengthen it (got ${approved})`);
}

/** A denial, by an admin or an approver: the status, its event and the requester's mail. */
function deny(
  store: SandboxStore,
  actor: Actor,
  request: StoredRequest,
  remarks: string | undefined,
  changes?: Parameters<typeof changeStatus>[5],
): void {
  changeStatus(store, actor, request, 'denied', 'access_management_access_request_approval', changes);
  mailRequester(
    store,
    request,
    `Request denied: ${request.flow.name}`,
    `Your request ${request.id} for "${request.flow.name}" was denied${remarks ? `: ${remarks}` : '.'}`,
  );
}

/** The body an administrator's decision takes, as the AdminDecision schema accepted it. */
export interface AdminDecision {
  status: 'approved' | 'granted' | 'denied' | 'revoked';
  approvedDuration?: string;
  remarks?: string;
  internalNote?: string;
  admin?: string;
  organizationObjectId?: string;
}

/** The body an approver's decision takes, as the ApproverDecision schema accepted it. */
export interface ApproverDecision {
  id: string;
  status: 'approved' | 'denied';
  remarks?: string;
  approvedDuration?: string;
  organizationObjectId?: string;
}

/** PUT /api/v2/approvalflowrequest/{id}: an administrator's decision, overriding the levels. */
export function adminDecide(
  store: SandboxStore,
  actor: Actor,
  id: string,
  body: AdminDecision,
  hooks: TestHooks | undefined,
  profile: Profile = 'default',
): RequestDetail {
  const reader = new Problems();
  const { status, approvedDuration: approved, remarks, internalNote: note } = body;
  checkOrganizationObjectId(reader, body.organizationObjectId, actor.orgId, profile);
  return store.transaction(() => {
    const request = requireRequest(store, actor.orgId, id);
    checkApprovedDuration(request, approved, reader);
    reader.finish('invalid decision');
    if (note !== undefined) request.internalNote = note;
    const decision = {
      id: actor.id,
      email: actor.email,
      status,
      at: store.clock.nowIso(),
      ...(remarks === undefined ? {} : { remarks }),
    };
    if (status === 'revoked') {
      if (request.status !== 'granted') throw conflict(`access request ${id} is ${request.status}; only granted access can be revoked`);
      revokeRequest(store, actor, request);
      return detailView(store, request);
    }
    const open = request.status === 'pending' || request.status === 'missing_data';
    if (!open && !(request.status === 'error' && approveWords.includes(status))) {
      throw conflict(`access request ${id} is ${request.status}; it can no longer be decided`);
    }
    request.adminDecision = decision;
    if (approved !== undefined && approved !== '') request.approvedDuration = approved;
    if (approveWords.includes(status)) {
      grantRequest(store, actor, request, 'access_management_access_request_approval', hooks);
    } else {
      deny(store, actor, request, remarks);
    }
    return detailView(store, request);
  });
}

/** POST /api/v2/userapprovalrequest {id, status, remarks, approvedDuration}: a non-admin approver decides. */
export function approverDecide(
  store: SandboxStore,
  actor: Actor,
  body: ApproverDecision,
  hooks: TestHooks | undefined,
  profile: Profile = 'default',
): RequestDetail {
  if (actor.type !== 'user') {
    throw new ApiError(403, 'administrators decide with PUT /api/v2/approvalflowrequest/{id}; this route is for approvers who are users');
  }
  const reader = new Problems();
  const { id, status, remarks, approvedDuration: approved } = body;
  checkOrganizationObjectId(reader, body.organizationObjectId, actor.orgId, profile);
  reader.finish('invalid decision');
  return store.transaction(() => {
    const request = requireRequest(store, actor.orgId, id);
    if (request.requester.id === actor.id) throw new ApiError(403, 'nobody approves their own request');
    if (request.status === 'missing_data') {
      throw new ApiError(
        403,
        `access request ${request.id} is missing data (the requester has no manager); only an administrator may decide it`,
      );
    }
    if (request.status !== 'pending') throw conflict(`access request ${request.id} is ${request.status}; it can no longer be decided`);
    if (!request.flow.nonAdminApproval) {
      throw new ApiError(403, `approval flow "${request.flow.name}" takes decisions from administrators only (nonAdminApproval is false)`);
    }
    const levels = levelsOf(request.flow);
    const level = levels[request.level];
    const mine = (level?.approvers ?? []).filter(({ approver }) => eligibleUsers(store, request, approver).includes(actor.id));
    if (level === undefined || mine.length === 0) {
      throw new ApiError(403, `you are not an approver of the current level (level ${request.level + 1}) of access request ${request.id}`);
    }
    if (request.approvals.some((a) => a.level === request.level && a.approverId === actor.id)) {
      throw conflict(`you have already decided level ${request.level + 1} of access request ${request.id}`);
    }
    checkApprovedDuration(request, approved, reader);
    reader.finish('invalid decision');
    const at = store.clock.nowIso();
    for (const { index } of mine) {
      request.approvals.push({
        level: request.level,
        resourceIndex: index,
        approverId: actor.id,
        approverType: 'user',
        approverEmail: actor.email,
        decision: status === 'approved' ? 'approved' : 'denied',
        at,
        ...(remarks === undefined ? {} : { remarks }),
      });
    }
    if (status === 'denied') {
      deny(store, actor, request, remarks, [{ field: 'level', from: request.level + 1, to: request.level + 1 }]);
      return detailView(store, request);
    }
    if (approved !== undefined && approved !== '') request.approvedDuration = approved;
    const satisfied = level.approvers.filter(({ index }) => isSatisfied(request, request.level, index)).length;
    const complete = level.requireAll ? satisfied === level.approvers.length : satisfied > 0;
    if (!complete) {
      changeStatus(store, actor, request, 'pending', 'access_management_access_request_approval', [
        { field: 'approvals', from: satisfied - 1, to: satisfied },
      ]);
      return detailView(store, request);
    }
    if (request.level + 1 >= levels.length) {
      grantRequest(store, actor, request, 'access_management_access_request_approval', hooks);
      return detailView(store, request);
    }
    request.level += 1;
    changeStatus(store, actor, request, 'pending', 'access_management_access_request_approval', [
      { field: 'level', from: request.level, to: request.level + 1 },
    ]);
    saveRequest(store, request);
    notifyApprovers(store, request);
    return detailView(store, request);
  });
}
