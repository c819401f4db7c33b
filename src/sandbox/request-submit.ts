// Submitting an access request (POST /api/v2/approvalflowrequest, a sandbox extension): every
// refusal of a submission, the flow snapshot, and the first step of the lifecycle. A user may ask
// again for a flow whose access they hold (to extend it); not while a request for it is undecided.
import { ApiError, conflict, notFound } from './api-error.js';
import { offeredDurations } from './durations.js';
import type { StoredFlow } from './flow-model.js';
import { approveRequest, systemActor } from './grants.js';
import { groupIdsOf } from './group-members.js';
import { checkOrganizationObjectId, type Profile } from './profile.js';
import { startLevel } from './request-levels.js';
import { mailReceived } from './request-mail.js';
import { pendingLifetimeMs, type StoredRequest } from './request-model.js';
import { Problems } from './request-body.js';
import { recordCreated } from './request-status.js';
import { setTimer } from './scheduler.js';
import { getSettings } from './settings.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';
import { findGroup } from './user-groups.js';
import { findUser, type SystemUser } from './users.js';
import type { TestHooks } from './faults.js';

function findFlowRow(store: SandboxStore, orgId: string, id: string): StoredFlow | undefined {
  const row = store.stmt('SELECT doc FROM approval_flows WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<StoredFlow>(row.doc);
}

/** The duration a request asks for, or a 400 naming what the flow allows. */
function checkDuration(flow: StoredFlow, requested: string | undefined, reader: Problems): string {
  const given = requested ?? '';
  if (!flow.timeBasedAccess) {
    if (given !== '') reader.fail('requestedDuration', `approval flow "${flow.name}" grants permanent access; send no requestedDuration`);
    return '';
  }
  if (flow.ttlConfig === 'TTL_CONFIG_FIXED_DURATION') {
    const fixed = flow.fixedDuration ?? '';
    if (given !== '' && given !== fixed) reader.fail('requestedDuration', `approval flow "${flow.name}" grants a fixed ${fixed}; send ${fixed} or nothing`);
    return fixed;
  }
  const choices = offeredDurations(flow);
  if (given === '') reader.fail('requestedDuration', `is required: approval flow "${flow.name}" offers ${choices.join(', ')}`);
  else if (!choices.includes(given)) reader.fail('requestedDuration', `must be one of ${choices.join(', ')} (got "${given}")`);
  return given;
}

function requesterOf(store: SandboxStore, actor: Actor): SystemUser {
  if (actor.type !== 'user') {
    throw new ApiError(403, 'submitting a request needs a user: use a per-user key, or an administrator key with x-sandbox-act-as');
  }
  const user = findUser(store, actor.orgId, actor.id);
  if (user === undefined) throw new ApiError(403, 'the key belongs to a user who no longer exists');
  return user;
}

/**
 * POST /api/v2/approvalflowrequest {approvalFlowId, remarks, requestedDuration}: an end user asks
 * for access. An automated flow is decided at once.
 */
/** The body a submission takes, as the AccessRequestSubmit schema accepted it. */
export interface AccessRequestSubmit {
  approvalFlowId: string;
  remarks: string;
  requestedDuration?: string;
  organizationObjectId?: string;
}

export function submitRequest(store: SandboxStore, actor: Actor, body: AccessRequestSubmit, profile: Profile, hooks: TestHooks | undefined): StoredRequest {
  const user = requesterOf(store, actor);
  const reader = new Problems();
  const { approvalFlowId: flowId, remarks, requestedDuration: requested } = body;
  if (remarks.trim() === '') reader.fail('remarks', 'must not be empty: say why you need the access');
  checkOrganizationObjectId(reader, body.organizationObjectId, actor.orgId, profile);
  return store.transaction(() => {
    if (!getSettings(store, actor.orgId).resourceRequest) {
      throw new ApiError(403, "access requests are turned off for this organization (the settings' resourceRequest is false)");
    }
    const flow = findFlowRow(store, actor.orgId, flowId);
    if (flow === undefined) throw notFound(`approval flow ${flowId}`);
    if (flow.status !== 'active') throw new ApiError(403, `approval flow "${flow.name}" is disabled`);
    const groups = groupIdsOf(store, user._id);
    if (!flow.visibleTo.some((id) => groups.has(id))) {
      throw new ApiError(403, `approval flow "${flow.name}" is not visible to any group of ${user.username}`);
    }
    const duration = checkDuration(flow, requested === '' ? undefined : requested, reader);
    reader.finish('invalid access request');
    const open = store
      .stmt(`SELECT id FROM access_requests WHERE org_id = ? AND flow_id = ? AND requester_id = ? AND status IN ('pending', 'missing_data')`)
      .get(actor.orgId, flow.id, user._id) as { id: string } | undefined;
    if (open !== undefined) throw conflict(`${user.username} already has a pending request ${open.id} for "${flow.name}"`);

    const manager = user.manager === undefined ? undefined : findUser(store, actor.orgId, user.manager);
    const now = store.clock.nowIso();
    const request: StoredRequest = {
      id: store.newId(),
      organization: actor.orgId,
      approvalFlowId: flow.id,
      approvalType: flow.approvalType,
      status: 'pending',
      flow,
      groupName: findGroup(store, actor.orgId, flow.resourceId)?.name ?? '',
      requester: {
        id: user._id,
        username: user.username,
        email: user.email,
        ...(user.department === undefined ? {} : { department: user.department }),
        ...(manager === undefined ? {} : { managerId: manager._id, managerName: manager.username }),
      },
      remarks,
      requestedDuration: duration,
      level: 0,
      levelApprovers: [],
      approvals: [],
      queue: 'administrator',
      createdAt: now,
      updatedAt: now,
      updatedBy: user.email,
    };
    recordCreated(store, actor, request);
    mailReceived(store, request);
    if (flow.approvalType === 'automated') {
      // The flow approves on its own: the decision is the sandbox's, not the requester's.
      approveRequest(store, systemActor(actor.orgId), request, hooks, [{ field: 'approval', from: null, to: 'automatic' }]);
      return request;
    }
    setTimer(store, 'expire', actor.orgId, request.id, store.clock.nowMs() + pendingLifetimeMs);
    startLevel(store, actor, request);
    return request;
  });
}
