// Access requests (/api/v2/approvalflowrequest, /api/v2/approversprogress): the stored request
// with its flow snapshot, submitting with every refusal, levels and who they wait on, and reads.
import { ApiError, badRequest, conflict, notFound } from './api-error.js';
import { findGroup, findUser, memberIds, type SystemUser } from './directory.js';
import { approverName, type StoredApprover, type StoredFlow } from './flows.js';
import { recordEvent, type Change } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { adminAddresses, queueMail } from './mail.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { BodyReader } from './request-body.js';
import { setTimer } from './scheduler.js';
import { getSettings } from './settings.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

/** Every status a request can have; documented in the OpenAPI description. */
export const requestStatuses = ['pending', 'granted', 'denied', 'expired', 'canceled', 'error', 'missing_data', 'revoked'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** Statuses still waiting for a decision. */
export const openStatuses: readonly RequestStatus[] = ['pending', 'missing_data'];

export const pendingLifetimeMs = 30 * 24 * 3600 * 1000;
export const maxRemarksLength = 1000;

export interface Approval {
  level: number;
  /** Index of the approver in the flow snapshot's approverResources. */
  resourceIndex: number;
  approverId: string;
  approverType: 'user' | 'admin';
  approverEmail: string;
  decision: 'approved' | 'denied';
  at: string;
  remarks?: string;
}

export interface StoredRequest {
  id: string;
  organization: string;
  approvalFlowId: string;
  approvalType: string;
  status: RequestStatus;
  /** The flow as it was when the request was submitted: later edits do not change the request. */
  flow: StoredFlow;
  groupName: string;
  requester: { id: string; username: string; email: string; department?: string; managerId?: string; managerName?: string };
  remarks: string;
  requestedDuration: string;
  approvedDuration?: string;
  /** Index into the flow's levels (distinct resourceOrder values, ascending). */
  level: number;
  approvals: Approval[];
  /** Set when an administrator decided (PUT), which overrides the levels. */
  adminDecision?: { id: string; email: string; status: string; at: string; remarks?: string };
  internalNote?: string;
  grantedAt?: string;
  expiresAt?: string;
  /** Whether the grant added the membership (so revoking removes only what the grant added). */
  membershipAdded?: boolean;
  error?: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface Level {
  order: number;
  requireAll: boolean;
  approvers: { index: number; approver: StoredApprover }[];
}

export function levelsOf(flow: StoredFlow): Level[] {
  const orders = [...new Set(flow.approverResources.map((a) => a.resourceOrder))].sort((a, b) => a - b);
  return orders.map((order) => {
    const approvers = flow.approverResources
      .map((approver, index) => ({ index, approver }))
      .filter((a) => a.approver.resourceOrder === order);
    return { order, requireAll: approvers.some((a) => a.approver.requireAll), approvers };
  });
}

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

export function findRequest(store: SandboxStore, orgId: string, id: string): StoredRequest | undefined {
  const row = store.stmt('SELECT doc FROM access_requests WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<StoredRequest>(row.doc);
}

export function requireRequest(store: SandboxStore, orgId: string, id: string): StoredRequest {
  const request = findRequest(store, orgId, id);
  if (request === undefined) throw notFound(`access request ${id}`);
  return request;
}

/** Writes the request back, with the list of users it waits on. */
export function saveRequest(store: SandboxStore, request: StoredRequest): void {
  store
    .stmt(
      `INSERT INTO access_requests (id, org_id, flow_id, requester_id, status, waiting_on, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, waiting_on = excluded.waiting_on, doc = excluded.doc`,
    )
    .run(
      request.id,
      request.organization,
      request.approvalFlowId,
      request.requester.id,
      request.status,
      JSON.stringify(waitingOn(store, request)),
      JSON.stringify(request),
    );
}

export function requestResource(request: StoredRequest): { id: string; type: string; name: string } {
  return { id: request.id, type: 'access_request', name: request.flow.name };
}

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

/** Mails each approver of the current level (admins when the level has admin approvers or data is missing). */
export function notifyApprovers(store: SandboxStore, request: StoredRequest): void {
  const level = levelsOf(request.flow)[request.level];
  const to: string[] = [];
  if (request.status === 'missing_data') to.push(...adminAddresses(store, request.organization));
  else if (level !== undefined) {
    for (const { approver } of level.approvers) {
      if (approver.resourceType === 'admin') to.push(...adminAddresses(store, request.organization));
      else for (const id of eligibleUsers(store, request, approver)) to.push(findUser(store, request.organization, id)?.email ?? '');
    }
  }
  queueMail(store, request.organization, {
    kind: 'approval_needed',
    to,
    subject: `Approval needed: ${request.requester.username} requests ${request.flow.name}`,
    body: `${request.requester.username} requests "${request.flow.name}"${request.requestedDuration === '' ? '' : ` for ${request.requestedDuration}`}: ${request.remarks}\nRequest ${request.id}${request.status === 'missing_data' ? ' is missing data (the requester has no manager); an administrator must decide it.' : `, level ${request.level + 1}.`}`,
    requestId: request.id,
  });
}

export function mailRequester(store: SandboxStore, request: StoredRequest, subject: string, body: string): void {
  queueMail(store, request.organization, { kind: 'decision', to: [request.requester.email], subject, body, requestId: request.id });
}

function findFlowRow(store: SandboxStore, orgId: string, id: string): StoredFlow | undefined {
  const row = store.stmt('SELECT doc FROM approval_flows WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<StoredFlow>(row.doc);
}

function userGroupIds(store: SandboxStore, userId: string): Set<string> {
  return new Set(
    (store.stmt('SELECT group_id FROM group_members WHERE user_id = ?').all(userId) as { group_id: string }[]).map((r) => r.group_id),
  );
}

/** The duration a request asks for, or a 400 naming what the flow allows. */
function checkDuration(flow: StoredFlow, requested: string | undefined, reader: BodyReader): string {
  const given = requested ?? '';
  if (!flow.timeBasedAccess) {
    if (given !== '') reader.fail('requestedDuration', `approval flow "${flow.name}" grants permanent access; send no requestedDuration`);
    return '';
  }
  if (flow.ttlConfig === 'TTL_CONFIG_FIXED_DURATION') {
    const fixed = flow.fixedDuration ?? '';
    if (given !== '' && given !== fixed)
      reader.fail('requestedDuration', `approval flow "${flow.name}" grants a fixed ${fixed}; send ${fixed} or nothing`);
    return fixed;
  }
  const choices = flow.multiSelectDuration ?? [];
  if (given === '') reader.fail('requestedDuration', `is required: approval flow "${flow.name}" offers ${choices.join(', ')}`);
  else if (!choices.includes(given)) reader.fail('requestedDuration', `must be one of ${choices.join(', ')} (got "${given}")`);
  return given;
}

export function requesterOf(store: SandboxStore, actor: Actor): SystemUser {
  if (actor.type !== 'user') {
    throw new ApiError(403, 'submitting a request needs a user: use a per-user key, or an administrator key with x-sandbox-act-as');
  }
  const user = findUser(store, actor.orgId, actor.id);
  if (user === undefined) throw new ApiError(403, 'the key belongs to a user who no longer exists');
  return user;
}

/**
 * POST /api/v2/approvalflowrequest {approvalFlowId, remarks, requestedDuration}: an end user asks
 * for access. `grant` decides an automated flow at once (it lives in grants.ts).
 */
export function submitRequest(
  store: SandboxStore,
  actor: Actor,
  body: unknown,
  profile: Profile,
  grant: (request: StoredRequest, actor: Actor) => void,
): StoredRequest {
  const user = requesterOf(store, actor);
  const reader = new BodyReader(body, ['approvalFlowId', 'remarks', 'requestedDuration', 'organizationObjectId']);
  const flowId = reader.string('approvalFlowId', { required: true, minLength: 1 });
  const remarks = reader.string('remarks', { required: true, maxLength: maxRemarksLength });
  if (remarks !== undefined && remarks.trim() === '') reader.fail('remarks', 'must not be empty: say why you need the access');
  const requested = reader.string('requestedDuration');
  checkOrganizationObjectId(reader, actor.orgId, profile);
  return store.transaction(() => {
    if (!getSettings(store, actor.orgId).resourceRequest) {
      throw new ApiError(403, "access requests are turned off for this organization (the settings' resourceRequest is false)");
    }
    const flow = flowId === undefined ? undefined : findFlowRow(store, actor.orgId, flowId);
    if (flowId !== undefined && flow === undefined) throw notFound(`approval flow ${flowId}`);
    if (flow !== undefined) {
      if (flow.status !== 'active') throw new ApiError(403, `approval flow "${flow.name}" is disabled`);
      const groups = userGroupIds(store, user._id);
      if (!flow.visibleTo.some((id) => groups.has(id))) {
        throw new ApiError(403, `approval flow "${flow.name}" is not visible to any group of ${user.username}`);
      }
    }
    const duration = flow === undefined ? '' : checkDuration(flow, requested === '' ? undefined : requested, reader);
    reader.finish('invalid access request');
    if (flow === undefined) throw badRequest('invalid access request');
    const open = store
      .stmt(
        `SELECT id FROM access_requests WHERE org_id = ? AND flow_id = ? AND requester_id = ? AND status IN ('pending', 'missing_data')`,
      )
      .get(actor.orgId, flow.id, user._id) as { id: string } | undefined;
    if (open !== undefined) throw conflict(`${user.username} already has a pending request ${open.id} for "${flow.name}"`);

    const manager = user.manager === undefined ? undefined : findUser(store, actor.orgId, user.manager);
    const now = store.clock.nowIso();
    const request: StoredRequest = {
      id: store.newId(),
      organization: actor.orgId,
      approvalFlowId: flow.id,
      approvalType: flow.approvalType,
      status: 'pending',
      flow,
      groupName: findGroup(store, actor.orgId, flow.resourceId)?.name ?? '',
      requester: {
        id: user._id,
        username: user.username,
        email: user.email,
        ...(user.department === undefined ? {} : { department: user.department }),
        ...(manager === undefined ? {} : { managerId: manager._id, managerName: manager.username }),
      },
      remarks: remarks ?? '',
      requestedDuration: duration,
      level: 0,
      approvals: [],
      createdAt: now,
      updatedAt: now,
      updatedBy: user.email,
    };
    saveRequest(store, request);
    recordEvent(store, actor, {
      eventType: 'access_management_access_request',
      resource: requestResource(request),
      changes: [{ field: 'status', from: null, to: 'pending' }],
    });
    queueMail(store, actor.orgId, {
      kind: 'request_received',
      to: [user.email],
      subject: `We received your request for ${flow.name}`,
      body: `Your request ${request.id} for "${flow.name}" was received.`,
      requestId: request.id,
    });
    if (flow.approvalType === 'automated') {
      grant(request, actor);
      return request;
    }
    const needsManager = flow.approverResources.some((a) => a.resourceType === 'manager');
    if (needsManager && manager === undefined) {
      changeStatus(store, actor, request, 'missing_data', 'access_management_access_request', [
        { field: 'missing', from: null, to: 'manager' },
      ]);
    }
    notifyApprovers(store, request);
    setTimer(store, 'expire', actor.orgId, request.id, store.clock.nowMs() + pendingLifetimeMs);
    return request;
  });
}

// ---- reading ----

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
  const query = parseListQuery(params, requestFields, ['-_id']);
  for (const field of ['status', 'approvalType', 'approvalFlowId'] as const) {
    const value = params.get(field);
    if (value !== null && value !== '') query.filters.push({ field, op: value.includes('|') ? 'in' : 'eq', value });
  }
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
