// ApprovalFlow <-> the platform's AccessWorkflow. Reads are strict about enums: a value this mapping
// does not know makes the flow unmanageable instead of being read as a default. Writes are
// read-modify-write: an update starts from the flow as last read and keeps what the repo does not manage.
import type { Declared } from '../config/desired.js';
import type { ApprovalFlow } from '../config/kinds.generated.js';
import type { ApproverModel, FlowModel, FlowSpecModel } from '../model/flow.js';
import type { DirectoryIndex, NameResolver } from './directory-index.js';
import { canonicalDuration, sortDurations, sortNamesInPlace } from './model-order.js';
import { bool, list, num, text } from './protobuf-json.js';
import { flowShapeReasons, type WireApproverResource, type WireFlow, type WireFlowCreate, type WireFlowSet, type WireTtlConfig } from './wire.js';

// The values JumpCloud writes; it has not published all of them (docs/architecture.md, "wire mapping").
const categoryToWire = { application: 'Application', 'device-admin': 'DeviceAdmin' } as const;
const approvalTypeToWire = { manual: 'manual', automatic: 'automated' } as const;
const statusToWire = { enabled: 'active', disabled: 'inactive' } as const;
const approverTypes = { manager: 'manager', admins: 'admin', user: 'user', group: 'user_group' } as const;
const GRANT_RESOURCE_TYPE = 'user_group';
const GRANT_GROUP_PATH = ['spec', 'grantGroup'] as const;
const ttlConfigs: readonly WireTtlConfig[] = ['TTL_CONFIG_UNSPECIFIED', 'TTL_CONFIG_MULTI_SELECT_DURATIONS', 'TTL_CONFIG_FIXED_DURATION'];

function invert<K extends string, V extends string>(record: Record<K, V>): Map<string, K> {
  return new Map(Object.entries(record).map(([k, v]) => [v as string, k as K]));
}
const categoryFromWire = invert(categoryToWire);
const approvalTypeFromWire = invert(approvalTypeToWire);
const approverFromWireType = invert(approverTypes);

/** Every enum value the mapping knows, by wire field: what `doctor` checks live flows against. */
export const knownFlowValues = {
  status: Object.values(statusToWire),
  approvalType: Object.values(approvalTypeToWire),
  category: Object.values(categoryToWire),
  ttlConfig: ttlConfigs,
  approverRequirement: ['any', 'all'],
  'approverResources[].resourceType': Object.values(approverTypes),
  'resources[].resourceType': [GRANT_RESOURCE_TYPE],
} as const;

/** An approver's place in the canonical order: manager, admins, users by name, groups by name. */
function approverSortKey(approver: ApproverModel): string {
  return 'manager' in approver ? '0' : 'admins' in approver ? '1' : 'user' in approver ? `2${approver.user.toLowerCase()}` : `3${approver.group.toLowerCase()}`;
}

function compareKeyed(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Puts approvers the caller owns in their canonical order, each key computed once (a sort compares each item many times). */
function sortApproversInPlace(approvers: ApproverModel[]): ApproverModel[] {
  if (approvers.length < 2) return approvers;
  const keyed = approvers.map((approver) => ({ key: approverSortKey(approver), approver }));
  keyed.sort(compareKeyed);
  for (let i = 0; i < keyed.length; i++) approvers[i] = keyed[i]!.approver;
  return approvers;
}

function displayOf(color: string | undefined, iconUrl: string | undefined): NonNullable<FlowSpecModel['display']> {
  const out: NonNullable<FlowSpecModel['display']> = {};
  if (color !== undefined && color !== '') out.color = color.toUpperCase();
  if (iconUrl !== undefined && iconUrl !== '') out.iconUrl = iconUrl;
  return out;
}

// One of each, shared by every flow on both sides: a model is never changed once made, and a plan
// of 10,000 flows makes one approver fewer per level for the collector to copy.
const MANAGER: ApproverModel = Object.freeze({ manager: true });
const ADMINS: ApproverModel = Object.freeze({ admins: true });

/**
 * The desired flow in the model's terms. A no-op plan maps every flow of the repo (10,000 in a
 * large org), so it allocates no more than the model: arrays are made at their final length (an
 * array grown by push() reserves room for 17), there are no per-flow callbacks, and a reference's
 * path is built only for a name that did not resolve.
 */
export function flowFromDesired(declared: Declared<ApprovalFlow>, names: NameResolver): FlowModel {
  const spec = declared.object.spec;
  const approval = spec.approval;
  const written = approval.type === 'manual' ? (approval.levels ?? []) : [];
  const levels: FlowSpecModel['approval']['levels'] = new Array(written.length);
  for (let li = 0; li < written.length; li++) {
    const level = written[li]!;
    const approvers: ApproverModel[] = new Array(level.approvers.length);
    for (let ai = 0; ai < level.approvers.length; ai++) {
      const approver = level.approvers[ai]!;
      if (approver.manager) approvers[ai] = MANAGER;
      else if (approver.admins) approvers[ai] = ADMINS;
      else if (approver.user !== undefined) approvers[ai] = { user: names.user(approver.user, ['spec', 'approval', 'levels', li, 'approvers', ai, 'user']) };
      else {
        const group = approver.group ?? '';
        approvers[ai] = { group: names.knownGroup(group) ?? names.unknownGroup(group, ['spec', 'approval', 'levels', li, 'approvers', ai, 'group']) };
      }
    }
    levels[li] = { require: level.require ?? 'any', approvers: sortApproversInPlace(approvers) };
  }
  const grantGroup = names.knownGroup(spec.grantGroup) ?? names.unknownGroup(spec.grantGroup, GRANT_GROUP_PATH);
  const visibleTo: string[] = new Array(spec.visibleTo.length);
  for (let i = 0; i < spec.visibleTo.length; i++) {
    const name = spec.visibleTo[i]!;
    visibleTo[i] = names.knownGroup(name) ?? names.unknownGroup(name, ['spec', 'visibleTo', i]);
  }
  let access: FlowSpecModel['access'] = null;
  if (spec.access?.duration !== undefined) access = { duration: canonicalDuration(spec.access.duration) };
  else if (spec.access?.durations !== undefined) access = { durations: sortDurations(spec.access.durations) };
  const model: FlowModel = {
    name: declared.object.metadata.name,
    spec: {
      description: spec.description ?? '',
      enabled: spec.enabled ?? true,
      category: spec.category ?? 'application',
      grantGroup,
      visibleTo: sortNamesInPlace(visibleTo),
      approval: { type: approval.type, nonAdminApprovers: approval.nonAdminApprovers ?? false, levels },
      access,
    },
  };
  if (spec.display !== undefined) model.spec.display = displayOf(spec.display.color, spec.display.iconUrl);
  return model;
}

/** Records a wire value this mapping does not know: the flow is unmanageable, not read as a default. */
function unknownValue(reasons: string[], field: string, value: string | undefined): void {
  reasons.push(`${field} ${JSON.stringify(value ?? '')}`);
}

export type FlowRead = { ok: true; model: FlowModel } | { ok: false; reasons: string[] };

/** The approval levels of a live flow, or why they cannot be read (pushed to `reasons`). */
function levelsFromWire(listed: readonly WireApproverResource[], index: DirectoryIndex, reasons: string[]): FlowSpecModel['approval']['levels'] {
  // Levels by resourceOrder, each with whether any of its approvers says requireAll. The platform
  // lists them in order, so each level is a run of one resourceOrder; a list out of order is
  // sorted first. The runs are counted first, so every array is made at its final length.
  let resources = listed;
  for (let i = 1; i < listed.length; i++) {
    if (num(listed[i - 1]!.resourceOrder) > num(listed[i]!.resourceOrder)) {
      resources = [...listed].sort((a, b) => num(a.resourceOrder) - num(b.resourceOrder));
      break;
    }
  }
  let runs = resources.length === 0 ? 0 : 1;
  for (let i = 1; i < resources.length; i++) if (num(resources[i]!.resourceOrder) !== num(resources[i - 1]!.resourceOrder)) runs++;
  const levels: FlowSpecModel['approval']['levels'] = new Array(runs);
  for (let start = 0, li = 0; start < resources.length; li++) {
    const at = num(resources[start]!.resourceOrder);
    let end = start + 1;
    while (end < resources.length && num(resources[end]!.resourceOrder) === at) end++;
    const approvers: ApproverModel[] = new Array(end - start);
    let require: 'any' | 'all' = 'any';
    let known = true;
    for (let i = start; i < end; i++) {
      const resource = resources[i]!;
      const approver = approverFromWire(resource, index);
      if (approver === undefined) {
        known = false;
        unknownValue(reasons, `approverResources[${listed.indexOf(resource)}].resourceType`, resource.resourceType);
      } else approvers[i - start] = approver;
      if (bool(resource.requireAll)) require = 'all';
    }
    // A level with an approver this mapping does not know makes the flow unmanageable: it is not used.
    levels[li] = { require, approvers: known ? sortApproversInPlace(approvers) : approvers };
    start = end;
  }
  return levels;
}

/**
 * The live flow in the model's terms, from a flow whose id and name are strings (flowShapeProblem). `managesDisplay`: whether the repo sets this flow's icon;
 * when it does not, the live icon is not compared (and a write keeps it).
 */
export function flowFromWire(wire: WireFlow, index: DirectoryIndex, managesDisplay: boolean): FlowRead {
  const reasons: string[] = [];
  // The list checked that the flow has an id and a name; a field of the wrong type makes it
  // unmanageable (named, listed, never touched), as an enum value this mapping does not know does.
  flowShapeReasons(wire, reasons);
  if (reasons.length > 0) return { ok: false, reasons };
  const status = text(wire.status);
  if (status !== statusToWire.enabled && status !== statusToWire.disabled) unknownValue(reasons, 'status', status);
  const type = approvalTypeFromWire.get(text(wire.approvalType));
  if (type === undefined) unknownValue(reasons, 'approvalType', wire.approvalType);
  const category = categoryFromWire.get(text(wire.category));
  if (category === undefined) unknownValue(reasons, 'category', wire.category);
  // An enum at its zero value is left out of protobuf JSON.
  const ttlConfig = wire.ttlConfig ?? 'TTL_CONFIG_UNSPECIFIED';
  if (!ttlConfigs.includes(ttlConfig)) unknownValue(reasons, 'ttlConfig', ttlConfig);
  const requirement = text(wire.approverRequirement);
  if (requirement !== '' && requirement !== 'any' && requirement !== 'all') unknownValue(reasons, 'approverRequirement', requirement);
  const levels = levelsFromWire(list(wire.approverResources), index, reasons);

  const grants = list(wire.resources);
  const grant = grants[0];
  if (grants.length !== 1 || grant === undefined) reasons.push(`${grants.length} granted resources (accessctl manages flows that grant one user group)`);
  else if (text(grant.resourceType) !== GRANT_RESOURCE_TYPE) unknownValue(reasons, 'resources[0].resourceType', grant.resourceType);

  const timeBased = bool(wire.timeBasedAccess);
  const durations = list(wire.multiSelectDuration);
  let access: FlowSpecModel['access'] = null;
  if (timeBased && ttlConfig === 'TTL_CONFIG_FIXED_DURATION' && text(wire.fixedDuration) !== '')
    access = { duration: canonicalDuration(text(wire.fixedDuration)) };
  else if (timeBased && ttlConfig === 'TTL_CONFIG_MULTI_SELECT_DURATIONS' && durations.length > 0) access = { durations: sortDurations(durations) };
  else if (timeBased) reasons.push(`timeBasedAccess with ttlConfig ${JSON.stringify(ttlConfig)} and no duration`);

  if (reasons.length > 0 || type === undefined || category === undefined || grant === undefined) return { ok: false, reasons };
  const grantId = text(grant.resourceId);
  const visible = list(wire.visibleTo);
  const visibleTo: string[] = new Array(visible.length);
  for (let i = 0; i < visible.length; i++) {
    const v = visible[i]!;
    visibleTo[i] = index.groupById(text(v.id))?.name ?? v.name ?? text(v.id);
  }
  const model: FlowModel = {
    name: wire.name,
    spec: {
      description: text(wire.description),
      enabled: status === statusToWire.enabled,
      category,
      grantGroup: index.groupById(grantId)?.name ?? grant.resourceName ?? grantId,
      visibleTo: sortNamesInPlace(visibleTo),
      approval: { type, nonAdminApprovers: bool(wire.nonAdminApproval), levels: type === 'manual' ? levels : [] },
      access,
    },
  };
  if (managesDisplay) model.spec.display = displayOf(wire.iconColor, wire.iconUrl);
  return { ok: true, model };
}

function approverFromWire(resource: WireApproverResource, index: DirectoryIndex): ApproverModel | undefined {
  const id = text(resource.resourceId);
  switch (approverFromWireType.get(text(resource.resourceType))) {
    case 'manager':
      return MANAGER;
    case 'admins':
      return ADMINS;
    case 'user':
      return { user: index.userById(id)?.name ?? resource.resourceName ?? id };
    case 'group':
      return { group: index.groupById(id)?.name ?? resource.resourceName ?? id };
    default:
      return undefined;
  }
}

/** Ids for the names a flow uses; apply fills this after creating any groups it needs. */
export interface IdLookup {
  group(name: string): string;
  user(name: string): string;
}

/** The fields the repo manages, in wire terms. */
function managedFields(model: FlowModel, ids: IdLookup): WireFlowSet {
  const { spec } = model;
  const approverResources: WireApproverResource[] = spec.approval.levels.flatMap((level, order) =>
    level.approvers.map((approver): WireApproverResource => {
      const requireAll = level.require === 'all';
      if ('manager' in approver) return { resourceType: approverTypes.manager, resourceId: '', resourceOrder: order, requireAll };
      if ('admins' in approver) return { resourceType: approverTypes.admins, resourceId: '', resourceOrder: order, requireAll };
      if ('user' in approver)
        return { resourceType: approverTypes.user, resourceId: ids.user(approver.user), resourceName: approver.user, resourceOrder: order, requireAll };
      return { resourceType: approverTypes.group, resourceId: ids.group(approver.group), resourceName: approver.group, resourceOrder: order, requireAll };
    }),
  );
  const access = spec.access;
  const body: WireFlowSet = {
    name: model.name,
    description: spec.description,
    approvalType: approvalTypeToWire[spec.approval.type],
    approverRequirement: spec.approval.levels[0]?.require ?? 'any',
    approverResources,
    nonAdminApproval: spec.approval.nonAdminApprovers,
    resourceId: ids.group(spec.grantGroup),
    status: spec.enabled ? statusToWire.enabled : statusToWire.disabled,
    timeBasedAccess: access !== null,
    ttlConfig: access === null ? 'TTL_CONFIG_UNSPECIFIED' : 'duration' in access ? 'TTL_CONFIG_FIXED_DURATION' : 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
    visibleTo: spec.visibleTo.map((name) => ids.group(name)),
  };
  if (access && 'duration' in access) body.fixedDuration = access.duration;
  if (access && 'durations' in access) body.multiSelectDuration = access.durations;
  if (spec.display?.color !== undefined) body.iconColor = spec.display.color;
  if (spec.display?.iconUrl !== undefined) body.iconUrl = spec.display.iconUrl;
  return body;
}

export function flowCreateBody(model: FlowModel, ids: IdLookup): WireFlowCreate {
  return { ...managedFields(model, ids), category: categoryToWire[model.spec.category], resourceType: GRANT_RESOURCE_TYPE };
}

/**
 * The PUT body (ApprovalFlow_Set, which replaces the whole flow): the managed fields over the flow
 * as last read, so Slack settings and, unless the repo sets it, the icon survive.
 */
export function flowSetBody(live: WireFlow, model: FlowModel, ids: IdLookup): WireFlowSet {
  const body = managedFields(model, ids);
  if (model.spec.display === undefined) {
    if (live.iconColor !== undefined) body.iconColor = live.iconColor;
    if (live.iconUrl !== undefined) body.iconUrl = live.iconUrl;
  }
  if (live.slackEnabled !== undefined) body.slackEnabled = live.slackEnabled;
  if (live.slackConfig !== undefined) body.slackConfig = live.slackConfig.map((c) => ({ ...c }));
  return body;
}

/** Whether a change can be made in place: ApprovalFlow_Set has no category. */
export const immutableFlowFields = ['spec.category'] as const;

export function flowSpecForConfig(model: FlowModel): ApprovalFlow['spec'] {
  const { spec } = model;
  const out: ApprovalFlow['spec'] = {
    description: spec.description,
    enabled: spec.enabled,
    category: spec.category,
    grantGroup: spec.grantGroup,
    visibleTo: [...spec.visibleTo],
    approval:
      spec.approval.type === 'automatic'
        ? { type: 'automatic', nonAdminApprovers: spec.approval.nonAdminApprovers }
        : {
            type: 'manual',
            nonAdminApprovers: spec.approval.nonAdminApprovers,
            levels: spec.approval.levels.map((level) => ({ require: level.require, approvers: level.approvers.map((a) => ({ ...a })) })),
          },
  };
  if (spec.access)
    out.access = 'duration' in spec.access ? { duration: spec.access.duration } : { durations: [...spec.access.durations] as [string, ...string[]] };
  if (spec.display !== undefined && (spec.display.color !== undefined || spec.display.iconUrl !== undefined)) out.display = { ...spec.display };
  return out;
}
