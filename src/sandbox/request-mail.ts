// What the Access Requests lifecycle mails, in its words: the notice to approvers of the current
// level and each message to the requester. Queued in the caller's transaction (mail.ts).
import { eligibleUsers } from './approvers.js';
import { levelsOf } from './flow-model.js';
import { adminAddresses, queueMail } from './mail.js';
import type { StoredRequest } from './request-model.js';
import type { SandboxStore } from './store.js';
import { findUser } from './users.js';

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

/** The confirmation a requester gets when the request is received. */
export function mailReceived(store: SandboxStore, request: StoredRequest): void {
  queueMail(store, request.organization, {
    kind: 'request_received',
    to: [request.requester.email],
    subject: `We received your request for ${request.flow.name}`,
    body: `Your request ${request.id} for "${request.flow.name}" was received.`,
    requestId: request.id,
  });
}
