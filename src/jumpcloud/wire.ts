// Wire types: the platform's JSON as the published API description (contracts/jumpcloud) and the
// sandbox's OpenAPI description define it. Protobuf JSON may omit zero values, so most are optional.

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
