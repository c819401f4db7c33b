// The access request as the sandbox stores it and the words of its lifecycle. Pure: storage,
// the state machine, read views and mail wording all build on it.
import type { StoredFlow } from './flow-model.js';

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

/** The resource an access request's events name. */
export function requestResource(request: StoredRequest): { id: string; type: string; name: string } {
  return { id: request.id, type: 'access_request', name: request.flow.name };
}
