// Approval flows (/api/v2/approvalflows): validation of the write shape, storage, the read shape
// with resolved names, and an access_management_approval_flow_* event for every change. A PUT
// replaces the flow; under strict a field it leaves out takes its zero value, not a default.
// Effects on other aggregates (cancelling a deleted flow's requests) are the route's to make.
import { conflict, notFound, type ErrorDetail } from './api-error.js';
import {
  approvalTypes,
  approverName,
  approverRequirements,
  approverTypes,
  categories,
  flowStatuses,
  grantResourceTypes,
  ttlConfigs,
  type NameLookup,
  type StoredApprover,
  type StoredFlow,
} from './flow-model.js';
import { diffFields, recordEvent } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { BodyReader, isObject, type JsonObject } from './request-body.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';
import { findGroup, groupNames } from './user-groups.js';
import { findUser } from './users.js';

const isoDuration = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** The read shape of the contract's jumpcloud.ingresso.AccessWorkflow: references come back with names. */
export type FlowView = Omit<StoredFlow, 'approverResources' | 'resourceType' | 'resourceId' | 'visibleTo'> & {
  approverResources: { resourceId: string; resourceName: string; resourceOrder: number; resourceType: string; requireAll: boolean }[];
  resources: { resourceId: string; resourceName: string; resourceType: string }[];
  visibleTo: { id: string; name: string }[];
};

export const flowFields: FieldSpec = {
  name: 'string',
  description: 'string',
  category: 'string',
  approvalType: 'string',
  approverRequirement: 'string',
  resourceType: 'string',
  resourceId: 'string',
  status: 'string',
  timeBasedAccess: 'boolean',
  ttlConfig: 'string',
  fixedDuration: 'string',
  nonAdminApproval: 'boolean',
  iconColor: 'string',
  iconUrl: 'string',
  slackEnabled: 'boolean',
};

const updateFields = [
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
  'organizationObjectId',
  'resourceId',
  'slackConfig',
  'slackEnabled',
  'status',
  'timeBasedAccess',
  'ttlConfig',
  'visibleTo',
] as const;
const createFields = [...updateFields, 'category', 'resourceType'] as const;

type FlowFields = Omit<StoredFlow, 'id' | 'organizationId' | 'createdBy' | 'updatedBy'>;

function readApprovers(reader: BodyReader, approvalType: string | undefined): StoredApprover[] {
  const raw = reader.array('approverResources', { maxItems: 50 }) ?? [];
  const approvers: StoredApprover[] = [];
  raw.forEach((item, index) => {
    const entry = new BodyReader(item, ['resourceType', 'resourceId', 'resourceOrder', 'requireAll', 'resourceName'], {
      prefix: `approverResources[${index}]`,
      details: reader.details,
    });
    if (!isObject(item)) return;
    const type = entry.string('resourceType', { required: true, oneOf: approverTypes });
    const id = entry.string('resourceId');
    const order = entry.integer('resourceOrder', { min: 0, max: 100 }) ?? 0;
    const requireAll = entry.boolean('requireAll') ?? false;
    entry.string('resourceName');
    if (type === 'user' || type === 'user_group') {
      if (id === undefined || id === '') entry.fail('resourceId', `is required for a ${type} approver`);
    } else if (type !== undefined && id !== undefined && id !== '') {
      entry.fail('resourceId', `must be empty for a ${type} approver`);
    }
    if (type !== undefined)
      approvers.push({ resourceType: type as StoredApprover['resourceType'], resourceId: id ?? '', resourceOrder: order, requireAll });
  });
  const seen = new Set<string>();
  approvers.forEach((approver, index) => {
    const key = `${approver.resourceOrder}/${approver.resourceType}/${approver.resourceId}`;
    if (seen.has(key)) reader.fail(`approverResources[${index}]`, 'repeats an approver of the same level');
    seen.add(key);
  });
  if (approvalType === 'manual' && raw.length === 0) reader.fail('approverResources', 'a manual flow needs at least one approver');
  if (approvalType === 'automated' && raw.length > 0) reader.fail('approverResources', 'an automated flow takes no approvers');
  return approvers;
}

function readTtl(reader: BodyReader): Pick<FlowFields, 'timeBasedAccess' | 'ttlConfig' | 'fixedDuration' | 'multiSelectDuration'> {
  const timeBased = reader.boolean('timeBasedAccess') ?? false;
  const ttlConfig = reader.string('ttlConfig', { oneOf: ttlConfigs }) ?? 'TTL_CONFIG_UNSPECIFIED';
  const fixed = reader.string('fixedDuration');
  const multi = reader.stringArray('multiSelectDuration', { maxItems: 20, unique: true });
  const hasFixed = fixed !== undefined && fixed !== '';
  const hasMulti = multi !== undefined && multi.length > 0;
  if (!timeBased) {
    if (ttlConfig !== 'TTL_CONFIG_UNSPECIFIED') reader.fail('ttlConfig', 'must be TTL_CONFIG_UNSPECIFIED when timeBasedAccess is false');
    if (hasFixed) reader.fail('fixedDuration', 'is only allowed when timeBasedAccess is true');
    if (hasMulti) reader.fail('multiSelectDuration', 'is only allowed when timeBasedAccess is true');
    return { timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_UNSPECIFIED' };
  }
  if (ttlConfig === 'TTL_CONFIG_UNSPECIFIED') {
    reader.fail('ttlConfig', 'must be TTL_CONFIG_FIXED_DURATION or TTL_CONFIG_MULTI_SELECT_DURATIONS when timeBasedAccess is true');
  }
  if (ttlConfig === 'TTL_CONFIG_FIXED_DURATION') {
    if (!hasFixed) reader.fail('fixedDuration', 'is required for TTL_CONFIG_FIXED_DURATION');
    else if (!isoDuration.test(fixed)) reader.fail('fixedDuration', 'must be an ISO 8601 duration such as P7D or PT8H');
    if (hasMulti) reader.fail('multiSelectDuration', 'is only allowed with TTL_CONFIG_MULTI_SELECT_DURATIONS');
    return { timeBasedAccess: true, ttlConfig, ...(hasFixed ? { fixedDuration: fixed } : {}) };
  }
  if (ttlConfig === 'TTL_CONFIG_MULTI_SELECT_DURATIONS') {
    if (!hasMulti) reader.fail('multiSelectDuration', 'is required for TTL_CONFIG_MULTI_SELECT_DURATIONS');
    multi?.forEach((value, index) => {
      if (!isoDuration.test(value)) reader.fail(`multiSelectDuration[${index}]`, 'must be an ISO 8601 duration such as P7D or PT8H');
    });
    if (hasFixed) reader.fail('fixedDuration', 'is only allowed with TTL_CONFIG_FIXED_DURATION');
    return { timeBasedAccess: true, ttlConfig, ...(hasMulti ? { multiSelectDuration: multi } : {}) };
  }
  return { timeBasedAccess: true, ttlConfig };
}

/**
 * How a write is read. zeroMissing (strict PUT): a protobuf request cannot tell a field left out
 * from its zero value, so status and approverRequirement become "" where a create defaults them.
 */
interface ReadMode {
  profile: Profile;
  zeroMissing: boolean;
}

function emptyAsAbsent(value: string | undefined, mode: ReadMode): string | undefined {
  return mode.zeroMissing && value === '' ? undefined : value;
}

function readFlowBody(
  body: unknown,
  allowed: readonly string[],
  fixed: { category?: string; resourceType?: string },
  orgId: string,
  mode: ReadMode,
): { fields: FlowFields; reader: BodyReader } {
  const reader = new BodyReader(body, allowed);
  const name = reader.string('name', { required: true, minLength: 1, maxLength: 100 });
  const description = reader.string('description', { maxLength: 1024 }) ?? '';
  const category =
    fixed.category === undefined ? reader.string('category', { required: true, oneOf: categories }) : reader.string('category');
  if (fixed.category !== undefined && category !== undefined && category !== fixed.category) {
    reader.fail('category', `cannot change (it is "${fixed.category}"); delete and recreate the flow instead`);
  }
  const resourceType =
    fixed.resourceType === undefined
      ? reader.string('resourceType', { required: true, oneOf: grantResourceTypes })
      : reader.string('resourceType');
  if (fixed.resourceType !== undefined && resourceType !== undefined && resourceType !== fixed.resourceType) {
    reader.fail('resourceType', `cannot change (it is "${fixed.resourceType}"); delete and recreate the flow instead`);
  }
  const resourceId = reader.string('resourceId', { required: true, minLength: 1 });
  const approvalType = reader.string('approvalType', { required: true, oneOf: approvalTypes });
  const zero = mode.zeroMissing ? [''] : [];
  const approverRequirement =
    reader.string('approverRequirement', { oneOf: [...zero, ...approverRequirements] }) ?? (mode.zeroMissing ? '' : 'any');
  const approverResources = readApprovers(reader, approvalType);
  const visibleTo = reader.stringArray('visibleTo', { maxItems: 100, unique: true }) ?? [];
  const status = reader.string('status', { oneOf: [...zero, ...flowStatuses] }) ?? (mode.zeroMissing ? '' : 'active');
  const ttl = readTtl(reader);
  const nonAdminApproval = reader.boolean('nonAdminApproval') ?? false;
  // Under zeroMissing, "" is the same as leaving the field out: it clears the icon.
  const iconColor = emptyAsAbsent(
    reader.string('iconColor', {
      pattern: mode.zeroMissing ? /^(#[0-9A-Fa-f]{6})?$/ : /^#[0-9A-Fa-f]{6}$/,
      hint: 'must be a colour like #006CAC',
    }),
    mode,
  );
  const iconUrl = emptyAsAbsent(reader.string('iconUrl', { maxLength: 2048 }), mode);
  const slackEnabled = reader.boolean('slackEnabled') ?? false;
  const slackConfig: { slackResourceId: string }[] = [];
  (reader.array('slackConfig', { maxItems: 20 }) ?? []).forEach((item, index) => {
    const entry = new BodyReader(item, ['slackResourceId'], { prefix: `slackConfig[${index}]`, details: reader.details });
    const id = entry.string('slackResourceId', { required: true, minLength: 1 });
    if (id !== undefined) slackConfig.push({ slackResourceId: id });
  });
  checkOrganizationObjectId(reader, orgId, mode.profile);
  return {
    reader,
    fields: {
      name: name ?? '',
      description,
      category: fixed.category ?? category ?? '',
      approvalType: approvalType ?? '',
      approverRequirement,
      approverResources,
      resourceType: fixed.resourceType ?? resourceType ?? '',
      resourceId: resourceId ?? '',
      visibleTo,
      status,
      ...ttl,
      nonAdminApproval,
      ...(iconColor === undefined ? {} : { iconColor }),
      ...(iconUrl === undefined ? {} : { iconUrl }),
      slackEnabled,
      slackConfig,
    },
  };
}

/** Every group or user a flow names must exist in the org. */
function checkReferences(store: SandboxStore, orgId: string, fields: FlowFields, details: ErrorDetail[]): void {
  if (fields.resourceId !== '' && findGroup(store, orgId, fields.resourceId) === undefined) {
    details.push({ field: 'resourceId', message: `user group ${fields.resourceId} does not exist` });
  }
  fields.visibleTo.forEach((id, index) => {
    if (findGroup(store, orgId, id) === undefined)
      details.push({ field: `visibleTo[${index}]`, message: `user group ${id} does not exist` });
  });
  fields.approverResources.forEach((approver, index) => {
    if (approver.resourceType === 'user' && findUser(store, orgId, approver.resourceId) === undefined) {
      details.push({ field: `approverResources[${index}].resourceId`, message: `user ${approver.resourceId} does not exist` });
    }
    if (approver.resourceType === 'user_group' && findGroup(store, orgId, approver.resourceId) === undefined) {
      details.push({ field: `approverResources[${index}].resourceId`, message: `user group ${approver.resourceId} does not exist` });
    }
  });
}

function nameTaken(store: SandboxStore, orgId: string, name: string, exceptId?: string): boolean {
  const row = store.stmt('SELECT id FROM approval_flows WHERE org_id = ? AND name = ?').get(orgId, name) as { id: string } | undefined;
  return row !== undefined && row.id !== exceptId;
}

function findFlow(store: SandboxStore, orgId: string, id: string): StoredFlow | undefined {
  const row = store.stmt('SELECT doc FROM approval_flows WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<StoredFlow>(row.doc);
}

function requireFlow(store: SandboxStore, orgId: string, id: string): StoredFlow {
  const flow = findFlow(store, orgId, id);
  if (flow === undefined) throw notFound(`approval flow ${id}`);
  return flow;
}

function lookups(store: SandboxStore, orgId: string): NameLookup {
  const groups = groupNames(store, orgId);
  return {
    group: (id) => groups.get(id) ?? '',
    user: (id) => findUser(store, orgId, id)?.displayname ?? '',
  };
}

export function flowView(flow: StoredFlow, names: NameLookup): FlowView {
  return {
    id: flow.id,
    name: flow.name,
    description: flow.description,
    category: flow.category,
    approvalType: flow.approvalType,
    approverRequirement: flow.approverRequirement,
    approverResources: flow.approverResources.map((approver) => ({
      resourceId: approver.resourceId,
      resourceName: approverName(approver, names),
      resourceOrder: approver.resourceOrder,
      resourceType: approver.resourceType,
      requireAll: approver.requireAll,
    })),
    resources: [{ resourceId: flow.resourceId, resourceName: names.group(flow.resourceId), resourceType: flow.resourceType }],
    visibleTo: flow.visibleTo.map((id) => ({ id, name: names.group(id) })),
    status: flow.status,
    timeBasedAccess: flow.timeBasedAccess,
    ttlConfig: flow.ttlConfig,
    ...(flow.fixedDuration === undefined ? {} : { fixedDuration: flow.fixedDuration }),
    ...(flow.multiSelectDuration === undefined ? {} : { multiSelectDuration: flow.multiSelectDuration }),
    nonAdminApproval: flow.nonAdminApproval,
    ...(flow.iconColor === undefined ? {} : { iconColor: flow.iconColor }),
    ...(flow.iconUrl === undefined ? {} : { iconUrl: flow.iconUrl }),
    slackEnabled: flow.slackEnabled,
    slackConfig: flow.slackConfig,
    organizationId: flow.organizationId,
    createdBy: flow.createdBy,
    updatedBy: flow.updatedBy,
  };
}

export function listFlows(
  store: SandboxStore,
  orgId: string,
  params: URLSearchParams,
): { results: Partial<FlowView>[]; totalCount: number } {
  const query = parseListQuery(params, flowFields);
  const page = selectPage(store, 'approval_flows', { sql: 'org_id = ?', params: [orgId] }, query, flowFields);
  const names = lookups(store, orgId);
  return {
    results: page.rows.map((row) => project(flowView(parseDoc<StoredFlow>(row.doc), names), query.fields)),
    totalCount: page.totalCount,
  };
}

export function getFlow(store: SandboxStore, orgId: string, id: string): FlowView {
  return flowView(requireFlow(store, orgId, id), lookups(store, orgId));
}

function flowResource(flow: StoredFlow): { id: string; type: string; name: string } {
  return { id: flow.id, type: 'approval_flow', name: flow.name };
}

export function createFlow(store: SandboxStore, actor: Actor, body: unknown, profile: Profile = 'default'): { id: string } {
  const { fields, reader } = readFlowBody(body, createFields, {}, actor.orgId, { profile, zeroMissing: false });
  return store.transaction(() => {
    checkReferences(store, actor.orgId, fields, reader.details);
    reader.finish('invalid approval flow');
    if (nameTaken(store, actor.orgId, fields.name)) throw conflict(`an approval flow named "${fields.name}" already exists`);
    const flow: StoredFlow = { id: store.newId(), ...fields, organizationId: actor.orgId, createdBy: actor.email, updatedBy: actor.email };
    store
      .stmt('INSERT INTO approval_flows (id, org_id, name, doc) VALUES (?, ?, ?, ?)')
      .run(flow.id, actor.orgId, flow.name, JSON.stringify(flow));
    recordEvent(store, actor, { eventType: 'access_management_approval_flow_create', resource: flowResource(flow) });
    return { id: flow.id };
  });
}

export function replaceFlow(store: SandboxStore, actor: Actor, id: string, body: unknown, profile: Profile = 'default'): JsonObject {
  return store.transaction(() => {
    const before = requireFlow(store, actor.orgId, id);
    // The published PUT has no category or resourceType (the server refuses them under strict);
    // the default profile accepts them when they do not change.
    const { fields, reader } = readFlowBody(
      body,
      createFields,
      { category: before.category, resourceType: before.resourceType },
      actor.orgId,
      { profile, zeroMissing: profile === 'strict' },
    );
    checkReferences(store, actor.orgId, fields, reader.details);
    reader.finish('invalid approval flow');
    if (nameTaken(store, actor.orgId, fields.name, id)) throw conflict(`an approval flow named "${fields.name}" already exists`);
    const after: StoredFlow = { id, ...fields, organizationId: actor.orgId, createdBy: before.createdBy, updatedBy: actor.email };
    const changes = diffFields(before as unknown as JsonObject, after as unknown as JsonObject, ['updatedBy']);
    store.stmt('UPDATE approval_flows SET name = ?, doc = ? WHERE id = ?').run(after.name, JSON.stringify(after), id);
    recordEvent(store, actor, { eventType: 'access_management_approval_flow_update', resource: flowResource(after), changes });
    return {};
  });
}

export function deleteFlow(store: SandboxStore, actor: Actor, id: string): JsonObject {
  return store.transaction(() => {
    const flow = requireFlow(store, actor.orgId, id);
    store.stmt('DELETE FROM approval_flows WHERE id = ?').run(id);
    recordEvent(store, actor, { eventType: 'access_management_approval_flow_delete', resource: flowResource(flow) });
    return {};
  });
}
