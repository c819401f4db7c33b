// The read views of access requests: the contract's list item and detail, approval progress per
// approver entry, the admin queue and a user's own view, and who may read which request.
import { ApiError, notFound } from './api-error.js';
import { eligibleUsers, waitingOn } from './approvers.js';
import { approverName, levelsOf } from './flow-model.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { adminAddresses } from './mail.js';
import type { Approval, StoredRequest } from './request-model.js';
import { requireRequest } from './request-store.js';
import { getSettings } from './settings.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';
import { findGroup } from './user-groups.js';
import { findUser } from './users.js';

export const requestFields: FieldSpec = {
  status: 'string',
  approvalType: 'string',
  approvalFlowId: 'string',
  createdAt: 'string',
  updatedAt: 'string',
};

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

export function listItem(request: StoredRequest): RequestListItem {
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
  };
}

/** One approver entry's state: approved, denied, pending (the current level), waiting (later) or skipped. */
function approverStatus(request: StoredRequest, level: number, index: number): { status: string; approval: Approval | undefined } {
  const approval = request.approvals.find((a) => a.level === level && a.resourceIndex === index);
  if (approval !== undefined) return { status: approval.decision, approval };
  if (request.adminDecision !== undefined && level >= request.level) return { status: 'overridden', approval };
  if (request.status === 'pending' || request.status === 'missing_data') {
    return { status: level === request.level ? 'pending' : level > request.level ? 'waiting' : 'skipped', approval };
  }
  return { status: 'skipped', approval };
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

function progressEntries(store: SandboxStore, request: StoredRequest): ProgressEntry[] {
  return levelsOf(request.flow).flatMap((level, levelIndex) =>
    level.approvers.map(({ index, approver }) => {
      const { status, approval } = approverStatus(request, levelIndex, index);
      const eligible =
        approver.resourceType === 'admin'
          ? adminAddresses(store, request.organization).length
          : eligibleUsers(store, request, approver).length;
      return {
        approvalSequence: levelIndex + 1,
        approvalStatus: status,
        approvedCount: request.approvals.filter((a) => a.level === levelIndex && a.resourceIndex === index && a.decision === 'approved')
          .length,
        approverId:
          approval?.approverId ?? (approver.resourceType === 'manager' ? (request.requester.managerId ?? '') : approver.resourceId),
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
        totalCount: eligible,
      };
    }),
  );
}

export function detailView(store: SandboxStore, request: StoredRequest): RequestDetail {
  return {
    ...listItem(request),
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
function userMaySee(store: SandboxStore, actor: Actor, request: StoredRequest): boolean {
  return (
    request.requester.id === actor.id ||
    request.approvals.some((a) => a.approverId === actor.id) ||
    waitingOn(store, request).includes(actor.id)
  );
}

/** A request the actor may read; 404 (not 403) for a user, so ids of others' requests do not leak. */
export function visibleRequest(store: SandboxStore, actor: Actor, id: string): StoredRequest {
  const request = requireRequest(store, actor.orgId, id);
  if (actor.type === 'user' && !userMaySee(store, actor, request)) throw notFound(`access request ${id}`);
  return request;
}

/**
 * GET /api/v2/approvalflowrequest: an admin sees the org's queue; a user their own requests and
 * those waiting on them. Filter by status, approvalType, approvalFlowId (filter=field:eq:value or
 * plain ?status=); newest first unless sorted.
 */
export function listRequests(
  store: SandboxStore,
  actor: Actor,
  params: URLSearchParams,
): { results: Partial<RequestListItem>[]; totalCount: number } {
  // ?status=a|b is shorthand for filter=status:in:a|b, read (and capped) as one.
  const withShorthand = new URLSearchParams(params);
  for (const field of ['status', 'approvalType', 'approvalFlowId'] as const) {
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
    results: page.rows.map((row) => project(listItem(parseDoc<StoredRequest>(row.doc)), query.fields)),
    totalCount: page.totalCount,
  };
}

/** GET /api/v2/approversprogress/{id}; a requester sees it only when exposeApprovalProgress is on. */
export function requestProgress(
  store: SandboxStore,
  actor: Actor,
  id: string,
): { approvers: ProgressEntry[]; approversRequirement: string } {
  const request = visibleRequest(store, actor, id);
  const approver = request.approvals.some((a) => a.approverId === actor.id) || waitingOn(store, request).includes(actor.id);
  if (actor.type === 'user' && !approver && !getSettings(store, actor.orgId).exposeApprovalProgress) {
    throw new ApiError(403, "approval progress is not shown to requesters (the settings' exposeApprovalProgress is false)");
  }
  return { approvers: progressEntries(store, request), approversRequirement: request.flow.approverRequirement };
}
