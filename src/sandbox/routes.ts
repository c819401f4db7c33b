// The table of every route the sandbox serves: method, path (OpenAPI style), who may call it,
// whether JumpCloud publishes it (and its body), and the module function that answers. The server
// wraps each with auth, hooks, the profile's rules and error handling.
import { getApplication, listApplications } from './applications.js';
import { adminDecide, approverDecide, type AdminDecision, type ApproverDecision } from './approvals.js';
import {
  changeApplicationAssociation,
  changeGroupAssociation,
  listApplicationAssociations,
  listGroupApplications,
  listGroupAssociations,
} from './associations.js';
import { createChannel, deleteChannel, getChannel, listChannels, replaceChannel, type ChannelWrite } from './channels.js';
import { createFlow, deleteFlow, getFlow, listFlows, replaceFlow, type FlowWrite } from './flows.js';
import type { DeliveryWorker } from './delivery.js';
import { cancelRequestsOfFlow } from './grants.js';
import { changeMember, listMembers } from './group-members.js';
import type { GraphOperation } from './graph.js';
import { queryEvents, type EventQuery } from './insights.js';
import { listMail } from './mail.js';
import { openApiDocument } from './openapi.js';
import { resumeMissingData } from './request-levels.js';
import { submitRequest, type AccessRequestSubmit } from './request-submit.js';
import { detailView, listRequests, requestProgress, visibleRequest } from './request-views.js';
import { getSettings, updateSettings, type SettingsUpdate } from './settings.js';
import type { SandboxClock } from './clock.js';
import type { FaultConfigWrite, RateLimitConfig, TestHooks } from './faults.js';
import { notFound } from './api-error.js';
import type { BodyShape, Profile } from './profile.js';
import { publishedBodies } from './published-bodies.js';
import { Problems } from './request-body.js';
import type { BodySchemaName } from './openapi.js';
import type { Actor, SandboxStore } from './store.js';
import { createGroup, deleteGroup, getGroup, listGroups, replaceGroup, type UserGroupWrite } from './user-groups.js';
import { getUser, listUsers, updateUser, type SystemUserUpdate } from './users.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  store: SandboxStore;
  clock: SandboxClock;
  hooks: TestHooks | undefined;
  /** The webhook delivery worker (absent in an app built without one). */
  deliveries: DeliveryWorker | undefined;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body of a POST or PUT. */
  body: unknown;
  /** The acting principal in its org; set on org and user routes (a user when acting as one). */
  actor: Actor;
  /** Whether the sandbox's operator key made the request: on org-hook routes it sees every org. */
  operator: boolean;
  /** How strictly the sandbox reads JumpCloud's published API. */
  profile: Profile;
}

export interface RouteDef {
  method: Method;
  /** OpenAPI-style path, e.g. /api/v2/approvalflows/{approvalFlowId}. */
  path: string;
  /**
   * org: an admin key acting in one org (x-org-id rules apply); user: the same, or a per-user key,
   * or an admin key acting for a user with x-sandbox-act-as; operator: the sandbox's operator key
   * only (the global test hooks: clock, faults, rate limit, request counts), no x-org-id;
   * org-hook: a test hook that reads one org's data (mail, deliveries), for an admin key of that
   * org (x-org-id rules apply) or the operator key (every org); public: no key. operator and
   * org-hook routes are served only with --enable-test-hooks.
   */
  access: 'org' | 'user' | 'operator' | 'org-hook' | 'public';
  /** Whether the route reads a JSON request body. */
  body: boolean;
  /** The schema of the sandbox's own description that a body must match (checked before handle). */
  bodySchema?: BodySchemaName;
  /**
   * published: JumpCloud publishes the operation (the v1/v2 contract files, or Directory Insights'
   * own description); extension: the sandbox's own (not served by --profile strict); hook and
   * meta: test hooks and /openapi.json, served by every profile.
   */
  origin: 'published' | 'extension' | 'hook' | 'meta';
  /** Served by a protobuf ("ingresso") service: strict answers as protojson (zero values left out, byte ids in base64). */
  protobuf: boolean;
  /** The published request body's shape; strict refuses a field it does not define. */
  requestBody?: BodyShape;
  handle: (ctx: RouteContext) => Reply;
}

/**
 * What JumpCloud publishes of a route (nothing for a sandbox extension, or the operation and its
 * body's shape), and the schema of the sandbox's description its body is checked against.
 */
type Api = Pick<RouteDef, 'origin' | 'protobuf' | 'requestBody' | 'bodySchema'>;

const schemaOf = (bodySchema: BodySchemaName | undefined): Pick<RouteDef, 'bodySchema'> => (bodySchema === undefined ? {} : { bodySchema });
const extension = (bodySchema?: BodySchemaName): Api => ({ origin: 'extension', protobuf: false, ...schemaOf(bodySchema) });
/** A published JSON operation (v1, v2 directory, Directory Insights). */
const published = (requestBody?: BodyShape, bodySchema?: BodySchemaName): Api => ({
  origin: 'published',
  protobuf: false,
  ...(requestBody ? { requestBody } : {}),
  ...schemaOf(bodySchema),
});
/** A published operation of the protobuf Access Requests service (jumpcloud.ingresso). */
const ingresso = (requestBody?: BodyShape, bodySchema?: BodySchemaName): Api => ({
  origin: 'published',
  protobuf: true,
  ...(requestBody ? { requestBody } : {}),
  ...schemaOf(bodySchema),
});

const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };

/** The org an org-hook route reads: the admin key's, or every org (undefined) for the operator key. */
function orgScope(ctx: RouteContext): string | undefined {
  return ctx.operator ? undefined : ctx.actor.orgId;
}

function param(ctx: RouteContext, name: string): string {
  return ctx.params[name] ?? '';
}

function org(method: Method, path: string, api: Api, handle: (ctx: RouteContext) => Reply): RouteDef {
  return { method, path, access: 'org', body: method === 'POST' || method === 'PUT', ...api, handle };
}

function user(method: Method, path: string, api: Api, handle: (ctx: RouteContext) => Reply): RouteDef {
  return { method, path, access: 'user', body: method === 'POST' || method === 'PUT', ...api, handle };
}

function hook(
  method: Method,
  path: string,
  handle: (ctx: RouteContext, hooks: TestHooks) => Reply,
  bodySchema?: BodySchemaName,
  access: 'operator' | 'org-hook' = 'operator',
): RouteDef {
  return {
    method,
    path,
    access,
    body: method === 'POST' || method === 'PUT',
    origin: 'hook',
    protobuf: false,
    ...schemaOf(bodySchema),
    handle: (ctx) => {
      if (ctx.hooks === undefined) throw new Error('test hook route reached without hooks');
      return handle(ctx, ctx.hooks);
    },
  };
}

/** POST /sandbox/v1/clock, with a body the ClockChange schema accepted. */
function clockBody(ctx: RouteContext): Reply {
  const { advanceMs: advance, set, frozen } = ctx.body as { advanceMs?: number; set?: string; frozen?: boolean };
  const problems = new Problems();
  const setMs = set === undefined ? undefined : Date.parse(set);
  if (setMs !== undefined && Number.isNaN(setMs)) problems.fail('set', 'must be an ISO 8601 timestamp');
  if (advance !== undefined && set !== undefined) problems.fail('set', 'give advanceMs or set, not both');
  // Ten years at a time still adds up: past the last instant a timestamp holds, every write would fail.
  if (advance !== undefined && Number.isNaN(new Date(ctx.clock.nowMs() + advance).getTime())) {
    problems.fail('advanceMs', 'would move the clock past the last instant a timestamp can hold (+275760-09-13)');
  }
  problems.finish('invalid clock change');
  if (frozen === true) ctx.clock.freeze();
  if (frozen === false) ctx.clock.unfreeze();
  if (setMs !== undefined) ctx.clock.set(setMs);
  if (advance !== undefined) ctx.clock.advance(advance);
  return ok(ctx.clock.state());
}

let description: unknown;
/** The OpenAPI description, built once, with the routes this table marks as extensions. */
function describeApi(): unknown {
  description ??= openApiDocument(routes.filter((route) => route.origin === 'extension'));
  return description;
}

export const routes: readonly RouteDef[] = [
  // v1 directory
  org('GET', '/api/systemusers', published(), (c) => ok(listUsers(c.store, c.actor.orgId, c.query))),
  org('GET', '/api/systemusers/{id}', published(), (c) => ok(getUser(c.store, c.actor.orgId, param(c, 'id'), c.query))),
  org('PUT', '/api/systemusers/{id}', published(publishedBodies.systemUserSet, 'SystemUserUpdate'), (c) =>
    // One transaction: the user changes, and Missing Data requests the change completes resume.
    ok(
      c.store.transaction(() => {
        const user = updateUser(c.store, c.actor, param(c, 'id'), c.body as SystemUserUpdate);
        resumeMissingData(c.store, c.actor, c.actor.orgId);
        return user;
      }),
    ),
  ),
  org('GET', '/api/applications', published(), (c) => ok(listApplications(c.store, c.actor.orgId, c.query))),
  org('GET', '/api/applications/{id}', published(), (c) => ok(getApplication(c.store, c.actor.orgId, param(c, 'id')))),
  // v2 user groups and the graph
  org('GET', '/api/v2/usergroups', published(), (c) => ok(listGroups(c.store, c.actor.orgId, c.query))),
  org('POST', '/api/v2/usergroups', published(publishedBodies.userGroupCreate, 'UserGroupWrite'), (c) => ({
    status: 201,
    body: createGroup(c.store, c.actor, c.body as UserGroupWrite),
  })),
  org('GET', '/api/v2/usergroups/{id}', published(), (c) => ok(getGroup(c.store, c.actor.orgId, param(c, 'id')))),
  org('PUT', '/api/v2/usergroups/{id}', published(publishedBodies.userGroupSet, 'UserGroupWrite'), (c) =>
    ok(replaceGroup(c.store, c.actor, param(c, 'id'), c.body as UserGroupWrite, c.profile)),
  ),
  org('DELETE', '/api/v2/usergroups/{id}', published(), (c) => ok(deleteGroup(c.store, c.actor, param(c, 'id')))),
  org('GET', '/api/v2/usergroups/{group_id}/members', published(), (c) => ok(listMembers(c.store, c.actor.orgId, param(c, 'group_id'), c.query))),
  org('POST', '/api/v2/usergroups/{group_id}/members', published(publishedBodies.graphOperation, 'MemberOperation'), (c) => {
    // One transaction: a new member may be the approver a Missing Data request lacked.
    c.store.transaction(() => {
      changeMember(c.store, c.actor, param(c, 'group_id'), c.body as GraphOperation);
      resumeMissingData(c.store, c.actor, c.actor.orgId);
    });
    return noContent;
  }),
  org('GET', '/api/v2/usergroups/{group_id}/associations', published(), (c) =>
    ok(listGroupAssociations(c.store, c.actor.orgId, param(c, 'group_id'), c.query)),
  ),
  org('POST', '/api/v2/usergroups/{group_id}/associations', published(publishedBodies.graphOperation, 'GroupAssociationOperation'), (c) => {
    changeGroupAssociation(c.store, c.actor, param(c, 'group_id'), c.body as GraphOperation);
    return noContent;
  }),
  org('GET', '/api/v2/usergroups/{group_id}/applications', published(), (c) =>
    ok(listGroupApplications(c.store, c.actor.orgId, param(c, 'group_id'), c.query)),
  ),
  org('GET', '/api/v2/applications/{application_id}/associations', published(), (c) =>
    ok(listApplicationAssociations(c.store, c.actor.orgId, param(c, 'application_id'), c.query)),
  ),
  org('POST', '/api/v2/applications/{application_id}/associations', published(publishedBodies.graphOperation, 'ApplicationAssociationOperation'), (c) => {
    changeApplicationAssociation(c.store, c.actor, param(c, 'application_id'), c.body as GraphOperation);
    return noContent;
  }),
  // approval flows and settings
  org('GET', '/api/v2/approvalflows', ingresso(), (c) => ok(listFlows(c.store, c.actor.orgId, c.query, c.profile))),
  org('POST', '/api/v2/approvalflows', ingresso(publishedBodies.approvalFlowCreate, 'ApprovalFlowCreate'), (c) =>
    ok(createFlow(c.store, c.actor, c.body as FlowWrite, c.profile)),
  ),
  org('GET', '/api/v2/approvalflows/{approvalFlowId}', ingresso(), (c) => ok(getFlow(c.store, c.actor.orgId, param(c, 'approvalFlowId')))),
  org('PUT', '/api/v2/approvalflows/{approvalFlowId}', ingresso(publishedBodies.approvalFlowSet, 'ApprovalFlowWrite'), (c) =>
    ok(replaceFlow(c.store, c.actor, param(c, 'approvalFlowId'), c.body as FlowWrite, c.profile)),
  ),
  org('DELETE', '/api/v2/approvalflows/{approvalFlowId}', ingresso(), (c) =>
    // One transaction: the flow goes, and its open requests are canceled (granted access stays).
    ok(
      c.store.transaction(() => {
        const deleted = deleteFlow(c.store, c.actor, param(c, 'approvalFlowId'));
        cancelRequestsOfFlow(c.store, c.actor, param(c, 'approvalFlowId'));
        return deleted;
      }),
    ),
  ),
  org('GET', '/api/v2/approvalflowsettings', ingresso(), (c) => ok(getSettings(c.store, c.actor.orgId))),
  org('PUT', '/api/v2/approvalflowsettings', ingresso(publishedBodies.approvalFlowSettingsSet, 'SettingsUpdate'), (c) =>
    ok(updateSettings(c.store, c.actor, c.body as SettingsUpdate, c.profile)),
  ),
  // access requests: end users submit and approve; admins keep the queue and decide
  user('POST', '/api/v2/approvalflowrequest', extension('AccessRequestSubmit'), (c) => ({
    status: 201,
    body: detailView(c.store, submitRequest(c.store, c.actor, c.body as AccessRequestSubmit, c.profile, c.hooks), c.profile),
  })),
  user('GET', '/api/v2/approvalflowrequest', ingresso(), (c) => ok(listRequests(c.store, c.actor, c.query, c.profile))),
  user('GET', '/api/v2/approvalflowrequest/{id}', ingresso(), (c) => ok(detailView(c.store, visibleRequest(c.store, c.actor, param(c, 'id')), c.profile))),
  org('PUT', '/api/v2/approvalflowrequest/{id}', ingresso(publishedBodies.accessRequestSet, 'AdminDecision'), (c) =>
    ok(adminDecide(c.store, c.actor, param(c, 'id'), c.body as AdminDecision, c.hooks, c.profile)),
  ),
  user('POST', '/api/v2/userapprovalrequest', ingresso(publishedBodies.accessRequestApprovalSet, 'ApproverDecision'), (c) =>
    ok(approverDecide(c.store, c.actor, c.body as ApproverDecision, c.hooks, c.profile)),
  ),
  user('GET', '/api/v2/approversprogress/{id}', ingresso(), (c) => ok(requestProgress(c.store, c.actor, param(c, 'id')))),
  // webhook channels: a shape the sandbox defines (JumpCloud publishes no channel API)
  org('GET', '/api/v2/notifications/webhook/channels', extension(), (c) => ok(listChannels(c.store, c.actor.orgId, c.query))),
  org('POST', '/api/v2/notifications/webhook/channels', extension('WebhookChannelWrite'), (c) => ({
    status: 201,
    body: createChannel(c.store, c.actor, c.body as ChannelWrite),
  })),
  org('GET', '/api/v2/notifications/webhook/channels/{id}', extension(), (c) => ok(getChannel(c.store, c.actor.orgId, param(c, 'id')))),
  org('PUT', '/api/v2/notifications/webhook/channels/{id}', extension('WebhookChannelWrite'), (c) =>
    ok(replaceChannel(c.store, c.actor, param(c, 'id'), c.body as ChannelWrite)),
  ),
  org('DELETE', '/api/v2/notifications/webhook/channels/{id}', extension(), (c) => ok(deleteChannel(c.store, c.actor, param(c, 'id')))),
  // Directory Insights (published apart from the v1/v2 descriptions)
  org('POST', '/insights/directory/v1/events', published(undefined, 'EventQuery'), (c) => {
    const result = queryEvents(c.store, c.actor.orgId, c.body as EventQuery);
    const headers: Record<string, string> = { 'X-Result-Count': String(result.events.length) };
    if (result.searchAfter !== undefined) headers['X-Search_after'] = JSON.stringify(result.searchAfter);
    return { status: 200, body: result.events, headers };
  }),
  {
    method: 'GET',
    path: '/openapi.json',
    access: 'public',
    body: false,
    origin: 'meta',
    protobuf: false,
    handle: () => ok(describeApi()),
  },
  // test hooks; these need the operator key
  hook('GET', '/sandbox/v1/clock', (c) => ok(c.clock.state())),
  hook('POST', '/sandbox/v1/clock', (c) => clockBody(c), 'ClockChange'),
  hook('GET', '/sandbox/v1/faults', (_c, h) => ok(h.faults())),
  hook('PUT', '/sandbox/v1/faults', (c, h) => ok(h.setFaults(c.body as FaultConfigWrite)), 'FaultConfig'),
  hook('GET', '/sandbox/v1/ratelimit', (_c, h) => ok({ rateLimit: h.rateLimit() })),
  hook(
    'PUT',
    '/sandbox/v1/ratelimit',
    (c, h) => ok({ rateLimit: h.setRateLimit((c.body as { rateLimit: RateLimitConfig | null }).rateLimit) }),
    'RateLimitState',
  ),
  // org hooks: an admin key sees its own org only; the operator key sees them all
  hook('GET', '/sandbox/v1/mail', (c) => ok(listMail(c.store, c.query, orgScope(c))), undefined, 'org-hook'),
  hook('GET', '/sandbox/v1/deliveries', (c) => ok(c.deliveries?.list(c.query, orgScope(c)) ?? { results: [], totalCount: 0 }), undefined, 'org-hook'),
  {
    method: 'POST',
    path: '/sandbox/v1/deliveries/{id}/replay',
    access: 'org-hook',
    body: false,
    origin: 'hook',
    protobuf: false,
    handle: (c) => {
      const record = c.deliveries?.replay(param(c, 'id'), orgScope(c));
      if (record === undefined) throw notFound(`webhook delivery ${param(c, 'id')}`);
      return { status: 202, body: record };
    },
  },
  hook('GET', '/sandbox/v1/requests', (_c, h) => ok({ counts: h.counts() })),
  hook('DELETE', '/sandbox/v1/requests', (_c, h) => {
    h.resetCounts();
    return noContent;
  }),
];
