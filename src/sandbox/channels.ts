// Webhook channels (/api/v2/notifications/webhook/channels), a shape the sandbox defines: URL
// placeholders, static headers and a signing secret. Secret values are write-only: reads show a
// mask and a salted secretsFingerprint (an HMAC a client can recompute), never the values.
import { createHmac } from 'node:crypto';
import { signingSecretProblem } from '../protocols/standard-webhooks.js';
import { conflict, notFound, type ErrorDetail } from './api-error.js';
import { reservedHeaderReason } from './header-rules.js';
import { diffFields, recordEvent } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { bodyProblems, validateBody } from './body-validation.js';
import { Problems, type JsonObject } from './request-body.js';
import { channelsInUse } from './settings.js';
import { assertNameFree } from './name-index.js';
import { nameKey } from './names.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

/** What a read shows in place of a secret, and what a PUT may send back to keep one unchanged. */
export const secretMask = '********';

export interface ChannelHeader {
  name: string;
  value: string;
  sensitive: boolean;
}

/** The read shape. */
export interface WebhookChannel {
  id: string;
  name: string;
  url: string;
  enabled: boolean;
  verifySsl: boolean;
  sensitiveValues: Record<string, string>;
  headers: ChannelHeader[];
  signingSecret?: string;
  secretsFingerprint: string;
  createdBy: string;
  updatedBy: string;
}

interface ChannelSecrets {
  sensitiveValues: Record<string, string>;
  /** Sensitive header values by lower-cased header name. */
  headers: Record<string, string>;
  signingSecret?: string;
}

export const channelFields: FieldSpec = {
  name: 'string',
  url: 'string',
  enabled: 'boolean',
  verifySsl: 'boolean',
  secretsFingerprint: 'string',
};

const placeholderPattern = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** The body POST and PUT take, as the WebhookChannelWrite schema accepted it. */
export interface ChannelWrite {
  name: string;
  url: string;
  enabled?: boolean;
  verifySsl?: boolean;
  sensitiveValues?: Record<string, string>;
  headers?: { name: string; value: string; sensitive?: boolean }[];
  signingSecret?: string;
}

/**
 * The stored channel and its secrets, with every semantic problem in `problems`: placeholders and
 * their values agree, masks keep only values that are stored, headers are not the sandbox's own.
 */
function readChannelBody(
  body: ChannelWrite,
  previous: ChannelSecrets | undefined,
): { doc: Omit<WebhookChannel, 'id' | 'createdBy' | 'updatedBy' | 'secretsFingerprint'>; secrets: ChannelSecrets; problems: Problems } {
  const problems = new Problems();
  const sensitiveValues: Record<string, string> = {};
  for (const [key, value] of Object.entries(body.sensitiveValues ?? {})) {
    if (value !== secretMask) sensitiveValues[key] = value;
    else {
      const kept = previous?.sensitiveValues[key];
      if (kept === undefined) problems.fail(`sensitiveValues.${key}`, 'has no stored value to keep; send the value');
      else sensitiveValues[key] = kept;
    }
  }
  checkUrl(problems, body.url, sensitiveValues);

  const headers: ChannelHeader[] = [];
  const headerSecrets: Record<string, string> = {};
  const seen = new Set<string>();
  (body.headers ?? []).forEach((header, index) => {
    const entry = problems.at(`headers[${index}]`);
    const key = header.name.toLowerCase();
    const reserved = reservedHeaderReason(header.name);
    if (reserved !== undefined) entry.fail('name', reserved);
    if (seen.has(key)) entry.fail('name', 'repeats a header');
    seen.add(key);
    if (header.sensitive !== true) {
      headers.push({ name: header.name, value: header.value, sensitive: false });
      return;
    }
    const stored = header.value === secretMask ? previous?.headers[key] : header.value;
    if (stored === undefined) entry.fail('value', 'has no stored value to keep; send the value');
    else headerSecrets[key] = stored;
    headers.push({ name: header.name, value: secretMask, sensitive: true });
  });

  let signingSecret = body.signingSecret;
  if (signingSecret === secretMask) {
    signingSecret = previous?.signingSecret;
    if (signingSecret === undefined) problems.fail('signingSecret', 'has no stored value to keep; send the value');
  } else if (signingSecret !== undefined) {
    if (signingSecretProblem(signingSecret) !== undefined)
      problems.fail('signingSecret', 'must be a Standard Webhooks secret: whsec_ followed by 24 to 64 base64 bytes');
  }

  const secrets: ChannelSecrets = { sensitiveValues, headers: headerSecrets, ...(signingSecret === undefined ? {} : { signingSecret }) };
  const maskedValues = Object.fromEntries(
    Object.keys(sensitiveValues)
      .sort()
      .map((key) => [key, secretMask]),
  );
  return {
    problems,
    secrets,
    doc: {
      name: body.name,
      url: body.url,
      enabled: body.enabled ?? true,
      verifySsl: body.verifySsl ?? true,
      sensitiveValues: maskedValues,
      headers,
      ...(signingSecret === undefined ? {} : { signingSecret: secretMask }),
    },
  };
}

function checkUrl(problems: Problems, url: string, values: Record<string, string>): void {
  const placeholders = new Set([...url.matchAll(placeholderPattern)].map((match) => match[1] ?? ''));
  for (const name of placeholders) {
    if (values[name] === undefined) problems.fail('sensitiveValues', `has no value for the URL placeholder {{${name}}}`);
  }
  for (const key of Object.keys(values)) {
    if (!placeholders.has(key)) problems.fail(`sensitiveValues.${key}`, `is not a placeholder in the URL (write it as {{${key}}})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.replace(placeholderPattern, 'placeholder'));
  } catch {
    problems.fail('url', 'must be an absolute http or https URL');
    return;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') problems.fail('url', 'must use http or https');
  if (parsed.username !== '' || parsed.password !== '') problems.fail('url', 'must not carry credentials; use a sensitive header or placeholder');
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `hmac-sha256:<salt>:<digest>`: HMAC-SHA256 keyed by a per-channel salt over the canonical JSON
 * [sorted [placeholder, value] pairs, sorted [lower-case header name, value] pairs, signingSecret
 * or null]. A client holding the values computes the same digest with the salt; nobody can read
 * the values back from it. The salt is derived from the database key and the channel id, so it is
 * stable across writes and differs between channels.
 */
function fingerprint(store: SandboxStore, channelId: string, secrets: ChannelSecrets): string {
  const canonical = JSON.stringify([
    Object.entries(secrets.sensitiveValues).sort(([a], [b]) => byCodeUnit(a, b)),
    Object.entries(secrets.headers).sort(([a], [b]) => byCodeUnit(a, b)),
    secrets.signingSecret ?? null,
  ]);
  const salt = createHmac('sha256', store.hmacKey()).update(`channel-salt:${channelId}`).digest('hex').slice(0, 32);
  return `hmac-sha256:${salt}:${createHmac('sha256', Buffer.from(salt, 'hex')).update(canonical).digest('hex')}`;
}

function findRow(store: SandboxStore, orgId: string, id: string): { doc: WebhookChannel; secrets: ChannelSecrets } | undefined {
  const row = store.stmt('SELECT doc, secrets FROM webhook_channels WHERE org_id = ? AND id = ?').get(orgId, id) as
    | { doc: string; secrets: string }
    | undefined;
  return row === undefined ? undefined : { doc: parseDoc<WebhookChannel>(row.doc), secrets: parseDoc<ChannelSecrets>(row.secrets) };
}

function requireRow(store: SandboxStore, orgId: string, id: string): { doc: WebhookChannel; secrets: ChannelSecrets } {
  const row = findRow(store, orgId, id);
  if (row === undefined) throw notFound(`webhook channel ${id}`);
  return row;
}

function channelResource(channel: WebhookChannel): { id: string; type: string; name: string } {
  return { id: channel.id, type: 'webhook_channel', name: channel.name };
}

export function listChannels(store: SandboxStore, orgId: string, params: URLSearchParams): { results: Partial<WebhookChannel>[]; totalCount: number } {
  const query = parseListQuery(params, channelFields);
  const page = selectPage(store, 'webhook_channels', { sql: 'org_id = ?', params: [orgId] }, query, channelFields);
  return { results: page.rows.map((row) => project(parseDoc<WebhookChannel>(row.doc), query.fields)), totalCount: page.totalCount };
}

export function getChannel(store: SandboxStore, orgId: string, id: string): WebhookChannel {
  return requireRow(store, orgId, id).doc;
}

/** POST /api/v2/notifications/webhook/channels, with a body the WebhookChannelWrite schema accepted. */
export function createChannel(store: SandboxStore, actor: Actor, body: ChannelWrite): WebhookChannel {
  const { doc, secrets, problems } = readChannelBody(body, undefined);
  problems.finish('invalid webhook channel');
  return store.transaction(() => {
    assertNameFree(store, 'webhook_channels', 'a webhook channel', actor.orgId, doc.name);
    const id = store.newId();
    const channel: WebhookChannel = {
      id,
      ...doc,
      secretsFingerprint: fingerprint(store, id, secrets),
      createdBy: actor.email,
      updatedBy: actor.email,
    };
    store
      .stmt('INSERT INTO webhook_channels (id, org_id, name, name_key, doc, secrets) VALUES (?, ?, ?, ?, ?, ?)')
      .run(channel.id, actor.orgId, channel.name, nameKey(channel.name), JSON.stringify(channel), JSON.stringify(secrets));
    recordEvent(store, actor, { eventType: 'webhook_channel_create', resource: channelResource(channel) });
    return channel;
  });
}

/** The problems a channel write body has, without a store: for checking seed files before seeding. */
export function channelBodyProblems(body: unknown): ErrorDetail[] {
  const structural = bodyProblems('WebhookChannelWrite', body);
  return structural.length > 0 ? structural : readChannelBody(body as ChannelWrite, undefined).problems.details;
}

/**
 * Inserts a channel as if an administrator had made it in the console: for seeding, so it records
 * no event. The id is kept when given (config refers to console-made channels by id).
 */
export function insertChannel(store: SandboxStore, orgId: string, body: unknown, id?: string): WebhookChannel {
  const { doc, secrets, problems } = readChannelBody(validateBody<ChannelWrite>('WebhookChannelWrite', body), undefined);
  problems.finish('invalid webhook channel');
  const channelId = id === undefined ? store.newId() : store.claimId(id);
  const channel: WebhookChannel = {
    id: channelId,
    ...doc,
    secretsFingerprint: fingerprint(store, channelId, secrets),
    createdBy: 'sandbox',
    updatedBy: 'sandbox',
  };
  store
    .stmt('INSERT INTO webhook_channels (id, org_id, name, name_key, doc, secrets) VALUES (?, ?, ?, ?, ?, ?)')
    .run(channel.id, orgId, channel.name, nameKey(channel.name), JSON.stringify(channel), JSON.stringify(secrets));
  return channel;
}

/** PUT /api/v2/notifications/webhook/channels/{id}, with a body the WebhookChannelWrite schema accepted. */
export function replaceChannel(store: SandboxStore, actor: Actor, id: string, body: ChannelWrite): WebhookChannel {
  return store.transaction(() => {
    const before = requireRow(store, actor.orgId, id);
    const { doc, secrets, problems } = readChannelBody(body, before.secrets);
    problems.finish('invalid webhook channel');
    assertNameFree(store, 'webhook_channels', 'a webhook channel', actor.orgId, doc.name, id);
    const after: WebhookChannel = {
      id,
      ...doc,
      secretsFingerprint: fingerprint(store, id, secrets),
      createdBy: before.doc.createdBy,
      updatedBy: actor.email,
    };
    store
      .stmt('UPDATE webhook_channels SET name = ?, name_key = ?, doc = ?, secrets = ? WHERE id = ?')
      .run(after.name, nameKey(after.name), JSON.stringify(after), JSON.stringify(secrets), id);
    // The docs hold masks and the fingerprint only, so the changes can never carry a secret.
    const changes = diffFields(before.doc as unknown as JsonObject, after as unknown as JsonObject, ['updatedBy']);
    recordEvent(store, actor, { eventType: 'webhook_channel_update', resource: channelResource(after), changes });
    return after;
  });
}

export function deleteChannel(store: SandboxStore, actor: Actor, id: string): JsonObject {
  return store.transaction(() => {
    const { doc } = requireRow(store, actor.orgId, id);
    if (channelsInUse(store, actor.orgId).has(id)) {
      throw conflict(`webhook channel "${doc.name}" is named in the settings' channelEvents; remove it there first`);
    }
    store.stmt('DELETE FROM webhook_channels WHERE id = ?').run(id);
    recordEvent(store, actor, { eventType: 'webhook_channel_delete', resource: channelResource(doc) });
    return {};
  });
}
