// Specifies readLive against a hostile target on 127.0.0.1: a live object that lacks the shape its
// mapping relies on makes its list unknown (named by route and item index) or, for a flow that can
// still be named, that flow unmanageable; a list that repeats itself is unknown. Never a crash.
// The flows are mapped page by page as they arrive, and fingerprinted from the page they came in.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDesiredState } from '../../src/config/desired.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { prepareDiffInput } from '../../src/jumpcloud/diff-input.js';
import { flowFingerprint } from '../../src/jumpcloud/fingerprint.js';
import { AnswerMemo } from '../../src/jumpcloud/answer-memo.js';
import { FlowPage, FlowPageMemo } from '../../src/jumpcloud/live-flows.js';
import { known, type LiveNeeds, type LiveWire, readLive } from '../../src/jumpcloud/live.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { diff } from '../../src/plan/diff.js';
import { accessctl } from '../cli/in-process.js';
import { closedInOrder, json, type LocalServer, startLocalServer } from './local-server.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

const needs: LiveNeeds = { associationsOf: (groups) => [...groups], desiredUserApprovers: false, channels: true, managesDisplay: () => false };

/** A flow the mapping can manage. */
const goodFlow = {
  id: 'f-good',
  name: 'Good',
  status: 'active',
  approvalType: 'automated',
  category: 'Application',
  resources: [{ resourceId: 'g-1', resourceName: 'Admins', resourceType: 'user_group' }],
};

/** A well-formed org; `bodies` replaces the answer of a path (no query string). */
function org(bodies: Record<string, (skip: number) => unknown> = {}): (path: string, skip: number) => unknown {
  const base: Record<string, (skip: number) => unknown> = {
    [routes.groups]: () => [{ id: 'g-1', name: 'Admins' }],
    [routes.applications]: () => ({ results: [{ _id: 'a-1', name: 'github' }], totalCount: 1 }),
    [routes.flows]: () => ({ results: [goodFlow], totalCount: 1 }),
    [routes.channels]: () => ({ results: [], totalCount: 0 }),
    [routes.settings]: () => ({}),
    '/api/v2/usergroups/g-1/associations': () => [{ to: { id: 'a-1', type: 'application' } }],
  };
  const all = { ...base, ...bodies };
  return (path, skip) => all[path]?.(skip) ?? [];
}

describe('readLive against malformed live data', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  async function read(answer: (path: string, skip: number) => unknown) {
    server = await startLocalServer((request, response) => {
      const url = new URL(request.url, 'http://127.0.0.1');
      json(response, 200, answer(url.pathname, Number(url.searchParams.get('skip'))));
    });
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    return readLive(client, needs);
  }

  it('reads a well-formed org', async () => {
    const live = await read(org());
    expect(live.groups).toEqual({ status: 'ok', value: [{ id: 'g-1', name: 'Admins' }] });
    expect(live.flows.status).toBe('ok');
    expect(live.associations.get('g-1')).toEqual({ status: 'ok', value: ['a-1'] });
  });

  it("asks for the applications' names only, never their config, which may hold an IdP's private key", async () => {
    const live = await read(org());
    expect(live.applications).toEqual({ status: 'ok', value: [{ _id: 'a-1', name: 'github' }] });
    const reads = server!.seen.filter((request) => request.url.startsWith(`${routes.applications}?`));
    expect(reads).toHaveLength(1);
    expect(new URL(reads[0]!.url, 'http://127.0.0.1').searchParams.get('fields')).toBe('name displayLabel');
  });

  it('makes a flow list holding an empty object unknown, naming the route and the index, and the plan reports it', async () => {
    const live = await read(org({ [routes.flows]: () => ({ results: [{}], totalCount: 1 }) }));
    expect(live.flows).toEqual({ status: 'unknown', reason: 'GET /api/v2/approvalflows answered 200: item 0: id is not a string' });
    const input = prepareDiffInput(emptyDesiredState(), live, () => undefined);
    expect(input.problems).toContainEqual({
      code: 'live-unknown',
      message: 'could not read the live approval flows: GET /api/v2/approvalflows answered 200: item 0: id is not a string',
    });
    expect(diff(input).unknown).toContain('ApprovalFlow');
  });

  it('makes a group list that is a nested array unknown, and never reads its associations', async () => {
    const live = await read(org({ [routes.groups]: () => [[{ id: 'g-1', name: 'Admins' }]] }));
    expect(live.groups).toEqual({ status: 'unknown', reason: 'GET /api/v2/usergroups answered 200: item 0: expected an object, got an array' });
    expect(live.associations.size).toBe(0);
    const input = prepareDiffInput(emptyDesiredState(), live, () => undefined);
    expect(input.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/could not read the live user groups: .*item 0: expected an object/));
  });

  it('names the index of a bad item past the first page', async () => {
    const page = (skip: number) => Array.from({ length: 100 }, (_, i) => ({ id: `g-${skip + i}`, name: `Group ${skip + i}` }));
    const live = await read(org({ [routes.groups]: (skip) => (skip === 0 ? page(0) : [{ id: 'g-x', name: null }]) }));
    expect(live.groups).toEqual({ status: 'unknown', reason: 'GET /api/v2/usergroups answered 200: item 100: name is not a string' });
  });

  it('makes users, applications, channels, associations and settings of the wrong shape unknown', async () => {
    const live = await read(
      org({
        [routes.applications]: () => ({ results: [{ _id: 'a-1', displayLabel: ['GitHub'] }] }),
        [routes.channels]: () => ({ results: [{ id: 'c-1', name: 'SIEM', enabled: true, verifySsl: true }] }),
        [routes.settings]: () => [],
        '/api/v2/usergroups/g-1/associations': () => [{ to: null }],
      }),
    );
    expect(live.applications).toEqual({ status: 'unknown', reason: 'GET /api/applications answered 200: item 0: displayLabel is not a string' });
    expect(live.channels).toEqual({ status: 'unknown', reason: 'GET /api/v2/notifications/webhook/channels answered 200: item 0: url is not a string' });
    expect(live.settings).toEqual({ status: 'unknown', reason: 'GET /api/v2/approvalflowsettings answered 200: expected an object' });
    expect(live.associations.get('g-1')).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/item 0: to is not \{id, type\} strings/) });
  });

  it('reads users of the wrong shape as unknown when a flow names a user approver', async () => {
    const userFlow = { ...goodFlow, approvalType: 'manual', approverResources: [{ resourceType: 'user', resourceId: 'u-1' }] };
    const live = await read(
      org({
        [routes.flows]: () => ({ results: [userFlow] }),
        [routes.users]: () => ({ results: [{ _id: 'u-1', email: 42 }] }),
      }),
    );
    expect(live.users).toEqual({ status: 'unknown', reason: 'GET /api/systemusers answered 200: item 0: email is not a string' });
  });

  it('keeps a named flow whose fields have the wrong types apart as unmanageable, with the reasons, and plans nothing for it', async () => {
    const broken = {
      id: 'f-bad',
      name: 'Broken',
      status: 'active',
      approvalType: 'manual',
      category: 'Application',
      iconColor: 7,
      approverResources: [null],
      visibleTo: 'all',
    };
    const live = await read(org({ [routes.flows]: () => ({ results: [broken, goodFlow] }) }));
    expect(live.flows.status).toBe('ok');
    const input = prepareDiffInput(emptyDesiredState(), live, () => undefined);
    expect(input.flows.unmanageable).toEqual([
      { id: 'f-bad', name: 'Broken', reasons: ['iconColor is not a string', 'approverResources[0] is not an object', 'visibleTo is not a list'] },
    ]);
    expect(input.flows.live).toMatchObject([{ id: 'f-good', name: 'Good' }]);
    const plan = diff(input);
    expect(plan.unmanageable).toMatchObject([{ kind: 'ApprovalFlow', id: 'f-bad' }]);
    expect(plan.changes.filter((change) => change.kind === 'ApprovalFlow')).toEqual([]);
  });

  it('makes a group list whose pages repeat forever unknown, after two pages', async () => {
    const page = Array.from({ length: 100 }, (_, i) => ({ id: `g-${i}`, name: `Group ${i}` }));
    const live = await read(org({ [routes.groups]: () => page }));
    expect(live.groups).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/usergroups answered 200: item 100 repeats the id "g-0"/) });
    expect(server!.seen.filter((request) => request.url.startsWith(`${routes.groups}?`))).toHaveLength(2);
  });

  it('lets accessctl plan report a malformed or endless list as unreadable, never as an internal error', async () => {
    const endless = (skip: number) => Array.from({ length: 100 }, (_, i) => ({ id: `g-${skip + i}`, name: `Group ${skip + i}` }));
    for (const [list, answer, said] of [
      [routes.flows, () => ({ results: [{}], totalCount: 1 }), 'approval flows: GET /api/v2/approvalflows answered 200: item 0: id is not a string'],
      [routes.groups, () => [[{ id: 'g-1', name: 'Admins' }]], 'user groups: GET /api/v2/usergroups answered 200: item 0: expected an object, got an array'],
      [routes.groups, () => endless(0), 'user groups: GET /api/v2/usergroups answered 200: item 100 repeats the id "g-0"'],
    ] as const) {
      await server?.close();
      server = await startLocalServer((request, response) => {
        const url = new URL(request.url, 'http://127.0.0.1');
        json(response, 200, org({ [list]: answer })(url.pathname, Number(url.searchParams.get('skip'))));
      });
      const run = await accessctl(['plan', examples, '--target', server.url], { JUMPCLOUD_API_KEY: 'k' });
      expect(run.stdout + run.stderr).toContain(said);
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.code).not.toBe(70);
      expect(run.code).not.toBe(0);
    }
  });
});

describe('readLive maps the approval flows as their pages arrive', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  /** `flows` served in pages of the limit asked, with the well-formed org around them. */
  async function read(flows: object[], users: object[] = [], overrides: Partial<LiveNeeds> = {}) {
    const answer = org({
      [routes.flows]: (skip) => ({ results: flows.slice(skip, skip + 100), totalCount: flows.length }),
      [routes.users]: () => ({ results: users, totalCount: users.length }),
    });
    server = await startLocalServer((request, response) => {
      const url = new URL(request.url, 'http://127.0.0.1');
      json(response, 200, answer(url.pathname, Number(url.searchParams.get('skip'))));
    });
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    return readLive(client, { ...needs, ...overrides });
  }

  const mapped = (live: LiveWire) =>
    live.flows.status === 'ok' && live.flows.value.mapped ? live.flows.value : expect.fail(`the flows were not read and mapped: ${JSON.stringify(live.flows)}`);
  const flow = (i: number, more: object = {}) => ({ ...goodFlow, id: `f-${String(i).padStart(4, '0')}`, name: `Flow ${i}`, ...more });
  const userApproved = (i: number) => flow(i, { approvalType: 'manual', approverResources: [{ resourceType: 'user', resourceId: 'u-1', resourceOrder: 0 }] });

  it('names a user approver the repo does not name by the directory user, reading the users once the flows name one', async () => {
    const flows = [flow(0), userApproved(1), flow(2, { status: 'archived' }), flow(3)];
    const live = await read(flows, [{ _id: 'u-1', email: 'alice@example.com', username: 'alice' }]);
    const read_ = mapped(live);
    expect(read_.entries.map((e) => e.name)).toEqual(['Flow 0', 'Flow 1', 'Flow 3']);
    expect(read_.entries[1]!.model.spec.approval.levels).toEqual([{ require: 'any', approvers: [{ user: 'alice@example.com' }] }]);
    expect(read_.unmanageable).toEqual([{ id: 'f-0002', name: 'Flow 2', reasons: ['status "archived"'] }]);
    expect(server!.seen.filter((request) => request.url.startsWith(`${routes.users}?`))).toHaveLength(1);
  });

  it('reads no users when no flow names a user approver', async () => {
    const live = await read([flow(0), flow(1)]);
    expect(mapped(live).entries).toMatchObject([{ name: 'Flow 0' }, { name: 'Flow 1' }]);
    expect(server!.seen.filter((request) => request.url.startsWith(`${routes.users}?`))).toEqual([]);
  });

  it('fingerprints a flow on a later page as its wire form on that page, which is what apply compares a fresh read with', async () => {
    const flows = Array.from({ length: 250 }, (_, i) => flow(i, { description: `Flow number ${i}` }));
    const live = await read(flows);
    const entries = mapped(live).entries;
    expect(entries).toHaveLength(250);
    for (const i of [0, 99, 100, 217, 249]) expect(entries[i]!.fingerprint).toBe(flowFingerprint(flows[i]));
  });

  it("compares a flow's live icon only when the repo sets that flow's", async () => {
    const flows = [flow(0, { iconColor: '#FF0000' }), flow(1, { iconColor: '#00FF00' })];
    const live = await read(flows, [], { managesDisplay: (name) => name === 'Flow 1' });
    const entries = mapped(live).entries;
    expect(entries.map((e) => e.model.spec.display)).toEqual([undefined, { color: '#00FF00' }]);
  });

  it('fingerprints a flow that waited for the users as its wire form', async () => {
    const flows = [flow(0), userApproved(1)];
    const live = await read(flows, [{ _id: 'u-1', email: 'alice@example.com' }]);
    expect(mapped(live).entries.map((e) => e.fingerprint)).toEqual(flows.map((f) => flowFingerprint(f)));
  });

  it('leaves the flows unmapped, never partly mapped, when the users a flow waits for cannot be read', async () => {
    const live = await read([flow(0), userApproved(1)], [{ _id: 'u-1', email: 42 }]);
    expect(live.users.status).toBe('unknown');
    expect(live.flows).toMatchObject({ status: 'ok', value: { mapped: false } });
  });

  it('fingerprints the flows as read when the client keeps its answers (the reconciler), and knows the same pages again', async () => {
    const flows = Array.from({ length: 150 }, (_, i) => flow(i));
    await read(flows);
    const kept = new JumpCloudClient({ baseUrl: server!.url, apiKey: 'k', answers: new AnswerMemo() });
    try {
      const [first, second] = [await readLive(kept, needs), await readLive(kept, needs)];
      expect(mapped(first).entries.map((e) => e.fingerprint)).toEqual(flows.map((f) => flowFingerprint(f)));
      expect(mapped(first).pages.every((page, i) => page.same(mapped(second).pages[i]!))).toBe(true);
    } finally {
      await kept.close();
    }
  });
});

describe('a long-lived reader (the reconciler), with its answer memo and flow page memo', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  /** A target answering each path as `answer` says, read again and again as the reconciler reads: one answer memo, one flow page memo. */
  async function reader(answer: (path: string, skip: number) => unknown): Promise<{ read: () => Promise<LiveWire>; flowPages: FlowPageMemo }> {
    server = await startLocalServer((request, response) => {
      const url = new URL(request.url, 'http://127.0.0.1');
      json(response, 200, answer(url.pathname, Number(url.searchParams.get('skip'))));
    });
    const kept = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', answers: new AnswerMemo() });
    client = kept;
    const flowPages = new FlowPageMemo();
    return { read: () => readLive(kept, { ...needs, flowPages }), flowPages };
  }

  const entries = (live: LiveWire) =>
    live.flows.status === 'ok' && live.flows.value.mapped ? live.flows.value.entries : expect.fail('the flows were not mapped');

  it('maps no unchanged page again, and maps every page again once the directory changed (a group renamed)', async () => {
    const flows = Array.from({ length: 150 }, (_, i) => ({ ...goodFlow, id: `f-${String(i).padStart(4, '0')}`, name: `Flow ${i}` }));
    let groupName = 'Admins';
    const { read, flowPages } = await reader((path, skip) =>
      org({
        [routes.groups]: () => [{ id: 'g-1', name: groupName }],
        [routes.flows]: () => ({ results: flows.slice(skip, skip + 100), totalCount: flows.length }),
      })(path, skip),
    );
    const grantGroups = async () => new Set(entries(await read()).map((e) => e.model.spec.grantGroup));
    expect(await grantGroups()).toEqual(new Set(['Admins']));
    expect(flowPages.reused).toBe(0);
    expect(await grantGroups()).toEqual(new Set(['Admins']));
    expect(flowPages.reused).toBe(2);
    groupName = 'Owners';
    expect(await grantGroups()).toEqual(new Set(['Owners']));
    expect(flowPages.reused).toBe(2);
  });

  it('reads the users first from the next read on once a live flow names a user approver the repo does not, so an unchanged page is not mapped again', async () => {
    const userApproved = { ...goodFlow, approvalType: 'manual', approverResources: [{ resourceType: 'user', resourceId: 'u-1', resourceOrder: 0 }] };
    const { read, flowPages } = await reader(
      org({
        [routes.flows]: () => ({ results: [userApproved], totalCount: 1 }),
        [routes.users]: () => ({ results: [{ _id: 'u-1', email: 'alice@example.com' }], totalCount: 1 }),
      }),
    );
    const approvers = async () => entries(await read()).map((e) => e.model.spec.approval.levels);
    const alice = [[{ require: 'any', approvers: [{ user: 'alice@example.com' }] }]];
    expect(await approvers()).toEqual(alice);
    expect(await approvers()).toEqual(alice);
    expect(await approvers()).toEqual(alice);
    expect(flowPages.reused).toBe(1);
    // Each read asks for the users once, and only for the fields names and effective access need.
    const userReads = server!.seen.filter((request) => request.url.startsWith(`${routes.users}?`));
    expect(userReads).toHaveLength(3);
    expect(new URL(userReads[0]!.url, 'http://127.0.0.1').searchParams.get('fields')).toBe('email username manager state suspended');
  });
});

describe('a kept page of flows', () => {
  const page = (flows: object[]) => Buffer.from(JSON.stringify({ results: flows, totalCount: flows.length }));

  it('is the same page as another of the same bytes, and not as one whose bytes differ', () => {
    const a = new FlowPage({ bytes: page([{ id: 'f1', name: 'A' }]) });
    expect(a.same(new FlowPage({ bytes: page([{ id: 'f1', name: 'A' }]) }))).toBe(true);
    expect(a.same(new FlowPage({ bytes: page([{ id: 'f1', name: 'B' }]) }))).toBe(false);
  });

  it('is the same page as another holding the very items the answer memo kept, and not as a copy of them', () => {
    const items = Object.freeze([{ id: 'f1', name: 'A' }]);
    expect(new FlowPage({ items }).same(new FlowPage({ items }))).toBe(true);
    expect(new FlowPage({ items }).same(new FlowPage({ items: [...items] }))).toBe(false);
  });
});

describe('a live read cut short', () => {
  it("is unknown and marked stopped when accessctl's own stop cut it short, and unmarked when it failed", async () => {
    const stop = new PlatformError({ method: 'GET', route: routes.flows, message: 'not finished: accessctl is stopping', stopped: true });
    expect(await known(() => Promise.reject(stop))).toEqual({ status: 'unknown', reason: stop.message, stopped: true });
    const failure = new PlatformError({ method: 'GET', route: routes.flows, status: 500, message: 'answered 500' });
    expect(await known(() => Promise.reject(failure))).toEqual({ status: 'unknown', reason: failure.message });
  });
});
