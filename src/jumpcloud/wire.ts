// Wire types: the platform's JSON as the published API description (contracts/jumpcloud) and the
// sandbox's OpenAPI description define it. Protobuf JSON may omit zero values, so most are optional.
// A value from the network is only typed so once its shape is checked here (a few typeof tests).

export interface WireSystemUser {
  _id: string;
  email?: string;
  username?: string;
  firstname?: string;
  lastname?: string;
  manager?: string;
  state?: string;
}

export interface WireApplication {
  _id: string;
  name?: string;
  displayLabel?: string;
}

export interface WireUserGroup {
  id: string;
  name: string;
  description?: string;
  type?: 'user_group';
  email?: string;
  attributes?: Record<string, unknown>;
  memberQuery?: Record<string, unknown>;
  memberQueryExemptions?: Record<string, unknown>[];
  memberSuggestionsNotify?: boolean;
  membershipMethod?: string;
}

/** UserGroupPut: the whole group, as a PUT replaces it. */
export type WireUserGroupPut = Pick<
  WireUserGroup,
  'name' | 'description' | 'email' | 'attributes' | 'memberQuery' | 'memberQueryExemptions' | 'memberSuggestionsNotify' | 'membershipMethod'
>;

export interface WireGraphObject {
  id: string;
  type: string;
}

export interface WireGraphConnection {
  to: WireGraphObject;
  from?: WireGraphObject;
}

export interface WireAssociationOp {
  op: 'add' | 'remove';
  type: string;
  id: string;
}

export type WireTtlConfig = 'TTL_CONFIG_UNSPECIFIED' | 'TTL_CONFIG_MULTI_SELECT_DURATIONS' | 'TTL_CONFIG_FIXED_DURATION';

export interface WireApproverResource {
  resourceId?: string;
  resourceName?: string;
  resourceOrder?: number;
  resourceType?: string;
  requireAll?: boolean;
}

export interface WireSlackConfig {
  slackResourceId?: string;
}

/** ApprovalFlow_Set: the PUT body, which replaces the whole flow. It has no category and no resourceType. */
export interface WireFlowSet {
  name: string;
  description: string;
  approvalType: string;
  approverRequirement: string;
  approverResources: WireApproverResource[];
  nonAdminApproval: boolean;
  resourceId: string;
  status: string;
  timeBasedAccess: boolean;
  ttlConfig: WireTtlConfig;
  fixedDuration?: string;
  multiSelectDuration?: string[];
  visibleTo: string[];
  iconColor?: string;
  iconUrl?: string;
  slackEnabled?: boolean;
  slackConfig?: WireSlackConfig[];
}

/** ApprovalFlow_Create request body (CreateAccessWorkflowRequest). */
export interface WireFlowCreate extends WireFlowSet {
  category: string;
  resourceType: string;
}

/** ApprovalFlow_Get / list item (AccessWorkflow). */
export interface WireFlow {
  id: string;
  name: string;
  description?: string;
  approvalType?: string;
  approverRequirement?: string;
  approverResources?: WireApproverResource[];
  category?: string;
  nonAdminApproval?: boolean;
  resources?: { resourceId?: string; resourceName?: string; resourceType?: string }[];
  status?: string;
  timeBasedAccess?: boolean;
  ttlConfig?: WireTtlConfig;
  fixedDuration?: string;
  multiSelectDuration?: string[];
  visibleTo?: { id?: string; name?: string }[];
  iconColor?: string;
  iconUrl?: string;
  slackEnabled?: boolean;
  slackConfig?: WireSlackConfig[];
  organizationId?: string;
}

export interface WireChannelEvent {
  /** format: byte in the contract: base64, or hex on targets that write it so. */
  channelObjectId?: string;
  eventTypes?: string[];
}

/** UpdateAccessWorkflowSettingsRequest: the PUT body, which may replace the whole record. */
export interface WireSettingsPut {
  resourceRequest: boolean;
  exposeApprovalProgress: boolean;
  adminApprovalEmail: boolean;
  userRequestEmail: boolean;
  userApprovalEmail: boolean;
  channelEvents: WireChannelEvent[];
}

export interface WireSettings {
  id?: number;
  resourceRequest?: boolean;
  exposeApprovalProgress?: boolean;
  adminApprovalEmail?: boolean;
  userRequestEmail?: boolean;
  userApprovalEmail?: boolean;
  channelEvents?: WireChannelEvent[];
}

export interface WireChannelHeader {
  name: string;
  value: string;
  sensitive: boolean;
}

/** The sandbox-defined webhook channel (GET /api/v2/notifications/webhook/channels/{id}). */
export interface WireChannel {
  id: string;
  name: string;
  url: string;
  enabled: boolean;
  verifySsl: boolean;
  /** URL placeholder values, masked on read. */
  sensitiveValues: Record<string, string>;
  headers: WireChannelHeader[];
  /** Masked on read; absent when the channel is not signed. */
  signingSecret?: string;
  /** `hmac-sha256:<salt>:<hex>`: an HMAC of the secret values under a salt, never the values. */
  secretsFingerprint: string;
}

/** The channel create/replace body: the read shape without what the platform assigns, secrets in the clear. */
export type WireChannelWrite = Omit<WireChannel, 'id' | 'secretsFingerprint'>;

// ---- shape checks: what the mappings rely on, checked before an item from the network is used.
// Each returns why an item does not have that shape, or undefined. They are typeof tests, not a
// schema validator: a no-op plan checks every one of 10,000 flows.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first of `fields` that is present and not a string. */
function notOptionalString(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (let i = 0; i < fields.length; i++) {
    const value = record[fields[i]!];
    if (value !== undefined && typeof value !== 'string') return fields[i];
  }
  return undefined;
}

/** An item that is not an object, or lacks a string `id`-like field or a string name. */
function identityProblem(item: unknown, idField: 'id' | '_id', nameField?: 'name'): string | undefined {
  if (!isRecord(item)) return `expected an object, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}`;
  if (typeof item[idField] !== 'string') return `${idField} is not a string`;
  if (nameField !== undefined && typeof item[nameField] !== 'string') return `${nameField} is not a string`;
  return undefined;
}

/** A user group list item: id and name, and a description when there is one. */
export function userGroupShapeProblem(item: unknown): string | undefined {
  const problem = identityProblem(item, 'id', 'name');
  if (problem !== undefined) return problem;
  const bad = notOptionalString(item as Record<string, unknown>, ['description']);
  return bad === undefined ? undefined : `${bad} is not a string`;
}

/** A system user list item: _id, and its handles and state as strings when present. */
export function systemUserShapeProblem(item: unknown): string | undefined {
  const problem = identityProblem(item, '_id');
  if (problem !== undefined) return problem;
  const bad = notOptionalString(item as Record<string, unknown>, ['email', 'username', 'manager', 'state']);
  return bad === undefined ? undefined : `${bad} is not a string`;
}

/** An application list item: _id, and its names as strings when present. */
export function applicationShapeProblem(item: unknown): string | undefined {
  const problem = identityProblem(item, '_id');
  if (problem !== undefined) return problem;
  const bad = notOptionalString(item as Record<string, unknown>, ['name', 'displayLabel']);
  return bad === undefined ? undefined : `${bad} is not a string`;
}

/**
 * An approval flow list item: only what names it (id and name). The rest of a flow is checked
 * when it is mapped (flowShapeReasons): a flow that can be named but not read is unmanageable.
 */
export function flowShapeProblem(item: unknown): string | undefined {
  return identityProblem(item, 'id', 'name');
}

/** A graph connection (an association or a membership): `to` with a string id and type. */
export function graphConnectionShapeProblem(item: unknown): string | undefined {
  if (!isRecord(item)) return 'expected an object';
  const to = item['to'];
  if (!isRecord(to) || typeof to['id'] !== 'string' || typeof to['type'] !== 'string') return 'to is not {id, type} strings';
  return undefined;
}

/** A notification channel list item: every field the channel mapping reads. */
export function channelShapeProblem(item: unknown): string | undefined {
  const problem = identityProblem(item, 'id', 'name');
  if (problem !== undefined) return problem;
  const channel = item as Record<string, unknown>;
  if (typeof channel['url'] !== 'string') return 'url is not a string';
  if (typeof channel['enabled'] !== 'boolean') return 'enabled is not a boolean';
  if (typeof channel['verifySsl'] !== 'boolean') return 'verifySsl is not a boolean';
  const bad = notOptionalString(channel, ['signingSecret', 'secretsFingerprint']);
  if (bad !== undefined) return `${bad} is not a string`;
  if (channel['sensitiveValues'] !== undefined && !isRecord(channel['sensitiveValues'])) return 'sensitiveValues is not an object';
  const headers = channel['headers'];
  if (headers === undefined) return undefined;
  if (!Array.isArray(headers)) return 'headers is not a list';
  for (let i = 0; i < headers.length; i++) {
    const header: unknown = headers[i];
    if (!isRecord(header) || typeof header['name'] !== 'string' || typeof header['value'] !== 'string' || typeof header['sensitive'] !== 'boolean')
      return `headers[${i}] is not {name, value, sensitive}`;
  }
  return undefined;
}

/** Why a list field of a wire object is not a list of objects (an omitted list is fine). */
function listOfRecordsProblem(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `${field} is not a list`;
  for (let i = 0; i < value.length; i++) if (!isRecord(value[i])) return `${field}[${i}] is not an object`;
  return undefined;
}

function listOfStringsProblem(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `${field} is not a list`;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return `${field}[${i}] is not a string`;
  return undefined;
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

function optionalBoolean(value: unknown): boolean {
  return value === undefined || typeof value === 'boolean';
}

/** Pushes `problem` onto `reasons` when there is one. */
function note(reasons: string[], problem: string | undefined): void {
  if (problem !== undefined) reasons.push(problem);
}

/**
 * Why a flow that has an id and a name (flowShapeProblem) cannot be read: each field the flow
 * mapping uses that has the wrong type is pushed onto `reasons`. Indexed loops and no allocation
 * on the way through: a no-op plan runs this for every live flow.
 */
export function flowShapeReasons(wire: WireFlow, reasons: string[]): void {
  // Named property reads, not a loop over field names: each compiles to a cached load.
  const w = wire as unknown as { [K in keyof WireFlow]?: unknown };
  if (!optionalString(w.description)) reasons.push('description is not a string');
  if (!optionalString(w.approvalType)) reasons.push('approvalType is not a string');
  if (!optionalString(w.approverRequirement)) reasons.push('approverRequirement is not a string');
  if (!optionalString(w.category)) reasons.push('category is not a string');
  if (!optionalString(w.status)) reasons.push('status is not a string');
  if (!optionalString(w.ttlConfig)) reasons.push('ttlConfig is not a string');
  if (!optionalString(w.fixedDuration)) reasons.push('fixedDuration is not a string');
  if (!optionalString(w.iconColor)) reasons.push('iconColor is not a string');
  if (!optionalString(w.iconUrl)) reasons.push('iconUrl is not a string');
  if (!optionalBoolean(w.nonAdminApproval)) reasons.push('nonAdminApproval is not a boolean');
  if (!optionalBoolean(w.timeBasedAccess)) reasons.push('timeBasedAccess is not a boolean');
  if (!optionalBoolean(w.slackEnabled)) reasons.push('slackEnabled is not a boolean');
  const before = reasons.length;
  note(reasons, listOfRecordsProblem(w.approverResources, 'approverResources'));
  note(reasons, listOfRecordsProblem(w.resources, 'resources'));
  note(reasons, listOfRecordsProblem(w.visibleTo, 'visibleTo'));
  note(reasons, listOfRecordsProblem(w.slackConfig, 'slackConfig'));
  note(reasons, listOfStringsProblem(w.multiSelectDuration, 'multiSelectDuration'));
  // The items of a list that is not a list of objects are not looked into.
  if (reasons.length > before) return;
  const approvers = (wire.approverResources ?? []) as unknown as Record<string, unknown>[];
  for (let i = 0; i < approvers.length; i++) {
    const resource = approvers[i] as { [K in keyof WireApproverResource]?: unknown };
    if (!optionalString(resource.resourceId)) reasons.push(`approverResources[${i}].resourceId is not a string`);
    if (!optionalString(resource.resourceName)) reasons.push(`approverResources[${i}].resourceName is not a string`);
    if (!optionalString(resource.resourceType)) reasons.push(`approverResources[${i}].resourceType is not a string`);
    if (resource.resourceOrder !== undefined && typeof resource.resourceOrder !== 'number')
      reasons.push(`approverResources[${i}].resourceOrder is not a number`);
    if (!optionalBoolean(resource.requireAll)) reasons.push(`approverResources[${i}].requireAll is not a boolean`);
  }
  const grants = wire.resources ?? [];
  for (let i = 0; i < grants.length; i++) {
    const grant = grants[i] as { resourceId?: unknown; resourceName?: unknown; resourceType?: unknown };
    if (!optionalString(grant.resourceId) || !optionalString(grant.resourceName) || !optionalString(grant.resourceType))
      reasons.push(`resources[${i}] has a resourceId, resourceName or resourceType that is not a string`);
  }
  const visible = wire.visibleTo ?? [];
  for (let i = 0; i < visible.length; i++) {
    const group = visible[i] as { id?: unknown; name?: unknown };
    if (!optionalString(group.id) || !optionalString(group.name)) reasons.push(`visibleTo[${i}] has an id or name that is not a string`);
  }
}

/**
 * Why the settings record cannot be read: not an object, or a field the settings mapping uses with
 * the wrong type. Checked once per read (there is one record).
 */
export function settingsShapeProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return 'expected an object';
  for (const field of ['resourceRequest', 'exposeApprovalProgress', 'adminApprovalEmail', 'userRequestEmail', 'userApprovalEmail'])
    if (body[field] !== undefined && typeof body[field] !== 'boolean') return `${field} is not a boolean`;
  const listProblem = listOfRecordsProblem(body['channelEvents'], 'channelEvents');
  if (listProblem !== undefined) return listProblem;
  const events = (body['channelEvents'] ?? []) as Record<string, unknown>[];
  for (let i = 0; i < events.length; i++) {
    if (events[i]!['channelObjectId'] !== undefined && typeof events[i]!['channelObjectId'] !== 'string')
      return `channelEvents[${i}].channelObjectId is not a string`;
    const types = listOfStringsProblem(events[i]!['eventTypes'], 'eventTypes');
    if (types !== undefined) return `channelEvents[${i}].${types}`;
  }
  return undefined;
}
