// `plan --out FILE` says where it saved the plan and the command that applies exactly it: after a text
// plan on stdout, and on stderr for JSON and markdown, whose stdout programs read whole.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

describe('plan --out', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    h = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'accessctl-plan-out-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('says where it saved the plan and how to apply it, and that command applies it', async () => {
    const saved = join(dir, 'plan.json');
    const plan = await accessctl(['plan', examples, '--out', saved, '--target', h.sandbox.url], env);
    expect(plan.code, plan.stderr).toBe(0);
    const lines = plan.stdout.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^Plan: 2 to create, 1 to update/);
    expect(lines.at(-2)).toBe(`Saved the plan to ${saved}. To make exactly these changes, run:`);
    expect(lines.at(-1)).toBe(`  accessctl apply ${saved} --target ${h.sandbox.url}`);

    const command = lines.at(-1)?.trim().split(' ').slice(1) ?? [];
    const apply = await accessctl(command, env);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 skipped\./);

    // Nothing left to change: the note says so instead of offering an apply that does nothing.
    const again = await accessctl(['plan', examples, '--out', saved, '--target', h.sandbox.url], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trimEnd().split('\n').at(-1)).toBe(`Saved the plan to ${saved}. It has no changes to apply.`);
  });

  it('keeps stdout to the JSON document with --format json, and says where it saved on stderr', async () => {
    const saved = join(dir, 'with space.json');
    const run = await accessctl(['plan', examples, '--format', 'json', '--out', saved, '--target', h.sandbox.url], env);
    expect(run.code, run.stderr).toBe(0);
    expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
    expect(run.stderr).toBe(`Saved the plan to ${saved}. To make exactly these changes, run:\n  accessctl apply '${saved}' --target ${h.sandbox.url}\n`);
  });
});
