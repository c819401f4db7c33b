import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from './binary.js';

describe('accessctl up, the README first command', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'accessctl-e2e-up-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each(['default', 'strict'])('starts the %s sandbox, applies the example, tells what to try next, and stops cleanly on SIGINT', async (profile) => {
    const up = start(
      [
        'up',
        '--port',
        '0',
        '--profile',
        profile,
        '--db',
        join(work, `${profile}.db`),
        '--state-dir',
        join(work, `state-${profile}`),
        '--listen',
        '127.0.0.1:0',
      ],
      {},
    );
    const { child, exited } = up;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => {
        if (up.stdout().includes('Next, in another shell:') && up.stdout().includes('drift: reverted next run')) resolve();
      });
      void exited.then(({ code }) => reject(new Error(`up exited with ${code} before its first run:\n${up.stdout()}\n${up.stderr()}`)));
    });
    const out = up.stdout();
    expect(out).toMatch(/sandbox: http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('admin key: sandbox-demo-admin-key-not-a-secret');
    expect(out).toContain('Plan: 2 to create, 1 to update, 0 to delete; 0 unmanaged');
    if (profile === 'strict') expect(out).toContain('profile: strict');
    // The events hint must point at the sandbox's Insights, never at JumpCloud's with the sandbox key.
    expect(out).toMatch(/JUMPCLOUD_INSIGHTS_URL=http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/run 1: success/);
    expect(out).toContain('"type":"accessctl.change.applied"');
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });
});
