// API keys: stored as SHA-256 hashes, each scoped to one or more orgs. Resolves x-api-key and
// x-org-id to the acting principal with JumpCloud's documented 400/401/403/404 answers.
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from './api-error.js';
import type { Actor, SandboxStore } from './store.js';

export type KeyKind = 'admin' | 'user';

export interface Principal {
  keyId: string;
  kind: KeyKind;
  name: string;
  email: string;
  /** For a per-user key, the user it acts as. */
  userId: string | undefined;
  orgIds: string[];
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A fresh random key (an admin key, or the operator key), shown once to whoever asked for it. */
export function generateKey(kind?: 'operator'): string {
  return `sandbox_${kind === undefined ? '' : `${kind}_`}${randomBytes(24).toString('base64url')}`;
}

export interface NewKey {
  kind: KeyKind;
  key: string;
  name: string;
  email: string;
  userId?: string;
  orgIds: string[];
}

/** Stores a key's hash; returns false if that key already exists (seeding is idempotent). */
export function addApiKey(store: SandboxStore, input: NewKey): boolean {
  const hash = hashKey(input.key);
  const existing = store.stmt('SELECT id FROM api_keys WHERE key_hash = ?').get(hash);
  if (existing !== undefined) return false;
  const id = store.newId();
  store
    .stmt('INSERT INTO api_keys (id, key_hash, kind, name, email, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(id, hash, input.kind, input.name, input.email, input.userId ?? null, store.clock.nowIso());
  for (const orgId of input.orgIds) store.stmt('INSERT INTO api_key_orgs (key_id, org_id) VALUES (?, ?)').run(id, orgId);
  return true;
}

export function keyExists(store: SandboxStore, key: string): boolean {
  return store.stmt('SELECT id FROM api_keys WHERE key_hash = ?').get(hashKey(key)) !== undefined;
}

/** Looks up x-api-key; 401 when it is missing or unknown. */
export function authenticate(store: SandboxStore, apiKey: string | undefined): Principal {
  if (apiKey === undefined || apiKey === '') throw new ApiError(401, 'missing x-api-key header');
  // Kept by the key's hash until the database changes (a key added, removed or rescoped): every
  // request authenticates, and a paging client sends the same key a hundred times in a row.
  const hash = hashKey(apiKey);
  return store.kept(`api key\u0000${hash}`, () => lookUpKey(store, hash));
}

function lookUpKey(store: SandboxStore, hash: string): Principal {
  const row = store.stmt('SELECT id, kind, name, email, user_id FROM api_keys WHERE key_hash = ?').get(hash) as
    | { id: string; kind: KeyKind; name: string; email: string | null; user_id: string | null }
    | undefined;
  if (row === undefined) throw new ApiError(401, 'invalid x-api-key');
  const orgIds = (store.stmt('SELECT org_id FROM api_key_orgs WHERE key_id = ? ORDER BY org_id').all(row.id) as { org_id: string }[]).map((r) => r.org_id);
  return { keyId: row.id, kind: row.kind, name: row.name, email: row.email ?? '', userId: row.user_id ?? undefined, orgIds };
}

const objectIdPattern = /^[0-9a-f]{24}$/;

/**
 * Picks the org a request acts on, following JumpCloud's multi-tenant header rules:
 * 400 malformed x-org-id or one that contradicts organizationObjectId, 401 a multi-org key without
 * x-org-id, 403 x-org-id on a route that takes none, 404 an org the key cannot reach.
 */
export function resolveOrg(
  principal: Principal,
  orgHeader: string | undefined,
  options: { orgScoped: boolean; organizationObjectId?: string | undefined },
): string | undefined {
  if (orgHeader !== undefined) {
    if (!objectIdPattern.test(orgHeader)) throw new ApiError(400, 'Malformed ID: x-org-id must be a 24-character hex id');
    if (!options.orgScoped) throw new ApiError(403, 'ID included on unsupported route: this route takes no x-org-id');
    if (!principal.orgIds.includes(orgHeader)) throw new ApiError(404, 'Organization ID Not Found');
  }
  if (!options.orgScoped) return undefined;
  let orgId = orgHeader;
  if (orgId === undefined) {
    if (principal.orgIds.length !== 1) throw new ApiError(401, 'ID not included for multi-tenant admin: send x-org-id');
    orgId = principal.orgIds[0];
  }
  const requested = options.organizationObjectId;
  if (requested !== undefined && requested !== '' && requested !== orgId) {
    throw new ApiError(400, 'x-org-id and Organization path ID do not match');
  }
  return orgId;
}

export function actorFor(principal: Principal, orgId: string, clientIp?: string): Actor {
  return {
    orgId,
    id: principal.kind === 'user' && principal.userId !== undefined ? principal.userId : principal.keyId,
    type: principal.kind,
    email: principal.email,
    clientIp,
  };
}
