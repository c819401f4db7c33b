// `export --out` that is not a directory: an existing file, or a path through one. A usage error
// naming --out, found before the platform is read, and the file is left as it was.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fleetOrgs, MSP_KEY, multiOrgSeed, orgId } from '../fleet/fixtures.js';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './in-process.js';

describe('export --out that is not a directory', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-export-out-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a file and a path through a file, naming --out, and leaves the file as it was', async () => {
    const file = join(dir, 'hostname');
    await writeFile(file, 'kept\n');
    const onFile = await accessctl(['export', '--out', file, '--target', h.sandbox.url], env);
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toBe(`accessctl: --out ${file} is a file, not a directory; name a directory to write the config to\n`);
    const through = await accessctl(['export', '--out', join(file, 'groups'), '--target', h.sandbox.url], env);
    expect(through.code).toBe(1);
    expect(through.stderr).toBe(`accessctl: --out ${join(file, 'groups')}: a directory in that path is a file\n`);
    for (const run of [onFile, through]) expect(run.stderr).not.toMatch(/internal error|ENOTDIR/);
    expect(await readFile(file, 'utf8')).toBe('kept\n');
    expect(await readdir(dir)).toEqual(['hostname']);
  });

  it('still writes a new directory, with no temp file left in it', async () => {
    const out = join(dir, 'new', 'repo');
    const run = await accessctl(['export', '--out', out, '--target', h.sandbox.url], env);
    expect(run.code, run.stderr).toBe(0);
    const written = await readdir(out, { recursive: true });
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('export --force over an earlier export', () => {
  it('lists the files it removed and warns about objects it did not write', async () => {
    const h = await startHarness();
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-export-force-'));
    try {
      const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
      const made = async (name: string) => (await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name }))).body.id;
      await made('Stays');
      const gone = await made('X');
      const first = await accessctl(['export', '--out', dir, '--target', h.sandbox.url], env);
      expect(first.code, first.stderr).toBe(0);
      await writeFile(join(dir, 'flows', 'by-hand.yaml'), (await readFile(join(dir, 'flows', 'x.yaml'), 'utf8')).replace('name: X', 'name: By Hand'));
      expect((await h.call('DELETE', `/api/v2/approvalflows/${gone}`)).status).toBeLessThan(300);
      const again = await accessctl(['export', '--out', dir, '--force', '--target', h.sandbox.url], env);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('removed 1 file an earlier export wrote that the live state no longer has:\n  flows/x.yaml\n');
      expect(again.stderr).toBe(
        `accessctl: warning: 1 file in ${dir} was not written by this export but holds accessctl objects that \`plan\` of the folder will include (remove it if the folder should be exactly the live state):\n  flows/by-hand.yaml\n`,
      );
      await expect(stat(join(dir, 'flows', 'x.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('export with an org id', () => {
  it('writes the org id the client sent as spec.target.orgId', async () => {
    const orgs = fleetOrgs(2);
    const h = await startHarness({ seed: multiOrgSeed(orgs, 1) });
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-export-org-'));
    try {
      const run = await accessctl(['export', '--out', dir, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: MSP_KEY, JUMPCLOUD_ORG_ID: orgId(1) });
      expect(run.code, run.stderr).toBe(0);
      const project = parse(await readFile(join(dir, 'accessctl.yaml'), 'utf8'));
      expect(project.spec.target).toEqual({ url: h.sandbox.url, orgId: orgId(1) });
      // Without the variable, the exported repo still names its org.
      const plan = await accessctl(['plan', dir, '--detailed-exitcode'], { JUMPCLOUD_API_KEY: MSP_KEY, JUMPCLOUD_ORG_ID: undefined });
      expect(plan.code, plan.stderr + plan.stdout).toBe(0);
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes no org id when the client sent none', async () => {
    const h = await startHarness();
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-export-org-'));
    try {
      const run = await accessctl(['export', '--out', dir, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_ORG_ID: undefined });
      expect(run.code, run.stderr).toBe(0);
      expect(parse(await readFile(join(dir, 'accessctl.yaml'), 'utf8')).spec.target).toEqual({ url: h.sandbox.url });
    } finally {
      await h.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
