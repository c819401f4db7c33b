// What the Access Requests lifecycle mails, in its words: the notice to the approvers of the current
// level (never the requester) and each message to the requester. Queued in the caller's transaction.
import { currentLevel } from './approvers.js';
import { adminAddresses, queueMail } from './mail.js';
import type { StoredRequest } from './request-model.js';
import type { SandboxStore } from './store.js';
import { findUser } from './users.js';

/** Administrators' addresses for a request: the org's admins, the requester left out. */
export function adminAddressesFor(store: SandboxStore, request: StoredRequest): string[] {
  return adminAddresses(store, request.organization).filter((address) => address !== request.requester.email);
}

/** Mails the approvers of the current level: its fixed users, and administrators when it names them or data is missing. */
export function notifyApprovers(store: SandboxStore, request: StoredRequest): void {
  const to: string[] = [];
  const current = currentLevel(request);
  if (request.status === 'missing_data') to.push(...adminAddressesFor(store, request));
  else if (current !== undefined) {
    for (const entry of current.entries) {
      if (entry.admins) to.push(...adminAddressesFor(store, request));
      for (const id of entry.users) to.push(findUser(store, request.organization, id)?.email ?? '');
    }
  }
  const missing =
    request.missing === 'manager'
      ? ' is missing data (the requester has no manager); an administrator must decide it, or set the manager.'
      : ` is missing data (level ${request.level + 1} has nobody left who may approve it); an administrator must decide it.`;
  queueMail(store, request.organization, {
    kind: 'approval_needed',
    to: to.filter((address) => address !== request.requester.email),
    subject: `Approval needed: ${request.requester.username} requests ${request.flow.name}`,
    body: `${request.requester.username} requests "${request.flow.name}"${request.requestedDuration === '' ? '' : ` for ${request.requestedDuration}`}: ${request.remarks}\nRequest ${request.id}${request.status === 'missing_data' ? missing : `, level ${request.level + 1}.`}`,
    requestId: request.id,
  });
}

function mailRequester(store: SandboxStore, request: StoredRequest, subject: string, body: string): void {
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

export function mailApproved(store: SandboxStore, request: StoredRequest): void {
  const until = request.access?.endsAt === undefined ? '' : ` until ${request.access.endsAt}`;
  mailRequester(store, request, `Access granted: ${request.flow.name}`, `Your request ${request.id} for "${request.flow.name}" was granted${until}.`);
}

export function mailDenied(store: SandboxStore, request: StoredRequest, remarks: string | undefined): void {
  mailRequester(
    store,
    request,
    `Request denied: ${request.flow.name}`,
    `Your request ${request.id} for "${request.flow.name}" was denied${remarks ? `: ${remarks}` : '.'}`,
  );
}

export function mailError(store: SandboxStore, request: StoredRequest): void {
  mailRequester(
    store,
    request,
    `Your request for ${request.flow.name} could not be completed`,
    `Request ${request.id} was approved, but granting access failed; an administrator has been told.`,
  );
}

export function mailExpired(store: SandboxStore, request: StoredRequest): void {
  mailRequester(store, request, `Your request for ${request.flow.name} expired`, `Request ${request.id} was not decided within 30 days and has expired.`);
}

export function mailCanceled(store: SandboxStore, request: StoredRequest): void {
  mailRequester(
    store,
    request,
    `Your request for ${request.flow.name} was canceled`,
    `Request ${request.id} was canceled because its approval flow was deleted.`,
  );
}

export function mailAccessEnded(store: SandboxStore, request: StoredRequest): void {
  mailRequester(store, request, `Access ended: ${request.flow.name}`, `Your access from request ${request.id} to "${request.flow.name}" has ended.`);
}
