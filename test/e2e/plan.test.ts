import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, root } from './binary.js';

describe('accessctl plan and export, the real binary against a real sandbox', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-e2e-plan-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows every object of the example to create and exits 2 with --detailed-exitcode', async () => {
    const run = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url, '--detailed-exitcode'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('+ ApprovalFlow "GitHub Admin"');
    // The channel as the settings file writes it ({id: ...}), not the model's "id:" label.
    expect(run.stdout).toMatch(/^ {6}\+ {2}- channel:\n {6}\+ {6}id: 65a0000000000000000000c1$/m);
    expect(run.stdout).toMatch(/^Plan: 2 to create, 1 to update, 0 to delete; 0 unmanaged$/m);
  });

  it("fails, with the guard's reason, when apply would refuse the plan", async () => {
    const live = (await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups?limit=100')).body;
    const grant = live.find((g) => g.name === 'GitHub Admins')?.id;
    const created = await h.call('POST', '/api/v2/approvalflows', {
      name: 'GitHub Admin Legacy',
      approvalType: 'automated',
      category: 'Application',
      resourceId: grant,
      resourceType: 'user_group',
      visibleTo: [grant],
      status: 'active',
    });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const run = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url, '--detailed-exitcode'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('apply would refuse this plan');
    expect(run.stderr).toContain('"GitHub Admin Legacy" matches the protected pattern "GitHub Admin*"');
    expect(run.stderr).toContain(': blocks ApprovalFlow "GitHub Admin Legacy"; to allow them, raise the guard under spec.guards in accessctl.yaml');
    const id = (await h.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows')).body.results.find(
      (f) => f.name === 'GitHub Admin Legacy',
    )?.id;
    expect((await h.call('DELETE', `/api/v2/approvalflows/${id}`)).status).toBe(200);
  });

  it('prints markdown that reads on its own and JSON that matches schemas/plan.schema.json, and saves the plan', async () => {
    const markdown = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url, '--format', 'markdown'], env);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^### accessctl plan/);
    expect(markdown.stdout).toContain('| ApprovalFlow | 2 | 0 | 0 | 0 | 0 |');
    const out = join(dir, 'plan.json');
    const json = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url, '--format', 'json', '--out', out], env);
    expect(json.code).toBe(0);
    const schema = JSON.parse(await readFile(join(root, 'schemas', 'plan.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const printed: unknown = JSON.parse(json.stdout);
    expect(validate(printed), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(printed);
  });

  it('stops on invalid config with the validate output', async () => {
    const run = await accessctl(['plan', 'test/fixtures/locations/type-sometimes.yaml', '--target', h.sandbox.url], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/type-sometimes\.yaml:\d+:\d+ error invalid-value/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names JUMPCLOUD_API_KEY when it is missing, without a stack trace', async () => {
    const run = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('JUMPCLOUD_API_KEY is not set');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says what the platform answered, never the key, when the key is wrong', async () => {
    const planted = 'PLANTED-wrong-key-7731';
    const run = await accessctl(['plan', 'examples/access', '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: planted });
    expect(run.code).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toContain(planted);
    expect(`${run.stdout}${run.stderr}`).toMatch(/401/);
  });

  it('exports the org and plans the export as a no-op (exit 0 with --detailed-exitcode)', async () => {
    const out = join(dir, 'exported');
    const exported = await accessctl(['export', '--out', out, '--target', h.sandbox.url], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('wrote ');
    // Modelines point into the export itself, at schemas it wrote: nothing outside the repo.
    const settings = await readFile(join(out, 'settings.yaml'), 'utf8');
    expect(settings.split('\n')[0]).toBe('# yaml-language-server: $schema=schemas/access-request-settings.schema.json');
    const schema = JSON.parse(await readFile(join(out, 'schemas', 'access-request-settings.schema.json'), 'utf8')) as { $id: string };
    expect(schema.$id).toBe('access-request-settings.schema.json');
    await readFile(join(out, 'schemas', 'defs.schema.json'), 'utf8');
    const run = await accessctl(['plan', out, '--target', h.sandbox.url, '--detailed-exitcode'], env);
    expect(run.stdout).toContain('No changes');
    expect(run.code).toBe(0);
  });
});
