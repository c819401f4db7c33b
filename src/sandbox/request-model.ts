// The access request as the sandbox stores it and the words of its lifecycle: JumpCloud's published
// statuses, and the sandbox's extensions kept apart from them. Pure: storage, the state machine,
// read views and mail wording all build on it.
import type { RequestStatus } from '../protocols/request-status.js';
import type { StoredFlow } from './flow-model.js';

/** Statuses still waiting for a decision (and that expire after 30 days). */
export const openStatuses: readonly RequestStatus[] = ['pending', 'missing_data'];

/**
 * Sandbox extension: what became of the access an approved request granted. JumpCloud's status
 * stays Approved when time-bound access runs out; the sandbox says so apart, here.
 * active: the requester holds the access; ended: time-bound access ran out; revoked: an
 * administrator ended it early (PUT status revoked, itself an extension).
 */
export const accessStates = ['active', 'ended', 'revoked'] as const;
export type AccessState = (typeof accessStates)[number];

/** Why a request is Missing Data: the requester has no manager, or a level has nobody who may approve it. */
export const missingReasons = ['manager', 'approver'] as const;
export type MissingReason = (typeof missingReasons)[number];

/** The Request Queue's two views: requests an administrator must act on, and those assigned approvers act on. */
export const queueViews = ['administrator', 'others'] as const;
export type QueueView = (typeof queueViews)[number];

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

/** Who may approve one approver entry of a level, fixed when the level starts. */
export interface EntryApprovers {
  /** Index of the entry in the flow snapshot's approverResources. */
  index: number;
  /** User ids: never the requester, never someone who approved an earlier level. */
  users: string[];
  /** Whether the entry names administrators (who decide with an admin key). */
  admins: boolean;
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
  /** The approvers of each level started so far, by level index. */
  levelApprovers: EntryApprovers[][];
  approvals: Approval[];
  /** Set when an administrator decided (PUT), which overrides the levels. */
  adminDecision?: { id: string; email: string; status: string; at: string; remarks?: string };
  internalNote?: string;
  /** While Missing Data: what is missing. */
  missing?: MissingReason;
  /** The Request Queue view the request belongs to (kept as it was once the request is decided). */
  queue: QueueView;
  grantedAt?: string;
  /** Sandbox extension: the access an Approved request granted. */
  access?: { state: AccessState; endsAt?: string; endedAt?: string };
  error?: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** The resource an access request's events name. */
export function requestResource(request: StoredRequest): { id: string; type: string; name: string } {
  return { id: request.id, type: 'access_request', name: request.flow.name };
}
