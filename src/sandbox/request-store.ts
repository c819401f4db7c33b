// Access requests in SQLite: one row per request holding its document, with the columns lists and
// scopes filter on (status, flow, requester, and the users it waits on).
import { notFound } from './api-error.js';
import { queueOf, waitingOn } from './approvers.js';
import type { StoredRequest } from './request-model.js';
import { parseDoc, type SandboxStore } from './store.js';

export function findRequest(store: SandboxStore, orgId: string, id: string): StoredRequest | undefined {
  const row = store.stmt('SELECT doc FROM access_requests WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<StoredRequest>(row.doc);
}

export function requireRequest(store: SandboxStore, orgId: string, id: string): StoredRequest {
  const request = findRequest(store, orgId, id);
  if (request === undefined) throw notFound(`access request ${id}`);
  return request;
}

/**
 * Writes the request back, with the users it waits on; an undecided (or Error) request also moves to
 * the queue view it now belongs in, and a decided one stays in the view it was decided from.
 */
export function saveRequest(store: SandboxStore, request: StoredRequest): void {
  if (request.status === 'pending' || request.status === 'missing_data' || request.status === 'error') request.queue = queueOf(request);
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
      JSON.stringify(waitingOn(request)),
      JSON.stringify(request),
    );
}

function requestsWhere(store: SandboxStore, sql: string, ...params: string[]): StoredRequest[] {
  const rows = store.stmt(`SELECT doc FROM access_requests WHERE ${sql} ORDER BY id`).all(...params) as { doc: string }[];
  return rows.map((row) => parseDoc<StoredRequest>(row.doc));
}

/** The open (undecided) requests of a flow, oldest first. */
export function openRequestsOfFlow(store: SandboxStore, orgId: string, flowId: string): StoredRequest[] {
  return requestsWhere(store, `org_id = ? AND flow_id = ? AND status IN ('pending', 'missing_data')`, orgId, flowId);
}

/** The org's Missing Data requests, oldest first: the ones fixing the directory may resume. */
export function missingDataRequests(store: SandboxStore, orgId: string): StoredRequest[] {
  return requestsWhere(store, `org_id = ? AND status = 'missing_data'`, orgId);
}
