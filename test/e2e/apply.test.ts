import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './binary.js';

const PLANTED = 'PLANTED-apply-secret-55e1';

describe('accessctl apply, the real binary against a real sandbox', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-e2e-apply-'));
    env = {
      JUMPCLOUD_API_KEY: h.sandbox.adminKey,
      JUMPCLOUD_API_URL: h.sandbox.url,
    };
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the plan and changes nothing with --dry-run', async () => {
    const run = await accessctl(['apply', 'examples/access', '--dry-run'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Plan: 2 to create, 1 to update');
    expect(run.stdout).toContain('Dry run: nothing was applied.');
    const flows = await h.call<{ totalCount: number }>('GET', '/api/v2/approvalflows');
    expect(flows.body.totalCount).toBe(0);
  });

  it('refuses a saved plan whose objects changed since it was made, naming them', async () => {
    const saved = join(dir, 'stale.json');
    expect((await accessctl(['plan', 'examples/access', '--out', saved], env)).code).toBe(0);
    const grant = (await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups?limit=100')).body.find((g) => g.name === 'GitHub Users')?.id;
    const created = await h.call('POST', '/api/v2/approvalflows', {
      name: 'GitHub User',
      approvalType: 'automated',
      category: 'Application',
      resourceId: grant,
      resourceType: 'user_group',
      visibleTo: [grant],
      status: 'active',
    });
    expect(created.status).toBeLessThan(300);
    const run = await accessctl(['apply', saved], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the saved plan is stale; nothing was applied');
    // Refused before the plan is shown: its changes never appear as about to be made.
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('an ApprovalFlow named "GitHub User" now exists on the platform');
    const flows = await h.call<{ totalCount: number; results: { id: string }[] }>('GET', '/api/v2/approvalflows');
    expect(flows.body.totalCount).toBe(1);
    expect((await h.call('DELETE', `/api/v2/approvalflows/${flows.body.results[0]?.id}`)).status).toBe(200);
  });

  it('applies a saved plan that is still good, then a fresh plan is a no-op; no secret is printed', async () => {
    const saved = join(dir, 'good.json');
    expect((await accessctl(['plan', 'examples/access', '--out', saved], env)).code).toBe(0);
    const run = await accessctl(['apply', saved], env);
    expect(run.stderr).toMatch(/^accessctl: no state directory to lock \(.+\): applying without a lock; pass --state-dir to share a reconciler's lock\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Apply: \d+ applied, 0 failed, 0 skipped\./);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PLANTED);
    const after = await accessctl(['plan', 'examples/access', '--detailed-exitcode'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('No changes');
  });

  it('refuses a file that is not a saved plan, naming the problem', async () => {
    const bogus = join(dir, 'bogus.json');
    await writeFile(bogus, JSON.stringify({ formatVersion: 3, target: h.sandbox.url }));
    const run = await accessctl(['apply', bogus], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is not a valid saved plan/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
