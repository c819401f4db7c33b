// --state-dir of reconcile, up and fleet run, in this process: a path that cannot be a directory is a
// usage error naming the flag and the OS's reason (never "internal error"); a stop while the command
// waits for the state directory's lock ends it with 143 or 130 and one line; up is not refused by a stale lock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import { accessctl } from './in-process.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-state-dir-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const quiet = { JUMPCLOUD_API_KEY: 'k', ACCESSCTL_LOG_LEVEL: 'silent' };

/** Each long-running command, with --state-dir last. */
const commands: Record<string, string[]> = {
  reconcile: ['reconcile', 'examples/access', '--once', '--target', 'http://127.0.0.1:9', '--state-dir'],
  up: ['up', 'examples/access', '--port', '0', '--state-dir'],
  'fleet run': ['fleet', 'run', 'examples/fleet/fleet.yaml', '--once', '--state-dir'],
};

describe.each(Object.entries(commands))('%s --state-dir', (_name, args) => {
  it('that is a file: a usage error naming the flag, exit 1', async () => {
    const file = path.join(dir, 'stfile');
    writeFileSync(file, 'hi\n');

    const run = await accessctl([...args, file], quiet);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: --state-dir ${file}: it is a file, not a directory (EEXIST)\n`);
  });

  it('under a file: a usage error naming the flag, exit 1', async () => {
    const file = path.join(dir, 'stfile');
    writeFileSync(file, 'hi\n');

    const run = await accessctl([...args, path.join(file, 'state')], quiet);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: --state-dir ${path.join(file, 'state')}: a part of the path is a file, not a directory (ENOTDIR)\n`);
  });

  it('with a name too long: a usage error naming the flag, exit 1', async () => {
    const long = path.join(dir, 'x'.repeat(300));

    const run = await accessctl([...args, long], quiet);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: --state-dir ${long}: the path, or a name in it, is too long (ENAMETOOLONG)\n`);
  });
});

/** The process's runtime, with a stop (the given signal) that has already arrived when the command asks. */
function stoppedBy(name: string): Runtime {
  return Object.assign(createRuntime(), {
    onStop: (onStop: (signal: string) => void) => {
      const stop = new AbortController();
      onStop(name);
      stop.abort();
      return stop.signal;
    },
  });
}

describe('a stop while waiting for the lock (--lock wait)', () => {
  /** A lock held by a live reconciler on another host: only its heartbeat could free it, and it is fresh. */
  function heldElsewhere(file: string): void {
    const at = new Date().toISOString();
    writeFileSync(file, JSON.stringify({ pid: 4242, host: 'another-host', startedAt: at, heartbeat: at, id: 'held', staleAfterMs: 3_600_000 }));
  }

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ])('reconcile: %s ends it with %i and one line, not an internal error', async (signal, code) => {
    heldElsewhere(path.join(dir, 'reconcile.lock'));

    const run = await accessctl([...(commands['reconcile'] ?? []), dir, '--lock', 'wait'], quiet, stoppedBy(signal));

    expect(run.code).toBe(code);
    expect(run.stderr).toBe(`accessctl: stopped by ${signal} while waiting for the lock in ${dir}; nothing was read or applied\n`);
  });

  it('fleet run: SIGTERM ends it with 143 and one line', async () => {
    heldElsewhere(path.join(dir, 'fleet.lock'));

    const run = await accessctl([...(commands['fleet run'] ?? []), dir, '--lock', 'wait'], quiet, stoppedBy('SIGTERM'));

    expect(run.code).toBe(143);
    expect(run.stderr).toBe(`accessctl: stopped by SIGTERM while waiting for the lock in ${dir}; nothing was read or applied\n`);
  });
});

describe('up and a stale lock', () => {
  it('is not refused by a lock an earlier process with this pid left (a restarted container)', async () => {
    // Only the pid is this process's: the lock is not one it holds.
    const at = new Date().toISOString();
    writeFileSync(
      path.join(dir, 'reconcile.lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: at, heartbeat: at, id: 'before-the-restart', staleAfterMs: 3_600_000 }),
    );

    const run = await accessctl(
      ['up', 'examples/access', '--port', '0', '--db', path.join(dir, 'sandbox.db'), '--state-dir', dir],
      quiet,
      stoppedBy('SIGTERM'),
    );

    expect(run.stderr).not.toContain('another reconciler holds the lock');
    expect(run.stdout).toContain('sandbox: http://127.0.0.1:');
    expect(run.code).toBe(143);
  });
});
