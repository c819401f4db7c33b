// reconcile and its lock as a real process (src/ through tsx, real signals): SIGTERM or SIGINT while
// `--lock wait` waits ends it with 143 or 130 and one line; a dead reconciler's lock is taken over
// with a warning naming it; a lock left by an earlier process with this very pid does not lock it out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessctlProcess as accessctl } from './process-run.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-reconcile-lock-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function plant(lock: Record<string, unknown>): void {
  const at = new Date().toISOString();
  writeFileSync(path.join(dir, 'reconcile.lock'), JSON.stringify({ startedAt: at, heartbeat: at, id: 'planted', staleAfterMs: 3_600_000, ...lock }));
}

/** A --once run that fails at once after taking the lock (its config directory does not exist). */
const failingRun = (): string[] => ['reconcile', path.join(dir, 'no-such-config'), '--once', '--target', 'http://127.0.0.1:9', '--state-dir', dir];

describe('reconcile and its lock, as a process', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while --lock wait waits: exit %i and one line, no internal error', async (signal, code) => {
    plant({ pid: 4242, host: 'another-host' });
    const run = accessctl([...failingRun(), '--lock', 'wait']);

    await run.printed('waiting for the reconciler that holds the lock');
    run.kill(signal);
    const { code: exitCode, stderr } = await run.exited;

    expect(exitCode).toBe(code);
    expect(stderr).toContain(`\naccessctl: stopped by ${signal} while waiting for the lock in ${dir}; nothing was read or applied\n`);
    expect(stderr).not.toContain('internal error');
  });

  it("takes over a dead reconciler's lock with a warning naming it", async () => {
    plant({ pid: 4_000_000, host: os.hostname(), heartbeat: '2026-01-01T00:00:00.000Z' });

    const { stderr } = await accessctl(failingRun()).exited;

    const warning = stderr.split('\n').find((line) => line.includes('took over the lock'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({
      level: 40,
      msg: `took over the lock ${path.join(dir, 'reconcile.lock')} from pid 4000000 on ${os.hostname()} (heartbeat 2026-01-01T00:00:00.000Z; process gone)`,
      reason: 'process gone',
      previous: { pid: 4_000_000, id: 'planted' },
    });
  });
});
