// What the console reads that the API has no one call for: who may sign in, the flows a user may
// request, a user's requests and those waiting on them, and the Insights log with the console's
// filters. Reads only: every change goes through the sandbox's own domain functions.
import type { DirectoryEvent } from '../event-model.js';
import type { StoredFlow } from '../flow-model.js';
import { groupIdsOf } from '../group-members.js';
import type { StoredRequest } from '../request-model.js';
import { parseDoc, type SandboxStore } from '../store.js';
import { findUser, type SystemUser } from '../users.js';
import type { ConsolePrincipal } from './session.js';

export interface OrgIdentities {
  orgId: string;
  orgName: string;
  users: SystemUser[];
  admins: { id: string; name: string; email: string }[];
}

/** Every organization with its users and the administrators (admin keys) that reach it. */
export function identities(store: SandboxStore): OrgIdentities[] {
  const orgs = store.stmt('SELECT id, name FROM orgs ORDER BY name, id').all() as { id: string; name: string }[];
  return orgs.map((org) => ({
    orgId: org.id,
    orgName: org.name,
    users: (store.stmt('SELECT doc FROM users WHERE org_id = ? ORDER BY username').all(org.id) as { doc: string }[]).map((row) =>
      parseDoc<SystemUser>(row.doc),
    ),
    admins: (
      store
        .stmt(
          `SELECT k.id, k.name, k.email FROM api_keys k JOIN api_key_orgs o ON o.key_id = k.id
           WHERE k.kind = 'admin' AND o.org_id = ? ORDER BY k.name, k.id`,
        )
        .all(org.id) as { id: string; name: string; email: string | null }[]
    ).map((row) => ({ id: row.id, name: row.name, email: row.email ?? '' })),
  }));
}

/** The principal a sign-in choice names, as the directory has it now; undefined when it names nobody. */
export function principalFor(store: SandboxStore, orgId: string, kind: string, id: string): ConsolePrincipal | undefined {
  if (kind === 'user') {
    const user = findUser(store, orgId, id);
    // As on the platform, staged and suspended users cannot sign in; one suspended since is signed out.
    if (user === undefined || user.state !== 'ACTIVATED') return undefined;
    return { orgId, kind: 'user', id: user._id, email: user.email, name: user.displayname || user.username };
  }
  if (kind === 'admin') {
    const admin = store
      .stmt(`SELECT k.id, k.name, k.email FROM api_keys k JOIN api_key_orgs o ON o.key_id = k.id WHERE k.kind = 'admin' AND k.id = ? AND o.org_id = ?`)
      .get(id, orgId) as { id: string; name: string; email: string | null } | undefined;
    return admin === undefined ? undefined : { orgId, kind: 'admin', id: admin.id, email: admin.email ?? '', name: admin.name };
  }
  return undefined;
}

/** Whether a signed-in principal still exists (a user deleted, a key removed since sign-in). */
export function stillExists(store: SandboxStore, principal: ConsolePrincipal): boolean {
  return principalFor(store, principal.orgId, principal.kind, principal.id) !== undefined;
}

export function orgFlows(store: SandboxStore, orgId: string): StoredFlow[] {
  const rows = store.stmt('SELECT doc FROM approval_flows WHERE org_id = ? ORDER BY name, id').all(orgId) as { doc: string }[];
  return rows.map((row) => parseDoc<StoredFlow>(row.doc));
}

/** The active flows visible to one of the user's groups: what the user may request. */
export function requestableFlows(store: SandboxStore, orgId: string, userId: string): StoredFlow[] {
  const groups = groupIdsOf(store, userId);
  return orgFlows(store, orgId).filter((flow) => flow.status === 'active' && flow.visibleTo.some((id) => groups.has(id)));
}

export const pageSize = 100;

function requestsWhere(store: SandboxStore, sql: string, params: string[], limit = pageSize): StoredRequest[] {
  const rows = store.stmt(`SELECT doc FROM access_requests WHERE ${sql} ORDER BY id DESC LIMIT ?`).all(...params, limit) as { doc: string }[];
  return rows.map((row) => parseDoc<StoredRequest>(row.doc));
}

/** The user's own requests, newest first. */
export function myRequests(store: SandboxStore, orgId: string, userId: string): StoredRequest[] {
  return requestsWhere(store, 'org_id = ? AND requester_id = ?', [orgId, userId]);
}

/** Requests whose current level waits on the user, newest first. */
export function waitingOnMe(store: SandboxStore, orgId: string, userId: string): StoredRequest[] {
  return requestsWhere(store, 'org_id = ? AND EXISTS (SELECT 1 FROM json_each(access_requests.waiting_on) WHERE value = ?)', [orgId, userId]);
}

/** Requests the user decided a level of, newest first. */
export function decidedByMe(store: SandboxStore, orgId: string, userId: string): StoredRequest[] {
  return requestsWhere(
    store,
    `org_id = ? AND EXISTS (SELECT 1 FROM json_each(access_requests.doc, '$.approvals') WHERE json_extract(value, '$.approverId') = ?)`,
    [orgId, userId],
    50,
  );
}

export interface EventFilter {
  eventType?: string;
  initiatedBy?: string;
  resourceName?: string;
  fromMs?: number;
  untilMs?: number;
  page: number;
}

/** The org's event log, newest first, one page of pageSize; hasMore says whether another follows. */
export function filteredEvents(store: SandboxStore, orgId: string, filter: EventFilter): { events: DirectoryEvent[]; hasMore: boolean } {
  const where = ['org_id = ?'];
  const params: (string | number)[] = [orgId];
  if (filter.eventType !== undefined) {
    where.push('event_type = ?');
    params.push(filter.eventType);
  }
  if (filter.initiatedBy !== undefined) {
    where.push(`json_extract(doc, '$.initiated_by.email') = ?`);
    params.push(filter.initiatedBy);
  }
  if (filter.resourceName !== undefined) {
    where.push(`json_extract(doc, '$.resource.name') = ?`);
    params.push(filter.resourceName);
  }
  if (filter.fromMs !== undefined) {
    where.push('timestamp_ms >= ?');
    params.push(filter.fromMs);
  }
  if (filter.untilMs !== undefined) {
    where.push('timestamp_ms < ?');
    params.push(filter.untilMs);
  }
  const rows = store
    .stmt(`SELECT doc FROM events WHERE ${where.join(' AND ')} ORDER BY timestamp_ms DESC, seq DESC LIMIT ? OFFSET ?`)
    .all(...params, pageSize + 1, filter.page * pageSize) as { doc: string }[];
  return { events: rows.slice(0, pageSize).map((row) => parseDoc<DirectoryEvent>(row.doc)), hasMore: rows.length > pageSize };
}

/** The event types the org's log holds, for the filter's choices. */
export function eventTypesOf(store: SandboxStore, orgId: string): string[] {
  return (store.stmt('SELECT DISTINCT event_type FROM events WHERE org_id = ? ORDER BY event_type').all(orgId) as { event_type: string }[]).map(
    (row) => row.event_type,
  );
}

/** Channel names by id, for the settings and deliveries pages (names only: a channel's secrets never leave the store). */
export function channelNames(store: SandboxStore, orgId: string): Map<string, string> {
  const rows = store.stmt('SELECT id, name FROM webhook_channels WHERE org_id = ?').all(orgId) as { id: string; name: string }[];
  return new Map(rows.map((row) => [row.id, row.name]));
}
