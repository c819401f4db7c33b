// The OpenAPI 3.1 description of everything the sandbox serves (GET /openapi.json): the one source of
// body structure (body-validation.ts checks bodies against it), the definition where JumpCloud
// publishes no shape, the extensions marked and the profiles stated.
import { approvalTypes, approverRequirements, approverTypes, categories, flowStatuses, grantResourceTypes, ttlConfigs } from './flow-model.js';
import { defaultRetrySchedule } from './retry-schedule.js';
import { accessRequestEventTypes as eventTypes, eventService } from './event-model.js';
import { faultStatuses } from './faults.js';
import { listCaps } from './lists.js';
import { userGroupTargets } from './graph.js';
import { reservedHeaderNames } from './header-rules.js';
import { nameHint, namePattern } from './names.js';
import { requestStatuses } from '../protocols/request-status.js';
import { accessStates, maxRemarksLength, missingReasons, queueViews } from './request-model.js';

const statusDescription =
  "JumpCloud's published statuses: pending (Pending: waiting on the current level), approved (Approved: the requester was added to the grant group), denied (Denied), canceled (Canceled: the approval flow was deleted), expired (Expired: not decided within 30 days), error (Error: approving failed to grant access; an administrator may approve again or deny), missing_data (Missing Data: the requester has no manager, or a level has nobody left who may approve; an administrator decides, or setting the manager / adding an approver resumes it). What became of approved access (still active, ended when its duration ran out, revoked by an administrator) is the sandbox's extension, in the sandbox block, never a status.";

const eventTypesDescription =
  "Access Requests events (JumpCloud's, each deliverable to webhook channels the settings subscribe): access_management_access_request (a request was created; once per request, status null to pending), access_management_access_request_approval (a decision: an approver's approval of a level, which may leave it pending, or the final one; a denial; an administrator's decision; a flow's automatic approval, initiated by the sandbox; its status change says where the decision left the request: pending, approved, denied or error), access_management_association_change (the membership a grant added, or removed when its access ended or was revoked), access_management_approval_flow_create|update|delete and access_management_access_request_settings_update. The sandbox's own, an extension never delivered to channels: sandbox_access_request_update (every other change of a request: to missing_data, back to pending once the data is there, expired, canceled; and access ended or revoked). Directory events that are not Access Requests events, and are never delivered as if they were: user_group_create|update|delete, user_update, association_change (the members and associations APIs), webhook_channel_create|update|delete (the channel API, itself an extension).";

type Schema = Record<string, unknown>;

/** The most services one Insights query may name (JumpCloud has fewer than this many). */
export const maxEventServices = 20;
/** What every name of a flow, user group or channel must be. */
const nameRule = 'no control, zero-width or text-direction characters, no leading or trailing space';
/** The longest id a body may name. */
export const maxIdLength = 64;
/** ISO 8601 durations as flows use them (P7D, PT8H, P1DT12H). */
const isoDurationPattern = '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$';

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', description, ...extra });
const arr = (items: Schema, description: string, extra: Schema = {}): Schema => ({ type: 'array', items, description, ...extra });
/** A closed write body: every field it may carry is listed, and no other is accepted. */
const body = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema =>
  obj(properties, required, { additionalProperties: false, ...extra });
/** An id the body refers to (24-hex ObjectIds in practice; anything longer is no id). */
const idRef = (description: string, extra: Schema = {}): Schema => str(description, { maxLength: maxIdLength, ...extra });
const organizationObjectId = idRef(
  'When given, must be the organization of the request (format: byte: hex or base64 of its 12 bytes; base64 only under --profile strict).',
);
const graphOperation = (types: readonly string[], description: string): Schema =>
  body(
    {
      op: str('add, remove, or update (attributes only).', { enum: ['add', 'remove', 'update'] }),
      type: str(description, { enum: [...types] }),
      id: idRef("The other object's id.", { minLength: 1 }),
      attributes: obj({}, [], { description: 'Accepted and ignored.' }),
    },
    ['op', 'type', 'id'],
  );
const durationText = (description: string, extra: Schema = {}): Schema =>
  str(description, { maxLength: 32, pattern: isoDurationPattern, 'x-hint': 'must be an ISO 8601 duration such as P7D or PT8H', ...extra });
const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...extra,
});
const list = (item: string, description: string): Schema =>
  obj({ results: arr(ref(item), description), totalCount: int('How many objects match, across all pages.') }, ['results', 'totalCount']);

const schemas: Record<string, Schema> = {
  Error: obj(
    {
      code: str('A stable machine-readable code.', {
        enum: [
          'BAD_REQUEST',
          'UNAUTHORIZED',
          'FORBIDDEN',
          'NOT_FOUND',
          'METHOD_NOT_ALLOWED',
          'CONFLICT',
          'PAYLOAD_TOO_LARGE',
          'UNSUPPORTED_MEDIA_TYPE',
          'TOO_MANY_REQUESTS',
          'INTERNAL',
          'SERVICE_UNAVAILABLE',
          'BAD_GATEWAY',
          'GATEWAY_TIMEOUT',
          'REQUEST_TIMEOUT',
        ],
      }),
      message: str('What went wrong, for people.'),
      status: int('The HTTP status, repeated.'),
      details: arr(ref('ErrorDetail'), 'On 400 only: every problem found in the request.'),
      requestId: str('On 500 only: the id to look up in the sandbox log (also in the x-request-id header).'),
    },
    ['code', 'message', 'status'],
  ),
  ErrorDetail: obj({ field: str('JSON path of the offending field, e.g. approverResources[1].resourceId.'), message: str('The problem.') }, [
    'field',
    'message',
  ]),
  SystemUser: obj(
    {
      _id: str('Object id.'),
      username: str('Login name.'),
      email: str('Email address.'),
      firstname: str('Given name.'),
      lastname: str('Family name.'),
      displayname: str('Full name.'),
      department: str('Department.'),
      jobTitle: str('Job title.'),
      manager: str("The manager's user id; absent for a user without a manager."),
      state: str('Account state.', { enum: ['STAGED', 'ACTIVATED', 'SUSPENDED'] }),
      activated: bool('Whether the account is activated.'),
      suspended: bool('Whether the account is suspended.'),
      account_locked: bool('Whether the account is locked.'),
      organization: str('Owning organization id.'),
      created: str('Creation time (RFC 3339).'),
    },
    ['_id', 'username', 'email'],
  ),
  SystemUserList: list('SystemUser', 'One page of system users.'),
  SystemUserUpdate: body(
    {
      firstname: str('Given name.', { maxLength: 1024 }),
      lastname: str('Family name.', { maxLength: 1024 }),
      department: str('Department.', { maxLength: 1024 }),
      jobTitle: str('Job title.', { maxLength: 1024 }),
      manager: idRef("The manager's user id, another user of the organization; empty clears it."),
    },
    [],
    {
      description:
        'The fields of the published systemuserput the sandbox keeps; a PUT changes the fields it names. Setting a manager resumes the Missing Data requests that lacked one. Other published fields are refused (400) rather than dropped.',
    },
  ),
  Application: obj(
    {
      _id: str('Object id.'),
      name: str('Catalogue name.'),
      displayName: str('Display name.'),
      displayLabel: str('Label users see.'),
      description: str('Description.'),
      ssoUrl: str('SSO URL.'),
      active: bool('Whether the application is active.'),
      config: obj({}, [], { description: 'SSO configuration (empty in the sandbox).' }),
      sso: obj({ type: str('SSO protocol.') }),
      organization: str('Owning organization id.'),
      created: str('Creation time (RFC 3339).'),
    },
    ['_id', 'name', 'config', 'ssoUrl'],
  ),
  ApplicationList: list('Application', 'One page of applications.'),
  UserGroupWrite: body(
    {
      name: str(`Group name, unique in the organization after Unicode NFC and case-folding (409 otherwise); ${nameRule}.`, {
        minLength: 1,
        maxLength: 255,
        pattern: namePattern,
        'x-hint': nameHint,
      }),
      description: str('Description.', { maxLength: 1024 }),
      email: str('Group email.', { maxLength: 1024 }),
      attributes: obj({}, [], { description: 'Graph attributes, stored as given.' }),
      membershipMethod: str('Membership method; STATIC when omitted.', {
        enum: ['NOTSET', 'STATIC', 'DYNAMIC_REVIEW_REQUIRED', 'DYNAMIC_AUTOMATED'],
      }),
      memberQuery: obj({}, [], { description: 'Stored as given.' }),
      memberQueryExemptions: arr(obj({}), 'Stored as given.', { maxItems: 100 }),
      memberSuggestionsNotify: bool('Stored as given.'),
    },
    ['name'],
  ),
  UserGroup: obj(
    {
      id: str('Object id.'),
      type: str('Always user_group.', { const: 'user_group' }),
      name: str('Group name.'),
      description: str('Description.'),
      email: str('Group email.'),
      attributes: obj({}),
      membershipMethod: str('Membership method.'),
      memberQuery: obj({}),
      memberQueryExemptions: arr(obj({}), 'Exemptions.'),
      memberSuggestionsNotify: bool('Notify on suggestions.'),
      organizationObjectId: str('Owning organization id.'),
    },
    ['id', 'type', 'name'],
  ),
  MemberOperation: graphOperation(['user'], 'A user, added to or removed from the group.'),
  GroupAssociationOperation: graphOperation(
    userGroupTargets,
    'The object on the other side of the association; the sandbox keeps application associations only (400 for the other types).',
  ),
  ApplicationAssociationOperation: graphOperation(
    ['user', 'user_group'],
    'The object on the other side of the association; the sandbox keeps user_group associations only (400 for user).',
  ),
  GraphObject: obj({ id: str('Object id.'), type: str('Object type.') }, ['id', 'type']),
  GraphConnection: obj({ from: ref('GraphObject'), to: ref('GraphObject') }, ['to']),
  GraphObjectWithPaths: obj(
    {
      id: str('Object id.'),
      type: str('Object type.'),
      compiledAttributes: obj({}),
      paths: arr(arr(ref('GraphConnection'), 'One path.'), 'Paths to the object.'),
    },
    ['id', 'type', 'paths'],
  ),
  ApproverWrite: body(
    {
      resourceType: str('Who approves.', { enum: [...approverTypes] }),
      resourceId: idRef('A user id (user) or user group id (user_group); empty for manager and admin.'),
      resourceOrder: int('Approval level, 0 first; all levels must pass in order (0 when omitted).', { minimum: 0, maximum: 100 }),
      requireAll: bool('Whether every approver of this level must approve (default false); a group entry then needs every member.'),
      resourceName: str('Ignored on write (read-only), so a read can be sent back.', { maxLength: 1024 }),
    },
    ['resourceType'],
  ),
  ApprovalFlowWrite: body(
    {
      name: str(`Unique per organization after Unicode NFC and case-folding (409 otherwise); ${nameRule}.`, {
        minLength: 1,
        maxLength: 100,
        pattern: namePattern,
        'x-hint': nameHint,
      }),
      description: str('Description.', { maxLength: 1024 }),
      category: str('Create only; cannot change.', { enum: [...categories] }),
      resourceType: str('What approval grants; create only; cannot change.', { enum: [...grantResourceTypes] }),
      resourceId: idRef('The user group joined on approval; must exist.', { minLength: 1 }),
      visibleTo: arr(idRef('A user group id; must exist.', { minLength: 1 }), 'User groups that may see and request the flow.', {
        maxItems: 100,
        uniqueItems: true,
      }),
      approvalType: str('manual or automated.', { enum: [...approvalTypes] }),
      approverRequirement: str("Level 1's requirement; any when omitted.", { enum: [...approverRequirements] }),
      approverResources: arr(ref('ApproverWrite'), 'Approvers: at least one for manual, none for automated.', { maxItems: 50 }),
      status: str('active when omitted.', { enum: [...flowStatuses] }),
      timeBasedAccess: bool('Whether access expires; false when omitted.'),
      ttlConfig: str('Required when timeBasedAccess is true; TTL_CONFIG_UNSPECIFIED otherwise.', { enum: [...ttlConfigs] }),
      fixedDuration: str('ISO 8601 duration, for TTL_CONFIG_FIXED_DURATION; empty means none.', {
        maxLength: 32,
        pattern: `^$|${isoDurationPattern}`,
        'x-hint': 'must be an ISO 8601 duration such as P7D or PT8H',
      }),
      multiSelectDuration: arr(durationText('ISO 8601 duration.'), 'The durations a requester picks from, for TTL_CONFIG_MULTI_SELECT_DURATIONS.', {
        maxItems: 20,
        uniqueItems: true,
      }),
      nonAdminApproval: bool('Whether non-admins may approve.'),
      iconColor: str('#RRGGBB.', { pattern: '^#[0-9A-Fa-f]{6}$', 'x-hint': 'must be a colour like #006CAC' }),
      iconUrl: str('Icon URL.', { maxLength: 2048 }),
      slackEnabled: bool('Stored as given.'),
      slackConfig: arr(body({ slackResourceId: str('Slack resource id.', { minLength: 1, maxLength: 255 }) }, ['slackResourceId']), 'Stored as given.', {
        maxItems: 20,
      }),
      organizationObjectId,
    },
    ['name', 'resourceId', 'approvalType'],
    {
      description:
        'PUT body: a full replacement. category and resourceType may be omitted and, if sent, must equal the stored values. Under --profile strict a PUT refuses category and resourceType (ApprovalFlow_Set has neither) and a field it leaves out takes its zero value (status and approverRequirement become empty, not active and any).',
    },
  ),
  ApprovalFlowCreate: {
    type: 'object',
    $ref: '#/components/schemas/ApprovalFlowWrite',
    required: ['name', 'category', 'resourceType', 'resourceId', 'approvalType'],
    description: 'Create body: the fields of ApprovalFlowWrite, with category and resourceType required.',
  },
  ApprovalFlow: obj(
    {
      id: str('Object id.'),
      name: str('Name.'),
      description: str('Description.'),
      category: str('Category.', { enum: [...categories] }),
      approvalType: str('manual or automated.'),
      approverRequirement: str('any or all.'),
      approverResources: arr(
        obj({
          resourceId: str('Id.'),
          resourceName: str('User display name, group name, Manager or Administrators.'),
          resourceOrder: int('Level.'),
          resourceType: str('Type.'),
          requireAll: bool('All of the level.'),
        }),
        'Approvers with names.',
      ),
      resources: arr(obj({ resourceId: str('Id.'), resourceName: str('Name.'), resourceType: str('Type.') }), 'What approval grants (one entry).'),
      visibleTo: arr(obj({ id: str('User group id.'), name: str('User group name.') }), 'Groups that see the flow.'),
      status: str('active or inactive.'),
      timeBasedAccess: bool('Whether access expires.'),
      ttlConfig: str('Duration mode.', { enum: [...ttlConfigs] }),
      fixedDuration: str('Fixed duration.'),
      multiSelectDuration: arr(str('Duration.'), 'Selectable durations.'),
      nonAdminApproval: bool('Non-admin approval.'),
      iconColor: str('Icon colour.'),
      iconUrl: str('Icon URL.'),
      slackEnabled: bool('Slack enabled.'),
      slackConfig: arr(obj({ slackResourceId: str('Slack resource id.') }), 'Slack config.'),
      organizationId: str('Owning organization id (format: byte: hex by default, base64 of its 12 bytes under --profile strict).'),
      createdBy: str('Email of the admin who created it.'),
      updatedBy: str('Email of the admin who last changed it.'),
    },
    ['id', 'name', 'category', 'approvalType', 'resources', 'visibleTo', 'status'],
  ),
  ApprovalFlowList: list('ApprovalFlow', 'One page of approval flows.'),
  CreatedId: obj({ id: str('The new object id.') }, ['id']),
  Empty: obj({}, [], { description: 'An empty object.' }),
  ChannelEvent: body(
    {
      channelObjectId: idRef(
        'A webhook channel id; must exist. format: byte: hex or base64 of its 12 bytes by default (answered hex); base64 only under --profile strict (answered base64).',
        { minLength: 1 },
      ),
      eventTypes: arr(str('Event type.', { enum: [...eventTypes] }), 'Events delivered to the channel.', { uniqueItems: true }),
    },
    ['channelObjectId', 'eventTypes'],
  ),
  SettingsUpdate: body(
    {
      resourceRequest: bool('End users see Requests in their portal.'),
      exposeApprovalProgress: bool('Requesters see approval progress.'),
      adminApprovalEmail: bool('Email approvers.'),
      userRequestEmail: bool('Email the requester on receipt.'),
      userApprovalEmail: bool('Email the requester on decision.'),
      channelEvents: arr(ref('ChannelEvent'), 'Webhook subscriptions; replaces the list when given.', { maxItems: 100 }),
      organizationObjectId,
    },
    [],
    { description: 'Fields left out keep their value; under --profile strict they take their zero value (false, no channelEvents).' },
  ),
  Settings: obj(
    {
      id: int('Record id.'),
      resourceRequest: bool('End users see Requests.'),
      exposeApprovalProgress: bool('Requesters see progress.'),
      adminApprovalEmail: bool('Email approvers.'),
      userRequestEmail: bool('Email on receipt.'),
      userApprovalEmail: bool('Email on decision.'),
      channelEvents: arr(ref('ChannelEvent'), 'Webhook subscriptions.'),
      createdBy: str('Creator.'),
      updatedBy: str('Last editor.'),
    },
    ['id', 'channelEvents'],
  ),
  WebhookHeader: body(
    {
      name: str(
        `HTTP header name; not one the sandbox sets (${reservedHeaderNames.set.join(', ')}) nor a hop-by-hop one (${reservedHeaderNames.hopByHop.join(', ')}).`,
        {
          minLength: 1,
          maxLength: 256,
          pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
          'x-hint': 'must be an HTTP header name',
        },
      ),
      value: str('Header value: Latin-1 text without control characters (tabs allowed), as HTTP sends it; on read, ******** when sensitive.', {
        maxLength: 4096,
        pattern: '^[\\t\\x20-\\x7e\\x80-\\xff]*$',
        'x-hint': 'must be Latin-1 text without control characters; such a value could never be sent',
      }),
      sensitive: bool('Write-only value: never returned, folded into secretsFingerprint.'),
    },
    ['name', 'value'],
  ),
  WebhookChannelWrite: body(
    {
      name: str(`Unique per organization after Unicode NFC and case-folding (409 otherwise); ${nameRule}.`, {
        minLength: 1,
        maxLength: 100,
        pattern: namePattern,
        'x-hint': nameHint,
      }),
      url: str('http(s) URL; may hold placeholders {{NAME}}, each with a value in sensitiveValues. No credentials in the URL.', {
        minLength: 1,
        maxLength: 2048,
      }),
      enabled: bool('true when omitted.'),
      verifySsl: bool('true when omitted.'),
      sensitiveValues: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1, maxLength: 4096 },
        maxProperties: 20,
        description: 'Values of the URL placeholders, write-only. On PUT, ******** keeps the stored value.',
      },
      headers: arr(ref('WebhookHeader'), 'Static headers sent with each delivery (at most 20). On PUT, a sensitive value of ******** keeps the stored value.', {
        maxItems: 20,
      }),
      signingSecret: str('Standard Webhooks secret (whsec_ + base64 of 24-64 bytes), write-only. On PUT, ******** keeps it; omit to remove.', {
        pattern: '^(\\*{8}|whsec_[A-Za-z0-9+/]+={0,2})$',
        maxLength: 128,
        'x-hint': 'must be a Standard Webhooks secret: whsec_ followed by 24 to 64 base64 bytes',
      }),
    },
    ['name', 'url'],
  ),
  WebhookChannel: obj(
    {
      id: str('Object id.'),
      name: str('Name.'),
      url: str('URL with its placeholders, never their values.'),
      enabled: bool('Enabled.'),
      verifySsl: bool('Verify TLS certificates.'),
      sensitiveValues: { type: 'object', additionalProperties: { const: '********' }, description: 'Placeholder names, values masked.' },
      headers: arr(ref('WebhookHeader'), 'Headers; sensitive values masked.'),
      signingSecret: str('******** when a signing secret is set; absent otherwise.', { const: '********' }),
      secretsFingerprint: str(
        'hmac-sha256:<salt>:<digest>: HMAC-SHA256 keyed by the hex salt (stable per channel) over the canonical JSON [[placeholder, value] pairs sorted by placeholder, [lower-case header name, value] pairs of sensitive headers sorted by name, signingSecret or null]. A client that holds the values recomputes the digest to tell whether they changed; the values cannot be recovered from it.',
        { pattern: '^hmac-sha256:[0-9a-f]{32}:[0-9a-f]{64}$' },
      ),
      createdBy: str('Creator.'),
      updatedBy: str('Last editor.'),
    },
    ['id', 'name', 'url', 'enabled', 'verifySsl', 'sensitiveValues', 'headers', 'secretsFingerprint'],
  ),
  WebhookChannelList: list('WebhookChannel', 'One page of webhook channels.'),
  EventQuery: body(
    {
      service: arr(
        str('A service name, or all.', { minLength: 1, maxLength: 64 }),
        `Services to include (at most ${maxEventServices}); every sandbox event is filed under directory (Access Requests events included, as JumpCloud files them).`,
        { minItems: 1, maxItems: maxEventServices },
      ),
      start_time: str('Earliest timestamp, inclusive (RFC 3339).', {
        format: 'date-time',
        'x-hint': 'must be an RFC 3339 timestamp, e.g. 2026-01-01T00:00:00Z',
      }),
      end_time: str('Latest timestamp, exclusive (RFC 3339).', {
        format: 'date-time',
        'x-hint': 'must be an RFC 3339 timestamp, e.g. 2026-01-01T00:00:00Z',
      }),
      limit: int('Page size, 1 to 10000 (default 10000).', { minimum: 1, maximum: 10000 }),
      skip: int('Events to skip.', { minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      sort: str('By timestamp; ASC when omitted.', { enum: ['ASC', 'DESC'] }),
      search_after: arr(
        int('Cursor part.', { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
        'The X-Search_after header of the previous page: continue after it.',
        { minItems: 2, maxItems: 2 },
      ),
    },
    ['service', 'start_time'],
  ),
  DirectoryEvent: obj(
    {
      id: str('Event id.'),
      event_type: str(eventTypesDescription),
      service: str('Always directory: JumpCloud files Access Requests events under Insights -> Directory.', { const: eventService }),
      organization: str('Organization id.'),
      timestamp: str('When (RFC 3339, sandbox clock).'),
      initiated_by: obj({ id: str('Admin key or user id.'), type: str('admin or user.'), email: str('Email.') }, ['id', 'type']),
      resource: obj({ id: str('Id.'), type: str('Type.'), name: str('Name.') }, ['id', 'type']),
      changes: arr(obj({ field: str('Field.'), from: {}, to: {} }, ['field']), 'On updates: the fields that changed.'),
      association: obj({
        op: str('add, remove or update.'),
        connection: obj({
          from: obj({ object_id: str('Id.'), type: str('Type.'), name: str('Name.') }),
          to: obj({ object_id: str('Id.'), type: str('Type.'), name: str('Name.') }),
        }),
      }),
      client_ip: str('Client address.'),
      success: bool('Always true: refused requests record no event.'),
    },
    ['id', 'event_type', 'service', 'organization', 'timestamp', 'initiated_by', 'resource', 'success'],
  ),
  WebhookPayload: obj(
    {
      di_events: arr(ref('DirectoryEvent'), 'The event, nested under di_events as JumpCloud nests Directory Insights events: one per delivery.', {
        minItems: 1,
        maxItems: 1,
      }),
    },
    ['di_events'],
    {
      description:
        "The JSON body of every webhook delivery. Headers: the channel's static headers, content-type application/json, webhook-id (the same on every attempt and replay), webhook-timestamp and, with a signing secret, webhook-signature (Standard Webhooks v1).",
    },
  ),
  AccessRequestSubmit: body(
    {
      approvalFlowId: idRef('The approval flow to request; it must be active and visible to one of your groups.', { minLength: 1 }),
      remarks: str(`Why you need the access: 1 to ${maxRemarksLength} characters, not only spaces.`, {
        minLength: 1,
        maxLength: maxRemarksLength,
      }),
      requestedDuration: str(
        'ISO 8601 duration: absent for permanent access; the fixed duration (or absent) for a fixed flow; one of multiSelectDuration for a multi-select flow.',
        { maxLength: 32 },
      ),
      organizationObjectId,
    },
    ['approvalFlowId', 'remarks'],
    {
      description:
        'Submitted with a per-user key (or an admin key with x-sandbox-act-as). 403 when Access Requests are off (settings resourceRequest), the flow is disabled or not visible to the user; 400 for remarks or a duration the flow does not allow; 409 when the user already has a pending request for the flow.',
    },
  ),
  AccessRequest: obj(
    {
      id: str('Request id.'),
      approvalFlowId: str('The flow requested.'),
      approvalFlowName: str('Its name when the request was submitted.'),
      approvalFlowDescription: str('Its description.'),
      approvalType: str('manual or automated.'),
      status: str(statusDescription, { enum: [...requestStatuses] }),
      remarks: str("The requester's reason."),
      requestedDuration: str('ISO 8601 duration requested; empty for permanent access.'),
      approvedDuration: str('ISO 8601 duration approved (never longer than requested); empty when not shortened.'),
      timeBasedAccess: bool('Whether access ends.'),
      nonAdminApproval: bool('Whether non-admins approve.'),
      group: str('The grant group name.'),
      requestor: str('The requester user id.'),
      userName: str('The requester username.'),
      department: str('The requester department.'),
      manager: str('The requester manager username.'),
      iconColor: str('Icon colour.'),
      iconUrl: str('Icon URL.'),
      runId: str('Same as id.'),
      createdAt: str('Submitted (RFC 3339).'),
      updatedAt: str('Last change.'),
      updatedBy: str('Who changed it last.'),
      sandbox: ref('SandboxRequestExtension'),
    },
    ['id', 'approvalFlowId', 'status'],
  ),
  SandboxRequestExtension: obj(
    {
      queue: str(
        'The Request Queue view: administrator (an administrator must act: Missing Data, Error, a flow only administrators decide, or admins on the current level) or others (waiting on assigned approvers). Kept as it was once the request is decided. Also a list filter: filter=queue:eq:others or ?queue=others.',
        { enum: [...queueViews] },
      ),
      missing: str('While missing_data: manager (the requester has none) or approver (a level has nobody left who may approve).', {
        enum: [...missingReasons],
      }),
      access: obj(
        {
          state: str('active (the requester holds the access), ended (time-bound access ran out) or revoked (an administrator ended it).', {
            enum: [...accessStates],
          }),
          endsAt: str('When time-bound access ends (RFC 3339).'),
          endedAt: str('When it ended.'),
        },
        ['state'],
      ),
    },
    ['queue'],
    {
      'x-sandbox-extension': true,
      description: 'Sandbox extension, not served by --profile strict: what JumpCloud does not publish about a request, kept apart from its fields.',
    },
  ),
  AccessRequestList: list('AccessRequest', 'One page of access requests, newest first.'),
  Approver: obj({
    approvalSequence: str('The level, 1 first (a string, as in the contract).'),
    approvalStatus: str('approved, denied, pending (current level), waiting (a later level), overridden (an administrator decided) or skipped.'),
    approverId: str('Who decided, or the user expected to.'),
    approverType: str('user or admin.'),
    createdAt: str('When decided, or when the request was submitted.'),
    requireAll: bool('Whether the level needs all its approvers.'),
    resourceId: str('The approver entry id (user or group).'),
    resourceName: str('Manager, Administrators, a user or a group name.'),
    resourceType: str('manager, user, user_group or admin.', { enum: [...approverTypes] }),
  }),
  AccessRequestDetail: {
    allOf: [
      ref('AccessRequest'),
      obj({
        approvers: arr(ref('Approver'), 'Every approver entry of the flow snapshot.'),
        approversRequirement: str('Level 1 requirement: any or all.'),
        ttlConfig: str('Duration mode of the flow.'),
        fixedDuration: str('Fixed duration of the flow.'),
        multiSelectDuration: arr(str('Duration.'), 'Durations offered.'),
      }),
    ],
  },
  AdminDecision: body(
    {
      status: str(
        'approved grants now, overriding the levels (and retries a request in error); denied ends a pending, missing_data or error request; revoked (a sandbox extension, refused by --profile strict) ends the access an approved request holds.',
        { enum: ['approved', 'denied', 'revoked'] },
      ),
      approvedDuration: str('Shortens the requested duration; never longer (400).', { maxLength: 32 }),
      remarks: str('Told to the requester.', { maxLength: maxRemarksLength }),
      internalNote: str('Kept on the request.', { maxLength: maxRemarksLength }),
      admin: str('Accepted and ignored.', { maxLength: 1024 }),
      organizationObjectId,
    },
    ['status'],
  ),
  ApproverDecision: body(
    {
      id: idRef('The access request id.', { minLength: 1 }),
      status: str('approved or denied.', { enum: ['approved', 'denied'] }),
      remarks: str('Told to the requester.', { maxLength: maxRemarksLength }),
      approvedDuration: str('Shortens the requested duration; never longer (400).', { maxLength: 32 }),
      organizationObjectId,
    },
    ['id', 'status'],
    {
      description:
        'A user approver of the current level decides (per-user key, or admin key with x-sandbox-act-as). 403 for the requester (no self-approval), for anyone not an approver of the current level, for a missing_data request and when the flow has nonAdminApproval false; 409 when already decided.',
    },
  ),
  ApprovalProgress: obj(
    {
      approversRequirement: str('Level 1 requirement.'),
      approvers: arr(
        obj({
          approvalSequence: int('The level, 1 first.'),
          approvalStatus: str('As in Approver.'),
          approvedCount: int('Approvals recorded for this entry.'),
          approverId: str('Who decided, or is expected to.'),
          approverType: str('user or admin.'),
          createdAt: str('When.'),
          overridenApproval: bool('An administrator decided instead.'),
          requireAll: bool('The level needs all its approvers.'),
          resourceId: str('Entry id.'),
          resourceName: str('Entry name.'),
          resourceType: str('Entry type.'),
          totalCount: int('People who may approve for this entry.'),
        }),
        'Progress per approver entry.',
      ),
    },
    ['approvers'],
  ),
  MailList: obj(
    {
      totalCount: int('Messages matching.'),
      results: arr(
        obj(
          {
            id: str('Message id.'),
            organization: str('Org.'),
            kind: str('request_received (userRequestEmail), approval_needed (adminApprovalEmail), decision (userApprovalEmail).', {
              enum: ['request_received', 'approval_needed', 'decision'],
            }),
            to: str('Recipient address.'),
            subject: str('Subject.'),
            body: str('Text.'),
            requestId: str('The access request.'),
            createdAt: str('Queued at (sandbox clock).'),
          },
          ['id', 'kind', 'to', 'subject', 'body', 'createdAt'],
        ),
        'Messages, oldest first.',
      ),
    },
    ['results', 'totalCount'],
  ),
  Delivery: obj(
    {
      id: str('The webhook-id header: the same on every attempt and replay.'),
      organization: str('Org.'),
      channelId: str('Webhook channel.'),
      eventId: str('The event delivered.'),
      eventType: str('Its type.'),
      status: str('pending, delivered, or dead (the dead letter: retries used up, a non-retryable answer, a refused address or a disabled channel).', {
        enum: ['pending', 'delivered', 'dead'],
      }),
      nextAttemptAt: str('When pending: the next attempt (sandbox clock).'),
      createdAt: str('Queued at.'),
      attempts: arr(
        obj(
          {
            at: str('When.'),
            statusCode: int('HTTP status answered.'),
            result: str(
              'delivered, retry, timeout, failed (an answer not retried, the last retry, or a request that could not be sent: each such attempt is one, retried on the schedule), gone (410: channel disabled), refused (private address) or skipped.',
            ),
            error: str('Why, without URLs or secrets.'),
          },
          ['at', 'result'],
        ),
        'Every attempt.',
      ),
    },
    ['id', 'status', 'attempts'],
  ),
  DeliveryList: obj({ totalCount: int('Deliveries matching.'), results: arr(ref('Delivery'), 'Newest first.') }, ['results', 'totalCount']),
  ClockState: obj({ now: str('Sandbox time (RFC 3339).'), frozen: bool('Whether the clock is stopped.'), offsetMs: int('Offset from the wall clock.') }, [
    'now',
    'frozen',
    'offsetMs',
  ]),
  ClockChange: body({
    advanceMs: int('Move forward this many milliseconds (at most ten years).', { minimum: 0, maximum: 10 * 365 * 24 * 3600 * 1000 }),
    set: str('Jump to this instant (ISO 8601); not with advanceMs.', { maxLength: 64 }),
    frozen: bool('Stop (true) or restart (false) the clock.'),
  }),
  FaultConfig: body(
    {
      seed: int('Seed of the generator drawn against the rates (default 1).', { minimum: 0, maximum: 2 ** 32 - 1 }),
      rules: arr(
        body(
          {
            route: str('"METHOD /path" as in the request counts, or "*". The first matching rule applies.', {
              maxLength: 512,
              pattern: '^(\\*|(GET|POST|PUT|DELETE) /\\S*)$',
              'x-hint': 'must be "*" or "METHOD /path"',
            }),
            errorRate: { type: 'number', minimum: 0, maximum: 1, description: 'Share of requests answered with status.' },
            status: int('The status injected errors answer (default 503).', { enum: [...faultStatuses] }),
            latencyMs: int('Delay on the sandbox clock before handling.', { minimum: 0, maximum: 600_000 }),
            resetRate: { type: 'number', minimum: 0, maximum: 1, description: 'Share of requests whose connection is destroyed.' },
            resetAfterRate: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description: 'Share of requests that are carried out and committed, then have their connection destroyed before the answer.',
            },
          },
          ['route'],
        ),
        'Rules.',
        { maxItems: 100 },
      ),
    },
    ['rules'],
  ),
  RateLimitState: body(
    {
      rateLimit: {
        type: ['object', 'null'],
        properties: {
          capacity: int('Bucket size per API key; 0 turns the limit off.', { minimum: 0, maximum: 1_000_000 }),
          refillPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000, description: 'Tokens added per second of sandbox time.' },
        },
        required: ['capacity', 'refillPerSecond'],
        additionalProperties: false,
        description: 'The token bucket per API key, or null when off.',
      },
    },
    ['rateLimit'],
  ),
  RequestCounts: obj(
    {
      counts: {
        type: 'object',
        additionalProperties: { type: 'integer' },
        description: 'Requests per "METHOD /path" since start or the last reset.',
      },
    },
    ['counts'],
  ),
};

const errorResponse = { description: 'An error.', content: { 'application/json': { schema: ref('Error') } } };
const responses = {
  Error: errorResponse,
};

const param = (name: string, description: string, schema: Schema, where: 'query' | 'path' = 'query', required = false): Schema => ({
  name,
  in: where,
  description,
  required: where === 'path' ? true : required,
  schema,
});

const listParams = [
  param('limit', 'Page size, 1 to 100 (default 10).', { type: 'integer', minimum: 1, maximum: 100, default: 10 }),
  param('skip', 'Objects to skip.', { type: 'integer', minimum: 0, default: 0 }),
  param(
    'sort',
    `Comma- or space-separated fields (at most ${listCaps.sortFields}); -field for descending; _id for creation order (new objects always sort last). Ties break by _id. For paging that also survives deletions, sort=_id with filter=_id:gt:<last id of the previous page> and no skip.`,
    { type: 'string' },
  ),
  param(
    'filter',
    `field:op:value with op eq, ne, gt, ge, lt, le, in (values split by |, at most ${listCaps.inValues}) or search (substring); repeat for AND, at most ${listCaps.filters} times; a value has at most ${listCaps.filterValue} characters. Past any cap: 400.`,
    { type: 'array', items: { type: 'string' }, maxItems: listCaps.filters },
  ),
  param('fields', `Comma- or space-separated fields to return (at most ${listCaps.fields}; the id always comes).`, { type: 'string' }),
];
const pagingParams = listParams.slice(0, 2);
const orgHeader = param('x-org-id', 'For multi-tenant keys: the organization to act on.', { type: 'string', pattern: '^[0-9a-f]{24}$' });
(orgHeader as { in: string }).in = 'header';

interface OperationSpec {
  summary: string;
  params?: Schema[];
  body?: string;
  ok: { status: number; schema?: Schema; description?: string; headers?: Record<string, Schema> };
  errors: number[];
  /** A test hook: for the operator key alone, or for an org's admin key (its org) and the operator key (every org). */
  hooks?: 'operator' | 'org';
}

function operation(spec: OperationSpec): Schema {
  const okResponse: Schema = { description: spec.ok.description ?? 'Success.' };
  if (spec.ok.schema !== undefined) okResponse['content'] = { 'application/json': { schema: spec.ok.schema } };
  if (spec.ok.headers !== undefined) okResponse['headers'] = spec.ok.headers;
  const errorStatuses = spec.hooks ? [...spec.errors, 401, 403] : [...spec.errors, 401, 403, 404, 429, 500];
  const result: Schema = {
    summary: spec.summary,
    ...(spec.hooks === undefined ? {} : { security: spec.hooks === 'operator' ? [{ operatorKey: [] }] : [{ apiKey: [] }, { operatorKey: [] }] }),
    parameters: [...(spec.hooks !== 'org' ? [] : [orgHeader]), ...(spec.hooks === undefined ? [orgHeader] : []), ...(spec.params ?? [])],
    responses: {
      [String(spec.ok.status)]: okResponse,
      ...Object.fromEntries([...new Set(errorStatuses)].sort().map((status) => [String(status), { $ref: '#/components/responses/Error' }])),
    },
  };
  if (spec.body !== undefined) {
    result['requestBody'] = { required: true, content: { 'application/json': { schema: ref(spec.body) } } };
  }
  return result;
}

const bodyErrors = [400, 409, 413, 415];
const id = (name: string, what: string): Schema => param(name, `${what} id.`, { type: 'string' }, 'path');

const paths: Record<string, Record<string, Schema>> = {
  '/api/systemusers': {
    get: operation({
      summary: 'List system users (v1).',
      params: listParams,
      ok: { status: 200, schema: ref('SystemUserList') },
      errors: [400],
    }),
  },
  '/api/systemusers/{id}': {
    get: operation({
      summary: 'Get a system user (v1).',
      params: [id('id', 'User'), listParams[4] as Schema],
      ok: { status: 200, schema: ref('SystemUser') },
      errors: [400],
    }),
    put: operation({
      summary:
        'Change a system user (v1): the fields given, of those the sandbox keeps; records user_update. Setting a manager resumes the Missing Data requests it completes.',
      params: [id('id', 'User')],
      body: 'SystemUserUpdate',
      ok: { status: 200, schema: ref('SystemUser') },
      errors: bodyErrors,
    }),
  },
  '/api/applications': {
    get: operation({
      summary: 'List applications (v1); sorted by name by default.',
      params: listParams,
      ok: { status: 200, schema: ref('ApplicationList') },
      errors: [400],
    }),
  },
  '/api/applications/{id}': {
    get: operation({
      summary: 'Get an application (v1).',
      params: [id('id', 'Application')],
      ok: { status: 200, schema: ref('Application') },
      errors: [],
    }),
  },
  '/api/v2/usergroups': {
    get: operation({
      summary: 'List user groups (a bare array).',
      params: listParams,
      ok: { status: 200, schema: arr(ref('UserGroup'), 'Groups.') },
      errors: [400],
    }),
    post: operation({
      summary: 'Create a user group; records user_group_create.',
      body: 'UserGroupWrite',
      ok: { status: 201, schema: ref('UserGroup') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/usergroups/{id}': {
    get: operation({
      summary: 'Get a user group.',
      params: [id('id', 'User group')],
      ok: { status: 200, schema: ref('UserGroup') },
      errors: [],
    }),
    put: operation({
      summary: 'Replace a user group; records user_group_update with changes.',
      params: [id('id', 'User group')],
      body: 'UserGroupWrite',
      ok: { status: 200, schema: ref('UserGroup') },
      errors: bodyErrors,
    }),
    delete: operation({
      summary: 'Delete a user group (409 while an approval flow names it); records user_group_delete.',
      params: [id('id', 'User group')],
      ok: { status: 200, schema: ref('UserGroup') },
      errors: [409],
    }),
  },
  '/api/v2/usergroups/{group_id}/members': {
    get: operation({
      summary: 'List the members of a user group.',
      params: [id('group_id', 'User group'), ...pagingParams],
      ok: { status: 200, schema: arr(ref('GraphConnection'), 'Members.') },
      errors: [400],
    }),
    post: operation({
      summary: 'Add (409 if present) or remove (404 if absent) a member, type user; records association_change.',
      params: [id('group_id', 'User group')],
      body: 'MemberOperation',
      ok: { status: 204, description: 'Done.' },
      errors: bodyErrors,
    }),
  },
  '/api/v2/usergroups/{group_id}/associations': {
    get: operation({
      summary: 'List direct associations of a user group; the sandbox keeps targets=application, other targets are empty.',
      params: [id('group_id', 'User group'), param('targets', 'Target type.', { type: 'string' }, 'query', true), ...pagingParams],
      ok: { status: 200, schema: arr(ref('GraphConnection'), 'Associations.') },
      errors: [400],
    }),
    post: operation({
      summary: 'Associate or dissociate an application (type application); records association_change.',
      params: [id('group_id', 'User group')],
      body: 'GroupAssociationOperation',
      ok: { status: 204, description: 'Done.' },
      errors: bodyErrors,
    }),
  },
  '/api/v2/usergroups/{group_id}/applications': {
    get: operation({
      summary: 'List the applications bound to a user group.',
      params: [id('group_id', 'User group'), ...pagingParams],
      ok: { status: 200, schema: arr(ref('GraphObjectWithPaths'), 'Applications.') },
      errors: [400],
    }),
  },
  '/api/v2/applications/{application_id}/associations': {
    get: operation({
      summary: 'List direct associations of an application (targets=user_group; targets=user is empty).',
      params: [
        id('application_id', 'Application'),
        param('targets', 'Target type: user or user_group.', { type: 'string', enum: ['user', 'user_group'] }, 'query', true),
        ...pagingParams,
      ],
      ok: { status: 200, schema: arr(ref('GraphConnection'), 'Associations.') },
      errors: [400],
    }),
    post: operation({
      summary: 'Associate or dissociate a user group (type user_group); records association_change.',
      params: [id('application_id', 'Application')],
      body: 'ApplicationAssociationOperation',
      ok: { status: 204, description: 'Done.' },
      errors: bodyErrors,
    }),
  },
  '/api/v2/approvalflows': {
    get: operation({
      summary: 'List approval flows.',
      params: listParams,
      ok: { status: 200, schema: ref('ApprovalFlowList') },
      errors: [400],
    }),
    post: operation({
      summary: 'Create an approval flow; records access_management_approval_flow_create.',
      body: 'ApprovalFlowCreate',
      ok: { status: 200, schema: ref('CreatedId') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/approvalflows/{approvalFlowId}': {
    get: operation({
      summary: 'Get an approval flow (read shape).',
      params: [id('approvalFlowId', 'Approval flow')],
      ok: { status: 200, schema: ref('ApprovalFlow') },
      errors: [],
    }),
    put: operation({
      summary: 'Replace an approval flow; records access_management_approval_flow_update with changes.',
      params: [id('approvalFlowId', 'Approval flow')],
      body: 'ApprovalFlowWrite',
      ok: { status: 200, schema: ref('Empty') },
      errors: bodyErrors,
    }),
    delete: operation({
      summary: 'Delete an approval flow; records access_management_approval_flow_delete.',
      params: [id('approvalFlowId', 'Approval flow')],
      ok: { status: 200, schema: ref('Empty') },
      errors: [],
    }),
  },
  '/api/v2/approvalflowsettings': {
    get: operation({
      summary: "The organization's Access Requests settings (always exists).",
      ok: { status: 200, schema: ref('Settings') },
      errors: [],
    }),
    put: operation({
      summary: 'Change settings; records access_management_access_request_settings_update with changes.',
      body: 'SettingsUpdate',
      ok: { status: 200, schema: ref('Settings') },
      errors: [400, 413, 415],
    }),
  },
  '/api/v2/approvalflowrequest': {
    get: operation({
      summary: `Access requests, newest first. An admin key sees the Request Queue; a user key its own requests and those waiting on it. Filter with filter=status:eq:pending (or ?status=pending), approvalType, approvalFlowId, and queue (administrator or others, the console's two views). Status: ${statusDescription}`,
      params: [
        ...listParams,
        param('status', 'Shorthand for filter=status:eq:… (a|b: status:in:a|b)', { type: 'string' }),
        param('queue', 'Shorthand for filter=queue:eq:…: administrator or others, the Request Queue views (a sandbox extension).', {
          type: 'string',
          enum: [...queueViews],
        }),
        param('approvalType', 'Shorthand filter.', { type: 'string' }),
        param('approvalFlowId', 'Shorthand filter.', { type: 'string' }),
      ],
      ok: { status: 200, schema: ref('AccessRequestList') },
      errors: [400],
    }),
    post: operation({
      summary:
        'Submit an access request (a shape the sandbox defines); records access_management_access_request. An automated flow grants at once; a manual flow waits on level 1. Emails the requester and the approvers of the current level.',
      body: 'AccessRequestSubmit',
      ok: { status: 201, schema: ref('AccessRequestDetail') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/approvalflowrequest/{id}': {
    get: operation({
      summary: 'One access request with its approvers[]; a user key reads its own and those it approves.',
      params: [id('id', 'Access request')],
      ok: { status: 200, schema: ref('AccessRequestDetail') },
      errors: [],
    }),
    put: operation({
      summary: 'An administrator decides (final); records access_management_access_request_approval and, on grant, access_management_association_change.',
      params: [id('id', 'Access request')],
      body: 'AdminDecision',
      ok: { status: 200, schema: ref('AccessRequestDetail') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/userapprovalrequest': {
    post: operation({
      summary: 'An approver who is a user decides the current level; records access_management_access_request_approval.',
      body: 'ApproverDecision',
      ok: { status: 200, schema: ref('AccessRequestDetail') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/approversprogress/{id}': {
    get: operation({
      summary: "Approval progress per approver entry; a requester sees it only when the settings' exposeApprovalProgress is on.",
      params: [id('id', 'Access request')],
      ok: { status: 200, schema: ref('ApprovalProgress') },
      errors: [],
    }),
  },
  '/api/v2/notifications/webhook/channels': {
    get: operation({
      summary: 'List webhook channels (secrets masked).',
      params: listParams,
      ok: { status: 200, schema: ref('WebhookChannelList') },
      errors: [400],
    }),
    post: operation({
      summary: 'Create a webhook channel; records webhook_channel_create.',
      body: 'WebhookChannelWrite',
      ok: { status: 201, schema: ref('WebhookChannel') },
      errors: bodyErrors,
    }),
  },
  '/api/v2/notifications/webhook/channels/{id}': {
    get: operation({
      summary: 'Get a webhook channel (secrets masked).',
      params: [id('id', 'Webhook channel')],
      ok: { status: 200, schema: ref('WebhookChannel') },
      errors: [],
    }),
    put: operation({
      summary: 'Replace a webhook channel; records webhook_channel_update (secret changes appear only as secretsFingerprint).',
      params: [id('id', 'Webhook channel')],
      body: 'WebhookChannelWrite',
      ok: { status: 200, schema: ref('WebhookChannel') },
      errors: bodyErrors,
    }),
    delete: operation({
      summary: "Delete a webhook channel (409 while the settings' channelEvents name it).",
      params: [id('id', 'Webhook channel')],
      ok: { status: 200, schema: ref('Empty') },
      errors: [409],
    }),
  },
  '/insights/directory/v1/events': {
    post: operation({
      summary: 'Query the event log (Directory Insights).',
      body: 'EventQuery',
      ok: {
        status: 200,
        schema: arr(ref('DirectoryEvent'), 'Events.'),
        headers: {
          'X-Result-Count': { description: 'Events in this page.', schema: { type: 'integer' } },
          'X-Search_after': {
            description: 'JSON cursor of the last event: send it as search_after for the next page.',
            schema: { type: 'string' },
          },
        },
      },
      errors: [400, 413, 415],
    }),
  },
  '/openapi.json': {
    get: {
      summary: 'This description.',
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/sandbox/v1/clock': {
    get: operation({
      summary: 'Test hook: read the sandbox clock.',
      ok: { status: 200, schema: ref('ClockState') },
      errors: [],
      hooks: 'operator',
    }),
    post: operation({
      summary: 'Test hook: freeze, set or advance the sandbox clock.',
      body: 'ClockChange',
      ok: { status: 200, schema: ref('ClockState') },
      errors: [400],
      hooks: 'operator',
    }),
  },
  '/sandbox/v1/faults': {
    get: operation({ summary: 'Test hook: the fault rules.', ok: { status: 200, schema: ref('FaultConfig') }, errors: [], hooks: 'operator' }),
    put: operation({
      summary: 'Test hook: replace the fault rules.',
      body: 'FaultConfig',
      ok: { status: 200, schema: ref('FaultConfig') },
      errors: [400],
      hooks: 'operator',
    }),
  },
  '/sandbox/v1/ratelimit': {
    get: operation({
      summary: 'Test hook: the per-key token bucket.',
      ok: { status: 200, schema: ref('RateLimitState') },
      errors: [],
      hooks: 'operator',
    }),
    put: operation({
      summary: 'Test hook: set the per-key token bucket (null turns it off). Over the limit: 429 with Retry-After.',
      body: 'RateLimitState',
      ok: { status: 200, schema: ref('RateLimitState') },
      errors: [400],
      hooks: 'operator',
    }),
  },
  '/sandbox/v1/mail': {
    get: operation({
      summary:
        "Test hook: the mail outbox (no SMTP) of the admin key's organization (every organization for the operator key); ?to=, ?kind=, ?requestId=, limit, skip.",
      ok: { status: 200, schema: ref('MailList') },
      errors: [400],
      hooks: 'org',
    }),
  },
  '/sandbox/v1/deliveries': {
    get: operation({
      summary: `Test hook: webhook deliveries of the admin key's organization (every organization for the operator key), with every attempt; ?status=, ?channelId=, ?eventType=, ?eventId=. Each is a JSON POST of the event with the channel's headers, webhook-id, webhook-timestamp and (with a signing secret) a Standard Webhooks v1 webhook-signature. 2xx is success; 5xx, 408, 429, timeouts (${defaultRetrySchedule.timeoutMs} ms) and connection failures are retried ${defaultRetrySchedule.retries} times with exponential backoff from ${defaultRetrySchedule.baseDelayMs} ms and jitter, honouring Retry-After; 410 disables the channel; redirects are not followed; private addresses are refused unless the sandbox runs with --allow-private-webhooks.`,
      ok: { status: 200, schema: ref('DeliveryList') },
      errors: [],
      hooks: 'org',
    }),
  },
  '/sandbox/v1/deliveries/{id}/replay': {
    post: operation({
      summary:
        "Test hook: send a delivery again (same webhook-id), from the start of the retry schedule; another organization's delivery is 404 for an admin key.",
      params: [id('id', 'Delivery (webhook-id)')],
      ok: { status: 202, schema: ref('Delivery') },
      errors: [404],
      hooks: 'org',
    }),
  },
  '/sandbox/v1/requests': {
    get: operation({
      summary: 'Test hook: request counts per route.',
      ok: { status: 200, schema: ref('RequestCounts') },
      errors: [],
      hooks: 'operator',
    }),
    delete: operation({
      summary: 'Test hook: reset the request counts.',
      ok: { status: 204, description: 'Reset.' },
      errors: [],
      hooks: 'operator',
    }),
  },
};

const profilesDescription =
  'Profiles. default (the above). --profile strict answers as the pessimistic reading of the published API: only the operations JumpCloud publishes are served (those marked x-sandbox-extension answer 404, as does any other path; test hooks and this description stay), and x-sandbox-act-as is refused with 400; a PUT replaces the whole record (settings, approval flows, user groups: a field left out takes its zero value or is cleared); a request body field the published request does not define is a 400 naming it (so category and resourceType on a flow PUT); the protobuf (jumpcloud.ingresso) operations (approvalflows, approvalflowsettings, approvalflowrequest, userapprovalrequest, approversprogress) leave false, 0, "", enum zero values (TTL_CONFIG_UNSPECIFIED), [] and {} out of their responses at every depth (an empty flow list is {}), as protojson does; and ObjectIds in format: byte fields (organizationId, organizationObjectId, channelEvents[].channelObjectId) are the base64 of their 12 bytes, a hex id there being refused. A flow in the approval flow list leaves out createdBy, updatedBy and organizationId, which a read of that one flow answers (one published AccessWorkflow, every field optional: a list item need not carry what a single read does). v1 system users and applications and v2 user groups keep every field.';

/** The description with each operation the sandbox adds to JumpCloud's API marked x-sandbox-extension. */
function markExtensions(extensions: readonly { method: string; path: string }[]): typeof paths {
  const marked: typeof paths = {};
  for (const [path, operations] of Object.entries(paths)) {
    marked[path] = Object.fromEntries(
      Object.entries(operations).map(([method, op]) => {
        const extension = extensions.some((route) => route.path === path && route.method.toLowerCase() === method);
        return [
          method,
          extension
            ? {
                ...op,
                summary: `Sandbox extension (not served by --profile strict). ${String(op['summary'])}`,
                'x-sandbox-extension': true,
              }
            : op,
        ];
      }),
    );
  }
  return marked;
}

/** The request body schemas routes may name; the server validates each body against its schema. */
export const bodySchemaNames = [
  'SystemUserUpdate',
  'UserGroupWrite',
  'MemberOperation',
  'GroupAssociationOperation',
  'ApplicationAssociationOperation',
  'ApprovalFlowCreate',
  'ApprovalFlowWrite',
  'SettingsUpdate',
  'WebhookChannelWrite',
  'EventQuery',
  'AccessRequestSubmit',
  'AdminDecision',
  'ApproverDecision',
  'ClockChange',
  'FaultConfig',
  'RateLimitState',
] as const;
export type BodySchemaName = (typeof bodySchemaNames)[number];

/** The description's components: the schemas bodies are validated against, and the shared responses. */
export function openApiComponents(): { securitySchemes: Schema; responses: typeof responses; schemas: Record<string, Schema> } {
  return {
    securitySchemes: {
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'x-api-key',
        description: 'An administrator key, scoped to one or more organizations; stored hashed.',
      },
      operatorKey: {
        type: 'apiKey',
        in: 'header',
        name: 'x-api-key',
        description:
          "The sandbox's operator key, minted and printed at start with --enable-test-hooks (or given to startSandbox), never stored: it alone opens the global test hooks (clock, faults, rate limit, request counts), and reads every organization's mail and deliveries. An organization's admin key reads only that organization's mail and deliveries.",
      },
    },
    responses,
    schemas,
  };
}

/** The whole description; extensions are the routes JumpCloud does not publish (routes.ts says which). */
export const openApiDocument = (extensions: readonly { method: string; path: string }[]) => ({
  openapi: '3.1.0',
  info: {
    title: 'accessctl sandbox',
    version: '1',
    description: `A local, durable implementation of JumpCloud's Access Requests admin API (the paths, bodies and list conventions of JumpCloud's published v1/v2 descriptions), plus the shapes JumpCloud has not published: submitting access requests, webhook channels, the Directory Insights query, and test hooks under /sandbox/v1 (served only with --enable-test-hooks). Errors are {code, message, status}; a 400 adds details. Every mutation records an event in the same transaction. Access request status values: ${statusDescription} An admin key may act for a user on the end-user routes with the sandbox-only header x-sandbox-act-as: <email or username> (refused for other keys). ${profilesDescription}`,
  },
  servers: [{ url: 'http://127.0.0.1:8080' }],
  security: [{ apiKey: [] }],
  paths: markExtensions(extensions),
  webhooks: {
    accessRequestEvent: {
      post: {
        summary:
          "What the sandbox POSTs to a webhook channel for each Access Requests event the settings' channelEvents subscribe it to: the event nested under di_events.",
        requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookPayload') } } },
        responses: {
          '200': {
            description:
              'Any 2xx acknowledges. 5xx, 408, 429, timeouts and connection failures are retried with exponential backoff and jitter (Retry-After honoured), then dead-lettered; 410 disables the channel; redirects are not followed.',
          },
        },
      },
    },
  },
  components: openApiComponents(),
});
