// apply and the state lock as a real process (src/ through tsx, real signals), as reconcile's own
// test does: SIGTERM or SIGINT while `--lock wait` waits ends it with 143 or 130 and one line, the
// holder's lock untouched; SIGINT while it holds the lock, before the first change, releases it.
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accessctlProcess as accessctl } from './process-run.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/access/', import.meta.url));

let dir: string;
let silent: Server | undefined;
const sockets: Socket[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-apply-lock-signals-'));
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  if (silent) await new Promise((resolve) => silent?.close(resolve));
  silent = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const lockFile = (): string => path.join(dir, 'reconcile.lock');

describe('apply and the state lock, as a process', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while --lock wait waits: exit %i and one line, the holder left alone', async (signal, code) => {
    const at = new Date().toISOString();
    const held = JSON.stringify({ pid: 4242, host: 'another-host', startedAt: at, heartbeat: at, id: 'reconciler', staleAfterMs: 3_600_000 });
    writeFileSync(lockFile(), held);
    const run = accessctl(['apply', EXAMPLES, '--auto-approve', '--target', 'http://127.0.0.1:9', '--state-dir', dir, '--lock', 'wait']);

    await run.printed(`accessctl: waiting for the lock ${lockFile()}, held by another reconciler, pid 4242 on host another-host since ${at}`);
    run.kill(signal);
    const { code: exitCode, stderr } = await run.exited;

    expect(exitCode).toBe(code);
    expect(stderr).toContain(`\naccessctl: stopped by ${signal} while waiting for the lock in ${dir}; nothing was read or applied\n`);
    expect(stderr).not.toContain('internal error');
    expect(readFileSync(lockFile(), 'utf8')).toBe(held);
  });

  it('SIGINT while it holds the lock and plans: the reads in flight are cut short, none tried again; exit 130, the lock released', async () => {
    // A target that takes each connection and never answers: apply is reading, holding the lock. Its
    // timeout is long enough that the signal comes well within the first try; a read the signal did
    // not cut short would time out and be tried again ("trying again" on stderr), holding the lock
    // for two whole timeouts before exiting.
    silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const connected = once(silent, 'connection');
    const { port } = silent.address() as { port: number };
    const run = accessctl(['apply', EXAMPLES, '--auto-approve', '--target', `http://127.0.0.1:${port}`, '--timeout', '5s', '--state-dir', dir]);

    await connected;
    expect(existsSync(lockFile())).toBe(true);
    run.kill('SIGINT');
    const { code, stderr } = await run.exited;

    expect(code).toBe(130);
    expect(stderr).toContain('accessctl: SIGINT: stopping before the first change; send SIGINT or SIGTERM again to stop at once\n');
    expect(stderr).toContain('accessctl: stopped by SIGINT before the first change; nothing was applied, and the lock is released\n');
    // No read was tried again after the stop (each retry is said first, as a warning).
    expect(stderr).not.toContain('trying again');
    expect(stderr).not.toContain('internal error');
    expect(existsSync(lockFile())).toBe(false);
  });
});
