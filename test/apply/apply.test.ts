import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, type ChangeResult } from '../../src/apply/apply.js';
import { findStaleChanges } from '../../src/apply/staleness.js';
import { makePlan } from '../../src/pipeline/make-plan.js';
import type { Plan } from '../../src/plan/plan.js';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const secrets: Record<string, string> = {
  SIEM_TOKEN: 'token-for-tests',
  SIEM_AUTH: 'Bearer auth-for-tests',
  SIEM_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
};

describe('apply against a real sandbox', () => {
  let h: Harness;
  let dir: string;
  const harnesses: Harness[] = [];

  async function plan(env: Record<string, string> = secrets, configDir = dir): Promise<{ plan: Plan; close: () => Promise<void>; run: Awaited<ReturnType<typeof makePlan>> }> {
    const run = await makePlan({
      dir: configDir,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...env },
      clientOptions: { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } },
    });
    if (!run.ok) throw new Error(`invalid config: ${JSON.stringify(run.config.diagnostics)}`);
    return { plan: run.plan, close: () => run.client.close(), run };
  }

  async function apply(p: Plan, run: Awaited<ReturnType<typeof makePlan>>, env: Record<string, string> = secrets): Promise<ChangeResult[]> {
    if (!run.ok) throw new Error('invalid');
    const result = await applyPlan(p, { client: run.client, secrets: (name) => env[name] });
    return result.results;
  }

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    harnesses.push(h);
    dir = await mkdtemp(join(tmpdir(), 'accessctl-apply-'));
    await cp(examples, dir, { recursive: true });
  });
  afterAll(async () => {
    for (const harness of harnesses) await harness.close();
  });

  it('applies the example, after which a fresh plan is a no-op', async () => {
    const first = await plan();
    const results = await apply(first.plan, first.run);
    await first.close();
    expect(results.map((r) => `${r.status} ${r.change.action} ${r.change.kind} ${r.change.name}`)).toEqual([
      'applied create WebhookSubscription SIEM',
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
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps applying the independent changes when one fails, and names the failure', async () => {
    const faults = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }] });
    expect(faults.status).toBe(200);
    const first = await plan();
    const results = await apply(first.plan, first.run);
    await first.close();
    const byName = Object.fromEntries(results.map((r) => [r.change.name, r]));
    expect(byName['GitHub Admin']).toMatchObject({ status: 'failed', error: { code: 'platform', status: 500 } });
    expect(byName['GitHub User']?.status).toBe('failed');
    expect(byName['SIEM']?.status).toBe('applied');
    expect(byName['settings']?.status).toBe('applied');
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    const again = await plan();
    await again.close();
    expect(again.plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['create GitHub Admin', 'create GitHub User']);
  });

  it('skips a flow whose grant group failed to be created, saying why', async () => {
    const text = await readFile(join(dir, 'groups', 'github-admins.yaml'), 'utf8');
    await writeFile(join(dir, 'groups', 'github-admins.yaml'), text.replace('name: GitHub Admins', 'name: GitHub Owners'));
    const flow = await readFile(join(dir, 'flows', 'github-admin.yaml'), 'utf8');
    await writeFile(join(dir, 'flows', 'github-admin.yaml'), flow.replace('grantGroup: GitHub Admins', 'grantGroup: GitHub Owners'));
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/usergroups', errorRate: 1, status: 500 }] });
    const first = await plan();
    const results = await apply(first.plan, first.run);
    await first.close();
    const admin = results.find((r) => r.change.name === 'GitHub Admin');
    expect(admin).toMatchObject({ status: 'failed', error: { code: 'dependency-failed', message: 'user group "GitHub Owners" was not created (its change failed)' } });
    expect(results.find((r) => r.change.name === 'GitHub User')?.status).toBe('applied');
  });

  it('renames a flow in place through previousNames, keeping its id', async () => {
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'Old Admin' }));
    const flow = await readFile(join(dir, 'flows', 'github-admin.yaml'), 'utf8');
    await writeFile(join(dir, 'flows', 'github-admin.yaml'), flow.replace('  name: GitHub Admin\n', '  name: GitHub Admin\n  previousNames: [Old Admin]\n'));
    const first = await plan();
    await apply(first.plan, first.run);
    await first.close();
    const read = await h.call<{ name: string }>('GET', `/api/v2/approvalflows/${created.body.id}`);
    expect(read.body.name).toBe('GitHub Admin');
    const again = await plan();
    await again.close();
    expect(again.plan.changes).toEqual([]);
  });

  it('prunes flows and channels that left git, removing a channel from the settings before deleting it', async () => {
    const first = await plan();
    await apply(first.plan, first.run);
    await first.close();
    const legacy = await h.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', { name: 'Legacy', url: 'https://legacy.example.com/in', sensitiveValues: {}, headers: [] });
    const settings = await h.call<{ channelEvents: { channelObjectId: string; eventTypes: string[] }[] }>('GET', '/api/v2/approvalflowsettings');
    const subscribed = await h.call('PUT', '/api/v2/approvalflowsettings', {
      channelEvents: [...settings.body.channelEvents, { channelObjectId: legacy.body.id, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });
    expect(subscribed.status).toBe(200);
    await rm(join(dir, 'flows', 'github-user.yaml'));
    const pruning = await plan();
    expect(pruning.plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['delete ApprovalFlow GitHub User', 'delete WebhookSubscription Legacy']);
    expect(pruning.plan.blocked).toEqual([]);
    const results = await apply(pruning.plan, pruning.run);
    await pruning.close();
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    const channels = await h.call<{ results: { name: string }[] }>('GET', '/api/v2/notifications/webhook/channels');
    expect(channels.body.results.map((c) => c.name)).toEqual(['SIEM']);
    const after = await h.call<{ channelEvents: { channelObjectId: string }[] }>('GET', '/api/v2/approvalflowsettings');
    expect(after.body.channelEvents.map((c) => c.channelObjectId)).not.toContain(legacy.body.id);
  });

  it('refuses to prune a kind to empty', async () => {
    const first = await plan();
    await apply(first.plan, first.run);
    await first.close();
    await rm(join(dir, 'webhooks'), { recursive: true });
    const pruning = await plan();
    await pruning.close();
    expect(pruning.plan.blocked).toEqual([
      expect.objectContaining({ kind: 'WebhookSubscription', name: 'SIEM', reason: expect.stringContaining('refusing to prune to empty') }),
    ]);
  });

  it('finds a saved plan stale once an object it touches changed, and names it', async () => {
    const first = await plan();
    await apply(first.plan, first.run);
    await first.close();
    const flow = await readFile(join(dir, 'flows', 'github-user.yaml'), 'utf8');
    await writeFile(join(dir, 'flows', 'github-user.yaml'), flow.replace('duration: P30D', 'duration: P14D'));
    const saved = await plan();
    const change = saved.plan.changes.find((c) => c.name === 'GitHub User')!;
    expect(await findStaleChanges(saved.plan, saved.run.ok ? saved.run.client : (undefined as never))).toEqual([]);
    const live = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${change.id}`);
    const { id: _id, resources, visibleTo, createdBy: _c, updatedBy: _u, organizationId: _o, ...rest } = live.body as Record<string, unknown> & { resources: { resourceId: string }[]; visibleTo: { id: string }[] };
    const put = await h.call('PUT', `/api/v2/approvalflows/${change.id}`, {
      ...rest,
      description: 'changed by someone else',
      resourceId: resources[0]!.resourceId,
      resourceType: 'user_group',
      visibleTo: visibleTo.map((v) => v.id),
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stale = await findStaleChanges(saved.plan, saved.run.ok ? saved.run.client : (undefined as never));
    await saved.close();
    expect(stale.map((s) => s.reason)).toEqual([`ApprovalFlow "GitHub User" (id ${change.id}) changed since the plan was made`]);
  });
});
