// Starts real sandboxes on 127.0.0.1 (port 0, in-process, in-memory database) for the tests, and
// offers a small JSON client over global fetch.
import { fileURLToPath } from 'node:url';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { loadSeed, type SeedFile } from '../../src/sandbox/seed.js';
import type { RetrySchedule } from '../../src/sandbox/retry-schedule.js';
import type { Profile } from '../../src/sandbox/profile.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';

export const exampleSeedPath = fileURLToPath(new URL('../../examples/directory.yaml', import.meta.url));
export const exampleSeed: SeedFile = loadSeed(exampleSeedPath);
export const exampleAdminKey = 'sandbox-demo-admin-key-not-a-secret';
export const exampleOrgId = '65a000000000000000000001';

/** The test hooks only the operator key opens. */
const operatorHook = /^\/sandbox\/v1\/(clock|faults|ratelimit|requests)(\?|$)/;

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  sandbox: RunningSandbox;
  logs: string[];
  /**
   * JSON request with the admin key, or with the operator key on the global test hooks (clock,
   * faults, rate limit, request counts); pass headers to override or add.
   */
  call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>>;
  /** JSON request with the sandbox's operator key (every test hook, every org's mail and deliveries). */
  hook<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>>;
  /** Ids of the seeded groups and users by name and username. */
  groupId(name: string): Promise<string>;
  userId(username: string): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  seed?: SeedFile;
  hooks?: boolean;
  clock?: SandboxClock;
  dbPath?: string;
  allowPrivateWebhooks?: boolean;
  webhookRetry?: Partial<RetrySchedule>;
  /** The sandbox's profile; default unless given. */
  profile?: Profile;
  /** Whether the database may be written now (the CLI's lock lease); always, unless given. */
  mayWrite?: () => boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logs: string[] = [];
  const sandbox = await startSandbox({
    dbPath: options.dbPath ?? ':memory:',
    port: 0,
    seed: options.seed ?? exampleSeed,
    enableTestHooks: options.hooks ?? false,
    clock: options.clock ?? new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') }),
    log: (line) => logs.push(line),
    allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
    // Jitter pinned to its maximum, so advancing by the full backoff always reaches the retry.
    random: () => 1,
    ...(options.webhookRetry === undefined ? {} : { webhookRetry: options.webhookRetry }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.mayWrite === undefined ? {} : { mayWrite: options.mayWrite }),
  });
  const send = async <T>(key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
  };
  const operatorKey = sandbox.operatorKey ?? '';
  const call = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> =>
    send<T>(operatorHook.test(path) ? operatorKey : sandbox.adminKey, method, path, body, headers);
  const hook = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> =>
    send<T>(operatorKey, method, path, body, headers);
  const groupId = async (name: string): Promise<string> => {
    const answer = await call<{ id: string }[]>('GET', `/api/v2/usergroups?filter=${encodeURIComponent(`name:eq:${name}`)}`);
    const id = answer.body[0]?.id;
    if (id === undefined) throw new Error(`no group ${name}`);
    return id;
  };
  const userId = async (username: string): Promise<string> => {
    const answer = await call<{ results: { _id: string }[] }>('GET', `/api/systemusers?filter=username:eq:${encodeURIComponent(username)}`);
    const id = answer.body.results[0]?._id;
    if (id === undefined) throw new Error(`no user ${username}`);
    return id;
  };
  return { sandbox, logs, call, hook, groupId, userId, close: () => sandbox.close() };
}

/** A sandbox answering as the pessimistic reading of JumpCloud's published API (--profile strict). */
export function startStrictHarness(options: Omit<HarnessOptions, 'profile'> = {}): Promise<Harness> {
  return startHarness({ ...options, profile: 'strict' });
}

/** A valid create body for the engineering example's GitHub Admin flow. */
export async function githubAdminFlow(h: Harness, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    name: 'GitHub Admin',
    description: 'Admin access to GitHub for engineering managers',
    category: 'Application',
    resourceType: 'user_group',
    resourceId: await h.groupId('GitHub Admins'),
    visibleTo: [await h.groupId('Engineering Admin')],
    approvalType: 'manual',
    approverRequirement: 'any',
    approverResources: [
      { resourceType: 'manager', resourceOrder: 0, requireAll: false },
      { resourceType: 'user_group', resourceId: await h.groupId('Security Leads'), resourceOrder: 1, requireAll: false },
    ],
    status: 'active',
    timeBasedAccess: true,
    ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
    fixedDuration: 'P7D',
    nonAdminApproval: true,
    iconColor: '#006CAC',
    ...overrides,
  };
}

export interface DirectoryEventShape {
  id: string;
  event_type: string;
  service: string;
  organization: string;
  timestamp: string;
  initiated_by: { id: string; type: string; email: string };
  resource: { id: string; type: string; name: string };
  changes?: { field: string; from: unknown; to: unknown }[];
  association?: { op: string; connection: { from: { object_id: string; type: string }; to: { object_id: string; type: string } } };
  success: boolean;
}

export async function allEvents(h: Harness): Promise<DirectoryEventShape[]> {
  const answer = await h.call<DirectoryEventShape[]>('POST', '/insights/directory/v1/events', {
    service: ['all'],
    start_time: '1970-01-01T00:00:00Z',
  });
  if (answer.status !== 200) throw new Error(`event query failed: ${answer.status}`);
  return answer.body;
}

/** Per-user keys from examples/directory.yaml. */
export const userKeys = {
  alice: 'sandbox-demo-user-alice-not-a-secret',
  erin: 'sandbox-demo-user-erin-not-a-secret',
  grace: 'sandbox-demo-user-grace-not-a-secret',
  dana: 'sandbox-demo-user-dana-not-a-secret',
} as const;

/** Headers acting as a seeded user: their own key when they have one, else the admin key with x-sandbox-act-as. */
export function as(login: string): Record<string, string> {
  const key = (userKeys as Record<string, string>)[login];
  return key === undefined ? { 'x-sandbox-act-as': login } : { 'x-api-key': key };
}

/** The access request read shape, as far as the tests look at it. */
export interface RequestShape {
  id: string;
  status: string;
  approvalFlowId: string;
  approvalFlowName: string;
  requestedDuration: string;
  approvedDuration: string;
  userName: string;
  approvers: { approvalSequence: string; approvalStatus: string; resourceType: string; approverId: string }[];
  /** The sandbox's extension block (default profile). */
  sandbox?: { queue: string; missing?: string; access?: { state: string; endsAt?: string; endedAt?: string } };
}

/** Turns on Access Requests and creates the example's two flows; returns their ids. */
export async function exampleFlows(h: Harness, admin: Record<string, unknown> = {}): Promise<{ user: string; admin: string }> {
  const settings = await h.call('PUT', '/api/v2/approvalflowsettings', { resourceRequest: true, exposeApprovalProgress: true });
  if (settings.status !== 200) throw new Error(`settings: ${settings.status}`);
  const user = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', {
    name: 'GitHub User',
    category: 'Application',
    resourceType: 'user_group',
    resourceId: await h.groupId('GitHub Users'),
    visibleTo: [await h.groupId('Engineering User')],
    approvalType: 'automated',
  });
  const adminFlow = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, admin));
  if (user.status !== 200 || adminFlow.status !== 200) throw new Error(`flows: ${JSON.stringify([user.body, adminFlow.body])}`);
  return { user: user.body.id, admin: adminFlow.body.id };
}

export async function submit(h: Harness, login: string, body: Record<string, unknown>): Promise<Answer<RequestShape & { message?: string }>> {
  return h.call<RequestShape & { message?: string }>('POST', '/api/v2/approvalflowrequest', { remarks: 'for the on-call rota', ...body }, as(login));
}

export async function approve(
  h: Harness,
  login: string,
  id: string,
  status: 'approved' | 'denied' = 'approved',
  extra: Record<string, unknown> = {},
): Promise<Answer<RequestShape & { message?: string }>> {
  return h.call<RequestShape & { message?: string }>('POST', '/api/v2/userapprovalrequest', { id, status, ...extra }, as(login));
}

export async function memberNames(h: Harness, group: string): Promise<string[]> {
  const members = await h.call<{ to: { id: string } }[]>('GET', `/api/v2/usergroups/${await h.groupId(group)}/members?limit=100`);
  const users = await h.call<{ results: { _id: string; username: string }[] }>('GET', '/api/systemusers?limit=100');
  const names = new Map(users.body.results.map((u) => [u._id, u.username]));
  return members.body.map((m) => names.get(m.to.id) ?? m.to.id).sort();
}
