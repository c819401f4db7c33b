// Specifies a plan run against a real sandbox: what the example creates, list calls only, drift and
// renames, unknown lists, located problems, no secret in any rendering; and, against the strict
// profile, kinds the target does not serve and live flows holding values the mapping does not know.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/config/desired.js';
import { makePlan, namesUserApprover, withClientScope } from '../../src/pipeline/make-plan.js';
import { isApplicable, type Plan } from '../../src/plan/plan.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText } from '../../src/plan/render-text.js';
import { githubAdminFlow, startHarness, startStrictHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const PLANTED = 'PLANTED-FAKE-SECRET-4c1e8a';

describe('plan against a real sandbox', () => {
  let h: Harness;
  let dir: string;

  async function plan(configDir: string, env: Record<string, string> = {}): Promise<Plan> {
    const all = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...env };
    const run = await withClientScope({ env: all }, (clients) => makePlan({ dir: configDir, env: all, client: clients.for }));
    if (run.status !== 'planned') throw new Error(`no plan: ${JSON.stringify(run.status === 'invalid' ? run.config.diagnostics : run.error.message)}`);
    return run.plan;
  }

  async function writeFlow(name: string, yaml: string): Promise<void> {
    await writeFile(join(dir, 'flows', `${name}.yaml`), yaml);
  }

  beforeAll(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-'));
    await cp(examples, dir, { recursive: true });
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
  });

  it('shows every object of the example to create against the seeded directory, subscribing the console-made channel by id', async () => {
    const result = await plan(dir);
    const creates = result.changes.filter((c) => c.action === 'create').map((c) => `${c.kind} ${c.name}`);
    expect(creates).toEqual(['ApprovalFlow GitHub Admin', 'ApprovalFlow GitHub User']);
    expect(result.problems).toEqual([]);
    expect(result.changes.filter((c) => c.action === 'delete')).toEqual([]);
    // Subscribing an existing channel needs no channel secret in the environment.
    expect(result.warnings).toEqual([]);
    const settings = result.changes.find((c) => c.kind === 'AccessRequestSettings');
    expect(settings?.fields).toContainEqual({
      path: 'spec.webhooks',
      before: [],
      after: [{ channel: 'id:65a0000000000000000000c1', events: ['access_management_access_request', 'access_management_access_request_approval'] }],
    });
  });

  it('returns invalid without making a client, and unplannable instead of throwing, never handing back a client', async () => {
    let made = 0;
    const invalid = await makePlan({
      dir: 'test/fixtures/locations/type-sometimes.yaml',
      client: () => {
        made++;
        throw new Error('no client may be made for an invalid config');
      },
    });
    expect(invalid.status).toBe('invalid');
    expect(made).toBe(0);

    // A refused key: the plan cannot be made, and the scope that made the client closes it.
    const env = { JUMPCLOUD_API_KEY: 'wrong-key', JUMPCLOUD_API_URL: h.sandbox.url };
    let closed = 0;
    const refused = await withClientScope(
      { env, clientOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } } },
      async (clients) => {
        const run = await makePlan({ dir, env, client: clients.for });
        const client = clients.client!;
        const close = client.close.bind(client);
        client.close = async () => {
          closed++;
          await close();
        };
        return run;
      },
    );
    expect(refused.status).toBe('unplannable');
    expect(refused).not.toHaveProperty('client');
    expect(refused.status === 'unplannable' && refused.error.code).toBe('platform');
    expect(refused.status === 'unplannable' && refused.error.message).toMatch(/401/);
    expect(closed).toBe(1);

    // No key at all: unplannable with the usage error naming the variable, and no client made.
    const noKey = await withClientScope({ env: { JUMPCLOUD_API_URL: h.sandbox.url } }, (clients) => makePlan({ dir, client: clients.for }));
    expect(noKey.status === 'unplannable' && noKey.error).toMatchObject({ code: 'usage', message: expect.stringContaining('JUMPCLOUD_API_KEY') });
  });

  it('reads live state with list calls only: at most one call per list and per managed group', async () => {
    await h.call('DELETE', '/sandbox/v1/requests');
    await plan(dir);
    const counts = (await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    // 6 lists (+ users only when a flow names a user) + associations of the 2 groups with applications,
    // + the access impact of the 2 new flows: the users and the members of the 3 groups they name
    expect(total).toBeLessThanOrEqual(12);
    expect(Object.keys(counts).every((route) => route.startsWith('GET '))).toBe(true);
  });

  it('shows exactly the field changed through the API', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Drifted', fixedDuration: 'P7D' }));
    await writeFlow(
      'drifted',
      [
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: Drifted}',
        'spec:',
        '  description: Admin access to GitHub for engineering managers',
        '  grantGroup: GitHub Admins',
        '  visibleTo: [Engineering Admin]',
        '  approval:',
        '    type: manual',
        '    nonAdminApprovers: true',
        '    levels:',
        '      - approvers: [{manager: true}]',
        '      - approvers: [{group: Security Leads}]',
        '  access: {duration: P7D}',
        '  display: {color: "#006CAC"}',
        '',
      ].join('\n'),
    );
    const before = await plan(dir);
    expect(before.changes.find((c) => c.name === 'Drifted')).toBeUndefined();
    const flow = (await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${created.body.id}`)).body;
    const put = await h.call('PUT', `/api/v2/approvalflows/${created.body.id}`, {
      ...(await githubAdminFlow(h, { name: 'Drifted', fixedDuration: 'P1D' })),
      category: flow['category'],
    });
    expect(put.status).toBe(200);
    const after = await plan(dir);
    const change = after.changes.find((c) => c.name === 'Drifted');
    expect(change).toMatchObject({ action: 'update', id: created.body.id, fields: [{ path: 'spec.access.duration', before: 'P1D', after: 'P7D' }] });
    await rm(join(dir, 'flows', 'drifted.yaml'));
    await h.call('DELETE', `/api/v2/approvalflows/${created.body.id}`);
  });

  it('renames through previousNames instead of deleting and recreating', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Github Admins (old)' }));
    const text = await readFile(join(dir, 'flows', 'github-admin.yaml'), 'utf8');
    await writeFlow('github-admin', text.replace('  name: GitHub Admin\n', '  name: GitHub Admin\n  previousNames: [Github Admins (old)]\n'));
    const result = await plan(dir);
    const change = result.changes.find((c) => c.kind === 'ApprovalFlow' && c.name === 'GitHub Admin');
    expect(change).toMatchObject({ action: 'update', id: created.body.id, renamedFrom: 'Github Admins (old)' });
    expect(change?.fields[0]).toEqual({ path: 'metadata.name', before: 'Github Admins (old)', after: 'GitHub Admin' });
    expect(result.changes.some((c) => c.action === 'delete')).toBe(false);
    await writeFlow('github-admin', text);
    await h.call('DELETE', `/api/v2/approvalflows/${created.body.id}`);
  });

  it('treats a list that fails as unknown, never as empty, even with prune on', async () => {
    const extra = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Not in git' }));
    // The example prunes approval flows: a readable list plans the deletion.
    const readable = await plan(dir);
    expect(readable.changes).toContainEqual(expect.objectContaining({ action: 'delete', name: 'Not in git' }));
    const faults = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/approvalflows', errorRate: 1, status: 503 }] });
    expect(faults.status).toBe(200);
    const run = await withClientScope(
      {
        env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url },
        clientOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } },
      },
      (clients) => makePlan({ dir, client: clients.for }),
    );
    if (run.status !== 'planned') throw new Error(run.status);
    expect(run.plan.unknown).toEqual(['ApprovalFlow']);
    expect(run.plan.changes.filter((c) => c.kind === 'ApprovalFlow')).toEqual([]);
    expect(run.plan.unmanaged.filter((u) => u.kind === 'ApprovalFlow')).toEqual([]);
    expect(run.plan.problems.map((p) => p.code)).toContain('live-unknown');
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    await h.call('DELETE', `/api/v2/approvalflows/${extra.body.id}`);
  });

  it('names the file:line:col of a reference to a group that does not exist', async () => {
    const text = await readFile(join(dir, 'flows', 'github-user.yaml'), 'utf8');
    await writeFlow('github-user', text.replace('visibleTo: [Engineering User]', 'visibleTo: [Engineering Interns]'));
    const result = await plan(dir);
    expect(result.problems).toContainEqual(
      expect.objectContaining({
        code: 'unknown-group',
        message: 'group "Engineering Interns" does not exist on the platform',
        source: { file: expect.stringMatching(/github-user\.yaml$/), line: 10, column: 15 },
      }),
    );
    await writeFlow('github-user', text);
  });

  it('never shows a secret value in any rendering, with a planted fake key', async () => {
    await mkdir(join(dir, 'channels'), { recursive: true });
    await writeFile(
      join(dir, 'channels', 'pager.yaml'),
      [
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata: {name: Pager}',
        'spec:',
        '  url: https://pager.example.com/in/{{TOKEN}}',
        '  secrets: {TOKEN: {env: SIEM_TOKEN}}',
        '  headers: {Authorization: {env: SIEM_AUTH}}',
        '  signingSecret: {env: SIEM_SIGNING_SECRET}',
        '',
      ].join('\n'),
    );
    const env = {
      SIEM_TOKEN: PLANTED,
      SIEM_AUTH: `Bearer ${PLANTED}`,
      SIEM_SIGNING_SECRET: `whsec_${Buffer.from(PLANTED.padEnd(32, 'x')).toString('base64')}`,
    };
    const result = await plan(dir, env);
    await rm(join(dir, 'channels'), { recursive: true });
    expect(result.changes.some((c) => c.kind === 'WebhookChannel' && c.name === 'Pager')).toBe(true);
    for (const rendered of [renderText(result, false), renderText(result, true), renderJson(result), renderMarkdown(result)]) {
      expect(rendered).not.toContain(PLANTED);
      expect(rendered).not.toContain(h.sandbox.adminKey);
      expect(rendered).not.toContain(env.SIEM_SIGNING_SECRET);
    }
  });
});

describe('plan against the strict profile (only what JumpCloud publishes)', () => {
  let h: Harness;
  let dir: string;

  async function plan(): Promise<Plan> {
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
    const run = await withClientScope({ env }, (clients) => makePlan({ dir, env, client: clients.for }));
    if (run.status !== 'planned') throw new Error(`no plan: ${JSON.stringify(run.status === 'invalid' ? run.config.diagnostics : run.error.message)}`);
    return run.plan;
  }

  beforeAll(async () => {
    h = await startStrictHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-strict-'));
    await cp(examples, dir, { recursive: true });
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plans the example with nothing unsupported: it needs no extension endpoint', async () => {
    const result = await plan();
    expect(result.unsupported).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(isApplicable(result)).toBe(true);
    expect(result.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'create ApprovalFlow GitHub Admin',
      'create ApprovalFlow GitHub User',
      'update AccessRequestSettings settings',
    ]);
  });

  it('reports a declared WebhookChannel as not supported by this target at its file:line:col, and still plans the other kinds', async () => {
    await mkdir(join(dir, 'channels'), { recursive: true });
    await writeFile(
      join(dir, 'channels', 'pager.yaml'),
      ['apiVersion: accessctl/v1', 'kind: WebhookChannel', 'metadata:', '  name: Pager', 'spec:', '  url: https://pager.example.com/in', ''].join('\n'),
    );
    const result = await plan();
    await rm(join(dir, 'channels'), { recursive: true });
    expect(result.unsupported).toEqual([{ kind: 'WebhookChannel', reason: expect.stringContaining('answered 404') }]);
    expect(result.problems).toEqual([
      {
        code: 'unsupported-kind',
        kind: 'WebhookChannel',
        name: 'Pager',
        source: { file: expect.stringMatching(/channels\/pager\.yaml$/), line: 4, column: 9 },
        message: expect.stringContaining('WebhookChannel is not supported by this target'),
      },
    ]);
    expect(result.unknown).toEqual([]);
    expect(result.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'create ApprovalFlow GitHub Admin',
      'create ApprovalFlow GitHub User',
      'update AccessRequestSettings settings',
    ]);
  });

  it('shows a live flow holding a value it does not know as unmanageable, and never changes or deletes it', async () => {
    // A strict PUT that leaves status out sets it to "" (the protobuf zero), which no mapping knows.
    const ids: string[] = [];
    for (const name of ['GitHub Admin', 'Made In Console']) {
      const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name }));
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const { category: _c, resourceType: _r, status: _s, ...set } = await githubAdminFlow(h, { name, description: 'set by hand' });
      const put = await h.call('PUT', `/api/v2/approvalflows/${created.body.id}`, set);
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      ids.push(created.body.id);
    }
    const before = await Promise.all(ids.map(async (id) => (await h.call('GET', `/api/v2/approvalflows/${id}`)).body));
    // The example prunes ApprovalFlow: "Made In Console" would be deleted if it were managed.
    const result = await plan();
    expect(result.unmanageable).toEqual([
      {
        kind: 'ApprovalFlow',
        name: 'GitHub Admin',
        id: ids[0],
        reasons: ['status ""'],
        source: { file: expect.stringMatching(/github-admin\.yaml$/), line: 5, column: 9 },
      },
      { kind: 'ApprovalFlow', name: 'Made In Console', id: ids[1], reasons: ['status ""'] },
    ]);
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ code: 'unmanageable', kind: 'ApprovalFlow', name: 'GitHub Admin', message: expect.stringContaining('status ""') }),
    );
    expect(result.changes.filter((c) => c.kind === 'ApprovalFlow').map((c) => `${c.action} ${c.name}`)).toEqual(['create GitHub User']);
    expect(result.unmanaged).toEqual([]);
    const after = await Promise.all(ids.map(async (id) => (await h.call('GET', `/api/v2/approvalflows/${id}`)).body));
    expect(after).toEqual(before);
  });
});

describe('namesUserApprover', () => {
  const withLevels = (...flows: (object[] | undefined)[]): DesiredState =>
    ({
      flows: flows.map((levels) => ({ object: { spec: { approval: levels === undefined ? { type: 'automatic' } : { type: 'manual', levels } } } })),
    }) as unknown as DesiredState;

  it('is true only when some level of some flow names a user', () => {
    expect(namesUserApprover(withLevels())).toBe(false);
    expect(namesUserApprover(withLevels(undefined, [{ approvers: [{ manager: true }, { group: 'Leads' }] }]))).toBe(false);
    expect(namesUserApprover(withLevels(undefined, [{ approvers: [{ manager: true }] }, { approvers: [{ group: 'Leads' }, { user: 'alice' }] }]))).toBe(true);
  });
});
