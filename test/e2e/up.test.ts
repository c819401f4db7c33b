import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessctl, start } from './binary.js';

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
    // The clock hint reads the operator key from a file only this user can read, so a pasted line keeps it out of shell history.
    const keyFile = `${join(work, `${profile}.db`)}.operator-key`;
    const operatorKey = /operator key: (\S+)/.exec(out)?.[1] ?? '';
    const hint = out.split('\n').find((line) => line.includes('sandbox clock advance')) ?? '';
    expect(hint).toContain(`export ACCESSCTL_SANDBOX_OPERATOR_KEY="$(cat ${keyFile})"`);
    expect(operatorKey).not.toBe('');
    expect(hint).not.toContain(operatorKey);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(operatorKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('refuses a DIR that does not exist and exits, with no sandbox left running', async () => {
    const missing = join(work, 'no-such-config');
    const run = await accessctl(['up', missing, '--port', '0', '--db', join(work, 'missing.db'), '--state-dir', join(work, 'state-missing')], {});
    expect(run.stderr).toContain(`${missing}: no such file or directory`);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('sandbox:');
  });

  it('refuses to start while another up holds its state dir, before a second sandbox opens the same database', async () => {
    const args = ['up', '--port', '0', '--db', join(work, 'shared.db'), '--state-dir', join(work, 'state-shared'), '--listen', '127.0.0.1:0'];
    const first = start(args, {});
    try {
      await new Promise<void>((resolve, reject) => {
        first.child.stdout.on('data', () => {
          if (first.stdout().includes('run 1: ')) resolve();
        });
        void first.exited.then(({ code }) => reject(new Error(`the first up exited with ${code}:\n${first.stdout()}\n${first.stderr()}`)));
      });
      const second = await accessctl(args, {});
      expect(second.stderr).toContain('another reconciler holds the lock');
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
      expect(second.code).toBe(3);
      expect(second.stdout).not.toContain('sandbox:');
    } finally {
      // Stopped whatever the test found, so a failure leaves no sandbox running.
      first.child.kill('SIGINT');
    }
    expect((await first.exited).code).toBe(0);
  });

  it('a stop cuts a read the sandbox holds short, and the run ends as stopped at once', async () => {
    const up = start(
      ['up', '--port', '0', '--interval', '1s', '--db', join(work, 'held.db'), '--state-dir', join(work, 'state-held'), '--listen', '127.0.0.1:0'],
      {},
    );
    try {
      await new Promise<void>((resolve, reject) => {
        up.child.stdout.on('data', () => {
          if (up.stdout().includes('run 1: ')) resolve();
        });
        void up.exited.then(({ code }) => reject(new Error(`up exited with ${code}:\n${up.stdout()}\n${up.stderr()}`)));
      });
      const url = /sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout())?.[1];
      const operatorKey = /operator key: (\S+)/.exec(up.stdout())?.[1];
      expect(url).toBeDefined();
      expect(operatorKey).toBeDefined();
      const hook = async (method: string, path: string, body?: unknown): Promise<{ counts?: Record<string, number> }> => {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { 'x-api-key': operatorKey ?? '', 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect(response.status).toBe(200);
        return (await response.json()) as { counts?: Record<string, number> };
      };
      const route = 'GET /api/v2/approvalflows';
      const before = (await hook('GET', '/sandbox/v1/requests')).counts?.[route] ?? 0;
      // Ten minutes on the sandbox's clock: only the stop can end the next run's read of the flows.
      await hook('PUT', '/sandbox/v1/faults', { rules: [{ route, latencyMs: 600_000 }] });
      // The next run's read has arrived and is held.
      while (((await hook('GET', '/sandbox/v1/requests')).counts?.[route] ?? 0) <= before) await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      up.child.kill('SIGINT');
    }
    expect((await up.exited).code).toBe(0);
    expect(up.stdout()).toMatch(/run 2: stopped/);
  });

  it('refuses to start on a database another sandbox serves, naming it and the pid, and leaves that sandbox serving', async () => {
    const db = join(work, 'served.db');
    const served = start(['sandbox', '--port', '0', '--db', db], {});
    try {
      await new Promise<void>((resolve, reject) => {
        served.child.stdout.on('data', () => {
          if (served.stdout().includes('listening on')) resolve();
        });
        void served.exited.then(({ code }) => reject(new Error(`the sandbox exited with ${code}:\n${served.stderr()}`)));
      });
      const up = await accessctl(['up', '--port', '0', '--db', db, '--state-dir', join(work, 'state-served'), '--listen', '127.0.0.1:0'], {});
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`the sandbox database ${db} is in use by another sandbox: pid ${served.child.pid}`);
      expect(up.stdout).not.toContain('sandbox:');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(served.stdout())?.[1];
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    } finally {
      served.child.kill('SIGINT');
    }
    expect((await served.exited).code).toBe(0);
  });
});
