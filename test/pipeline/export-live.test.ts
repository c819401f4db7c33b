// Specifies export against a real sandbox: every shape the API allows comes out as a valid config
// repo with no secret values, channels as WebhookChannel and their subscriptions in the settings,
// and a plan of the export against the same org is a no-op.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { EXPORT_MANIFEST, exportLive } from '../../src/pipeline/export-live.js';
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

describe('export --force over an earlier export', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-reexport-'));
    // A flow that stays live keeps its groups (and their schema) in every export.
    await createFlow('Stays');
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function exportTo(out: string, force: boolean) {
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    try {
      return await exportLive(client, out, { force });
    } finally {
      await client.close();
    }
  }

  async function createFlow(name: string): Promise<string> {
    const answer = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name }));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.id;
  }

  it('removes the unchanged files of flows deleted since, keeps an edited one and hand-written files, and names them', async () => {
    const doomed = await createFlow('Doomed');
    const edited = await createFlow('Edited');
    const out = join(dir, 'repo');
    const first = await exportTo(out, false);
    expect(first.files).toEqual(expect.arrayContaining(['flows/doomed.yaml', 'flows/edited.yaml']));
    expect(JSON.parse(await readFile(join(out, EXPORT_MANIFEST), 'utf8')).files).toHaveProperty(['flows/doomed.yaml']);
    // The user edits one exported file and writes a note of their own beside the config.
    await writeFile(join(out, 'flows', 'edited.yaml'), `# reviewed by the security team\n${await readFile(join(out, 'flows', 'edited.yaml'), 'utf8')}`);
    await writeFile(join(out, 'flows', 'NOTES.md'), 'hand-written\n');
    for (const id of [doomed, edited]) expect((await h.call('DELETE', `/api/v2/approvalflows/${id}`)).status).toBeLessThan(300);

    const again = await exportTo(out, true);
    expect(again.removed).toEqual(['flows/doomed.yaml']);
    expect(again.kept).toEqual([{ path: 'flows/edited.yaml', reason: expect.stringMatching(/edited after the earlier export/) }]);
    expect(again.foreign).toEqual(['flows/edited.yaml']);
    await expect(stat(join(out, 'flows', 'doomed.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(out, 'flows', 'NOTES.md'), 'utf8')).toBe('hand-written\n');
    expect(JSON.parse(await readFile(join(out, EXPORT_MANIFEST), 'utf8')).files).not.toHaveProperty(['flows/doomed.yaml']);

    // Once the user removes the file they kept, the folder is exactly the live state.
    await rm(join(out, 'flows', 'edited.yaml'));
    const run = await planWith(out, { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    if (run.status !== 'planned') throw new Error(`no plan of the export: ${run.status}`);
    expect(run.plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([]);
  });

  it('never acts on a manifest path outside the folders export writes, nor on a file a manifest does not name', async () => {
    const out = join(dir, 'hostile');
    await exportTo(out, false);
    const victim = join(dir, 'victim.yaml');
    const text = 'apiVersion: accessctl/v1\nkind: ApprovalFlow\n';
    await writeFile(victim, text);
    const sha = createHash('sha256').update(text).digest('hex');
    const manifest = JSON.parse(await readFile(join(out, EXPORT_MANIFEST), 'utf8'));
    manifest.files['../victim.yaml'] = sha;
    manifest.files['flows/../../victim.yaml'] = sha;
    await writeFile(join(out, EXPORT_MANIFEST), JSON.stringify(manifest));
    // An object the user wrote by hand, in the folder export owns, but never in a manifest.
    await writeFile(
      join(out, 'groups', 'by-hand.yaml'),
      (await readFile(join(out, 'groups', 'github-admins.yaml'), 'utf8')).replace('GitHub Admins', 'Hand Made'),
    );

    const again = await exportTo(out, true);
    expect(again.removed).toEqual([]);
    expect(again.kept.map((k) => k.path).sort()).toEqual(['../victim.yaml', 'flows/../../victim.yaml']);
    expect(await readFile(victim, 'utf8')).toBe(text);
    expect(again.foreign).toEqual(['groups/by-hand.yaml']);
    await stat(join(out, 'groups', 'by-hand.yaml'));
  });

  it('removes nothing when the manifest is not one, and says so', async () => {
    const out = join(dir, 'broken-manifest');
    const flow = await createFlow('Short Lived');
    await exportTo(out, false);
    await writeFile(join(out, EXPORT_MANIFEST), '{ not json');
    expect((await h.call('DELETE', `/api/v2/approvalflows/${flow}`)).status).toBeLessThan(300);
    const again = await exportTo(out, true);
    expect(again.removed).toEqual([]);
    expect(again.kept).toEqual([{ path: EXPORT_MANIFEST, reason: expect.stringMatching(/cannot be used \(it is not JSON\), so no file was removed/) }]);
    expect(again.foreign).toEqual(['flows/short-lived.yaml']);
  });
});
