// Reads the platform's live state with list calls only (pages of 100 sorted by _id). Each list is
// read independently: one that fails or comes back partial is unknown, never empty; an extension
// endpoint the target does not have (404 or 405) is unsupported, and blocks nothing else. Every item
// is checked for the shape its mapping relies on as it arrives (wire.ts): one that lacks it makes
// its list unknown, with the route and the item's index.
import type { JumpCloudClient } from './client.js';
import { DirectoryIndex } from './directory-index.js';
import { FlowPageMapper, type FlowPageMemo, type LiveFlows } from './live-flows.js';
import { listAll, PAGE_SIZE, readPages } from './paginate.js';
import { PlatformError } from './platform-error.js';
import { isPublished, routes } from './routes.js';
import { mapBounded } from './map-bounded.js';
import { asksForOrgId, MULTI_TENANT_HINT, orgNotFound, REFUSED_KEY_HINT, unreachableOrg } from './target.js';
import {
  applicationShapeProblem,
  channelShapeProblem,
  flowShapeProblem,
  graphConnectionShapeProblem,
  settingsShapeProblem,
  systemUserShapeProblem,
  userGroupShapeProblem,
  type WireApplication,
  type WireChannel,
  type WireGraphConnection,
  type WireSettings,
  type WireSystemUser,
  type WireUserGroup,
} from './wire.js';

/** A live read: its value, or why there is none. `stopped`: the read was cut short by accessctl's own stop, not failed. */
export type Known<T> = { status: 'ok'; value: T } | { status: 'unknown'; reason: string; stopped?: true } | { status: 'unsupported'; reason: string };

export interface LiveWire {
  target: string;
  groups: Known<WireUserGroup[]>;
  /** Read only when a flow names a user approver; otherwise an empty list. */
  users: Known<WireSystemUser[]>;
  applications: Known<WireApplication[]>;
  /** Mapped as they were read (live-flows.ts): the plan never holds every flow's wire form at once. */
  flows: Known<LiveFlows>;
  /** `not-read` when nothing in the repo needs the channel API (an extension): it is not even probed. */
  channels: Known<WireChannel[]> | { status: 'not-read' };
  settings: Known<WireSettings>;
  /** Application ids per group id, for the groups whose associations are managed. */
  associations: Map<string, Known<string[]>>;
  /** The index of groups, users and applications the flows were mapped with, when all three were read. */
  directory?: DirectoryIndex;
}

export interface LiveNeeds {
  /** Group names whose application associations the repo manages. */
  associationsOf: (groups: readonly WireUserGroup[]) => WireUserGroup[];
  /** Whether the desired flows name any user approver. */
  desiredUserApprovers: boolean;
  /** Whether the repo needs the channel API (WebhookChannel objects, or a channel named by name). */
  channels: boolean;
  /** Whether the repo sets the icon of the flow of this name: only then is the live icon compared. */
  managesDisplay: (name: string) => boolean;
  /** A long-lived caller's mapped flow pages and directory index, kept between reads. */
  flowPages?: FlowPageMemo;
}

/** Whether an answer to a sandbox extension says the target does not have it. */
export function meansUnsupported(route: string, error: unknown): boolean {
  return !isPublished(route) && error instanceof PlatformError && (error.status === 404 || error.status === 405);
}

export async function known<T>(read: () => Promise<T>, route?: string): Promise<Known<T>> {
  try {
    return { status: 'ok', value: await read() };
  } catch (error) {
    // A refused key is not a list that failed: nothing can be read, so say so once and stop.
    if (error instanceof PlatformError && (error.status === 401 || error.status === 403)) {
      const reason = error.message.replace(/^.*?: /, '');
      throw new PlatformError({
        method: error.method,
        route: error.route,
        status: error.status,
        message: `${reason}; ${asksForOrgId(reason) ? MULTI_TENANT_HINT : REFUSED_KEY_HINT}`,
      });
    }
    // Nor is a published list (no id in its route) that the platform says is in no org the key
    // reaches: every other read fails the same way. Extension routes keep their own 404 (unsupported).
    if (error instanceof PlatformError && error.status === 404 && isPublished(error.route) && !error.route.includes('{')) {
      const reason = error.message.replace(/^.*?: /, '');
      if (orgNotFound(reason)) throw new PlatformError({ method: error.method, route: error.route, status: 404, message: unreachableOrg(reason) });
    }
    if (route !== undefined && meansUnsupported(route, error)) {
      return { status: 'unsupported', reason: `the target has no ${route} (it answered ${(error as PlatformError).status}); JumpCloud publishes no such API` };
    }
    const stopped = error instanceof PlatformError && error.stopped;
    return { status: 'unknown', reason: error instanceof Error ? error.message : String(error), ...(stopped ? { stopped: true as const } : {}) };
  }
}

export async function readLive(client: JumpCloudClient, needs: LiveNeeds): Promise<LiveWire> {
  // Only the fields names and effective access read: a failed login elsewhere in the org changes no page of it.
  const readUserList = (): Promise<Known<WireSystemUser[]>> =>
    known(() => listAll<WireSystemUser>(client, routes.users, { style: 'results', query: { fields: USER_FIELDS }, check: systemUserShapeProblem }));
  // A long-lived reader whose live flows named a user approver last time reads the users first again:
  // its directory, and so its mapped pages, stay the same from one read to the next.
  const usersFirst = needs.desiredUserApprovers || needs.flowPages?.usersNeeded === true;
  // The flows are mapped as their pages arrive, which needs the directory: it is read beside them.
  const directoryLists = Promise.all([
    known(() => listAll<WireUserGroup>(client, routes.groups, { style: 'array', check: userGroupShapeProblem })),
    known(() =>
      listAll<WireApplication>(client, routes.applications, { style: 'results', query: { fields: APPLICATION_FIELDS }, check: applicationShapeProblem }),
    ),
    usersFirst ? readUserList() : Promise.resolve<Known<WireSystemUser[]>>({ status: 'ok', value: [] }),
  ]);
  // Never rejects: a refused key rejects directoryLists itself, which the plan is then told.
  const indexOf = (groups: Known<WireUserGroup[]>, users: Known<WireSystemUser[]>, applications: Known<WireApplication[]>): DirectoryIndex | undefined => {
    if (groups.status !== 'ok' || users.status !== 'ok' || applications.status !== 'ok') return undefined;
    const lists = { groups: groups.value, users: users.value, applications: applications.value };
    const make = (): DirectoryIndex => new DirectoryIndex(lists);
    return needs.flowPages ? needs.flowPages.directory([lists.groups, lists.users, lists.applications], make) : make();
  };
  const directory = directoryLists.then(
    ([groups, applications, users]) => indexOf(groups, users, applications),
    () => undefined,
  );
  const mapper = new FlowPageMapper(needs.managesDisplay, client.keepsAnswers, needs.flowPages);
  const [[groups, applications, usersRead], flowsRead, channels, settings] = await Promise.all([
    directoryLists,
    known(async () => {
      let index: DirectoryIndex | undefined;
      let indexed = false;
      await readPages(client, routes.flows, { style: 'results', check: flowShapeProblem }, async (page) => {
        if (!indexed) [index, indexed] = [await directory, true];
        mapper.add(page, index, usersFirst);
      });
    }),
    needs.channels
      ? known(() => listAll<WireChannel>(client, routes.channels, { style: 'results', check: channelShapeProblem }), routes.channels)
      : ({ status: 'not-read' } as const),
    known(() => readSettings(client)),
  ]);
  // A live flow that names a user approver the repo does not: the users are read now, and it is mapped with them.
  const users = mapper.needsUsers ? await readUserList() : usersRead;
  if (needs.flowPages && mapper.needsUsers) needs.flowPages.usersNeeded = true;
  const finalIndex = users === usersRead ? await directory : indexOf(groups, users, applications);
  const flows: Known<LiveFlows> = flowsRead.status === 'ok' ? { status: 'ok', value: mapper.finish(finalIndex) } : flowsRead;
  const associations = groups.status === 'ok' ? await readAssociations(client, needs.associationsOf(groups.value)) : new Map<string, Known<string[]>>();
  return { target: client.target, groups, users, applications, flows, channels, settings, associations, ...(finalIndex ? { directory: finalIndex } : {}) };
}

/** The settings record, checked for the shape the settings mapping relies on. */
async function readSettings(client: JumpCloudClient): Promise<WireSettings> {
  const body = await client.get<unknown>(routes.settings);
  const problem = settingsShapeProblem(body);
  if (problem !== undefined) throw new PlatformError({ method: 'GET', route: routes.settings, status: 200, message: problem });
  return body as WireSettings;
}

const ASSOCIATION_READS_IN_FLIGHT = 4;

/** Application ids associated with each group, one list call (or more, past 100) per group. */
export async function readAssociations(client: JumpCloudClient, groups: readonly WireUserGroup[]): Promise<Map<string, Known<string[]>>> {
  const associations = new Map<string, Known<string[]>>();
  // A few at a time: hundreds of groups read at once would stampede a rate-limited platform.
  await mapBounded(groups, ASSOCIATION_READS_IN_FLIGHT, async (group) => {
    const result = await known(() =>
      listAll<WireGraphConnection>(client, routes.groupAssociations, {
        style: 'array',
        params: { group_id: group.id },
        query: { targets: 'application' },
        sortById: false,
        check: graphConnectionShapeProblem,
      }),
    );
    associations.set(
      group.id,
      result.status === 'ok' ? { status: 'ok', value: result.value.filter((c) => c.to.type === 'application').map((c) => c.to.id) } : result,
    );
  });
  return associations;
}

/** The named collections a create may target, with their list style. */
const named = {
  GroupAssignment: { route: routes.groups, style: 'array' },
  ApprovalFlow: { route: routes.flows, style: 'results' },
  WebhookChannel: { route: routes.channels, style: 'results' },
} as const;

/**
 * Finds a live object by exact name with one filtered list call: the re-read before a create is
 * repeated, and the check that a saved plan's create has not been done by someone else meanwhile.
 */
export async function findByName(client: JumpCloudClient, kind: keyof typeof named, name: string): Promise<{ id: string } | undefined> {
  const { route, style } = named[kind];
  const body = await client.get<unknown>(route, undefined, { filter: `name:eq:${name}`, limit: 100 });
  const items = (style === 'array' ? body : (body as { results?: unknown }).results) as { id?: unknown; name?: unknown }[] | undefined;
  const found = (items ?? []).find((item) => item.name === name && typeof item.id === 'string');
  return found ? { id: found.id as string } : undefined;
}

/** A request's list item as far as counting goes (jumpcloud.ingresso.WorkflowAccessRequest). */
interface WirePendingRequest {
  approvalFlowId?: string;
  status?: string;
}

/** Statuses of requests still waiting for a decision: deleting their flow cancels them. */
export const PENDING_REQUEST_STATUSES = ['pending', 'missing_data'] as const;

/** Past this many pending requests the count is unknown: a list that never ends must not hang a plan. */
export const MAX_PENDING_REQUESTS = 100_000;

/**
 * Pending access requests per flow id, read with the published GET /api/v2/approvalflowrequest:
 * one paged list per waiting status (pages of 100 sorted by _id), only the two fields counting
 * needs, at most MAX_PENDING_REQUESTS. Unknown when a list fails, comes back short or is too long.
 */
export async function readPendingRequests(client: JumpCloudClient): Promise<Known<Map<string, number>>> {
  return known(async () => {
    const counts = new Map<string, number>();
    let read = 0;
    for (const status of PENDING_REQUEST_STATUSES) {
      let total: number | undefined;
      for (let skip = 0; ; ) {
        const body = await client.get<{ results?: WirePendingRequest[]; totalCount?: number }>(routes.accessRequests, undefined, {
          filter: `status:eq:${status}`,
          fields: ['approvalFlowId', 'status'],
          limit: PAGE_SIZE,
          skip,
          sort: '_id',
        });
        if (typeof body !== 'object' || body === null || Array.isArray(body) || (body.results !== undefined && !Array.isArray(body.results))) {
          throw new PlatformError({ method: 'GET', route: routes.accessRequests, status: 200, message: 'expected {results, totalCount}' });
        }
        // Protobuf JSON leaves an empty list out: no results is none.
        const page = body.results ?? [];
        total = typeof body?.totalCount === 'number' ? body.totalCount : total;
        for (let i = 0; i < page.length; i++) {
          const request: unknown = page[i];
          const { status: itemStatus, approvalFlowId: id } = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
          if (typeof request !== 'object' || request === null || Array.isArray(request) || !(id === undefined || typeof id === 'string'))
            throw new PlatformError({
              method: 'GET',
              route: routes.accessRequests,
              status: 200,
              message: `item ${skip + i}: expected {approvalFlowId, status}`,
            });
          // A filter the platform ignored must not count decided requests as pending.
          if (itemStatus !== undefined && itemStatus !== status) continue;
          if (id !== undefined && id !== '') counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        skip += page.length;
        read += page.length;
        if (read > MAX_PENDING_REQUESTS)
          throw new PlatformError({ method: 'GET', route: routes.accessRequests, status: 200, message: `more than ${MAX_PENDING_REQUESTS} pending requests` });
        if (total === undefined ? page.length < PAGE_SIZE : skip >= total || page.length === 0) {
          if (total !== undefined && skip < total)
            throw new PlatformError({ method: 'GET', route: routes.accessRequests, status: 200, message: `the list ended after ${skip} of ${total} items` });
          break;
        }
      }
    }
    return counts;
  });
}

/**
 * What is read of an application: the names the config may use (the id comes with every record).
 * Never its config, which for a SAML application may hold the IdP's private key: nothing of that
 * is needed, and a reconciler's answer memo would keep it for the life of the process.
 */
const APPLICATION_FIELDS = 'name displayLabel';

/** What is read of a system user: how the config names it, and what effective access needs (the id comes with every record). */
const USER_FIELDS = 'email username manager state suspended';

/** Every system user, with only what effective access needs. */
export function readUsers(client: JumpCloudClient): Promise<WireSystemUser[]> {
  return listAll<WireSystemUser>(client, routes.users, { style: 'results', query: { fields: USER_FIELDS }, check: systemUserShapeProblem });
}
