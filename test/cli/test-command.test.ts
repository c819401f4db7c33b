// `accessctl test`: the example's AccessTest cases against a real sandbox's directory (over HTTP)
// and against a snapshot file, failures with file:line:col and the actual answer, exit codes,
// --run, -v, --format json, and bad input refused with a message and no stack trace.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessctl, type Run } from './in-process.js';
import { exampleSeedPath, startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const stackFrame = /\n\s+at .+:\d+:\d+/;

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'accessctl-test-command-'));
  await cp(examples, join(dir, 'access'), { recursive: true });
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function live(args: string[]): Promise<Run> {
  return accessctl(['test', ...args, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
}

async function withCase(name: string, yaml: string): Promise<string> {
  const repo = join(dir, name);
  await cp(examples, repo, { recursive: true });
  await writeFile(join(repo, 'tests', 'extra.yaml'), yaml);
  return repo;
}

const extraTest = (cases: string): string => `apiVersion: accessctl/v1\nkind: AccessTest\nmetadata:\n  name: Extra\nspec:\n  cases:\n${cases}`;

describe('accessctl test against the sandbox', () => {
  it("passes the example's cases against the target's directory, read over HTTP", async () => {
    const run = await live([examples]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('PASS: 6/6\n');
  });

  it('answers from the live directory: a member added on the platform fails the case that says he cannot request', async () => {
    const bob = await h.userId('bob');
    const added = await h.call('POST', `/api/v2/usergroups/${await h.groupId('Engineering Admin')}/members`, { op: 'add', type: 'user', id: bob });
    expect(added.status).toBe(204);
    try {
      const run = await live([examples]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^FAIL .*tests\/github\.yaml:23:7: GitHub access\/bob@example\.com cannot request GitHub Admin\n/);
      expect(run.stdout).toContain(
        '  expected: bob@example.com cannot request GitHub Admin\n  actual:   bob@example.com can request GitHub Admin via Engineering Admin\n',
      );
      expect(run.stdout).toContain('PASS: 5/6\nFAIL: 1/6\n');
      // The snapshot file still says what the seed says.
      expect((await accessctl(['test', examples, '--directory', exampleSeedPath])).code).toBe(0);
    } finally {
      await h.call('POST', `/api/v2/usergroups/${await h.groupId('Engineering Admin')}/members`, { op: 'remove', type: 'user', id: bob });
    }
  });

  it('says when the directory cannot be read, and exits 1', async () => {
    const run = await accessctl(['test', examples, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: 'sandbox-wrong-key-0000000000' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^accessctl: .*(401|403)/);
    expect(run.stderr).not.toMatch(stackFrame);
  });
});

describe('accessctl test against a snapshot file', () => {
  it('prints every case with -v, each at its file:line:col, with its answer', async () => {
    const run = await accessctl(['test', examples, '--directory', exampleSeedPath, '-v']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('PASS ')).map((l) => l.replace(/^PASS .*tests\/github\.yaml:/, ''))).toEqual([
      '10:7: GitHub access/alice@example.com can request GitHub User, and it is granted at once',
      "16:7: GitHub access/erin.em's request for GitHub Admin goes to dana.cto, then to any Security Lead",
      '23:7: GitHub access/bob@example.com cannot request GitHub Admin',
      '26:7: GitHub access/the CTO is not an Engineering Admin, so cannot request GitHub Admin either',
      '29:7: GitHub access/nobody gets GitHub Admins for more than P7D',
      '32:7: GitHub access/nobody gets GitHub Users for more than P30D',
    ]);
    expect(run.stdout).toContain(
      '  erin@example.com can request GitHub Admin via Engineering Admin, level 1: dana@example.com; then level 2: grace@example.com, heidi@example.com, for at most P7D\n',
    );
    expect(run.stdout.endsWith('PASS: 6/6\n')).toBe(true);
  });

  it('fails a wrong case with the expected and actual answers, and errs on a name that does not exist', async () => {
    const repo = await withCase(
      'failing',
      extraTest(
        '    - user: bob@example.com\n      canRequest: GitHub Admin\n    - user: nobody@example.com\n      cannotRequest: GitHub Admin\n    - nobodyGets: GitHub Admins\n      longerThan: P1D\n',
      ),
    );
    const run = await accessctl(['test', repo, '--directory', exampleSeedPath]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL ${repo}/tests/extra.yaml:7:7: Extra/bob@example.com can request GitHub Admin\n  expected: bob@example.com can request GitHub Admin\n  actual:   bob@example.com cannot request GitHub Admin: bob@example.com is in none of its groups (Engineering Admin)\n`,
    );
    expect(run.stdout).toContain(
      `ERROR ${repo}/tests/extra.yaml:9:7: Extra/nobody@example.com cannot request GitHub Admin\n  the directory has no user "nobody@example.com"\n`,
    );
    expect(run.stdout).toContain('actual:   GitHub Admin grants it for up to P7D (erin@example.com, frank@example.com can request it)');
    expect(run.stdout).toContain('PASS: 6/9\nFAIL: 2/9\nERROR: 1/9\n');
  });

  it('runs only the cases --run matches', async () => {
    const run = await accessctl(['test', examples, '--directory', exampleSeedPath, '--run', 'GitHub access/nobody', '-v']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('PASS '))).toHaveLength(2);
    expect(run.stdout).toContain('PASS: 2/2\n');
  });

  it('refuses a --run that matches no case as a usage error, so a typo in CI does not pass green', async () => {
    const none = await accessctl(['test', examples, '--directory', exampleSeedPath, '--run', 'nomatch']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('accessctl: --run "nomatch" matches none of the 6 cases (names are "test/case", as -v prints them)\n');
    const json = await accessctl(['test', examples, '--directory', exampleSeedPath, '--run', 'nomatch', '--format', 'json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
  });

  it('says a repo declares no AccessTest cases, exits 0, and reads no directory to say it', async () => {
    const repo = join(dir, 'no-tests');
    await cp(examples, repo, { recursive: true });
    await rm(join(repo, 'tests'), { recursive: true });
    // The directory file does not exist: reading it would fail the run.
    const run = await accessctl(['test', repo, '--directory', join(dir, 'no-such-directory.yaml')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${repo} declares no AccessTest cases: nothing to test\n`);
    const json = await accessctl(['test', repo, '--directory', join(dir, 'no-such-directory.yaml'), '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, directory: null, passed: 0, cases: [] });
  });

  it('prints one JSON document with --format json', async () => {
    const repo = await withCase('json', extraTest('    - user: frank.em\n      cannotRequest: GitHub Admin\n'));
    const run = await accessctl(['test', repo, '--directory', exampleSeedPath, '--format', 'json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      passed: number;
      failed: number;
      errors: number;
      directory: string;
      cases: { status: string; case: string; actual: string; source: { line: number } }[];
    };
    expect(report).toMatchObject({ ok: false, passed: 6, failed: 1, errors: 0, directory: exampleSeedPath });
    expect(report.cases.find((c) => c.status === 'fail')).toMatchObject({
      case: 'frank.em cannot request GitHub Admin',
      actual: 'frank@example.com can request GitHub Admin via Engineering Admin',
      source: { line: 7 },
    });
  });

  it('refuses bad input with a message naming the flag or file, exit 1 and no stack trace', async () => {
    const badRegex = await accessctl(['test', examples, '--directory', exampleSeedPath, '--run', '(']);
    expect(badRegex.code).toBe(1);
    expect(badRegex.stderr).toMatch(/--run takes a regular expression/);
    const missing = await accessctl(['test', examples, '--directory', join(dir, 'missing.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^accessctl: cannot read the directory snapshot .*missing\.yaml \(ENOENT\)\n$/);
    const noKey = await accessctl(['test', examples], { JUMPCLOUD_API_KEY: undefined });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/JUMPCLOUD_API_KEY is not set/);
    const invalid = await withCase('invalid', extraTest('    - user: bob\n      canRequest: GitHub Admin\n      cannotRequest: GitHub Admin\n'));
    const run = await accessctl(['test', invalid, '--directory', exampleSeedPath]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/tests\/extra\.yaml:7:7 error invalid-value spec\.cases\[0\] must be a case: /);
    for (const r of [badRegex, missing, noKey, run]) expect(r.stderr).not.toMatch(stackFrame);
  });
});
