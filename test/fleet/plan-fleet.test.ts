// validate --fleet and plan --fleet with the real binary, on examples/fleet against a sandbox
// seeded with examples/fleet/seed.yaml (three orgs, one MSP key sent with each org's x-org-id).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeed } from '../../src/sandbox/seed.js';
import { accessctl, root } from '../e2e/binary.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const MSP = { JUMPCLOUD_MSP_KEY: 'sandbox-msp-key-not-a-secret' };
let sandbox: Harness;
let dir: string;
let file: string;

beforeAll(async () => {
  sandbox = await startHarness({ seed: loadSeed(join(root, 'examples', 'fleet', 'seed.yaml')) });
  dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-fleet-'));
  await cp(join(root, 'examples', 'fleet'), dir, { recursive: true });
  file = join(dir, 'fleet.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('http://127.0.0.1:8080', sandbox.sandbox.url));
});

afterAll(async () => {
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('validate --fleet', () => {
  it('checks the fleet file and each org, in every format', async () => {
    const text = await accessctl(['validate', '--fleet', file], {});
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('15 files, 15 objects: 0 errors, 0 warnings');
    expect(text.stdout.split('\n').filter((l) => l.startsWith('org '))).toEqual([
      'org acme: 9 files, 9 objects: 0 errors, 0 warnings',
      'org globex: 12 files, 12 objects: 0 errors, 0 warnings',
      'org initech: 8 files, 8 objects: 0 errors, 0 warnings',
    ]);
    const json = await accessctl(['validate', '--fleet', file, '--format', 'json'], {});
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, errors: 0 });
  });
});

describe('plan --fleet', () => {
  it('plans every org with its own id and prints a summary table; --detailed-exitcode says there are changes', async () => {
    const run = await accessctl(['plan', '--fleet', file, '--detailed-exitcode'], MSP);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    for (const org of ['acme', 'globex', 'initech']) expect(run.stdout).toMatch(new RegExp(`^== org ${org} \\(65b0`, 'm'));
    expect(run.stdout).toMatch(/^ORG\s+STATUS\s+CREATE\s+UPDATE\s+DELETE\s+UNMANAGED$/m);
    expect(run.stdout).toMatch(/^acme\s+changes\s+2\s/m);
    expect(run.stdout).toMatch(/^globex\s+changes\s+3\s/m);
    expect(run.stdout).toMatch(/^initech\s+changes\s+1\s/m);
  });

  it('says, for each org, that its key ends with a newline, rather than failing to connect', async () => {
    const run = await accessctl(['plan', '--fleet', file], { JUMPCLOUD_MSP_KEY: `${MSP.JUMPCLOUD_MSP_KEY}\n` });
    const said = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(said).toContain('JUMPCLOUD_MSP_KEY ends with a newline');
    expect(said).not.toContain(MSP.JUMPCLOUD_MSP_KEY);
    expect(said).not.toMatch(/internal error|UND_ERR/);
  });

  it('shows "-" for the counts of an org it could not plan, never 0 (which reads as no changes)', async () => {
    const run = await accessctl(['plan', '--fleet', file], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^acme\s+unplannable\s+-\s+-\s+-\s+-$/m);
    expect(run.stdout).not.toMatch(/^acme\s+unplannable\s+0/m);
    const markdown = await accessctl(['plan', '--fleet', file, '--format', 'markdown'], {});
    expect(markdown.stdout).toContain('| acme | unplannable | - | - | - | - |');
  });

  it('plans one org with --org, as JSON', async () => {
    const run = await accessctl(['plan', '--fleet', file, '--org', 'globex', '--format', 'json'], MSP);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as {
      fleet: string;
      orgs: { org: string; status: string; plan: { changes: { kind: string; name: string; action: string }[] } }[];
    };
    expect(parsed.orgs.map((o) => [o.org, o.status])).toEqual([['globex', 'planned']]);
    const creates = parsed.orgs[0]?.plan.changes
      .filter((c) => c.action === 'create')
      .map((c) => c.name)
      .sort();
    expect(creates).toEqual(['Helpdesk Admin', 'Payroll Admin', 'VPN User']);
  });

  it('puts the orgs with changes first in the markdown for a pull request', async () => {
    const applied = await accessctl(['fleet', 'run', file, '--once', '--org', 'acme', '--state-dir', join(dir, 'state')], MSP);
    expect(applied.code).toBe(0);
    const run = await accessctl(['plan', '--fleet', file, '--format', 'markdown'], MSP);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => /^\| (acme|globex|initech) \|/.test(l));
    expect(rows.map((r) => r.split('|')[1]?.trim())).toEqual(['globex', 'initech', 'acme']);
    expect(rows[2]).toContain('| no changes |');
    expect(run.stdout).toContain('1 org without changes.');
  });

  it('refuses an org the fleet does not have, naming the ones it has', async () => {
    const run = await accessctl(['plan', '--fleet', file, '--org', 'umbrella'], MSP);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--org umbrella is not an org of fleet msp-customers; it has acme, globex, initech');
  });
});
