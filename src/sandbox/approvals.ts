// Deciding access requests: administrators with PUT /api/v2/approvalflowrequest/{id} (final: it
// approves or denies a Pending, Missing Data or Error request), other approvers level by level with
// POST /userapprovalrequest, one level each (four eyes).
import { ApiError, conflict } from './api-error.js';
import { currentLevel, earlierApprovers, levelComplete, satisfiedEntries } from './approvers.js';
import { durationMs } from './durations.js';
import type { Change } from './event-model.js';
import type { TestHooks } from './faults.js';
import { levelsOf } from './flow-model.js';
import { approveRequest, endAccess } from './grants.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { Problems } from './request-body.js';
import { startLevel } from './request-levels.js';
import { mailDenied } from './request-mail.js';
import type { StoredRequest } from './request-model.js';
import { changeStatus } from './request-status.js';
import { requireRequest } from './request-store.js';
import { detailView, type RequestDetail } from './request-views.js';
import type { Actor, SandboxStore } from './store.js';

/** The body an administrator's decision takes, as the AdminDecision schema accepted it. */
export interface AdminDecision {
  /** approved and denied are JumpCloud's; revoked (end approved access early) is the sandbox's. */
  status: 'approved' | 'denied' | 'revoked';
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

/** approvedDuration may shorten the requested duration, never lengthen it. */
function checkApprovedDuration(request: StoredRequest, approved: string | undefined, problems: Problems): void {
  if (approved === undefined || approved === '') return;
  if (!request.flow.timeBasedAccess) {
    problems.fail('approvedDuration', 'this request is for permanent access; send no approvedDuration');
    return;
  }
  const ms = durationMs(approved);
  if (ms === undefined || ms <= 0) {
    problems.fail('approvedDuration', 'must be an ISO 8601 duration such as PT8H or P1D');
    return;
  }
  const requested = durationMs(request.requestedDuration) ?? 0;
  if (ms > requested) problems.fail('approvedDuration', `may shorten the requested ${request.requestedDuration}, never lengthen it (got ${approved})`);
}

/** A denial, by an administrator or an approver: the decision event and the requester's mail. */
function deny(store: SandboxStore, actor: Actor, request: StoredRequest, remarks: string | undefined, changes: Change[] = []): void {
  changeStatus(store, actor, request, 'denied', 'decision', changes);
  mailDenied(store, request, remarks);
}

/** Statuses an administrator decides: the undecided ones, and Error (approve retries the grant, deny ends it). */
const adminDecidable = ['pending', 'missing_data', 'error'];

/** PUT /api/v2/approvalflowrequest/{id}: an administrator's decision, overriding the levels. */
export function adminDecide(
  store: SandboxStore,
  actor: Actor,
  id: string,
  body: AdminDecision,
  hooks: TestHooks | undefined,
  profile: Profile = 'default',
): RequestDetail {
  const problems = new Problems();
  const { status, approvedDuration: approved, remarks, internalNote: note } = body;
  if (status === 'revoked' && profile === 'strict') {
    problems.fail('status', 'revoked is a sandbox extension, refused by --profile strict (JumpCloud publishes approved and denied)');
  }
  checkOrganizationObjectId(problems, body.organizationObjectId, actor.orgId, profile);
  problems.finish('invalid decision');
  return store.transaction(() => {
    const request = requireRequest(store, actor.orgId, id);
    if (status === 'approved') checkApprovedDuration(request, approved, problems);
    problems.finish('invalid decision');
    if (note !== undefined) request.internalNote = note;
    if (status === 'revoked') {
      if (request.status !== 'approved' || request.access?.state !== 'active') {
        throw conflict(
          `access request ${id} holds no access to revoke (it is ${request.status}${request.access === undefined ? '' : `, access ${request.access.state}`})`,
        );
      }
      endAccess(store, actor, request, 'revoked');
      return detailView(store, request, profile);
    }
    if (!adminDecidable.includes(request.status)) throw conflict(`access request ${id} is ${request.status}; it can no longer be decided`);
    request.adminDecision = { id: actor.id, email: actor.email, status, at: store.clock.nowIso(), ...(remarks === undefined ? {} : { remarks }) };
    if (status === 'approved') {
      if (approved !== undefined && approved !== '') request.approvedDuration = approved;
      approveRequest(store, actor, request, hooks);
    } else {
      deny(store, actor, request, remarks);
    }
    return detailView(store, request, profile);
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
  const problems = new Problems();
  const { id, status, remarks, approvedDuration: approved } = body;
  checkOrganizationObjectId(problems, body.organizationObjectId, actor.orgId, profile);
  problems.finish('invalid decision');
  return store.transaction(() => {
    const request = requireRequest(store, actor.orgId, id);
    if (request.requester.id === actor.id) throw new ApiError(403, 'nobody approves their own request');
    if (request.status === 'missing_data') {
      throw new ApiError(
        403,
        `access request ${request.id} is missing data (${request.missing === 'approver' ? 'a level has nobody left who may approve it' : 'the requester has no manager'}); only an administrator may decide it`,
      );
    }
    if (request.status !== 'pending') throw conflict(`access request ${request.id} is ${request.status}; it can no longer be decided`);
    if (!request.flow.nonAdminApproval) {
      throw new ApiError(403, `approval flow "${request.flow.name}" takes decisions from administrators only (nonAdminApproval is false)`);
    }
    const current = currentLevel(request);
    const mine = (current?.entries ?? []).filter((entry) => entry.users.includes(actor.id));
    if (current === undefined || mine.length === 0) {
      if (earlierApprovers(request, request.level).has(actor.id)) {
        throw new ApiError(403, `you approved an earlier level of access request ${request.id}; one person approves one level of a request`);
      }
      throw new ApiError(403, `you are not an approver of the current level (level ${request.level + 1}) of access request ${request.id}`);
    }
    if (request.approvals.some((a) => a.level === request.level && a.approverId === actor.id)) {
      throw conflict(`you have already decided level ${request.level + 1} of access request ${request.id}`);
    }
    if (status === 'approved') checkApprovedDuration(request, approved, problems);
    problems.finish('invalid decision');
    const at = store.clock.nowIso();
    const before = satisfiedEntries(request);
    for (const { index } of mine) {
      request.approvals.push({
        level: request.level,
        resourceIndex: index,
        approverId: actor.id,
        approverType: 'user',
        approverEmail: actor.email,
        decision: status,
        at,
        ...(remarks === undefined ? {} : { remarks }),
      });
    }
    const level = { field: 'level', from: request.level + 1, to: request.level + 1 };
    if (status === 'denied') {
      deny(store, actor, request, remarks, [level]);
      return detailView(store, request, profile);
    }
    if (approved !== undefined && approved !== '') request.approvedDuration = approved;
    if (!levelComplete(request, request.level, current.level.requireAll, current.entries)) {
      changeStatus(store, actor, request, 'pending', 'decision', [level, { field: 'approvals', from: before, to: satisfiedEntries(request) }]);
      return detailView(store, request, profile);
    }
    if (request.level + 1 >= levelsOf(request.flow).length) {
      approveRequest(store, actor, request, hooks, [level]);
      return detailView(store, request, profile);
    }
    request.level += 1;
    changeStatus(store, actor, request, 'pending', 'decision', [{ field: 'level', from: request.level, to: request.level + 1 }]);
    startLevel(store, actor, request);
    return detailView(store, request, profile);
  });
}
