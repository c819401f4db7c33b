// `accessctl apply`, in this process against a real sandbox: what it says, and in which order, when
// the source is missing, when a saved plan went stale, and when only some changes applied. The
// sandbox's request counter shows what reached the platform.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, type Run } from './in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

/** A runtime with no terminal, as in CI: apply cannot ask there. */
const noTerminal = (): Runtime => createRuntime({ interactive: false, input: Readable.from([]), output: new PassThrough() });

describe('accessctl apply', () => {
  let h: Harness;
  let dir: string;

  const apply = (args: string[]): Promise<Run> =>
    accessctl(['apply', ...args, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey }, noTerminal());

  /** The API requests (any method) that reached the sandbox since the counter was cleared. */
  async function requests(): Promise<string[]> {
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    return Object.keys(counts).filter((route) => !route.includes(' /sandbox/'));
  }

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-cli-apply-'));
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a saved plan, without a terminal', ['missing.json']],
    ['a saved plan, with --auto-approve', ['missing.json', '--auto-approve']],
    ['a saved plan, with --dry-run', ['missing.json', '--dry-run']],
    ['a config directory, without a terminal', ['missing-dir']],
    ['a config directory, with --prune', ['missing-dir', '--prune']],
    ['a file under a path that is a file', ['missing.json/plan.json']],
  ])('names a source that does not exist before anything else: %s', async (_name, [source, ...flags]) => {
    const path = join(dir, source ?? '');
    // The last case's parent is a file: ENOTDIR, which is as missing as ENOENT.
    if (source === 'missing.json/plan.json') await writeFile(join(dir, 'missing.json'), '{}');
    const run = await apply([path, ...flags]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: ${path}: no such file or directory\n`);
    expect(run.stdout).toBe('');
    expect(await requests()).toEqual([]);
  });

  it('refuses a stale saved plan before showing its changes as about to be made', async () => {
    const saved = join(dir, 'plan.json');
    const planned = await accessctl(['plan', examples, '--target', h.sandbox.url, '--out', saved], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('accessctl will make these changes');
    // Someone makes one of the planned flows in the console after the plan was reviewed.
    const grant = await h.groupId('GitHub Users');
    const made = await h.call('POST', '/api/v2/approvalflows', {
      name: 'GitHub User',
      approvalType: 'automated',
      category: 'Application',
      resourceId: grant,
      resourceType: 'user_group',
      visibleTo: [grant],
      status: 'active',
    });
    expect(made.status).toBeLessThan(300);
    await h.hook('DELETE', '/sandbox/v1/requests');

    for (const flags of [[], ['--dry-run']]) {
      const run = await apply([saved, ...flags]);
      expect(run.code, flags.join(' ')).toBe(1);
      expect(run.stdout, flags.join(' ')).toBe('');
      expect(run.stderr).toContain('accessctl: the saved plan is stale; nothing was applied:');
      expect(run.stderr).toContain('an ApprovalFlow named "GitHub User" now exists on the platform');
    }
    expect((await requests()).filter((route) => !route.startsWith('GET '))).toEqual([]);
  });

  it('names each change with how it ended when only some applied', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }] });
    const run = await apply([examples, '--auto-approve']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Apply: 1 applied, 2 failed, 0 skipped\./);
    expect(run.stdout).toMatch(/^ {2}✓ update AccessRequestSettings "settings"$/m);
    expect(run.stdout).toMatch(/^ {2}✗ create ApprovalFlow "GitHub User": /m);
    expect(run.stdout).toMatch(/^ {2}✗ create ApprovalFlow "GitHub Admin": /m);
    expect(run.stderr).toContain('accessctl: 2 of 3 changes did not apply; see above');
  });

  it('says each deletion guard once with the deletions it blocks and how to allow them, and takes --max-deletions and --max-deletion-percent for one run', async () => {
    expect((await apply([examples, '--auto-approve'])).code).toBe(0);
    // Six flows the repo does not declare: examples/access prunes flows, at most 3 and 50% of them.
    for (let i = 1; i <= 6; i++) expect((await h.call('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: `Stray ${i}` }))).status).toBe(200);
    const blocked = await apply([examples, '--dry-run']);
    expect(blocked.code).toBe(1);
    const section = blocked.stdout.slice(blocked.stdout.indexOf('Blocked by the deletion guards'));
    const reasons = section.split('\n').filter((line) => line.includes('; this blocks:'));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('guards.maxDeletions allows 3');
    expect(reasons[0]).toContain('guards.maxDeletionPercent allows 50%');
    for (let i = 1; i <= 6; i++) expect(section.split(`ApprovalFlow "Stray ${i}"`)).toHaveLength(2);
    expect(section).toContain('raise the guard under spec.guards in accessctl.yaml');
    // What apply refuses with names the reason once too, not once per flow.
    expect(blocked.stderr.split('guards.maxDeletions allows 3')).toHaveLength(2);
    const allowed = await apply([examples, '--dry-run', '--max-deletions', '6', '--max-deletion-percent', '75']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('6 to delete');
    const refused = await apply([examples, '--dry-run', '--max-deletion-percent', '101']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--max-deletion-percent must be a whole number from 0 to 100');
  });
});
