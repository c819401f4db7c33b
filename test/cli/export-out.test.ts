// `export --out` that is not a directory: an existing file, or a path through one. A usage error
// naming --out, found before the platform is read, and the file is left as it was.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
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
