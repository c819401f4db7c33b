// `plan --out FILE` says where it saved the plan and the command that applies exactly it: after a text
// plan on stdout, and on stderr for JSON and markdown, whose stdout programs read whole.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

describe('plan --out', () => {
  let h: Harness;
  let dir: string;
  let stdout: string;
  let stderr: string;

  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-out-'));
    vi.stubEnv('JUMPCLOUD_API_KEY', h.sandbox.adminKey);
    vi.stubEnv('JUMPCLOUD_API_URL', undefined);
    stdout = '';
    stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    process.exitCode = undefined;
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('says where it saved the plan and how to apply it, and that command applies it', async () => {
    const saved = join(dir, 'plan.json');
    expect(await main(['node', 'accessctl', 'plan', examples, '--out', saved, '--target', h.sandbox.url]), stderr).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^Plan: 2 to create, 1 to update/);
    expect(lines.at(-2)).toBe(`Saved the plan to ${saved}. To make exactly these changes, run:`);
    expect(lines.at(-1)).toBe(`  accessctl apply ${saved} --target ${h.sandbox.url}`);

    const command = lines.at(-1)?.trim().split(' ').slice(1) ?? [];
    stdout = '';
    expect(await main(['node', 'accessctl', ...command]), stderr).toBe(0);
    expect(stdout).toMatch(/Apply: 3 applied, 0 failed, 0 skipped\./);

    // Nothing left to change: the note says so instead of offering an apply that does nothing.
    stdout = '';
    expect(await main(['node', 'accessctl', 'plan', examples, '--out', saved, '--target', h.sandbox.url]), stderr).toBe(0);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(`Saved the plan to ${saved}. It has no changes to apply.`);
  });

  it('keeps stdout to the JSON document with --format json, and says where it saved on stderr', async () => {
    const saved = join(dir, 'with space.json');
    expect(await main(['node', 'accessctl', 'plan', examples, '--format', 'json', '--out', saved, '--target', h.sandbox.url]), stderr).toBe(0);
    expect(() => JSON.parse(stdout) as unknown).not.toThrow();
    expect(stderr).toBe(`Saved the plan to ${saved}. To make exactly these changes, run:\n  accessctl apply '${saved}' --target ${h.sandbox.url}\n`);
  });
});
