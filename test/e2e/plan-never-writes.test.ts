// Plan mode never writes. Peers have applied settings before merge because one part ignored
// dry-run; here every command that only plans runs against a plan that creates, updates and
// deletes objects of every kind, and the platform must see no POST, PUT or DELETE from any of them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sandboxExtensions, startContractProxy, type ContractProxy } from '../contract/validating-proxy.js';
import { startFakeGithub } from '../github/fake-github.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, root } from './binary.js';

const token = 'ghp_PLANTEDnever-writes';

let h: Harness;
let proxy: ContractProxy;
let repo: string;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  proxy = await startContractProxy({ upstream: h.sandbox.url, strict: false, extraPaths: [...sandboxExtensions] });
  repo = mkdtempSync(join(tmpdir(), 'accessctl-never-writes-'));
  const access = join(repo, 'access');
  cpSync(join(root, 'examples', 'access'), access, { recursive: true });
  // Every kind changes: a channel to create, a group description to update, flows to create and
  // one to prune, the settings to update.
  writeFileSync(
    join(access, 'pager.yaml'),
    'apiVersion: accessctl/v1\nkind: WebhookChannel\nmetadata: { name: Pager }\nspec:\n  url: https://pager.example.com/hook/{{TOKEN}}\n  secrets: { TOKEN: { env: PAGER_TOKEN } }\n',
  );
  const group = join(access, 'groups', 'engineering-admin.yaml');
  writeFileSync(group, readFileSync(group, 'utf8').replace(/description: .*/, 'description: Changed in this pull request'));
  const project = join(access, 'accessctl.yaml');
  writeFileSync(project, readFileSync(project, 'utf8').replace('maxDeletionPercent: 50', 'maxDeletionPercent: 100'));
  const grant = (await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups?limit=100')).body.find((g) => g.name === 'GitHub Users')?.id;
  const stale = await h.call('POST', '/api/v2/approvalflows', {
    name: 'Old Flow',
    approvalType: 'automated',
    category: 'Application',
    resourceId: grant,
    resourceType: 'user_group',
    visibleTo: [grant],
    status: 'active',
  });
  expect(stale.status).toBeLessThan(300);
  env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: proxy.url, PAGER_TOKEN: 'tok' };
});
afterAll(async () => {
  await proxy.close();
  await h.close();
  rmSync(repo, { recursive: true, force: true });
});

async function githubEnv(): Promise<Record<string, string>> {
  const fake = await startFakeGithub({ token, owner: 'acme', repo: 'access-config' });
  onTestFinished(() => fake.close());
  return {
    GITHUB_TOKEN: token,
    GITHUB_REPOSITORY: 'acme/access-config',
    GITHUB_EVENT_PATH: join(root, 'test', 'fixtures', 'github', 'pull_request.json'),
    GITHUB_API_URL: fake.url,
    GITHUB_WORKSPACE: repo,
  };
}

describe('commands that only plan never write to the platform', () => {
  it('has a plan that creates, updates and deletes objects of every kind', async () => {
    const run = await accessctl(['plan', join(repo, 'access'), '--format', 'json'], env);
    const plan = JSON.parse(run.stdout) as { changes: { kind: string; action: string }[] };
    const seen = new Set(plan.changes.map((c) => `${c.kind} ${c.action}`));
    for (const expected of ['WebhookChannel create', 'GroupAssignment update', 'ApprovalFlow create', 'ApprovalFlow delete', 'AccessRequestSettings update']) {
      expect(seen, expected).toContain(expected);
    }
  });

  it.each([
    ['plan', (dir: string) => ['plan', dir]],
    ['apply --dry-run', (dir: string) => ['apply', dir, '--dry-run']],
    ['doctor', (dir: string) => ['doctor', dir]],
    ['test', (dir: string) => ['test', dir]],
    ['explain --user', (dir: string) => ['explain', dir, '--user', 'erin@example.com']],
    ['explain --flow', (dir: string) => ['explain', dir, '--flow', 'GitHub Admin']],
    ['github comment', (dir: string) => ['github', 'comment', dir]],
    ['github check', (dir: string) => ['github', 'check', dir]],
  ])('%s sends only reads', async (name, args) => {
    const extra = name.startsWith('github') ? await githubEnv() : {};
    const before = proxy.requests().length;
    const run = await accessctl(args(join(repo, 'access')), { ...env, ...extra });
    expect(run.stderr).not.toMatch(/internal error/);
    const sent = proxy.requests().slice(before);
    expect(sent.length, `${name} read nothing: ${run.stdout}${run.stderr}`).toBeGreaterThan(0);
    expect(sent.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
