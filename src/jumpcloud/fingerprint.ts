// A digest of a live object as it was planned against. Apply compares it with a fresh read and
// refuses to change an object that moved since the plan was made. It covers only what a write of
// accessctl's would replace, so a list item and a single read of the same object digest alike.
import { createHash } from 'node:crypto';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, stable((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function fingerprintOf(value: unknown): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(stable(value)))
    .digest('hex')}`;
}

/**
 * A field that protobuf JSON may leave out: it holds its zero value ("", 0, false, null, [], {}, or
 * an enum's zero, which by protobuf's convention is named *_UNSPECIFIED). A list item and a single
 * read may differ in whether they send one, so neither side's digest counts it.
 */
const ENUM_ZERO = /^[A-Z][A-Z0-9_]*_UNSPECIFIED$/;

function isZero(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  // Only an enum's token (TTL_CONFIG_UNSPECIFIED), never free text that happens to end so.
  if (typeof value === 'string') return ENUM_ZERO.test(value);
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/**
 * An approval flow's references echo the referenced object's name beside its id (resourceName,
 * a visibleTo entry's name): a write sends only the id, and a list and a single read need not echo alike.
 */
const ECHOED_NAME = /^(name|resourceName)$/;

/** The writable part of a nested value: zero fields dropped, and echoed names too when `echoes`, at every depth. */
function writable(value: unknown, nested: boolean, echoes: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => writable(item, true, echoes));
  if (typeof value !== 'object' || value === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (isZero(field) || (echoes && nested && ECHOED_NAME.test(key))) continue;
    const inner = writable(field, true, echoes);
    if (!isZero(inner)) kept[key] = inner;
  }
  return kept;
}

/** The named fields of a wire object, as writable(): what else the platform sends (ids, who changed it when) is not ours to overwrite. */
function managed(wire: unknown, fields: readonly string[], echoes = false): Record<string, unknown> {
  const source = typeof wire === 'object' && wire !== null ? (wire as Record<string, unknown>) : {};
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (!isZero(source[field])) picked[field] = source[field];
  return writable(picked, false, echoes) as Record<string, unknown>;
}

/**
 * An approval flow's fields that an update (a whole-record PUT, ApprovalFlow_Set) replaces, as a
 * read answers them. Not category (it cannot change), nor id, organizationId, createdBy, updatedBy.
 */
export const FLOW_WRITTEN_FIELDS = [
  'approvalType',
  'approverRequirement',
  'approverResources',
  'description',
  'fixedDuration',
  'iconColor',
  'iconUrl',
  'multiSelectDuration',
  'name',
  'nonAdminApproval',
  'resources',
  'slackConfig',
  'slackEnabled',
  'status',
  'timeBasedAccess',
  'ttlConfig',
  'visibleTo',
] as const;

/** A user group's fields that a PUT (UserGroupPut) replaces; not suggestionCounts, which the platform moves on its own. */
export const GROUP_WRITTEN_FIELDS = [
  'attributes',
  'description',
  'email',
  'memberQuery',
  'memberQueryExemptions',
  'memberSuggestionsNotify',
  'membershipMethod',
  'name',
] as const;

/** The settings' fields that a PUT (UpdateAccessWorkflowSettingsRequest) replaces. */
export const SETTINGS_WRITTEN_FIELDS = [
  'adminApprovalEmail',
  'channelEvents',
  'exposeApprovalProgress',
  'resourceRequest',
  'userApprovalEmail',
  'userRequestEmail',
] as const;

/** The fingerprint of a live approval flow: the fields an update would replace. */
export function flowFingerprint(flow: unknown): string {
  return fingerprintOf({ flow: managed(flow, FLOW_WRITTEN_FIELDS, true) });
}

/** The fingerprint of the live settings: the fields an update would replace. */
export function settingsFingerprint(settings: unknown): string {
  return fingerprintOf({ settings: managed(settings, SETTINGS_WRITTEN_FIELDS) });
}

/** The fingerprint of a live user group together with its application associations (when managed). */
export function groupFingerprint(group: unknown, applicationIds: readonly string[] | undefined): string {
  return fingerprintOf({ group: managed(group, GROUP_WRITTEN_FIELDS), applicationIds: applicationIds ? [...applicationIds].sort() : null });
}

/** The fingerprint of a live notification channel (its subscriptions belong to the settings). */
export function channelFingerprint(channel: unknown): string {
  return fingerprintOf({ channel });
}
