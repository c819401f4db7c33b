// `plan --out` that cannot be written as asked: a directory, a file in a directory that does not
// exist, a path through a file. Each is a usage error naming --out, found before the platform is
// read, and nothing is written: no plan, no temp file beside the path or at the filesystem root.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

describe('plan --out that cannot be written', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-out-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** How many requests the platform has answered, by route; the hook's own are not counted. */
  async function platformRequests(): Promise<number> {
    const { body } = await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests');
    return Object.entries(body.counts)
      .filter(([route]) => !route.includes('/sandbox/v1/'))
      .reduce((sum, [, n]) => sum + n, 0);
  }

  /** Every name under the test's directory, so a stray temp file shows. */
  async function left(): Promise<string[]> {
    return (await readdir(dir, { recursive: true })).sort();
  }

  it('refuses an existing directory, naming --out, before the platform is read, and writes nothing', async () => {
    const outDir = join(dir, 'outdir-test');
    await mkdir(outDir);
    for (const out of [outDir, `${outDir}/`]) {
      const run = await accessctl(['plan', examples, '--out', out, '--target', h.sandbox.url], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`accessctl: --out ${out} is a directory; name a file to save the plan to, such as ${outDir}/plan.json\n`);
      expect(run.stderr).not.toMatch(/internal error|EISDIR/);
      expect(run.stdout).toBe('');
    }
    expect(await left()).toEqual(['outdir-test']);
    expect(await platformRequests()).toBe(0);
  });

  it('refuses a file in a directory that does not exist, and a path through a file', async () => {
    await writeFile(join(dir, 'a-file'), 'kept\n');
    const missing = await accessctl(['plan', examples, '--out', join(dir, 'no-such-dir', 'plan.json'), '--target', h.sandbox.url], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`accessctl: --out ${join(dir, 'no-such-dir', 'plan.json')}: the directory ${join(dir, 'no-such-dir')} does not exist\n`);
    const through = await accessctl(['plan', examples, '--out', join(dir, 'a-file', 'plan.json'), '--target', h.sandbox.url], env);
    expect(through.code).toBe(1);
    expect(through.stderr).toBe(`accessctl: --out ${join(dir, 'a-file', 'plan.json')}: a directory in that path is a file\n`);
    expect(await left()).toEqual(['a-file']);
  });

  it('prints a hostile --out path escaped', async () => {
    const out = join(dir, 'x\n::warning::forged\u202e');
    await mkdir(out);
    const run = await accessctl(['plan', examples, '--out', out, '--target', h.sandbox.url], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${dir}/x\\u000a::warning::forged\\u202e is a directory`);
    expect(run.stderr.split('\n').some((line) => line.startsWith('::'))).toBe(false);
  });

  it('still saves to a new file, and replaces an existing one, leaving only the plan', async () => {
    const out = join(dir, 'plan.json');
    for (let i = 0; i < 2; i++) {
      const run = await accessctl(['plan', examples, '--out', out, '--target', h.sandbox.url], env);
      expect(run.code, run.stderr).toBe(0);
      expect(await left()).toEqual(['plan.json']);
    }
  });
});
