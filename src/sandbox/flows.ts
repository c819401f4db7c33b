// Approval flows (/api/v2/approvalflows): validation of the write shape, storage, the read shape
// with resolved names, and an access_management_approval_flow_* event for every change. A PUT
// replaces the flow; under strict a field it leaves out takes its zero value, not a default.
// Effects on other aggregates (cancelling a deleted flow's requests) are the route's to make.
import { notFound, type ErrorDetail } from './api-error.js';
import {
  type approvalTypes,
  approverName,
  type approverRequirements,
  type categories,
  type flowStatuses,
  type grantResourceTypes,
  type ttlConfigs,
  type NameLookup,
  type StoredApprover,
  type StoredFlow,
} from './flow-model.js';
import { diffFields, recordEvent } from './insights.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { Problems, type JsonObject } from './request-body.js';
import { assertNameFree } from './name-index.js';
import { nameKey } from './names.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';
import { findGroup, groupNames } from './user-groups.js';
import { findUser } from './users.js';

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

/** An approver entry as the ApproverWrite schema accepted it. */
export interface ApproverWrite {
  resourceType: StoredApprover['resourceType'];
  resourceId?: string;
  resourceOrder?: number;
  requireAll?: boolean;
  resourceName?: string;
}

/** A flow body as the ApprovalFlowWrite (PUT) or ApprovalFlowCreate (POST) schema accepted it. */
export interface FlowWrite {
  name: string;
  description?: string;
  category?: (typeof categories)[number];
  resourceType?: (typeof grantResourceTypes)[number];
  resourceId: string;
  visibleTo?: string[];
  approvalType: (typeof approvalTypes)[number];
  approverRequirement?: (typeof approverRequirements)[number];
  approverResources?: ApproverWrite[];
  status?: (typeof flowStatuses)[number];
  timeBasedAccess?: boolean;
  ttlConfig?: (typeof ttlConfigs)[number];
  fixedDuration?: string;
  multiSelectDuration?: string[];
  nonAdminApproval?: boolean;
  iconColor?: string;
  iconUrl?: string;
  slackEnabled?: boolean;
  slackConfig?: { slackResourceId: string }[];
  organizationObjectId?: string;
}

type FlowFields = Omit<StoredFlow, 'id' | 'organizationId' | 'createdBy' | 'updatedBy'>;

/** Approvers that fit their type and the flow's approval type, each once per level. */
function readApprovers(problems: Problems, approvalType: string, raw: readonly ApproverWrite[]): StoredApprover[] {
  const approvers = raw.map((entry, index): StoredApprover => {
    const at = problems.at(`approverResources[${index}]`);
    const id = entry.resourceId ?? '';
    if (entry.resourceType === 'user' || entry.resourceType === 'user_group') {
      if (id === '') at.fail('resourceId', `is required for a ${entry.resourceType} approver`);
    } else if (id !== '') {
      at.fail('resourceId', `must be empty for a ${entry.resourceType} approver`);
    }
    return { resourceType: entry.resourceType, resourceId: id, resourceOrder: entry.resourceOrder ?? 0, requireAll: entry.requireAll ?? false };
  });
  const seen = new Set<string>();
  approvers.forEach((approver, index) => {
    const key = `${approver.resourceOrder}/${approver.resourceType}/${approver.resourceId}`;
    if (seen.has(key)) problems.fail(`approverResources[${index}]`, 'repeats an approver of the same level');
    seen.add(key);
  });
  if (approvalType === 'manual' && raw.length === 0) problems.fail('approverResources', 'a manual flow needs at least one approver');
  if (approvalType === 'automated' && raw.length > 0) problems.fail('approverResources', 'an automated flow takes no approvers');
  return approvers;
}

/** timeBasedAccess, ttlConfig and the durations must agree. */
function readTtl(problems: Problems, body: FlowWrite): Pick<FlowFields, 'timeBasedAccess' | 'ttlConfig' | 'fixedDuration' | 'multiSelectDuration'> {
  const timeBased = body.timeBasedAccess ?? false;
  const ttlConfig = body.ttlConfig ?? 'TTL_CONFIG_UNSPECIFIED';
  const fixed = body.fixedDuration ?? '';
  const multi = body.multiSelectDuration ?? [];
  const hasFixed = fixed !== '';
  const hasMulti = multi.length > 0;
  if (!timeBased) {
    if (ttlConfig !== 'TTL_CONFIG_UNSPECIFIED') problems.fail('ttlConfig', 'must be TTL_CONFIG_UNSPECIFIED when timeBasedAccess is false');
    if (hasFixed) problems.fail('fixedDuration', 'is only allowed when timeBasedAccess is true');
    if (hasMulti) problems.fail('multiSelectDuration', 'is only allowed when timeBasedAccess is true');
    return { timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_UNSPECIFIED' };
  }
  if (ttlConfig === 'TTL_CONFIG_UNSPECIFIED') {
    problems.fail('ttlConfig', 'must be TTL_CONFIG_FIXED_DURATION or TTL_CONFIG_MULTI_SELECT_DURATIONS when timeBasedAccess is true');
  }
  if (ttlConfig === 'TTL_CONFIG_FIXED_DURATION') {
    if (!hasFixed) problems.fail('fixedDuration', 'is required for TTL_CONFIG_FIXED_DURATION');
    if (hasMulti) problems.fail('multiSelectDuration', 'is only allowed with TTL_CONFIG_MULTI_SELECT_DURATIONS');
    return { timeBasedAccess: true, ttlConfig, ...(hasFixed ? { fixedDuration: fixed } : {}) };
  }
  if (ttlConfig === 'TTL_CONFIG_MULTI_SELECT_DURATIONS') {
    if (!hasMulti) problems.fail('multiSelectDuration', 'is required for TTL_CONFIG_MULTI_SELECT_DURATIONS');
    if (hasFixed) problems.fail('fixedDuration', 'is only allowed with TTL_CONFIG_FIXED_DURATION');
    return { timeBasedAccess: true, ttlConfig, ...(hasMulti ? { multiSelectDuration: multi } : {}) };
  }
  return { timeBasedAccess: true, ttlConfig };
}

/**
 * How a write is read. zeroMissing (strict PUT): a protobuf request cannot tell a field left out
 * from its zero value (the server has already dropped zero values), so status and
 * approverRequirement become "" where a create defaults them.
 */
interface ReadMode {
  profile: Profile;
  zeroMissing: boolean;
}

/** The stored fields of a flow write, with every semantic problem collected in `problems`. */
function readFlowBody(
  body: FlowWrite,
  fixed: { category?: string; resourceType?: string },
  orgId: string,
  mode: ReadMode,
): { fields: FlowFields; problems: Problems } {
  const problems = new Problems();
  if (fixed.category !== undefined && body.category !== undefined && body.category !== fixed.category) {
    problems.fail('category', `cannot change (it is "${fixed.category}"); delete and recreate the flow instead`);
  }
  if (fixed.resourceType !== undefined && body.resourceType !== undefined && body.resourceType !== fixed.resourceType) {
    problems.fail('resourceType', `cannot change (it is "${fixed.resourceType}"); delete and recreate the flow instead`);
  }
  const approverResources = readApprovers(problems, body.approvalType, body.approverResources ?? []);
  const ttl = readTtl(problems, body);
  checkOrganizationObjectId(problems, body.organizationObjectId, orgId, mode.profile);
  return {
    problems,
    fields: {
      name: body.name,
      description: body.description ?? '',
      category: fixed.category ?? body.category ?? '',
      approvalType: body.approvalType,
      approverRequirement: body.approverRequirement ?? (mode.zeroMissing ? '' : 'any'),
      approverResources,
      resourceType: fixed.resourceType ?? body.resourceType ?? '',
      resourceId: body.resourceId,
      visibleTo: body.visibleTo ?? [],
      status: body.status ?? (mode.zeroMissing ? '' : 'active'),
      ...ttl,
      nonAdminApproval: body.nonAdminApproval ?? false,
      ...(body.iconColor === undefined ? {} : { iconColor: body.iconColor }),
      ...(body.iconUrl === undefined ? {} : { iconUrl: body.iconUrl }),
      slackEnabled: body.slackEnabled ?? false,
      slackConfig: (body.slackConfig ?? []).map((entry) => ({ slackResourceId: entry.slackResourceId })),
    },
  };
}

/** Every group or user a flow names must exist in the org. */
function checkReferences(store: SandboxStore, orgId: string, fields: FlowFields, details: ErrorDetail[]): void {
  if (fields.resourceId !== '' && findGroup(store, orgId, fields.resourceId) === undefined) {
    details.push({ field: 'resourceId', message: `user group ${fields.resourceId} does not exist` });
  }
  fields.visibleTo.forEach((id, index) => {
    if (findGroup(store, orgId, id) === undefined) details.push({ field: `visibleTo[${index}]`, message: `user group ${id} does not exist` });
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

/**
 * A page of flows as the list answers it. Kept (frozen) until the database changes: a paging
 * client, and a reconciler every cycle, reads the same pages again, and each costs its rows and
 * every group's name. The key is all the page depends on besides the database: org and query.
 */
/**
 * What the strict profile's list leaves out of each flow that a single read answers: who made and
 * last changed it, and its org. JumpCloud publishes one AccessWorkflow for both, every field
 * optional, so a client must not expect a list item and a read of one flow to carry the same fields.
 */
const readOnlyInLists = ['createdBy', 'updatedBy', 'organizationId'] as const;

function listItem(view: FlowView, profile: Profile): Partial<FlowView> {
  if (profile !== 'strict') return view;
  const item: Partial<FlowView> = { ...view };
  for (const field of readOnlyInLists) delete item[field];
  return item;
}

export function listFlows(
  store: SandboxStore,
  orgId: string,
  params: URLSearchParams,
  profile: Profile = 'default',
): { results: Partial<FlowView>[]; totalCount: number } {
  const query = parseListQuery(params, flowFields);
  return store.kept(`approval_flows page\u0000${orgId}\u0000${profile}\u0000${JSON.stringify(query)}`, () => {
    const page = selectPage(store, 'approval_flows', { sql: 'org_id = ?', params: [orgId] }, query, flowFields);
    const names = lookups(store, orgId);
    return {
      results: page.rows.map((row) =>
        project(listItem(flowView(store.parsedDoc<StoredFlow>('approval_flows', row.id, row.doc), names), profile), query.fields),
      ),
      totalCount: page.totalCount,
    };
  });
}

export function getFlow(store: SandboxStore, orgId: string, id: string): FlowView {
  return flowView(requireFlow(store, orgId, id), lookups(store, orgId));
}

function flowResource(flow: StoredFlow): { id: string; type: string; name: string } {
  return { id: flow.id, type: 'approval_flow', name: flow.name };
}

/** POST /api/v2/approvalflows, with a body the ApprovalFlowCreate schema accepted. */
export function createFlow(store: SandboxStore, actor: Actor, body: FlowWrite, profile: Profile = 'default'): { id: string } {
  const { fields, problems } = readFlowBody(body, {}, actor.orgId, { profile, zeroMissing: false });
  return store.transaction(() => {
    checkReferences(store, actor.orgId, fields, problems.details);
    problems.finish('invalid approval flow');
    assertNameFree(store, 'approval_flows', 'an approval flow', actor.orgId, fields.name);
    const flow: StoredFlow = { id: store.newId(), ...fields, organizationId: actor.orgId, createdBy: actor.email, updatedBy: actor.email };
    store
      .stmt('INSERT INTO approval_flows (id, org_id, name, name_key, doc) VALUES (?, ?, ?, ?, ?)')
      .run(flow.id, actor.orgId, flow.name, nameKey(flow.name), JSON.stringify(flow));
    recordEvent(store, actor, { eventType: 'access_management_approval_flow_create', resource: flowResource(flow) });
    return { id: flow.id };
  });
}

/** PUT /api/v2/approvalflows/{id}, with a body the ApprovalFlowWrite schema accepted. */
export function replaceFlow(store: SandboxStore, actor: Actor, id: string, body: FlowWrite, profile: Profile = 'default'): JsonObject {
  return store.transaction(() => {
    const before = requireFlow(store, actor.orgId, id);
    // The published PUT has no category or resourceType (the server refuses them under strict);
    // the default profile accepts them when they do not change.
    const { fields, problems } = readFlowBody(body, { category: before.category, resourceType: before.resourceType }, actor.orgId, {
      profile,
      zeroMissing: profile === 'strict',
    });
    checkReferences(store, actor.orgId, fields, problems.details);
    problems.finish('invalid approval flow');
    assertNameFree(store, 'approval_flows', 'an approval flow', actor.orgId, fields.name, id);
    const after: StoredFlow = { id, ...fields, organizationId: actor.orgId, createdBy: before.createdBy, updatedBy: actor.email };
    const changes = diffFields(before as unknown as JsonObject, after as unknown as JsonObject, ['updatedBy']);
    store.stmt('UPDATE approval_flows SET name = ?, name_key = ?, doc = ? WHERE id = ?').run(after.name, nameKey(after.name), JSON.stringify(after), id);
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
