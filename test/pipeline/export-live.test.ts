// Specifies export against a real sandbox: every shape the API allows comes out as a valid config
// repo with no secret values, channels as WebhookChannel and their subscriptions in the settings,
// and a plan of the export against the same org is a no-op.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { exportLive } from '../../src/pipeline/export-live.js';
import { makePlan, withClientScope, type PlanRun } from '../../src/pipeline/make-plan.js';

/** Plans DIR with a client made for its Project target, closed before returning. */
function planWith(dir: string, env: NodeJS.ProcessEnv): Promise<PlanRun> {
  return withClientScope({ env }, (clients) => makePlan({ dir, env, client: clients.for }));
}
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';

const signingSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** Creates, through the API, flows and channels in every shape the API allows. */
async function createEveryShape(h: Harness): Promise<void> {
  const group = (name: string) => h.groupId(name);
  const bob = await h.userId((await h.call<{ results: { username: string }[] }>('GET', '/api/systemusers?limit=1')).body.results[0]!.username);
  const flows: Record<string, unknown>[] = [
    await githubAdminFlow(h, {
      name: 'Manual two levels, multi-select',
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      fixedDuration: undefined,
      multiSelectDuration: ['P7D', 'PT8H', 'PT24H'],
    }),
    await githubAdminFlow(h, {
      name: 'Every approver type, all of them',
      approverRequirement: 'all',
      approverResources: [
        { resourceType: 'manager', resourceOrder: 0, requireAll: true },
        { resourceType: 'user', resourceId: bob, resourceOrder: 0, requireAll: true },
        { resourceType: 'user_group', resourceId: await group('Security Leads'), resourceOrder: 0, requireAll: true },
        { resourceType: 'admin', resourceOrder: 1, requireAll: false },
      ],
      visibleTo: [await group('Engineering Admin'), await group('Engineering All')],
    }),
    await githubAdminFlow(h, {
      name: 'Automatic, permanent, inactive',
      approvalType: 'automated',
      approverResources: [],
      timeBasedAccess: false,
      ttlConfig: 'TTL_CONFIG_UNSPECIFIED',
      fixedDuration: undefined,
      status: 'inactive',
      nonAdminApproval: false,
      iconColor: undefined,
      iconUrl: 'https://icons.example.com/github.png',
      description: '',
    }),
    await githubAdminFlow(h, { name: 'Device admin', category: 'DeviceAdmin', fixedDuration: 'PT90M', iconColor: '#abcdef' }),
  ];
  for (const flow of flows) {
    const answer = await h.call('POST', '/api/v2/approvalflows', JSON.parse(JSON.stringify(flow)));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  }
  // The seed already holds a channel named SIEM, made in the console.
  const channels = [
    {
      name: 'Splunk',
      url: 'https://splunk.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      sensitiveValues: { TOKEN: 'planted-token-value' },
      headers: [
        { name: 'X-Source', value: 'accessctl', sensitive: false },
        { name: 'Authorization', value: 'Bearer planted-auth-value', sensitive: true },
      ],
      signingSecret,
    },
    { name: 'Quiet', url: 'https://quiet.example.com/hook', enabled: false, verifySsl: false, sensitiveValues: {}, headers: [] },
  ];
  const ids: string[] = [];
  for (const channel of channels) {
    const answer = await h.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', channel);
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    ids.push(answer.body.id);
  }
  const settings = await h.call('PUT', '/api/v2/approvalflowsettings', {
    resourceRequest: true,
    exposeApprovalProgress: true,
    adminApprovalEmail: false,
    userRequestEmail: true,
    userApprovalEmail: false,
    channelEvents: [{ channelObjectId: ids[0], eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE'] }],
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
}

describe('export', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    await createEveryShape(h);
    dir = await mkdtemp(join(tmpdir(), 'accessctl-export-'));
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a valid config repo in the layout of examples/access, with no secret values', async () => {
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    const result = await exportLive(client, join(dir, 'out'), { force: false });
    await client.close();
    expect(result.files).toEqual(
      expect.arrayContaining([
        'accessctl.yaml',
        'settings.yaml',
        'flows/device-admin.yaml',
        'channels/splunk.yaml',
        'channels/siem.yaml',
        'channels/quiet.yaml',
        'groups/github-admins.yaml',
      ]),
    );
    expect(result.secrets).toEqual(['SPLUNK_AUTHORIZATION', 'SPLUNK_SIGNING_SECRET', 'SPLUNK_TOKEN']);
    const settings = await readFile(join(dir, 'out', 'settings.yaml'), 'utf8');
    expect(settings).toMatch(/webhooks:\n\s+- channel: Splunk\n\s+events:/);
    const config = await loadConfig(join(dir, 'out'));
    expect(config.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const file of await readdir(join(dir, 'out'), { recursive: true })) {
      if (!file.endsWith('.yaml')) continue;
      const text = await readFile(join(dir, 'out', file), 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=/);
      expect(text).not.toMatch(/planted|whsec_/);
    }
  });

  it('names a live object the config cannot express, writes the rest, and leaves it out', async () => {
    const own = await startHarness();
    try {
      // The platform accepts a 1,024-character description; the config stops at 1,000.
      const long = await own.call('POST', '/api/v2/approvalflows', await githubAdminFlow(own, { name: 'Long Story', description: 'x'.repeat(1024) }));
      expect(long.status, JSON.stringify(long.body)).toBeLessThan(300);
      const client = new JumpCloudClient({ baseUrl: own.sandbox.url, apiKey: own.sandbox.adminKey });
      const out = join(dir, 'inexpressible');
      const result = await exportLive(client, out, { force: false });
      await client.close();
      expect(result.skipped.map((s) => `${s.kind} ${s.name}`)).toEqual(['ApprovalFlow Long Story']);
      expect(result.skipped[0]?.reasons.join(' ')).toMatch(/spec\.description/);
      expect(result.files.some((f) => f.includes('long-story'))).toBe(false);
      const config = await loadConfig(out);
      expect(config.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('round-trips: plan of the export against the same org is a no-op', async () => {
    const run = await planWith(join(dir, 'out'), { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(run.status).toBe('planned');
    if (run.status !== 'planned') return;
    expect(run.plan.changes.map((c) => [c.kind, c.name, c.fields])).toEqual([]);
    expect(run.plan.problems).toEqual([]);
    expect(run.plan.unmanaged).toEqual([]);
    expect(run.plan.noop).toMatchObject({ ApprovalFlow: 4, WebhookChannel: 3, AccessRequestSettings: 1 });
  });

  it('compares the exported secrets once their variables are set, and sees a wrong one', async () => {
    const env = {
      JUMPCLOUD_API_KEY: h.sandbox.adminKey,
      SPLUNK_TOKEN: 'planted-token-value',
      SPLUNK_AUTHORIZATION: 'Bearer planted-auth-value',
      SPLUNK_SIGNING_SECRET: signingSecret,
    };
    const same = await planWith(join(dir, 'out'), env);
    if (same.status !== 'planned') throw new Error(`no plan of the export: ${same.status}`);
    expect(same.plan.changes).toEqual([]);
    expect(same.plan.warnings).toEqual([]);
    const wrong = await planWith(join(dir, 'out'), { ...env, SPLUNK_TOKEN: 'another-value' });
    if (wrong.status !== 'planned') throw new Error(`no plan of the export: ${wrong.status}`);
    expect(wrong.plan.changes).toHaveLength(1);
    expect(wrong.plan.changes[0]).toMatchObject({
      kind: 'WebhookChannel',
      action: 'update',
      name: 'Splunk',
      fields: [{ path: 'spec.secrets', sensitive: true }],
    });
    expect(JSON.stringify(wrong.plan)).not.toContain('another-value');
  });

  it('refuses to write into a directory that has files, unless forced', async () => {
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    await expect(exportLive(client, join(dir, 'out'), { force: false })).rejects.toThrow(/not empty.*--force/);
    await expect(exportLive(client, join(dir, 'out'), { force: true })).resolves.toMatchObject({ secrets: expect.any(Array) });
    await client.close();
  });
});
