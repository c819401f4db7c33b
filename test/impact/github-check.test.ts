// `accessctl github check` runs the repo's access tests against the target's directory: a failing
// case fails the check with an annotation on the case's line, and an access-policy warning is an
// annotation on the flow line that caused it. A real sandbox and a fake GitHub, over HTTP.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../github/fake-github.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from '../cli/in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const event = fileURLToPath(new URL('../fixtures/github/pull_request.json', import.meta.url));
const token = 'ghp_PLANTEDfake456';

let h: Harness;
let workspace: string;

beforeAll(async () => {
  h = await startHarness();
  workspace = await mkdtemp(join(tmpdir(), 'accessctl-impact-check-'));
  await cp(examples, join(workspace, 'access'), { recursive: true });
});
afterAll(async () => {
  await h.close();
  await rm(workspace, { recursive: true, force: true });
});

async function github(): Promise<{ fake: FakeGithub; env: Record<string, string> }> {
  const fake = await startFakeGithub({ token, owner: 'acme', repo: 'access-config' });
  onTestFinished(async () => {
    await fake.close();
    if (fake.violations.length > 0) throw new Error(`requests broke GitHub's OpenAPI description:\n${fake.violations.join('\n')}`);
  });
  const env = {
    GITHUB_TOKEN: token,
    GITHUB_REPOSITORY: 'acme/access-config',
    GITHUB_EVENT_PATH: event,
    GITHUB_API_URL: fake.url,
    GITHUB_WORKSPACE: workspace,
    JUMPCLOUD_API_KEY: h.sandbox.adminKey,
  };
  return { fake, env };
}

describe('accessctl github check with access tests', () => {
  it('passes the example tests and says so in the summary', async () => {
    const { fake, env } = await github();
    const run = await accessctl(['github', 'check', join(workspace, 'access'), '--target', h.sandbox.url], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS: 6/6');
    expect(fake.checkRuns[0]?.conclusion).toBe('success');
    expect(fake.checkRuns[0]?.output.summary.startsWith('### accessctl test: ✅ 6/6 passed')).toBe(true);
  });

  it('fails the check on a failing case, annotating its line with the expected and actual answers, and exits 1', async () => {
    const { fake, env } = await github();
    const file = join(workspace, 'access', 'tests', 'extra.yaml');
    await writeFile(
      file,
      'apiVersion: accessctl/v1\nkind: AccessTest\nmetadata:\n  name: Extra\nspec:\n  cases:\n    - user: frank.em\n      cannotRequest: GitHub Admin\n',
    );
    try {
      const run = await accessctl(['github', 'check', join(workspace, 'access'), '--target', h.sandbox.url], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('FAIL');
      const check = fake.checkRuns[0];
      expect(check).toMatchObject({ conclusion: 'failure', output: { title: 'Access tests failed: 1 of 7 cases' } });
      expect(check?.annotations).toContainEqual(
        expect.objectContaining({
          path: 'access/tests/extra.yaml',
          start_line: 7,
          annotation_level: 'failure',
          message: 'expected: frank.em cannot request GitHub Admin\nactual: frank@example.com can request GitHub Admin via Engineering Admin',
        }),
      );
      expect(`${run.stdout}${run.stderr}`).not.toContain(token);
    } finally {
      await rm(file);
    }
  });

  it('annotates a widening warning on the line that widened access', async () => {
    const { fake, env } = await github();
    const flow = join(workspace, 'access', 'flows', 'github-admin.yaml');
    const project = join(workspace, 'access', 'accessctl.yaml');
    const [flowText, projectText] = await Promise.all([readFile(flow, 'utf8'), readFile(project, 'utf8')]);
    await writeFile(flow, flowText.replace('visibleTo: [Engineering Admin]', 'visibleTo: [Engineering Admin, Security Leads]'));
    await writeFile(project, projectText.replace('  policy:\n', '  accessPolicy:\n    widening:\n      warn: ["*Admins"]\n  policy:\n'));
    try {
      const run = await accessctl(['github', 'check', join(workspace, 'access'), '--target', h.sandbox.url], env);
      expect(run.code, run.stderr).toBe(0);
      expect(fake.checkRuns[0]?.annotations).toContainEqual(
        expect.objectContaining({
          path: 'access/flows/github-admin.yaml',
          start_line: 10,
          start_column: 15,
          annotation_level: 'warning',
          title: 'accessctl access-widening',
          // Nothing is applied on this sandbox yet: the flow is new, and four people could request it.
          message:
            '4 people can request GitHub Admin (via Engineering Admin and Security Leads): this widens access to GitHub Admins, which matches the accessPolicy.widening.warn pattern "*Admins"',
        }),
      );
      expect(fake.checkRuns[0]?.output.summary).toContain('#### Access impact');
    } finally {
      await writeFile(flow, flowText);
      await writeFile(project, projectText);
    }
  });
});
