// The mail outbox: the messages the Access Requests lifecycle would email (no SMTP), written in
// the lifecycle's transaction when the settings' email switches allow, and listed for tests.
import { equalityFilter, pagingOnly } from './lists.js';
import { getSettings } from './settings.js';
import type { SandboxStore } from './store.js';

/** request_received: userRequestEmail; approval_needed: adminApprovalEmail; decision: userApprovalEmail. */
export type MailKind = 'request_received' | 'approval_needed' | 'decision';

export interface MailMessage {
  id: string;
  organization: string;
  kind: MailKind;
  to: string;
  subject: string;
  body: string;
  requestId?: string;
  createdAt: string;
}

const switchFor = {
  request_received: 'userRequestEmail',
  approval_needed: 'adminApprovalEmail',
  decision: 'userApprovalEmail',
} as const;

/** Queues one message per distinct recipient, if the org's settings turn that kind of mail on. */
export function queueMail(
  store: SandboxStore,
  orgId: string,
  message: { kind: MailKind; to: string[]; subject: string; body: string; requestId?: string },
): void {
  if (!getSettings(store, orgId)[switchFor[message.kind]]) return;
  for (const to of [...new Set(message.to.filter((address) => address !== ''))].sort()) {
    store
      .stmt('INSERT INTO mail (id, org_id, kind, recipient, subject, body, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(store.newId(), orgId, message.kind, to, message.subject, message.body, message.requestId ?? null, store.clock.nowIso());
  }
}

/** Administrators' addresses in an org: where notices for admin approvers go. */
export function adminAddresses(store: SandboxStore, orgId: string): string[] {
  const rows = store
    .stmt(
      `SELECT DISTINCT k.email FROM api_keys k JOIN api_key_orgs o ON o.key_id = k.id
       WHERE k.kind = 'admin' AND o.org_id = ? AND k.email IS NOT NULL ORDER BY k.email`,
    )
    .all(orgId) as { email: string }[];
  return rows.map((row) => row.email);
}

/**
 * The outbox, oldest first; ?to=, ?kind= and ?requestId= narrow it; limit and skip page it. `orgId`
 * keeps it to one org's mail (an admin key's); undefined lists every org's (the operator key's).
 */
export function listMail(store: SandboxStore, params: URLSearchParams, orgId: string | undefined): { results: MailMessage[]; totalCount: number } {
  const paging = pagingOnly(params);
  const { sql, values } = equalityFilter(params, orgId, { to: 'recipient', kind: 'kind', requestId: 'request_id' });
  const total = store.stmt(`SELECT count(*) AS n FROM mail WHERE ${sql}`).get(...values) as { n: number };
  const rows = store.stmt(`SELECT * FROM mail WHERE ${sql} ORDER BY id LIMIT ? OFFSET ?`).all(...values, paging.limit, paging.skip) as {
    id: string;
    org_id: string;
    kind: MailKind;
    recipient: string;
    subject: string;
    body: string;
    request_id: string | null;
    created_at: string;
  }[];
  return {
    totalCount: total.n,
    results: rows.map((row) => ({
      id: row.id,
      organization: row.org_id,
      kind: row.kind,
      to: row.recipient,
      subject: row.subject,
      body: row.body,
      ...(row.request_id === null ? {} : { requestId: row.request_id }),
      createdAt: row.created_at,
    })),
  };
}
