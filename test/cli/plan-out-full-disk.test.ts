// `plan --out` on a disk that fills up while the plan is saved: the real kernel stops the write
// short (a file size limit on a child process running the same main()), and the command says so,
// exits non-zero, never prints "Saved", and leaves no plan and no temp file behind.
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runUnderFileSizeLimit, sourceUrl } from '../events/failing-disk.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

describe('plan --out on a full disk', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-full-'));
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails naming --out and the OS reason, exits 1, and keeps the plan saved before', async () => {
    const out = join(dir, 'plan.json');
    await writeFile(out, '{"an earlier":"plan"}');
    const args = ['plan', examples, '--out', out, '--target', h.sandbox.url];
    const run = await runUnderFileSizeLimit(
      1,
      `import { main } from ${JSON.stringify(sourceUrl('src/cli/main.ts'))};
       process.exitCode = await main(['node', 'accessctl', ...${JSON.stringify(args)}]);`,
      { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe(`accessctl: could not save the plan to --out ${out}: EFBIG\n`);
    expect(run.stdout).not.toContain('Saved');
    expect(await readFile(out, 'utf8')).toBe('{"an earlier":"plan"}');
    expect(await readdir(dir)).toEqual(['plan.json']);
  });
});
