// validate on a path that holds no config: a missing path is an error in every format (JSON on
// stdout too), and an empty folder fails unless --allow-empty, since it is most often a wrong path.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessctl } from '../e2e/binary.js';

describe('accessctl validate on a path without config', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'accessctl-empty-'));
  });
  afterAll(async () => {
    await rm(empty, { recursive: true, force: true });
  });

  it('prints a JSON result naming a missing path, and exits 1', async () => {
    const run = await accessctl(['validate', '/nonexistent-accessctl-dir', '--format', 'json'], {});
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { ok: boolean; errors: number; diagnostics: { file: string; code: string }[] };
    expect(result).toMatchObject({ ok: false, errors: 1 });
    expect(result.diagnostics[0]).toMatchObject({ file: '/nonexistent-accessctl-dir', code: 'not-found' });
  });

  it('fails on an empty folder, and says how to allow it', async () => {
    const run = await accessctl(['validate', empty], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error no-config');
    expect(run.stdout).toContain('--allow-empty');
  });

  it('passes an empty folder with --allow-empty', async () => {
    const run = await accessctl(['validate', empty, '--allow-empty'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('0 files, 0 objects: 0 errors, 0 warnings');
  });
});
