// The one place that knows wire field names: desired config <-> the comparable model <-> the
// platform's JSON, for all four kinds. Both sides get their defaults filled in and their sets
// sorted here, so a diff of two models is a diff of meaning, not of spelling.
import type { Declared } from '../config/desired.js';
import { durationSeconds } from '../config/duration.js';
import type {
  AccessRequestSettings,
  ApprovalFlow,
  GroupAssignment,
  WebhookSubscription,
} from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { LEGACY_EVENT_NAMES } from '../config/webhook-rules.js';
import { isCredentialHeader } from '../config/secrets.js';
import { secretsMatch, type ChannelSecretValues } from './secrets-fingerprint.js';
import type {
  WireApplication,
  WireChannel,
  WireChannelHeader,
  WireChannelWrite,
  WireApproverResource,
  WireChannelEvent,
  WireFlow,
  WireFlowWrite,
  WireSettings,
  WireSystemUser,
  WireUserGroup,
} from './wire.js';

// ---- the model: config terms, defaults filled in, sets sorted --------------------------------

export type ApproverModel = { manager: true } | { user: string } | { group: string } | { admins: true };

export interface FlowModel {
  name: string;
  spec: {
    description: string;
    enabled: boolean;
    category: 'application' | 'device-admin';
    grantGroup: string;
    visibleTo: string[];
    approval: {
      type: 'manual' | 'automatic';
      nonAdminApprovers: boolean;
      levels: { require: 'any' | 'all'; approvers: ApproverModel[] }[];
    };
    /** null: permanent access. */
    access: { duration: string } | { durations: string[] } | null;
    display: { color?: string; iconUrl?: string };
  };
}

export interface GroupModel {
  name: string;
  spec: {
    /** Undefined: not managed. */
    description?: string;
    /** Undefined: associations not managed. */
    applications?: string[];
  };
}

export interface SettingsModel {
  spec: {
    resourceRequests: boolean;
    exposeApprovalProgress: boolean;
    email: { approvers: boolean; requestReceived: boolean; decision: boolean };
  };
}

export type HeaderModel = string | { secret: true };

export interface WebhookModel {
  name: string;
  spec: {
    url: string;
    enabled: boolean;
    verifySsl: boolean;
    /** By lower-cased header name; secret values are never in the model. */
    headers: Record<string, HeaderModel>;
    /** Names of the URL placeholders filled from secrets. */
    placeholders: string[];
    signed: boolean;
    events: string[];
  };
  /**
   * Whether the secret values are the ones live: compared by fingerprint only. `unknown` when a
   * value is not in this environment, `new` when there is no live channel to compare with.
   */
  secrets: 'live' | 'changed' | 'unknown' | 'new';
}

// ---- wire constants (DESIGN section 1; JumpCloud has not published all of them) ---------------

const categoryToWire = { application: 'Application', 'device-admin': 'DeviceAdmin' } as const;
const approvalTypeToWire = { manual: 'manual', automatic: 'automated' } as const;
const GRANT_RESOURCE_TYPE = 'user_group';

export const EVENT_TYPES = [
  'access_management_access_request',
  'access_management_access_request_approval',
  'access_management_association_change',
  'access_management_approval_flow_create',
  'access_management_approval_flow_update',
  'access_management_approval_flow_delete',
  'access_management_access_request_settings_update',
] as const;

// ---- resolving names against the live directory -----------------------------------------------

export interface Directory {
  groups: readonly WireUserGroup[];
  users: readonly WireSystemUser[];
  applications: readonly WireApplication[];
}

export interface ResolvedName {
  id: string;
  name: string;
}

/** Name <-> id lookups over the live directory, by NFC + case-folded name. */
export class DirectoryIndex {
  private readonly groupsByKey = new Map<string, ResolvedName>();
  private readonly groupsById = new Map<string, ResolvedName>();
  private readonly usersByKey = new Map<string, ResolvedName>();
  private readonly usersById = new Map<string, ResolvedName>();
  private readonly appsByKey = new Map<string, ResolvedName>();
  private readonly appsById = new Map<string, ResolvedName>();

  constructor(directory: Directory) {
    for (const group of directory.groups) {
      const entry = { id: group.id, name: group.name };
      this.groupsByKey.set(nameKey(group.name), entry);
      this.groupsById.set(group.id, entry);
    }
    for (const user of directory.users) {
      // A user is named by email where there is one: it is what the config most often says.
      const entry = { id: user._id, name: user.email ?? user.username ?? user._id };
      for (const handle of [user.email, user.username]) if (handle) this.usersByKey.set(handle.toLowerCase(), entry);
      this.usersById.set(user._id, entry);
    }
    for (const app of directory.applications) {
      const entry = { id: app._id, name: app.displayLabel ?? app.name ?? app._id };
      for (const label of [app.displayLabel, app.name]) if (label && !this.appsByKey.has(nameKey(label))) this.appsByKey.set(nameKey(label), entry);
      this.appsById.set(app._id, entry);
    }
  }

  group(name: string): ResolvedName | undefined {
    return this.groupsByKey.get(nameKey(name));
  }
  groupById(id: string): ResolvedName | undefined {
    return this.groupsById.get(id);
  }
  user(handle: string): ResolvedName | undefined {
    return this.usersByKey.get(handle.toLowerCase());
  }
  userById(id: string): ResolvedName | undefined {
    return this.usersById.get(id);
  }
  application(name: string): ResolvedName | undefined {
    return this.appsByKey.get(nameKey(name));
  }
  applicationById(id: string): ResolvedName | undefined {
    return this.appsById.get(id);
  }
}

/** Where a name in the config was written, so an unknown reference can say so. */
export type ReferencePath = readonly (string | number)[];

export interface UnknownReference {
  what: 'group' | 'user' | 'application';
  name: string;
  path: ReferencePath;
}

/**
 * Resolves the names desired objects use: live groups (or groups the repo will create), users by
 * email or username, applications by label. Unknown names are collected, not thrown.
 */
export class NameResolver {
  readonly unknown: UnknownReference[] = [];
  /** The live id of every name resolved so far, by the name the model uses. */
  readonly ids: { groups: Record<string, string>; users: Record<string, string>; applications: Record<string, string> } = {
    groups: {},
    users: {},
    applications: {},
  };

  constructor(
    private readonly index: DirectoryIndex,
    /** Groups the repo declares with create: true, by name key -> name as written. */
    private readonly groupsToCreate: ReadonlyMap<string, string>,
    /** False when the directory lists could not be read: then every name looks unknown. */
    readonly directoryKnown: boolean = true,
  ) {}

  group(name: string, path: ReferencePath): string {
    const live = this.index.group(name);
    if (live) {
      this.ids.groups[live.name] = live.id;
      return live.name;
    }
    const planned = this.groupsToCreate.get(nameKey(name));
    if (planned !== undefined) return planned;
    this.unknown.push({ what: 'group', name, path });
    return name;
  }

  user(handle: string, path: ReferencePath): string {
    const live = this.index.user(handle);
    if (live) {
      this.ids.users[live.name] = live.id;
      return live.name;
    }
    this.unknown.push({ what: 'user', name: handle, path });
    return handle;
  }

  application(name: string, path: ReferencePath): string {
    const live = this.index.application(name);
    if (live) {
      this.ids.applications[live.name] = live.id;
      return live.name;
    }
    this.unknown.push({ what: 'application', name, path });
    return name;
  }
}

// ---- shared normalisation ---------------------------------------------------------------------

function byNameKey(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The canonical spelling of a duration, so PT24H and P1D compare equal. */
export function canonicalDuration(text: string): string {
  const seconds = durationSeconds(text);
  if (seconds === undefined) return text;
  let rest = seconds;
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const date = days > 0 ? `${days}D` : '';
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${rest > 0 ? `${rest}S` : ''}`;
  return `P${date}${time ? `T${time}` : ''}`;
}

function sortDurations(durations: readonly string[]): string[] {
  return [...new Set(durations.map(canonicalDuration))].sort((a, b) => (durationSeconds(a) ?? 0) - (durationSeconds(b) ?? 0));
}

function approverSortKey(approver: ApproverModel): string {
  if ('manager' in approver) return '0';
  if ('admins' in approver) return '1';
  if ('user' in approver) return `2${approver.user.toLowerCase()}`;
  return `3${nameKey(approver.group)}`;
}

function sortApprovers(approvers: ApproverModel[]): ApproverModel[] {
  return [...approvers].sort((a, b) => (approverSortKey(a) < approverSortKey(b) ? -1 : 1));
}

function normaliseColor(color: string | undefined): string | undefined {
  return color === undefined || color === '' ? undefined : color.toUpperCase();
}

function display(color: string | undefined, iconUrl: string | undefined): FlowModel['spec']['display'] {
  const out: FlowModel['spec']['display'] = {};
  const c = normaliseColor(color);
  if (c !== undefined) out.color = c;
  if (iconUrl !== undefined && iconUrl !== '') out.iconUrl = iconUrl;
  return out;
}

// ---- ApprovalFlow -----------------------------------------------------------------------------

export function flowFromDesired(declared: Declared<ApprovalFlow>, names: NameResolver): FlowModel {
  const spec = declared.object.spec;
  const approval = spec.approval;
  const levels =
    approval.type === 'manual'
      ? (approval.levels ?? []).map((level, li) => ({
          require: level.require ?? 'any',
          approvers: sortApprovers(
            level.approvers.map((approver, ai): ApproverModel => {
              const path = ['spec', 'approval', 'levels', li, 'approvers', ai];
              if (approver.manager) return { manager: true };
              if (approver.admins) return { admins: true };
              if (approver.user !== undefined) return { user: names.user(approver.user, [...path, 'user']) };
              return { group: names.group(approver.group ?? '', [...path, 'group']) };
            }),
          ),
        }))
      : [];
  let access: FlowModel['spec']['access'] = null;
  if (spec.access?.duration !== undefined) access = { duration: canonicalDuration(spec.access.duration) };
  else if (spec.access?.durations !== undefined) access = { durations: sortDurations(spec.access.durations) };
  return {
    name: declared.object.metadata.name,
    spec: {
      description: spec.description ?? '',
      enabled: spec.enabled ?? true,
      category: spec.category ?? 'application',
      grantGroup: names.group(spec.grantGroup, ['spec', 'grantGroup']),
      visibleTo: spec.visibleTo.map((name, i) => names.group(name, ['spec', 'visibleTo', i])).sort(byNameKey),
      approval: { type: approval.type, nonAdminApprovers: approval.nonAdminApprovers ?? false, levels },
      access,
      display: display(spec.display?.color, spec.display?.iconUrl),
    },
  };
}

function approverFromWire(resource: WireApproverResource, index: DirectoryIndex): ApproverModel {
  switch (resource.resourceType) {
    case 'manager':
      return { manager: true };
    case 'admin':
      return { admins: true };
    case 'user':
      return { user: index.userById(resource.resourceId)?.name ?? resource.resourceName ?? resource.resourceId };
    default:
      return { group: index.groupById(resource.resourceId)?.name ?? resource.resourceName ?? resource.resourceId };
  }
}

export function flowFromWire(wire: WireFlow, index: DirectoryIndex): FlowModel {
  const byLevel = new Map<number, WireApproverResource[]>();
  for (const resource of wire.approverResources ?? []) {
    const level = byLevel.get(resource.resourceOrder) ?? [];
    level.push(resource);
    byLevel.set(resource.resourceOrder, level);
  }
  const type = wire.approvalType === approvalTypeToWire.automatic ? 'automatic' : 'manual';
  const levels =
    type === 'manual'
      ? [...byLevel.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, resources]) => ({
            require: resources.some((r) => r.requireAll) ? ('all' as const) : ('any' as const),
            approvers: sortApprovers(resources.map((r) => approverFromWire(r, index))),
          }))
      : [];
  let access: FlowModel['spec']['access'] = null;
  if (wire.timeBasedAccess && wire.ttlConfig === 'TTL_CONFIG_FIXED_DURATION' && wire.fixedDuration) {
    access = { duration: canonicalDuration(wire.fixedDuration) };
  } else if (wire.timeBasedAccess && wire.ttlConfig === 'TTL_CONFIG_MULTI_SELECT_DURATIONS') {
    access = { durations: sortDurations(wire.multiSelectDuration ?? []) };
  }
  const grant = wire.resources?.find((r) => r.resourceType === GRANT_RESOURCE_TYPE) ?? wire.resources?.[0];
  return {
    name: wire.name,
    spec: {
      description: wire.description ?? '',
      enabled: wire.status !== 'inactive',
      category: wire.category === categoryToWire['device-admin'] ? 'device-admin' : 'application',
      grantGroup: grant ? (index.groupById(grant.resourceId)?.name ?? grant.resourceName ?? grant.resourceId) : '',
      visibleTo: (wire.visibleTo ?? []).map((v) => index.groupById(v.id)?.name ?? v.name ?? v.id).sort(byNameKey),
      approval: { type, nonAdminApprovers: wire.nonAdminApproval ?? false, levels },
      access,
      display: display(wire.iconColor, wire.iconUrl),
    },
  };
}

/** Ids for the names a flow uses; apply fills this after creating any groups it needs. */
export interface IdLookup {
  group(name: string): string;
  user(name: string): string;
}

export function flowToWire(model: FlowModel, ids: IdLookup): WireFlowWrite {
  const { spec } = model;
  const approverResources: WireApproverResource[] = spec.approval.levels.flatMap((level, order) =>
    level.approvers.map((approver): WireApproverResource => {
      const requireAll = level.require === 'all';
      if ('manager' in approver) return { resourceType: 'manager', resourceId: '', resourceOrder: order, requireAll };
      if ('admins' in approver) return { resourceType: 'admin', resourceId: '', resourceOrder: order, requireAll };
      if ('user' in approver) return { resourceType: 'user', resourceId: ids.user(approver.user), resourceName: approver.user, resourceOrder: order, requireAll };
      return { resourceType: 'user_group', resourceId: ids.group(approver.group), resourceName: approver.group, resourceOrder: order, requireAll };
    }),
  );
  const access = spec.access;
  const wire: WireFlowWrite = {
    name: model.name,
    description: spec.description,
    approvalType: approvalTypeToWire[spec.approval.type],
    approverRequirement: spec.approval.levels[0]?.require ?? 'any',
    approverResources,
    category: categoryToWire[spec.category],
    nonAdminApproval: spec.approval.nonAdminApprovers,
    resourceId: ids.group(spec.grantGroup),
    resourceType: GRANT_RESOURCE_TYPE,
    status: spec.enabled ? 'active' : 'inactive',
    timeBasedAccess: access !== null,
    ttlConfig: access === null ? 'TTL_CONFIG_UNSPECIFIED' : 'duration' in access ? 'TTL_CONFIG_FIXED_DURATION' : 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
    visibleTo: spec.visibleTo.map((name) => ids.group(name)),
  };
  if (access && 'duration' in access) wire.fixedDuration = access.duration;
  if (access && 'durations' in access) wire.multiSelectDuration = access.durations;
  if (spec.display.color !== undefined) wire.iconColor = spec.display.color;
  if (spec.display.iconUrl !== undefined) wire.iconUrl = spec.display.iconUrl;
  return wire;
}

// ---- GroupAssignment --------------------------------------------------------------------------

export function groupFromDesired(declared: Declared<GroupAssignment>, names: NameResolver): GroupModel {
  const spec = declared.object.spec;
  const model: GroupModel = { name: declared.object.metadata.name, spec: {} };
  if (spec.description !== undefined) model.spec.description = spec.description;
  if (spec.applications !== undefined) {
    model.spec.applications = spec.applications.map((name, i) => names.application(name, ['spec', 'applications', i])).sort(byNameKey);
  }
  return model;
}

/**
 * The live group in the model's terms, limited to what the desired model manages (a field the repo
 * leaves out is not compared). `applicationIds` are the group's application associations.
 */
export function groupFromWire(group: WireUserGroup, applicationIds: readonly string[] | undefined, index: DirectoryIndex, managed: GroupModel['spec']): GroupModel {
  const model: GroupModel = { name: group.name, spec: {} };
  if (managed.description !== undefined) model.spec.description = group.description ?? '';
  if (managed.applications !== undefined && applicationIds !== undefined) {
    model.spec.applications = applicationIds.map((id) => index.applicationById(id)?.name ?? id).sort(byNameKey);
  }
  return model;
}

export function groupToWire(model: GroupModel): { name: string; description?: string } {
  return model.spec.description === undefined ? { name: model.name } : { name: model.name, description: model.spec.description };
}

// ---- AccessRequestSettings --------------------------------------------------------------------

export function settingsFromDesired(declared: Declared<AccessRequestSettings>): SettingsModel {
  const spec = declared.object.spec;
  return {
    spec: {
      resourceRequests: spec.resourceRequests ?? true,
      exposeApprovalProgress: spec.exposeApprovalProgress ?? false,
      email: {
        approvers: spec.email?.approvers ?? true,
        requestReceived: spec.email?.requestReceived ?? true,
        decision: spec.email?.decision ?? true,
      },
    },
  };
}

export function settingsFromWire(wire: WireSettings): SettingsModel {
  return {
    spec: {
      resourceRequests: wire.resourceRequest ?? true,
      exposeApprovalProgress: wire.exposeApprovalProgress ?? false,
      email: {
        approvers: wire.adminApprovalEmail ?? true,
        requestReceived: wire.userRequestEmail ?? true,
        decision: wire.userApprovalEmail ?? true,
      },
    },
  };
}

/** The settings PUT body: the settings themselves plus every channel's event subscriptions. */
export function settingsToWire(model: SettingsModel, channelEvents: WireChannelEvent[]): WireSettings {
  return {
    resourceRequest: model.spec.resourceRequests,
    exposeApprovalProgress: model.spec.exposeApprovalProgress,
    adminApprovalEmail: model.spec.email.approvers,
    userRequestEmail: model.spec.email.requestReceived,
    userApprovalEmail: model.spec.email.decision,
    channelEvents,
  };
}

// ---- webhook event names ----------------------------------------------------------------------

/** Config event names (legacy spellings and "*" included) -> the sorted set they mean. */
export function eventsFromDesired(events: WebhookSubscription['spec']['events']): string[] {
  const names = new Set<string>();
  for (const event of events) {
    if (event === '*') EVENT_TYPES.forEach((e) => names.add(e));
    else names.add(LEGACY_EVENT_NAMES[event] ?? event);
  }
  return [...names].sort();
}

export function eventsToWire(events: readonly string[]): string[] {
  return events.map((event) => event.toUpperCase());
}

export function eventsFromWire(eventTypes: readonly string[]): string[] {
  const known = new Set<string>(EVENT_TYPES);
  return [...new Set(eventTypes.map((type) => type.toLowerCase()).filter((type) => known.has(type)))].sort();
}

/** "*" when a set holds every event, as export writes it. */
export function eventsForConfig(events: readonly string[]): string[] {
  return events.length === EVENT_TYPES.length ? ['*'] : [...events];
}

// ---- WebhookSubscription ----------------------------------------------------------------------

/** Reads a secret's value; undefined when it is not set where accessctl runs. */
export type SecretSource = (envName: string) => string | undefined;

export interface DesiredWebhook {
  model: WebhookModel;
  /** The secret values to write, when every one is available. */
  values: ChannelSecretValues | undefined;
  /** Secret references whose variable is not set, with where each is written. */
  missing: { env: string; path: ReferencePath }[];
}

export function webhookFromDesired(declared: Declared<WebhookSubscription>, secrets: SecretSource, live: WireChannel | undefined): DesiredWebhook {
  const spec = declared.object.spec;
  const missing: DesiredWebhook['missing'] = [];
  const read = (env: string, path: ReferencePath): string => {
    const value = secrets(env);
    if (value === undefined || value === '') missing.push({ env, path });
    return value ?? '';
  };
  const values: ChannelSecretValues = { sensitiveValues: {}, headers: {} };
  for (const [name, ref] of Object.entries(spec.secrets ?? {})) {
    if (ref) values.sensitiveValues[name] = read(ref.env, ['spec', 'secrets', name]);
  }
  const headers: Record<string, HeaderModel> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'string') {
      headers[name.toLowerCase()] = value;
    } else {
      headers[name.toLowerCase()] = { secret: true };
      values.headers[name] = read(value.env, ['spec', 'headers', name]);
    }
  }
  if (spec.signingSecret) values.signingSecret = read(spec.signingSecret.env, ['spec', 'signingSecret']);
  const complete = missing.length === 0;
  let state: WebhookModel['secrets'] = 'new';
  if (live) state = !complete ? 'unknown' : secretsMatch(live.secretsFingerprint, values) ? 'live' : 'changed';
  return {
    model: {
      name: declared.object.metadata.name,
      spec: {
        url: spec.url,
        enabled: spec.enabled ?? true,
        verifySsl: spec.verifySsl ?? true,
        headers: sortRecord(headers),
        placeholders: Object.keys(spec.secrets ?? {}).sort(),
        signed: spec.signingSecret !== undefined,
        events: eventsFromDesired(spec.events),
      },
      secrets: state,
    },
    values: complete ? values : undefined,
    missing,
  };
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function webhookFromWire(channel: WireChannel, events: readonly string[]): WebhookModel {
  const headers: Record<string, HeaderModel> = {};
  // A credential header is a secret even where the platform stores it in the clear: never shown.
  for (const header of channel.headers) headers[header.name.toLowerCase()] = header.sensitive || isCredentialHeader(header.name) ? { secret: true } : header.value;
  return {
    name: channel.name,
    spec: {
      url: channel.url,
      enabled: channel.enabled,
      verifySsl: channel.verifySsl,
      headers: sortRecord(headers),
      placeholders: Object.keys(channel.sensitiveValues).sort(),
      signed: channel.signingSecret !== undefined,
      events: eventsFromWire(events),
    },
    secrets: 'live',
  };
}

export function webhookToWire(declared: Declared<WebhookSubscription>, values: ChannelSecretValues): WireChannelWrite {
  const spec = declared.object.spec;
  const headers: WireChannelHeader[] = Object.entries(spec.headers ?? {}).flatMap(([name, value]): WireChannelHeader[] => {
    if (value === undefined) return [];
    if (typeof value === 'string') return [{ name, value, sensitive: false }];
    return [{ name, value: values.headers[name] ?? '', sensitive: true }];
  });
  const wire: WireChannelWrite = {
    name: declared.object.metadata.name,
    url: spec.url,
    enabled: spec.enabled ?? true,
    verifySsl: spec.verifySsl ?? true,
    sensitiveValues: { ...values.sensitiveValues },
    headers,
  };
  if (values.signingSecret !== undefined) wire.signingSecret = values.signingSecret;
  return wire;
}

// ---- back to config, for export ---------------------------------------------------------------

export function flowSpecForConfig(model: FlowModel): ApprovalFlow['spec'] {
  const { spec } = model;
  const out: ApprovalFlow['spec'] = {
    description: spec.description,
    enabled: spec.enabled,
    category: spec.category,
    grantGroup: spec.grantGroup,
    visibleTo: [...spec.visibleTo],
    approval: spec.approval.type === 'automatic' ? { type: 'automatic', nonAdminApprovers: spec.approval.nonAdminApprovers } : {
      type: 'manual',
      nonAdminApprovers: spec.approval.nonAdminApprovers,
      levels: spec.approval.levels.map((level) => ({ require: level.require, approvers: level.approvers.map((a) => ({ ...a })) })),
    },
  };
  if (spec.access) out.access = 'duration' in spec.access ? { duration: spec.access.duration } : { durations: [...spec.access.durations] as [string, ...string[]] };
  if (spec.display.color !== undefined || spec.display.iconUrl !== undefined) out.display = { ...spec.display };
  return out;
}

export function groupSpecForConfig(model: GroupModel): GroupAssignment['spec'] {
  const out: GroupAssignment['spec'] = {};
  if (model.spec.description) out.description = model.spec.description;
  if (model.spec.applications !== undefined) out.applications = [...model.spec.applications];
  return out;
}

export function settingsSpecForConfig(model: SettingsModel): AccessRequestSettings['spec'] {
  return { resourceRequests: model.spec.resourceRequests, exposeApprovalProgress: model.spec.exposeApprovalProgress, email: { ...model.spec.email } };
}

/** The environment variable name export proposes for one of a channel's secrets. */
export function proposedEnvName(channel: string, secret: string): string {
  const name = `${channel}_${secret}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(name) ? name : `_${name}`;
}

/** A live channel as config: secret values become references to proposed environment variables. */
export function webhookSpecForConfig(channel: WireChannel, events: readonly string[]): WebhookSubscription['spec'] {
  const used = new Set<string>();
  const envFor = (secret: string): { env: string } => {
    let name = proposedEnvName(channel.name, secret);
    for (let n = 2; used.has(name); n++) name = `${proposedEnvName(channel.name, secret)}_${n}`;
    used.add(name);
    return { env: name };
  };
  const out: WebhookSubscription['spec'] = {
    url: channel.url,
    enabled: channel.enabled,
    verifySsl: channel.verifySsl,
    events: eventsForConfig(eventsFromWire(events)) as WebhookSubscription['spec']['events'],
  };
  const placeholders = Object.keys(channel.sensitiveValues).sort();
  if (placeholders.length > 0) out.secrets = Object.fromEntries(placeholders.map((p) => [p, envFor(p)]));
  if (channel.headers.length > 0) {
    out.headers = Object.fromEntries(channel.headers.map((h) => [h.name, h.sensitive || isCredentialHeader(h.name) ? envFor(h.name) : h.value]));
  }
  if (channel.signingSecret !== undefined) out.signingSecret = envFor('SIGNING_SECRET');
  return out;
}
