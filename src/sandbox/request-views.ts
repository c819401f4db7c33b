// The read views of access requests: the contract's list item and detail (plus the sandbox's
// extension block, default profile only), approval progress per approver entry, the Request Queue
// and a user's own view, and who may read which request.
import { ApiError, notFound } from './api-error.js';
import { earlierApprovers, eligibleUsers, entrySatisfied, waitingOn } from './approvers.js';
import { approverName, levelsOf } from './flow-model.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import type { Profile } from './profile.js';
import { adminAddressesFor } from './request-mail.js';
import type { AccessState, Approval, MissingReason, QueueView, StoredRequest } from './request-model.js';
import { requireRequest } from './request-store.js';
import { getSettings } from './settings.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';
import { findGroup } from './user-groups.js';
import { findUser } from './users.js';

/** What lists filter and sort by; queue (administrator or others) is the Request Queue's view. */
export const requestFields: FieldSpec = {
  status: 'string',
  approvalType: 'string',
  approvalFlowId: 'string',
  queue: 'string',
  createdAt: 'string',
  updatedAt: 'string',
};

/**
 * The sandbox's extension block on a request's read views (never under --profile strict): the
 * Request Queue view, why a request is Missing Data, and what became of an Approved request's access.
 */
export interface SandboxRequestExtension {
  queue: QueueView;
  missing?: MissingReason;
  access?: { state: AccessState; endsAt?: string; endedAt?: string };
}

/** The contract's jumpcloud.ingresso.WorkflowAccessRequest. */
export interface RequestListItem {
  id: string;
  approvalFlowId: string;
  approvalFlowName: string;
  approvalFlowDescription: string;
  approvalType: string;
  status: string;
  remarks: string;
  requestedDuration: string;
  approvedDuration: string;
  timeBasedAccess: boolean;
  nonAdminApproval: boolean;
  group: string;
  requestor: string;
  userName: string;
  department: string;
  manager: string;
  iconColor?: string;
  iconUrl?: string;
  runId: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  sandbox?: SandboxRequestExtension;
}

export interface ApproverEntry {
  approvalSequence: string;
  approvalStatus: string;
  approverId: string;
  approverType: string;
  createdAt: string;
  requireAll: boolean;
  resourceId: string;
  resourceName: string;
  resourceType: string;
}

/** The contract's jumpcloud.ingresso.GetWorkflowAccessRequestResponse. */
export interface RequestDetail extends RequestListItem {
  approvers: ApproverEntry[];
  approversRequirement: string;
  ttlConfig: string;
  fixedDuration?: string;
  multiSelectDuration?: string[];
}

function extension(request: StoredRequest): SandboxRequestExtension {
  return {
    queue: request.queue,
    ...(request.missing === undefined ? {} : { missing: request.missing }),
    ...(request.access === undefined ? {} : { access: request.access }),
  };
}

export function listItem(request: StoredRequest, profile: Profile = 'default'): RequestListItem {
  return {
    id: request.id,
    approvalFlowId: request.approvalFlowId,
    approvalFlowName: request.flow.name,
    approvalFlowDescription: request.flow.description,
    approvalType: request.approvalType,
    status: request.status,
    remarks: request.remarks,
    requestedDuration: request.requestedDuration,
    approvedDuration: request.approvedDuration ?? '',
    timeBasedAccess: request.flow.timeBasedAccess,
    nonAdminApproval: request.flow.nonAdminApproval,
    group: request.groupName,
    requestor: request.requester.id,
    userName: request.requester.username,
    department: request.requester.department ?? '',
    manager: request.requester.managerName ?? '',
    ...(request.flow.iconColor === undefined ? {} : { iconColor: request.flow.iconColor }),
    ...(request.flow.iconUrl === undefined ? {} : { iconUrl: request.flow.iconUrl }),
    runId: request.id,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
    updatedBy: request.updatedBy,
    ...(profile === 'strict' ? {} : { sandbox: extension(request) }),
  };
}

/**
 * One approver entry's state: denied; approved once satisfied (under `all`, when every fixed member
 * approved); overridden when an administrator decided; else pending (the current level), waiting (a
 * later one) or skipped.
 */
function approverStatus(request: StoredRequest, level: number, index: number): { status: string; approval: Approval | undefined } {
  const decisions = request.approvals.filter((a) => a.level === level && a.resourceIndex === index);
  const denial = decisions.find((a) => a.decision === 'denied');
  if (denial !== undefined) return { status: 'denied', approval: denial };
  const entry = request.levelApprovers[level]?.find((e) => e.index === index);
  const requireAll = levelsOf(request.flow)[level]?.requireAll ?? false;
  const last = decisions.at(-1);
  if (entry !== undefined && entrySatisfied(request, level, requireAll, entry)) return { status: 'approved', approval: last };
  if (request.adminDecision !== undefined && level >= request.level) return { status: 'overridden', approval: last };
  if (request.status === 'pending' || request.status === 'missing_data') {
    return { status: level === request.level ? 'pending' : level > request.level ? 'waiting' : 'skipped', approval: last };
  }
  return { status: 'skipped', approval: last };
}

export interface ProgressEntry {
  approvalSequence: number;
  approvalStatus: string;
  approvedCount: number;
  approverId: string;
  approverType: string;
  createdAt: string;
  overridenApproval: boolean;
  requireAll: boolean;
  resourceId: string;
  resourceName: string;
  resourceType: string;
  totalCount: number;
}

/**
 * How many people may approve one entry: for a level started, those it fixed; for a later level,
 * those it would fix now. Administrators for an admin entry. Never the requester.
 */
function entryTotal(store: SandboxStore, request: StoredRequest, levelIndex: number, index: number): number {
  const approver = request.flow.approverResources[index];
  if (approver?.resourceType === 'admin') return adminAddressesFor(store, request).length;
  const fixed = request.levelApprovers[levelIndex]?.find((entry) => entry.index === index);
  if (fixed !== undefined) return fixed.users.length;
  if (approver === undefined) return 0;
  const excluded = earlierApprovers(request, levelIndex);
  return eligibleUsers(store, request, approver).filter((id) => !excluded.has(id)).length;
}

function progressEntries(store: SandboxStore, request: StoredRequest): ProgressEntry[] {
  return levelsOf(request.flow).flatMap((level, levelIndex) =>
    level.approvers.map(({ index, approver }) => {
      const { status, approval } = approverStatus(request, levelIndex, index);
      return {
        approvalSequence: levelIndex + 1,
        approvalStatus: status,
        approvedCount: request.approvals.filter((a) => a.level === levelIndex && a.resourceIndex === index && a.decision === 'approved').length,
        approverId: approval?.approverId ?? (approver.resourceType === 'manager' ? (request.requester.managerId ?? '') : approver.resourceId),
        approverType: approval?.approverType ?? (approver.resourceType === 'admin' ? 'admin' : 'user'),
        createdAt: approval?.at ?? request.createdAt,
        overridenApproval: status === 'overridden',
        requireAll: level.requireAll,
        resourceId: approver.resourceId,
        resourceName: approverName(approver, {
          group: (id) => findGroup(store, request.organization, id)?.name ?? '',
          user: (id) => findUser(store, request.organization, id)?.displayname ?? '',
        }),
        resourceType: approver.resourceType,
        totalCount: entryTotal(store, request, levelIndex, index),
      };
    }),
  );
}

export function detailView(store: SandboxStore, request: StoredRequest, profile: Profile = 'default'): RequestDetail {
  return {
    ...listItem(request, profile),
    approvers: progressEntries(store, request).map((entry) => ({
      approvalSequence: String(entry.approvalSequence),
      approvalStatus: entry.approvalStatus,
      approverId: entry.approverId,
      approverType: entry.approverType,
      createdAt: entry.createdAt,
      requireAll: entry.requireAll,
      resourceId: entry.resourceId,
      resourceName: entry.resourceName,
      resourceType: entry.resourceType,
    })),
    approversRequirement: request.flow.approverRequirement,
    ttlConfig: request.flow.ttlConfig,
    ...(request.flow.fixedDuration === undefined ? {} : { fixedDuration: request.flow.fixedDuration }),
    ...(request.flow.multiSelectDuration === undefined ? {} : { multiSelectDuration: request.flow.multiSelectDuration }),
  };
}

/** Whether a user may read a request: their own, one waiting on them, or one they decided. */
function userMaySee(actor: Actor, request: StoredRequest): boolean {
  return request.requester.id === actor.id || request.approvals.some((a) => a.approverId === actor.id) || waitingOn(request).includes(actor.id);
}

/** A request the actor may read; 404 (not 403) for a user, so ids of others' requests do not leak. */
export function visibleRequest(store: SandboxStore, actor: Actor, id: string): StoredRequest {
  const request = requireRequest(store, actor.orgId, id);
  if (actor.type === 'user' && !userMaySee(actor, request)) throw notFound(`access request ${id}`);
  return request;
}

/**
 * GET /api/v2/approvalflowrequest: an admin sees the org's queue; a user their own requests and
 * those waiting on them. Filter by status, approvalType, approvalFlowId and queue (the Request
 * Queue's administrator or others view), with filter=field:op:value or the shorthand ?status=;
 * newest first unless sorted.
 */
export function listRequests(
  store: SandboxStore,
  actor: Actor,
  params: URLSearchParams,
  profile: Profile = 'default',
): { results: Partial<RequestListItem>[]; totalCount: number } {
  // ?status=a|b is shorthand for filter=status:in:a|b, read (and capped) as one.
  const withShorthand = new URLSearchParams(params);
  for (const field of ['status', 'approvalType', 'approvalFlowId', 'queue'] as const) {
    const value = params.get(field);
    if (value !== null && value !== '') withShorthand.append('filter', `${field}:${value.includes('|') ? 'in' : 'eq'}:${value}`);
  }
  const query = parseListQuery(withShorthand, requestFields, ['-_id']);
  const scope =
    actor.type === 'user'
      ? {
          sql: `org_id = ? AND (requester_id = ? OR EXISTS (SELECT 1 FROM json_each(access_requests.waiting_on) WHERE value = ?))`,
          params: [actor.orgId, actor.id, actor.id],
        }
      : { sql: 'org_id = ?', params: [actor.orgId] };
  const page = selectPage(store, 'access_requests', scope, query, requestFields);
  return {
    results: page.rows.map((row) => project(listItem(parseDoc<StoredRequest>(row.doc), profile), query.fields)),
    totalCount: page.totalCount,
  };
}

/** GET /api/v2/approversprogress/{id}; a requester sees it only when exposeApprovalProgress is on. */
export function requestProgress(store: SandboxStore, actor: Actor, id: string): { approvers: ProgressEntry[]; approversRequirement: string } {
  const request = visibleRequest(store, actor, id);
  const approver = request.approvals.some((a) => a.approverId === actor.id) || waitingOn(request).includes(actor.id);
  if (actor.type === 'user' && !approver && !getSettings(store, actor.orgId).exposeApprovalProgress) {
    throw new ApiError(403, "approval progress is not shown to requesters (the settings' exposeApprovalProgress is false)");
  }
  return { approvers: progressEntries(store, request), approversRequirement: request.flow.approverRequirement };
}
