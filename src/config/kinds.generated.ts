// Generated from schemas/ by `npm run generate:types`. Do not edit: change the schemas and regenerate.

/**
 * Any document accessctl reads from a config repo.
 */
export type AccessctlDocument =
  ApprovalFlow | GroupAssignment | AccessRequestSettings | WebhookChannel | Project | AccessTest | Fleet;
/**
 * The config format version. Always accessctl/v1.
 */
export type ApiVersion = 'accessctl/v1';
/**
 * The object's name on the platform: its identity. Changing it without listing the old name in previousNames deletes and recreates the object.
 */
export type Name = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name1 = string;
/**
 * Break-glass for this object: until this time the reconciler reports its drift (a live change while its config stays the same) but does not correct it. A change to its config is still applied. An RFC 3339 time with its offset, such as 2026-12-01T00:00:00Z.
 */
export type Instant = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name2 = string;
/**
 * The user groups whose members may see and request this flow.
 *
 * @maxItems 100
 */
export type NameList = Name1[];
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name3 = string;
/**
 * A fixed duration for every grant.
 */
export type Duration = string;
/**
 * A positive ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT8H, P1D or P7D. Years and months are not accepted because their length varies.
 */
export type Duration1 = string;
/**
 * An Access Requests event type. The access_management_workflow_* spellings are older names for access_management_approval_flow_*.
 */
export type EventType =
  | '*'
  | 'access_management_access_request'
  | 'access_management_access_request_approval'
  | 'access_management_association_change'
  | 'access_management_approval_flow_create'
  | 'access_management_approval_flow_update'
  | 'access_management_approval_flow_delete'
  | 'access_management_access_request_settings_update'
  | 'access_management_workflow_create'
  | 'access_management_workflow_update'
  | 'access_management_workflow_delete';
/**
 * The environment variable that holds the secret.
 */
export type EnvName = string;
/**
 * A header's value: literal text, or a secret reference.
 */
export type HeaderValue = (string | SecretRef | undefined) | undefined;
/**
 * A path pattern relative to the config root.
 */
export type ExcludePattern = string;
/**
 * A name pattern: * matches any run of characters, a leading ! negates. Matching ignores case.
 */
export type Glob = string;
/**
 * correct: apply the repo over live changes. report: only report them.
 */
export type DriftPolicy = 'correct' | 'report';
/**
 * A positive ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT8H, P1D or P7D. Years and months are not accepted because their length varies.
 */
export type Duration2 = string;
/**
 * When the reconciler resumes applying: an RFC 3339 time with its offset, such as 2026-12-01T00:00:00Z.
 */
export type Instant1 = string;
/**
 * One case: {user, canRequest}, {user, cannotRequest} or {nobodyGets, longerThan}.
 */
export type AccessTestCase = CanRequestCase | CannotRequestCase | DurationLimitCase;
/**
 * What the case says, in words; shown when it runs. Defaults to a sentence made from the case.
 */
export type CaseName = string;
/**
 * The user the case is about.
 */
export type UserHandle = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name4 = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name5 = string;
/**
 * A user's email or username, as the directory has it (case is ignored).
 */
export type UserHandle1 = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name6 = string;
/**
 * A positive ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT8H, P1D or P7D. Years and months are not accepted because their length varies.
 */
export type Duration3 = string;
/**
 * A user's email or username, as the directory has it (case is ignored).
 */
export type UserHandle2 = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name7 = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name8 = string;
/**
 * A positive ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT8H, P1D or P7D. Years and months are not accepted because their length varies.
 */
export type Duration4 = string;
/**
 * A lower-case name of letters, digits and dashes (at most 63): it names the fleet's job queue and state rows.
 */
export type FleetName = string;
/**
 * The config folder every org gets.
 */
export type Folder = string;
/**
 * The API base URL (default https://console.jumpcloud.com).
 */
export type FleetTarget = string;
/**
 * Time between an org's runs (default 5m).
 */
export type Interval = string;
/**
 * A lower-case name of letters, digits and dashes (at most 63): it names the fleet's job queue and state rows.
 */
export type FleetName1 = string;
/**
 * The API base URL; defaults.target when unset.
 */
export type FleetTarget1 = string;
/**
 * A config folder whose objects replace the base's objects of the same kind and name, and add the others.
 */
export type Folder1 = string;
/**
 * A platform object's name, compared after Unicode NFC and case-folding. 1 to 100 characters, no control characters, no leading or trailing space.
 */
export type Name9 = string;
/**
 * Time between this org's runs; defaults.interval when unset.
 */
export type Interval1 = string;

/**
 * An Access Requests approval flow: who may request which access, who approves, and for how long. Maps to /api/v2/approvalflows.
 */
export interface ApprovalFlow {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'ApprovalFlow';
  metadata: Metadata;
  spec: ApprovalFlowSpec;
}
/**
 * The object's identity on the platform.
 */
export interface Metadata {
  name: Name;
  /**
   * Names this object had before. A live object found under one of them is renamed in place instead of deleted and recreated.
   *
   * @maxItems 20
   */
  previousNames?: Name1[];
  /**
   * Notes on how accessctl treats this object, not part of it: changing them is not a change to the object, so they never make a live difference look like a config change.
   */
  annotations?: {
    'accessctl.io/pause-drift-until'?: Instant;
  };
}
/**
 * The approval flow's desired state.
 */
export interface ApprovalFlowSpec {
  /**
   * Shown to requesters in the user portal.
   */
  description?: string;
  /**
   * Whether users can request this flow (platform status active or inactive).
   */
  enabled?: boolean;
  /**
   * What the flow grants: access to an application, or device admin rights.
   */
  category?: 'application' | 'device-admin';
  grantGroup: Name2;
  visibleTo: NameList;
  approval: Approval;
  access?: Access;
  display?: Display;
}
/**
 * How a request is approved.
 */
export interface Approval {
  /**
   * manual: approvers decide, level by level. automatic: every request is granted at once.
   */
  type: 'manual' | 'automatic';
  /**
   * Whether approvers who are not administrators may decide requests.
   */
  nonAdminApprovers?: boolean;
  /**
   * Manual approval only: the levels a request passes, in order. Every level must approve.
   *
   * @maxItems 10
   */
  levels?: ApprovalLevel[];
}
/**
 * One approval level.
 */
export interface ApprovalLevel {
  /**
   * any: one of this level's approvers is enough. all: every approver must approve.
   */
  require?: 'any' | 'all';
  /**
   * Who may approve at this level.
   *
   * @maxItems 50
   */
  approvers: Approver[];
}
/**
 * One approver: exactly one of manager, user, group or admins.
 */
export interface Approver {
  /**
   * The requester's manager.
   */
  manager?: true;
  /**
   * A named user, by email or username.
   */
  user?: string;
  group?: Name3;
  /**
   * Any administrator.
   */
  admins?: true;
}
/**
 * How long granted access lasts. Omit for permanent access.
 */
export interface Access {
  duration?: Duration;
  /**
   * Durations the requester picks from.
   *
   * @minItems 1
   * @maxItems 10
   */
  durations?: [Duration1, ...Duration1[]];
}
/**
 * How the flow looks in the user portal.
 */
export interface Display {
  /**
   * The icon colour as #RRGGBB.
   */
  color?: string;
  /**
   * An https URL of the icon image.
   */
  iconUrl?: string;
}
/**
 * A user group's description and application associations. Membership is never managed: granted access lives there. Maps to /api/v2/usergroups and its associations.
 */
export interface GroupAssignment {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'GroupAssignment';
  metadata: Metadata;
  spec: GroupAssignmentSpec;
}
/**
 * The user group's desired state.
 */
export interface GroupAssignmentSpec {
  /**
   * The group's description on the platform.
   */
  description?: string;
  /**
   * Create the group when it is missing. When false, the group must already exist.
   */
  create?: boolean;
  /**
   * The applications associated with the group: the complete set, so associations not listed are removed. Omit to leave the group's associations unmanaged.
   *
   * @maxItems 500
   */
  applications?: Name1[];
}
/**
 * The organisation's Access Requests settings, and which notification channels receive which events. At most one per repo. Maps to /api/v2/approvalflowsettings.
 */
export interface AccessRequestSettings {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'AccessRequestSettings';
  metadata: Metadata;
  spec: AccessRequestSettingsSpec;
}
/**
 * The desired settings. A field left out takes its default.
 */
export interface AccessRequestSettingsSpec {
  /**
   * Whether end users see Requests in their user portal.
   */
  resourceRequests?: boolean;
  /**
   * Whether requesters can see how far their request has progressed.
   */
  exposeApprovalProgress?: boolean;
  email?: EmailSettings;
  /**
   * The notification channels that receive Access Requests events, each with its events. Channels are made in the console (Settings > Notification Channels) or, on the sandbox, with a WebhookChannel. Left out: the subscriptions are not managed and stay as they are. [] unsubscribes every channel.
   *
   * @maxItems 100
   */
  webhooks?: WebhookSubscription[];
}
/**
 * Which email notifications the platform sends.
 */
export interface EmailSettings {
  /**
   * Tell approvers a request waits for them.
   */
  approvers?: boolean;
  /**
   * Confirm to the requester that the request was received.
   */
  requestReceived?: boolean;
  /**
   * Tell the requester the request was approved or denied.
   */
  decision?: boolean;
}
/**
 * One channel and the events it receives.
 */
export interface WebhookSubscription {
  /**
   * The channel: its name (on targets that can list channels, such as the sandbox), or {id: ...} with the id shown in the console (24 hex characters, or the API's base64 form), which works on every target.
   */
  channel: string | ChannelId;
  /**
   * The event types this channel receives, or ["*"] for all of them. [] keeps the entry but subscribes it to nothing.
   *
   * @maxItems 20
   */
  events: EventType[];
}
export interface ChannelId {
  /**
   * The channel id: 24 hex characters, or 16 base64 characters.
   */
  id: string;
}
/**
 * A notification channel (webhook) that accessctl creates and keeps. Only for targets with a channel API (the sandbox): JumpCloud publishes none, so there channels are made in the console (Settings > Notification Channels) and AccessRequestSettings.spec.webhooks subscribes them by id. Maps to /api/v2/notifications/webhook/channels.
 */
export interface WebhookChannel {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'WebhookChannel';
  metadata: Metadata;
  spec: WebhookChannelSpec;
}
/**
 * The channel's desired state. Which events it receives is set in AccessRequestSettings.spec.webhooks.
 */
export interface WebhookChannelSpec {
  /**
   * Where events are POSTed. https only (http only for loopback hosts, when the project allows it). {{NAME}} placeholders are filled from secrets; a credential in it (a password, or a query parameter such as api_key, token or sig) must be one.
   */
  url: string;
  /**
   * Whether events are delivered to this channel.
   */
  enabled?: boolean;
  /**
   * Whether the receiver's TLS certificate is verified.
   */
  verifySsl?: boolean;
  /**
   * Values for the URL's {{NAME}} placeholders, each read from the environment. Never stored in git.
   */
  secrets?: {
    [k: string]: SecretRef | undefined;
  };
  /**
   * Static HTTP headers sent with every delivery. A value may be a secret reference; headers that carry credentials must be.
   */
  headers?: {
    [k: string]: HeaderValue | undefined;
  };
  signingSecret?: SecretRef1;
}
/**
 * A reference to a secret held outside git. The value is read from the environment when accessctl runs and is never printed.
 */
export interface SecretRef {
  env: EnvName;
}
/**
 * A reference to a secret held outside git. The value is read from the environment when accessctl runs and is never printed.
 */
export interface SecretRef1 {
  env: EnvName;
}
/**
 * Project-wide settings, kept in accessctl.yaml at the config root: the target, prune and deletion guards, drift policy and policy lints. At most one per repo.
 */
export interface Project {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'Project';
  metadata: Metadata;
  spec?: ProjectSpec;
}
/**
 * The project's settings.
 */
export interface ProjectSpec {
  /**
   * The platform to manage. The API key only ever comes from the environment (JUMPCLOUD_API_KEY).
   */
  target?: {
    /**
     * The API base URL. --target overrides it for one run; JUMPCLOUD_API_URL, when also set, must name the same URL (a different one is refused).
     */
    url?: string;
    /**
     * The organisation id, for multi-tenant administrators (sent as x-org-id). JUMPCLOUD_ORG_ID, when also set, must name the same org (a different one is refused before any request).
     */
    orgId?: string;
  };
  /**
   * YAML files under the config root that are not accessctl config (`mkdocs.yml`, a CI pipeline, templates): paths relative to the config root, matched as in .gitignore. A pattern without a `/` matches a name at any depth (`mkdocs.yml`, `*.tmpl.yaml`); one with a `/` is anchored at the root (`docs/**`, `/ci.yaml`); `*` and `?` match within a name, `**` any run of folders; a trailing `/` matches only folders. Case matters. Read only from accessctl.yaml at the config root, which is never excluded itself; dot-files, dot-folders and node_modules are skipped without being listed. A pattern only leaves files out: nothing outside the config root is ever read.
   *
   * @maxItems 100
   */
  exclude?: ExcludePattern[];
  prune?: KindSwitches;
  /**
   * Limits that block a whole apply when it would delete too much.
   */
  guards?: {
    /**
     * The most objects one apply may delete.
     */
    maxDeletions?: number;
    /**
     * The largest share of a kind's live objects one apply may delete, in percent.
     */
    maxDeletionPercent?: number;
    /**
     * Name patterns of objects that are never deleted.
     *
     * @maxItems 100
     */
    protected?: Glob[];
    /**
     * The most pending access requests one apply may cancel by deleting their flows. Unset: no limit. A plan whose pending requests cannot be read is blocked when this is set.
     */
    maxCancelledRequests?: number;
  };
  /**
   * Per kind: what the reconciler does with live changes made outside git.
   */
  drift?: {
    ApprovalFlow?: DriftPolicy;
    GroupAssignment?: DriftPolicy;
    AccessRequestSettings?: DriftPolicy;
    WebhookChannel?: DriftPolicy;
  };
  /**
   * Lints that validate enforces on every pull request.
   */
  policy?: {
    /**
     * Grant group name patterns whose flows must use manual approval, such as *Admin*.
     *
     * @maxItems 100
     */
    manualApprovalFor?: Glob[];
    maxAccessDuration?: Duration2;
    /**
     * Allow http:// webhook URLs whose host is a loopback address (for local testing against the sandbox).
     */
    allowHttpLoopbackWebhooks?: boolean;
  };
  /**
   * What a plan may do to who can get access, checked on every plan against the directory (see the plan's access impact).
   */
  accessPolicy?: {
    widening?: AccessRule;
    automaticApproval?: AccessRule1;
  };
  /**
   * Break-glass: until this time the reconciler plans and reports (drift events, one accessctl.change.skipped event per change), but applies nothing. `accessctl apply` run by hand is not affected. Remove it, or let the time pass, to resume.
   */
  suspend?: {
    until: Instant1;
    /**
     * Why, for the run summary and the events (an incident number, say).
     */
    reason?: string;
  };
  /**
   * When the reconciler may apply. Outside every window it plans and reports (one accessctl.change.skipped event per change), but applies nothing. Unset: any time. `accessctl apply` run by hand is not affected.
   *
   * @minItems 1
   * @maxItems 50
   */
  syncWindows?: [SyncWindow, ...SyncWindow[]];
}
/**
 * Per kind: delete live objects that are not in git. Off by default: they are reported as unmanaged.
 */
export interface KindSwitches {
  /**
   * For approval flows.
   */
  ApprovalFlow?: boolean;
}
/**
 * Plans that widen access to a matching grant group: more people can request it, fewer or looser approvals, automatic approval, longer access, or a flow that now grants the group.
 */
export interface AccessRule {
  /**
   * Grant group patterns that get a warning, shown on the line that caused it.
   *
   * @maxItems 100
   */
  warn?: Glob[];
  /**
   * Grant group patterns that block the plan: nothing is applied.
   *
   * @maxItems 100
   */
  block?: Glob[];
}
/**
 * Plans that make a flow grant a matching group with automatic approval (a new flow, a flow switched to automatic, or an automatic flow switched to the group).
 */
export interface AccessRule1 {
  /**
   * Grant group patterns that get a warning, shown on the line that caused it.
   *
   * @maxItems 100
   */
  warn?: Glob[];
  /**
   * Grant group patterns that block the plan: nothing is applied.
   *
   * @maxItems 100
   */
  block?: Glob[];
}
/**
 * A weekly window in an explicit time zone: it opens on each of its days at start and closes at end. An end earlier than the start closes on the next day (22:00 to 02:00 runs through midnight); start and end differ.
 */
export interface SyncWindow {
  /**
   * The days the window opens, in its time zone.
   *
   * @minItems 1
   * @maxItems 7
   */
  days: [
    'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun',
    ...('Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun')[]
  ];
  /**
   * When it opens, as HH:MM on a 24-hour clock in its time zone.
   */
  start: string;
  /**
   * When it closes, as HH:MM (24:00 for the end of the day).
   */
  end: string;
  /**
   * The IANA time zone the days and times are in, such as Europe/Berlin, America/New_York or UTC. Required: a window never depends on the machine's zone.
   */
  timeZone: string;
}
/**
 * Cases about who can get access, written so a reviewer can read them. `accessctl test` checks them against the repo's approval flows and a directory (the target's, or a snapshot file in the sandbox seed format); nothing here is sent to the platform.
 */
export interface AccessTest {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'AccessTest';
  metadata: Metadata;
  spec: AccessTestSpec;
}
/**
 * The test's cases.
 */
export interface AccessTestSpec {
  /**
   * Each case is checked on its own; a failure names the case's file:line:col and the actual answer.
   *
   * @minItems 1
   * @maxItems 1000
   */
  cases: [AccessTestCase, ...AccessTestCase[]];
}
/**
 * The user can request the flow; optionally through which group, how it is approved and for how long at most.
 */
export interface CanRequestCase {
  name?: CaseName;
  user: UserHandle;
  canRequest: Name4;
  via?: Name5;
  /**
   * `automatic`: granted at once. A list: who may approve each level of this user's request, in order.
   */
  approval?: 'automatic' | [ExpectedLevel, ...ExpectedLevel[]];
  maxDuration?: Duration3;
}
/**
 * Who may approve one level of the user's request, in people: the users named plus the members of the group, never the requester. Exactly these people must be the ones who can approve.
 */
export interface ExpectedLevel {
  /**
   * Users (email or username) who may approve this level.
   *
   * @minItems 1
   * @maxItems 100
   */
  users?: [UserHandle1, ...UserHandle1[]];
  group?: Name6;
  /**
   * Whether administrators are among this level's approvers.
   */
  admins?: boolean;
  /**
   * Whether any one of the level's approvers or all of them must approve.
   */
  require?: 'any' | 'all';
}
/**
 * The user cannot request the flow.
 */
export interface CannotRequestCase {
  name?: CaseName;
  user: UserHandle2;
  cannotRequest: Name7;
}
/**
 * No enabled flow grants the group for longer than the limit, or permanently.
 */
export interface DurationLimitCase {
  name?: CaseName;
  nobodyGets: Name8;
  longerThan: Duration4;
}
/**
 * Many JumpCloud orgs reconciled from one repo: which orgs, how each is reached, and which config each gets (a shared base folder, an optional overlay folder per org whose objects replace the base's objects of the same kind and name, and an explicit exclude list). Kept in its own file, such as fleet.yaml, beside the base and overlay folders; validate --fleet, plan --fleet and fleet run read it.
 */
export interface Fleet {
  apiVersion: ApiVersion;
  /**
   * The kind of object this document declares.
   */
  kind: 'Fleet';
  metadata: FleetMetadata;
  spec: FleetSpec;
}
/**
 * The fleet's identity: several fleets may share one database, each under its own name.
 */
export interface FleetMetadata {
  name: FleetName;
}
/**
 * The fleet's orgs and the config they get.
 */
export interface FleetSpec {
  base: Folder;
  defaults?: FleetDefaults;
  /**
   * The orgs, each with a distinct name and org id.
   *
   * @minItems 1
   * @maxItems 10000
   */
  orgs: [FleetOrg, ...FleetOrg[]];
}
/**
 * Values for the orgs that do not set their own.
 */
export interface FleetDefaults {
  target?: FleetTarget;
  apiKey?: SecretRef2;
  interval?: Interval;
}
/**
 * A reference to a secret held outside git. The value is read from the environment when accessctl runs and is never printed.
 */
export interface SecretRef2 {
  env: EnvName;
}
/**
 * One org of the fleet.
 */
export interface FleetOrg {
  name: FleetName1;
  /**
   * The JumpCloud organization id, sent as x-org-id with a multi-tenant (MSP) key.
   */
  orgId: string;
  target?: FleetTarget1;
  apiKey?: SecretRef3;
  overlay?: Folder1;
  /**
   * Objects of the base or the overlay this org does not get.
   *
   * @maxItems 1000
   */
  exclude?: Excluded[];
  interval?: Interval1;
}
/**
 * A reference to a secret held outside git. The value is read from the environment when accessctl runs and is never printed.
 */
export interface SecretRef3 {
  env: EnvName;
}
/**
 * An object of the base (or the overlay) that this org does not get.
 */
export interface Excluded {
  /**
   * The object's kind.
   */
  kind: 'ApprovalFlow' | 'GroupAssignment' | 'AccessRequestSettings' | 'WebhookChannel' | 'AccessTest';
  name: Name9;
}
