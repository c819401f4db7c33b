// `accessctl doctor`, the real binary against both sandbox profiles: read-only, it says what the
// target serves and what accessctl can manage there, and its exit code says whether the repo fits.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxExtensions, startContractProxy, type ContractProxy } from '../contract/validating-proxy.js';
import { accessctl, root } from '../e2e/binary.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

interface Report {
  ok: boolean;
  checks: { id: string; status: string; summary: string }[];
  kinds: { kind: string; manageable: boolean; declared: boolean }[];
  enums: { field: string; value: string; known: boolean; objects: string[] }[];
}

const channelRepo = async (dir: string): Promise<string> => {
  const repo = join(dir, 'with-channel');
  await cp(join(root, 'examples/access'), repo, { recursive: true });
  await writeFile(
    join(repo, 'pager.yaml'),
    'apiVersion: accessctl/v1\nkind: WebhookChannel\nmetadata: { name: Pager }\nspec: { url: "https://pager.example.com/hook" }\n',
  );
  return repo;
};

describe.each(['default', 'strict'] as const)('accessctl doctor against the %s profile', (profile) => {
  let h: Harness;
  let proxy: ContractProxy;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness({ profile });
    proxy = await startContractProxy({ upstream: h.sandbox.url, strict: profile === 'strict', extraPaths: [...sandboxExtensions] });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-doctor-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: proxy.url };
    expect((await accessctl(['apply', 'examples/access', '--auto-approve'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await proxy.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('changes nothing: every request it sends is a GET', async () => {
    const before = proxy.requests().length;
    const run = await accessctl(['doctor', 'examples/access'], env);
    expect(run.code).toBe(0);
    const sent = proxy.requests().slice(before);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('reports the published endpoints, the channel extension and the live enum values as JSON', async () => {
    const run = await accessctl(['doctor', 'examples/access', '--format', 'json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.id === 'key')?.status).toBe('ok');
    for (const route of ['/api/v2/usergroups', '/api/systemusers', '/api/applications', '/api/v2/approvalflows', '/api/v2/approvalflowsettings']) {
      expect(report.checks.find((c) => c.id === `endpoint:GET ${route}`)?.status).toBe('ok');
    }
    const channelKind = report.kinds.find((k) => k.kind === 'WebhookChannel');
    expect(channelKind?.manageable).toBe(profile === 'default');
    expect(report.enums).toContainEqual({ field: 'status', value: 'active', known: true, objects: ['GitHub Admin', 'GitHub User'] });
    expect(report.enums.every((e) => e.known)).toBe(true);
  });

  it('exits 1 for a repo that keeps a channel only when the target has no channel API', async () => {
    const run = await accessctl(['doctor', await channelRepo(dir)], env);
    expect(run.code).toBe(profile === 'strict' ? 1 : 0);
    expect(run.stdout).toMatch(/WebhookChannel\s+(yes|no)\s+yes/);
  });

  it('names an enum value it does not know, and the flow that uses it', async () => {
    if (profile === 'strict') return; // the strict sandbox checks values the same way; one profile is enough here
    // A value set in the console that neither accessctl nor the sandbox's API knows: written into the store.
    const row = h.sandbox.store.stmt("SELECT id, doc FROM approval_flows WHERE json_extract(doc, '$.name') = 'GitHub User'").get() as {
      id: string;
      doc: string;
    };
    const doc = JSON.parse(row.doc) as Record<string, unknown>;
    h.sandbox.store.stmt('UPDATE approval_flows SET doc = ? WHERE id = ?').run(JSON.stringify({ ...doc, approverRequirement: 'some' }), row.id);
    const run = await accessctl(['doctor', '--format', 'json'], env);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.enums).toContainEqual({ field: 'approverRequirement', value: 'some', known: false, objects: ['GitHub User'] });
    expect(report.checks.find((c) => c.id === 'enums')?.status).toBe('warn');
    const plan = await accessctl(['plan', 'examples/access'], env);
    expect(plan.stdout).toContain('Unmanageable');
    expect(plan.stdout).toContain('ApprovalFlow "GitHub User"');
    expect(plan.stdout).not.toMatch(/~ ApprovalFlow "GitHub User"/);
    expect(plan.stdout).toContain('approverRequirement "some"');
  });

  it('exits 1 and says so when the key is refused', async () => {
    const run = await accessctl(['doctor', '--format', 'json'], { ...env, JUMPCLOUD_API_KEY: 'not-a-key-PLANTED-9f3' });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.checks[0]).toMatchObject({ id: 'key', status: 'fail' });
    expect(`${run.stdout}${run.stderr}`).not.toContain('PLANTED-9f3');
  });
});
