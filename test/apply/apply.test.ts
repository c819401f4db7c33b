// Specifies applyPlan against a real sandbox over HTTP, in both profiles, every request held to the
// published contract: independent changes survive a failure, each change settles once, updates are
// read-modify-write (hand-set fields survive), associations really change, and retries tell the truth.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, type ChangeResult } from '../../src/apply/apply.js';
import { findStaleChanges } from '../../src/apply/staleness.js';
import type { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { GROUP_WRITTEN_FIELDS } from '../../src/jumpcloud/fingerprint.js';
import { ClientScope, makePlan } from '../../src/pipeline/make-plan.js';
import type { Change, Plan } from '../../src/plan/plan.js';
import type { SeedFile } from '../../src/sandbox/seed.js';
import { flowSetBody } from './flow-set.js';
import { assertNoViolations, sandboxExtensions, startContractProxy, type ContractProxy } from '../contract/validating-proxy.js';
import { exampleSeed, githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

/** The example's directory with a second application, Slack, associated with no group yet. */
function seedWithSlack(): SeedFile {
  const seed = structuredClone(exampleSeed);
  const org = seed.organizations[0];
  if (org === undefined) throw new Error('the example seed has no organization');
  org.applications = [...(org.applications ?? []), { name: 'slack', displayLabel: 'Slack', description: 'Slack (SAML)' }];
  return seed;
}

const line = (r: ChangeResult): string => `${r.status} ${r.change.action} ${r.change.kind} ${r.change.name}`;

interface FlowRead {
  id: string;
  name: string;
  resources?: { resourceId?: string }[];
  visibleTo?: { id?: string }[];
  [field: string]: unknown;
}

describe.each(['default', 'strict'] as const)('apply against a real sandbox, %s profile', (profile) => {
  let h: Harness;
  let proxy: ContractProxy;
  let dir: string;

  /** Plans with a client of its own, which the caller closes (through `close`) once done with it. */
  async function plan(configDir = dir): Promise<{ plan: Plan; client: JumpCloudClient; close: () => Promise<void> }> {
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: proxy.url };
    const clients = new ClientScope({ env, clientOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } } });
    const run = await makePlan({ dir: configDir, env, client: clients.for });
    if (run.status !== 'planned') {
      await clients.close();
      throw new Error(`no plan: ${JSON.stringify(run.status === 'invalid' ? run.config.diagnostics : run.error.message)}`);
    }
    const client = clients.client;
    if (client === undefined) throw new Error('planned without a client');
    return { plan: run.plan, client, close: () => clients.close() };
  }

  /** Applies a plan, holding onResult to its promise: every change reported exactly once, counted 1..n. */
  async function apply(p: Plan, client: JumpCloudClient): Promise<ChangeResult[]> {
    const reported: { change: Change; done: number; total: number }[] = [];
    const result = await applyPlan(p, { client, secrets: () => undefined, onResult: (r, done, total) => reported.push({ change: r.change, done, total }) });
    expect(reported.map((r) => r.done)).toEqual(p.changes.map((_, i) => i + 1));
    expect(reported.every((r) => r.total === p.changes.length)).toBe(true);
    expect(new Set(reported.map((r) => r.change)).size).toBe(p.changes.length);
    return result.results;
  }

  /** Plans, applies and closes the client. */
  async function planAndApply(): Promise<{ plan: Plan; results: ChangeResult[] }> {
    const run = await plan();
    try {
      return { plan: run.plan, results: await apply(run.plan, run.client) };
    } finally {
      await run.close();
    }
  }

  async function edit(file: string, from: string, to: string): Promise<void> {
    const text = await readFile(join(dir, file), 'utf8');
    if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
    await writeFile(join(dir, file), text.replace(from, to));
  }

  async function flowNamed(name: string): Promise<FlowRead> {
    const list = await h.call<{ results?: FlowRead[] }>('GET', '/api/v2/approvalflows');
    const found = (list.body.results ?? []).find((f) => f.name === name);
    if (!found) throw new Error(`no live flow ${name}`);
    return (await h.call<FlowRead>('GET', `/api/v2/approvalflows/${found.id}`)).body;
  }

  async function applicationIds(): Promise<Record<string, string>> {
    const apps = await h.call<{ results: { _id: string; displayLabel: string }[] }>('GET', '/api/applications');
    return Object.fromEntries(apps.body.results.map((a) => [a.displayLabel, a._id]));
  }

  async function associatedApplications(group: string): Promise<string[]> {
    const answer = await h.call<{ to: { id: string; type: string } }[]>('GET', `/api/v2/usergroups/${await h.groupId(group)}/associations?targets=application`);
    expect(answer.status).toBe(200);
    return answer.body.map((c) => c.to.id).sort();
  }

  const faults = async (rules: Record<string, unknown>[]): Promise<void> => {
    const answer = await h.call('PUT', '/sandbox/v1/faults', { rules });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  };

  beforeEach(async () => {
    h = await startHarness({ hooks: true, profile, seed: seedWithSlack() });
    proxy = await startContractProxy({ upstream: h.sandbox.url, strict: profile === 'strict', extraPaths: profile === 'strict' ? [] : [...sandboxExtensions] });
    dir = await mkdtemp(join(tmpdir(), `accessctl-apply-${profile}-`));
    await cp(examples, dir, { recursive: true });
  });
  afterEach(async () => {
    await proxy.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
    assertNoViolations(proxy);
  });

  it('applies the example, after which a fresh plan is a no-op', async () => {
    const { results } = await planAndApply();
    expect(results.map(line)).toEqual([
      'applied create ApprovalFlow GitHub Admin',
      'applied create ApprovalFlow GitHub User',
      'applied update AccessRequestSettings settings',
    ]);
    const second = await plan();
    await second.close();
    expect(second.plan.changes).toEqual([]);
    expect(second.plan.warnings).toEqual([]);
    const settings = await h.call<{ channelEvents: { eventTypes: string[] }[] }>('GET', '/api/v2/approvalflowsettings');
    expect(settings.body.channelEvents[0]?.eventTypes.sort()).toEqual(['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL']);
  });

  it("refuses to change a flow's category in place, and leaves the live flow as it was", async () => {
    await planAndApply();
    await edit('flows/github-user.yaml', 'category: application', 'category: device-admin');
    const { results } = await planAndApply();
    expect(results.map(line)).toEqual(['failed update ApprovalFlow GitHub User']);
    expect(results[0]?.error).toMatchObject({ code: 'immutable-field' });
    expect(results[0]?.error?.message).toMatch(/category cannot change in place/);
    expect((await flowNamed('GitHub User'))['category']).toBe('Application');
  });

  it('keeps applying the independent changes when one fails, and names the failure', async () => {
    await faults([{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }]);
    const { results } = await planAndApply();
    const byName = Object.fromEntries(results.map((r) => [r.change.name, r]));
    expect(byName['GitHub Admin']).toMatchObject({ status: 'failed', error: { code: 'platform', status: 500 } });
    expect(byName['GitHub User']?.status).toBe('failed');
    expect(byName['settings']?.status).toBe('applied');
    await faults([]);
    const again = await plan();
    await again.close();
    expect(again.plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['create GitHub Admin', 'create GitHub User']);
  });

  it('reports a failed settings PUT as failed, and leaves the settings as they were', async () => {
    const before = await h.call('GET', '/api/v2/approvalflowsettings');
    await faults([{ route: 'PUT /api/v2/approvalflowsettings', errorRate: 1, status: 500 }]);
    const { results } = await planAndApply();
    expect(results.map((r) => `${r.status} ${r.change.kind} ${r.change.name}`)).toEqual([
      'applied ApprovalFlow GitHub Admin',
      'applied ApprovalFlow GitHub User',
      'failed AccessRequestSettings settings',
    ]);
    expect(results[2]?.error).toMatchObject({ code: 'platform', status: 500 });
    await faults([]);
    expect((await h.call('GET', '/api/v2/approvalflowsettings')).body).toEqual(before.body);
  });

  it('skips a flow whose grant group failed to be created, saying why', async () => {
    await edit('groups/github-admins.yaml', 'name: GitHub Admins', 'name: GitHub Owners');
    await edit('flows/github-admin.yaml', 'grantGroup: GitHub Admins', 'grantGroup: GitHub Owners');
    await faults([{ route: 'POST /api/v2/usergroups', errorRate: 1, status: 500 }]);
    const { results } = await planAndApply();
    const admin = results.find((r) => r.change.name === 'GitHub Admin');
    expect(admin).toMatchObject({
      status: 'failed',
      error: { code: 'dependency-failed', message: 'user group "GitHub Owners" was not created (its change failed)' },
    });
    expect(results.find((r) => r.change.name === 'GitHub User')?.status).toBe('applied');
  });

  it('renames a flow in place through previousNames, keeping its id', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Old Admin' }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    await edit('flows/github-admin.yaml', '  name: GitHub Admin\n', '  name: GitHub Admin\n  previousNames: [Old Admin]\n');
    const { results } = await planAndApply();
    expect(results.find((r) => r.change.name === 'GitHub Admin')).toMatchObject({ status: 'applied', change: { action: 'update', renamedFrom: 'Old Admin' } });
    const read = await h.call<{ name: string }>('GET', `/api/v2/approvalflows/${created.body.id}`);
    expect(read.body.name).toBe('GitHub Admin');
    const again = await plan();
    await again.close();
    expect(again.plan.changes).toEqual([]);
  });

  it('prunes a flow that left git', async () => {
    await planAndApply();
    const user = await flowNamed('GitHub User');
    await rm(join(dir, 'flows', 'github-user.yaml'));
    const { plan: pruning, results } = await planAndApply();
    expect(pruning.blocked).toEqual([]);
    expect(results.map(line)).toEqual(['applied delete ApprovalFlow GitHub User']);
    expect(results[0]).not.toHaveProperty('confirmedByRetry');
    expect((await h.call('GET', `/api/v2/approvalflows/${user.id}`)).status).toBe(404);
  });

  it('reports a retried DELETE whose first attempt committed as applied, confirmed by the retry', async () => {
    await planAndApply();
    const user = await flowNamed('GitHub User');
    await rm(join(dir, 'flows', 'github-user.yaml'));
    // Every DELETE is carried out, then its connection is cut before the answer: the retry finds it gone.
    await faults([{ route: 'DELETE /api/v2/approvalflows/{approvalFlowId}', resetAfterRate: 1 }]);
    const { results } = await planAndApply();
    expect(results).toEqual([
      expect.objectContaining({ status: 'applied', confirmedByRetry: true, change: expect.objectContaining({ action: 'delete', name: 'GitHub User' }) }),
    ]);
    expect(results[0]).not.toHaveProperty('error');
    await faults([]);
    expect((await h.call('GET', `/api/v2/approvalflows/${user.id}`)).status).toBe(404);
  });

  it('refuses to prune flows to empty', async () => {
    await planAndApply();
    await rm(join(dir, 'flows'), { recursive: true });
    const pruning = await plan();
    await pruning.close();
    expect(pruning.plan.blocked.map((b) => `${b.kind} ${b.name}`)).toEqual(['ApprovalFlow GitHub Admin', 'ApprovalFlow GitHub User']);
    expect(pruning.plan.blocked.every((b) => b.reason.includes('refusing to prune to empty'))).toBe(true);
  });

  it("keeps a group's attributes, email and member rule set by hand when only its description changes", async () => {
    const gid = await h.groupId('Engineering Admin');
    const byHand = {
      email: 'eng-admin@example.com',
      attributes: { sudo: { enabled: true, withoutPassword: false } },
      memberQuery: { queryType: 'FilterQuery', filters: ['department:$eq:Engineering'] },
      memberSuggestionsNotify: true,
      membershipMethod: 'DYNAMIC_REVIEW_REQUIRED',
    };
    const put = await h.call('PUT', `/api/v2/usergroups/${gid}`, {
      name: 'Engineering Admin',
      description: 'Engineering managers and above, who may request owner access to GitHub',
      ...byHand,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await edit('groups/engineering-admin.yaml', 'description: Engineering managers and above', 'description: Managers and above');
    const { results } = await planAndApply();
    expect(results.find((r) => r.change.name === 'Engineering Admin')).toMatchObject({
      status: 'applied',
      change: { action: 'update', fields: [{ path: 'spec.description' }] },
    });
    const after = await h.call<Record<string, unknown>>('GET', `/api/v2/usergroups/${gid}`);
    expect(after.body).toMatchObject({ name: 'Engineering Admin', description: 'Managers and above, who may request owner access to GitHub', ...byHand });
  });

  it('keeps slackEnabled and slackConfig set by hand when it updates a flow', async () => {
    await planAndApply();
    const flow = await flowNamed('GitHub Admin');
    const set = flowSetBody(flow, { slackEnabled: true, slackConfig: [{ slackResourceId: 'C0SECOPS' }] });
    const put = await h.call('PUT', `/api/v2/approvalflows/${flow.id}`, set);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await edit('flows/github-admin.yaml', 'description: Owner access', 'description: Admin access');
    const { results } = await planAndApply();
    expect(results.map(line)).toEqual(['applied update ApprovalFlow GitHub Admin']);
    const after = await flowNamed('GitHub Admin');
    expect(after).toMatchObject({
      description: 'Admin access to the GitHub organisation for engineering managers',
      slackEnabled: true,
      slackConfig: [{ slackResourceId: 'C0SECOPS' }],
      iconColor: '#006CAC',
    });
  });

  it("changes only a subscription's events, keeping every other settings field", async () => {
    await planAndApply();
    await edit(
      'settings.yaml',
      '        - access_management_access_request_approval\n',
      '        - access_management_access_request_approval\n        - access_management_approval_flow_create\n',
    );
    const { plan: changed, results } = await planAndApply();
    expect(changed.changes.map((c) => c.fields.map((f) => f.path))).toEqual([['spec.webhooks[0].events']]);
    expect(results.map(line)).toEqual(['applied update AccessRequestSettings settings']);
    const after = await h.call<Record<string, unknown>>('GET', '/api/v2/approvalflowsettings');
    expect(after.body).toMatchObject({
      resourceRequest: true,
      exposeApprovalProgress: true,
      adminApprovalEmail: true,
      userRequestEmail: true,
      userApprovalEmail: true,
      channelEvents: [
        {
          channelObjectId: profile === 'strict' ? 'ZaAAAAAAAAAAAADB' : '65a0000000000000000000c1',
          eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL', 'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE'],
        },
      ],
    });
  });

  it("adds and removes a group's application associations", async () => {
    const apps = await applicationIds();
    const [github, slack] = [apps['GitHub'], apps['Slack']];
    if (github === undefined || slack === undefined) throw new Error('the seed has no GitHub or no Slack');
    expect(await associatedApplications('GitHub Users')).toEqual([github]);
    await edit('groups/github-users.yaml', 'applications: [GitHub]', 'applications: [Slack]');
    await edit('groups/github-admins.yaml', 'applications: [GitHub]', 'applications: [GitHub, Slack]');
    const { results } = await planAndApply();
    expect(results.filter((r) => r.change.kind === 'GroupAssignment').map(line)).toEqual([
      'applied update GroupAssignment GitHub Admins',
      'applied update GroupAssignment GitHub Users',
    ]);
    expect(await associatedApplications('GitHub Users')).toEqual([slack]);
    expect(await associatedApplications('GitHub Admins')).toEqual([github, slack].sort());
    const again = await plan();
    await again.close();
    expect(again.plan.changes).toEqual([]);
  });

  it('settles a group change once, as failed, when its associations fail after its PUT', async () => {
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    await edit('groups/github-users.yaml', 'applications: [GitHub]', 'applications: [Slack]');
    await faults([{ route: 'POST /api/v2/usergroups/{group_id}/associations', errorRate: 1, status: 500 }]);
    const { results } = await planAndApply();
    const group = results.filter((r) => r.change.name === 'GitHub Users');
    expect(group).toEqual([expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'platform', status: 500 }) })]);
    await faults([]);
    // The PUT landed; the association did not.
    expect((await h.call<{ description: string }>('GET', `/api/v2/usergroups/${await h.groupId('GitHub Users')}`)).body.description).toBe(
      'All members of the GitHub organisation, granted through the GitHub User flow',
    );
    expect(await associatedApplications('GitHub Users')).toEqual([(await applicationIds())['GitHub']]);
  });

  it('finds a saved plan stale once an object it touches changed, and names it', async () => {
    await planAndApply();
    await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
    const saved = await plan();
    const change = saved.plan.changes.find((c) => c.name === 'GitHub User');
    if (change?.action !== 'update') throw new Error('expected an update of GitHub User');
    expect(await findStaleChanges(saved.plan, saved.client)).toEqual([]);
    const flow = await flowNamed('GitHub User');
    const put = await h.call('PUT', `/api/v2/approvalflows/${change.id}`, flowSetBody(flow, { description: 'changed by someone else' }));
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stale = await findStaleChanges(saved.plan, saved.client);
    await saved.close();
    expect(stale.map((s) => s.reason)).toEqual([`ApprovalFlow "GitHub User" (id ${change.id}) changed since the plan was made`]);
  });

  it("refuses to overwrite a flow another writer changed after the plan, keeps that writer's change, and applies the rest", async () => {
    await planAndApply();
    await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    const made = await plan();
    try {
      const change = made.plan.changes.find((c) => c.name === 'GitHub User');
      if (change?.action !== 'update') throw new Error('expected an update of GitHub User');
      // Between the plan and the write, someone else changes the flow.
      const put = await h.call(
        'PUT',
        `/api/v2/approvalflows/${change.id}`,
        flowSetBody(await flowNamed('GitHub User'), { description: 'changed by someone else' }),
      );
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const results = await apply(made.plan, made.client);
      expect(results.find((r) => r.change === change)).toMatchObject({
        status: 'failed',
        error: {
          code: 'changed-since-plan',
          message:
            'ApprovalFlow "GitHub User" changed on the platform since the plan was made (someone else wrote it); not overwritten, and the next plan shows both',
        },
      });
      expect(results.filter((r) => r.change !== change).map(line)).toEqual(['applied update GroupAssignment GitHub Users']);
      expect((await flowNamed('GitHub User'))['description']).toBe('changed by someone else');
    } finally {
      await made.close();
    }
    // The next plan sees both: the other writer's description and the config's duration.
    const next = await plan();
    await next.close();
    expect(next.plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['update GitHub User']);
  });

  it("refuses to overwrite a group another writer changed after the plan, keeping that writer's change", async () => {
    await planAndApply();
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    const made = await plan();
    try {
      const groupId = await h.groupId('GitHub Users');
      const live = await h.call<Record<string, unknown>>('GET', `/api/v2/usergroups/${groupId}`);
      const writable = Object.fromEntries(GROUP_WRITTEN_FIELDS.filter((f) => live.body[f] !== undefined).map((f) => [f, live.body[f]]));
      const put = await h.call('PUT', `/api/v2/usergroups/${groupId}`, { ...writable, description: 'edited in the console' });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const results = await apply(made.plan, made.client);
      expect(results.map((r) => `${line(r)} ${r.error?.code ?? ''}`.trim())).toEqual(['failed update GroupAssignment GitHub Users changed-since-plan']);
      expect((await h.call<{ description: string }>('GET', `/api/v2/usergroups/${groupId}`)).body.description).toBe('edited in the console');
    } finally {
      await made.close();
    }
  });
});
