// reconcile and its lock as a real process (src/ through tsx, real signals): SIGTERM or SIGINT while
// `--lock wait` waits ends it with 143 or 130 and one line; a dead reconciler's lock is taken over
// with a warning naming it; a lock left by an earlier process with this very pid does not lock it out.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_MAIN = `const { main } = await import(process.argv[1]); process.exitCode = await main([process.argv[0], 'accessctl', ...process.argv.slice(2)]);`;

interface Running {
  exited: Promise<{ code: number | null; stderr: string }>;
  /** Resolves once stderr has printed `text`. */
  printed: (text: string) => Promise<void>;
  kill: (signal: NodeJS.Signals) => void;
}

function accessctl(args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUN_MAIN, MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], NO_COLOR: '1', JUMPCLOUD_API_KEY: 'k' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const waiter of waiters.filter((w) => stderr.includes(w.text))) waiter.resolve();
  });
  const exited = once(child, 'close').then(([code]) => ({ code: code as number | null, stderr }));
  return {
    exited,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited without printing ${JSON.stringify(text)}:\n${stderr}`)));
      }),
    kill: (signal) => child.kill(signal),
  };
}

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
