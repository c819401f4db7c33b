// End to end: the real `accessctl github comment|check` binary (build first) against a fake GitHub
// and a real sandbox, as a pull_request workflow runs it: one sticky comment, annotations on the right lines.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, type Finished } from '../e2e/binary.js';
import { startFakeGithub, type FakeGithub } from '../github/fake-github.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const event = join(repo, 'test', 'fixtures', 'github', 'pull_request.json');
const token = 'ghp_PLANTEDfake123';
const headSha = '4a5b6c7d8e9f00112233445566778899aabbccdd';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

let h: Harness;
let workspace: string;

beforeAll(async () => {
  expect(existsSync(join(repo, 'dist', 'cli', 'main.js')), 'run `npm run build` before these tests').toBe(true);
  h = await startHarness();
  workspace = mkdtempSync(join(tmpdir(), 'accessctl-github-e2e-'));
  // A config repo checkout: a valid copy of the example and an invalid flow with a known position.
  cpSync(join(repo, 'examples', 'access'), join(workspace, 'access'), { recursive: true });
  // Let the copy delete a single unmanaged flow: the example's guard stops deleting more than half.
  const project = join(workspace, 'access', 'accessctl.yaml');
  writeFileSync(project, readFileSync(project, 'utf8').replace('maxDeletionPercent: 50', 'maxDeletionPercent: 100'));
  mkdirSync(join(workspace, 'broken', 'flows'), { recursive: true });
  writeFileSync(join(workspace, 'broken', 'group.yaml'), lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}'));
  writeFileSync(
    join(workspace, 'broken', 'flows', 'admin.yaml'),
    lines(
      'apiVersion: accessctl/v1',
      'kind: ApprovalFlow',
      'metadata:',
      '  name: Admin',
      'spec:',
      '  grantGroup: G',
      '  visibleTo: [G]',
      '  approval:',
      '    type: sometimes',
      '  access:',
      '    duration: forever',
    ),
  );
});
afterAll(async () => {
  await h.close();
  rmSync(workspace, { recursive: true, force: true });
});

/** A fake GitHub of the test's own, and the Actions environment pointing at it and at `sandbox`. */
async function github(sandbox: Harness = h): Promise<{ fake: FakeGithub; actions: Record<string, string> }> {
  const fake = await startFakeGithub({ token, owner: 'acme', repo: 'access-config' });
  onTestFinished(async () => {
    await fake.close();
    // Every request must have matched GitHub's OpenAPI description.
    if (fake.violations.length > 0) throw new Error(`requests broke GitHub's OpenAPI description:\n${fake.violations.join('\n')}`);
  });
  const actions = {
    GITHUB_TOKEN: token,
    GITHUB_REPOSITORY: 'acme/access-config',
    GITHUB_EVENT_PATH: event,
    GITHUB_API_URL: fake.url,
    GITHUB_WORKSPACE: workspace,
    JUMPCLOUD_API_KEY: sandbox.sandbox.adminKey,
  };
  return { fake, actions };
}

function expectNoToken(...runs: Finished[]): void {
  for (const run of runs) expect(`${run.stdout}\n${run.stderr}`).not.toContain(token);
}

describe('accessctl github comment', { timeout: 60_000 }, () => {
  it('posts one comment with the plan on the pull request from the saved event, and a second run edits it', async () => {
    const { fake, actions } = await github();
    const first = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], actions);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/accessctl: created the plan comment https:\/\/\S+\/pull\/42#issuecomment-\d+/);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]).toMatchObject({ issue: 42 });
    expect(fake.comments[0]?.body).toMatch(/^<!-- accessctl:plan -->\n/);
    expect(fake.comments[0]?.body).toContain('accessctl ran on 4a5b6c7d8e9f');
    expect(fake.comments[0]?.body).toContain('### accessctl validate: ✅ valid');
    expect(fake.comments[0]?.body).toContain('| ApprovalFlow | 2 | 0 | 0 | 0 | 0 |');

    const second = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], actions);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('accessctl: updated the plan comment');
    expect(fake.comments).toHaveLength(1);
    expect(fake.requests.map((r) => r.operationId).filter((op) => op?.includes('comment'))).toEqual([
      'issues/list-comments',
      'issues/create-comment',
      'issues/list-comments',
      'issues/update-comment',
    ]);
    expect(fake.labels.get(42) ?? []).toEqual([]);
    expectNoToken(first, second);
  });

  it('leaves a comment someone else wrote with the marker alone: posts its own, warns in one line naming the author, exits 0', async () => {
    const { fake, actions } = await github();
    const forged = '<!-- accessctl:plan -->\nI am mallory';
    fake.comments.push({ id: 5, issue: 42, body: forged, user: 'mallory' });
    const runs = [
      await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], actions),
      await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], actions),
    ];
    const warning =
      /^accessctl: warning: ignored 1 comment that carries the plan marker but was written by mallory, not github-actions\[bot\]: https:\/\/\S+#issuecomment-5\n$/;
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(warning);
    }
    expect(runs.map((run) => /accessctl: (created|updated) the plan comment/.exec(run.stdout)?.[1])).toEqual(['created', 'updated']);
    expect(fake.comments.find((c) => c.id === 5)?.body).toBe(forged);
    expect(fake.comments.filter((c) => c.id !== 5).map((c) => c.user)).toEqual(['github-actions[bot]']);
    expect(fake.requests.filter((r) => r.method === 'PATCH' || r.method === 'DELETE').map((r) => r.path)).not.toContain(
      '/repos/acme/access-config/issues/comments/5',
    );
    expectNoToken(...runs);
  });

  it('takes the comment author from --comment-author or ACCESSCTL_COMMENT_AUTHOR without asking GitHub, and refuses a malformed one before anything is sent', async () => {
    const { fake, actions } = await github();
    fake.comments.push({ id: 6, issue: 42, body: '<!-- accessctl:plan -->\nold plan', user: 'release-bot' });
    const flag = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url, '--comment-author', 'release-bot'], actions);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toMatch(/accessctl: updated the plan comment \S+#issuecomment-6\n/);
    const env = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], { ...actions, ACCESSCTL_COMMENT_AUTHOR: 'release-bot' });
    expect(env.stdout).toMatch(/accessctl: updated the plan comment \S+#issuecomment-6\n/);
    expect(fake.comments).toHaveLength(1);
    expect(fake.requests.some((r) => r.operationId === 'users/get-authenticated' || r.operationId === 'graphql/viewer')).toBe(false);
    const before = fake.requests.length;
    const bad = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], { ...actions, ACCESSCTL_COMMENT_AUTHOR: '@mallory' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ACCESSCTL_COMMENT_AUTHOR must be a GitHub login such as octocat or github-actions[bot], not "@mallory"');
    expect(fake.requests.length).toBe(before);
  });

  it('shows validation errors with file and line in the comment and exits 1, without touching the platform', async () => {
    const { fake, actions } = await github();
    const run = await accessctl(['github', 'comment', 'broken'], { ...actions, JUMPCLOUD_API_KEY: '' }, workspace);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/broken\/flows\/admin\.yaml:9:11 error invalid-value/);
    expect(fake.comments[0]?.body).toContain('`broken/flows/admin.yaml:9:11` **invalid-value**');
    expect(fake.comments[0]?.body).toContain('No plan: fix the errors above first.');
    expectNoToken(run);
  });

  it('exits non-zero with GitHub’s message when GitHub refuses, and never prints the token', async () => {
    const { actions } = await github();
    const run = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url], {
      ...actions,
      GITHUB_TOKEN: `${token}x`,
      ACCESSCTL_DEBUG: '1',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('accessctl: GitHub GET /repos/acme/access-config/issues/42/comments answered 401: Bad credentials\n');
    expect(run.stdout + run.stderr).not.toContain(`${token}x`);
    expectNoToken(run);
  });

  it('takes every setting from flags, GitHub Enterprise Server included', async () => {
    const ghes = await startFakeGithub({ token, prefix: '/api/v3', description: 'ghes-3.19' });
    try {
      const run = await accessctl(
        [
          'github',
          'comment',
          'examples/access',
          '--target',
          h.sandbox.url,
          '--token',
          token,
          '--repo',
          'acme/access-config',
          '--api-url',
          ghes.url,
          '--pr',
          '7',
          '--sha',
          headSha,
        ],
        { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(ghes.comments).toEqual([expect.objectContaining({ issue: 7 })]);
      expect(ghes.violations).toEqual([]);
      expectNoToken(run);
    } finally {
      await ghes.close();
    }
  });

  it('adds the destroy label while the plan deletes a flow and removes it when it no longer does', async () => {
    // Its own sandbox: the flow it adds must not show up in the other tests' plans.
    const own = await startHarness();
    onTestFinished(() => own.close());
    const { fake, actions } = await github(own);
    const created = await own.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(own, { name: 'Legacy Flow' }));
    expect(created.status).toBe(200);
    const deleting = await accessctl(['github', 'comment', 'access', '--target', own.sandbox.url], actions, workspace);
    expect(deleting.stderr).toBe('');
    expect(deleting.code).toBe(0);
    expect(deleting.stdout).toContain('accessctl: added the label accessctl:destroy');
    expect(fake.labels.get(42)).toEqual(['accessctl:destroy']);
    expect(fake.comments[0]?.body).toContain('This plan **deletes 1 object**');
    expect((await own.call('DELETE', `/api/v2/approvalflows/${created.body.id}`)).status).toBeLessThan(300);
    const clean = await accessctl(['github', 'comment', 'access', '--target', own.sandbox.url], actions, workspace);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('accessctl: removed the label accessctl:destroy');
    expect(fake.labels.get(42)).toEqual([]);
    expect(fake.comments).toHaveLength(1);
    expectNoToken(deleting, clean);
  });

  it('names the missing variable when there is no token', async () => {
    const { fake, actions } = await github();
    const run = await accessctl(['github', 'comment', 'examples/access'], { ...actions, GITHUB_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GITHUB_TOKEN is not set');
    expect(fake.requests).toEqual([]);
  });
});

describe('accessctl github check', { timeout: 60_000 }, () => {
  it('puts annotations on the right lines of an invalid config and concludes failure with exit 1', async () => {
    const { fake, actions } = await github();
    const run = await accessctl(['github', 'check', 'broken'], actions, workspace);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('concluded failure with 2 annotations');
    const check = fake.checkRuns[0];
    expect(check).toMatchObject({ name: 'accessctl', head_sha: headSha, status: 'completed', conclusion: 'failure' });
    expect(check?.annotations).toEqual([
      expect.objectContaining({ path: 'broken/flows/admin.yaml', start_line: 9, end_line: 9, start_column: 11, annotation_level: 'failure' }),
      expect.objectContaining({ path: 'broken/flows/admin.yaml', start_line: 11, annotation_level: 'failure' }),
    ]);
    expect(check?.output.summary).toContain('broken/flows/admin.yaml:9:11');
    expectNoToken(run);
  });

  it('concludes neutral on a valid config with pending changes when asked, with the plan as the summary', async () => {
    const { fake, actions } = await github();
    const run = await accessctl(['github', 'check', 'examples/access', '--target', h.sandbox.url, '--neutral-on-changes', '--name', 'access plan'], actions);
    expect(run.code).toBe(0);
    expect(fake.checkRuns.map((r) => [r.name, r.status, r.conclusion])).toEqual([['access plan', 'completed', 'neutral']]);
    expect(fake.checkRuns[0]?.output.summary).toContain('### accessctl plan');
    expect(fake.checkRuns[0]?.output.title).toBe('Plan: 2 to create, 1 to update, 0 to delete; 0 unmanaged');
    expectNoToken(run);
  });

  it('keeps its parses in --cache-dir, comment and check alike, and a run with a warm cache concludes as a cold one', async () => {
    const { fake, actions } = await github();
    const cacheDir = mkdtempSync(join(tmpdir(), 'accessctl-github-cache-'));
    onTestFinished(() => rmSync(cacheDir, { recursive: true, force: true }));
    const yamlFiles = readdirSync(join(repo, 'examples', 'access'), { recursive: true }).filter((name) => String(name).endsWith('.yaml')).length;
    const entries = (): number => readdirSync(cacheDir).filter((name) => name.endsWith('.json')).length;
    const flags = ['examples/access', '--target', h.sandbox.url, '--cache-dir', cacheDir];
    expect((await accessctl(['github', 'comment', ...flags], actions)).code).toBe(0);
    expect(entries()).toBe(yamlFiles);
    const checks = [await accessctl(['github', 'check', ...flags], actions), await accessctl(['github', 'check', ...flags], actions)];
    expect(checks.map((run) => run.code)).toEqual([0, 0]);
    expect(entries()).toBe(yamlFiles);
    expect(fake.checkRuns.map((r) => [r.conclusion, r.output.title])).toEqual([
      ['success', 'Plan: 2 to create, 1 to update, 0 to delete; 0 unmanaged'],
      ['success', 'Plan: 2 to create, 1 to update, 0 to delete; 0 unmanaged'],
    ]);
  });

  it('refuses a --cache-dir that is a file, naming the flag, before GitHub or the platform is asked', async () => {
    const { fake, actions } = await github();
    const file = join(workspace, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = await accessctl(['github', 'comment', 'examples/access', '--target', h.sandbox.url, '--cache-dir', file], actions);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--cache-dir');
    expect(fake.requests).toEqual([]);
  });
});
