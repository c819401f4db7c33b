// The real binary guarding its --db: a damaged database or a file that is none is refused (exit 1,
// naming the file, no "bug", no stack trace), and one sandbox serves a database at a time.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { lockSandboxDatabase, sandboxLockLeaseMs } from '../../src/cli/sandbox-database.js';
import { AccessctlError } from '../../src/errors.js';
import { StateLock } from '../../src/reconcile/lock.js';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { SandboxStore } from '../../src/sandbox/store.js';
import { damageTable, mismatchIndex } from '../sandbox/damaged-database.js';
import { repoRoot, spawnSandbox } from '../sandbox/process.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-sandbox-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new sandbox database on disk, closed. */
function createDatabase(name: string): string {
  const file = join(dir, name);
  new SandboxStore(file, new SandboxClock()).close();
  return file;
}

/** What a sandbox that could not start printed (spawnSandbox's rejection carries its exit code, stdout and stderr). */
async function refusal(args: string[]): Promise<string> {
  try {
    const started = await spawnSandbox(args);
    started.child.kill('SIGTERM');
    await started.exited;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`the sandbox started with ${args.join(' ')}`);
}

const noBugNoStack = (text: string): void => {
  expect(text).not.toMatch(/bug|internal error/i);
  expect(text).not.toMatch(/^\s+at /m);
};

describe('accessctl sandbox on a damaged --db', () => {
  // deliveries: the finding (thrown from the delivery worker at start-up); timers: the scheduler's
  // first run, after the server listens, where an error left the process serving.
  it.each(['deliveries', 'timers'])('exits 1 naming the file when its %s table is damaged, and calls it damaged, not a bug', async (table) => {
    const file = createDatabase(`${table}.db`);
    damageTable(file, table);
    const text = await refusal(['--port', '0', '--db', file]);
    expect(text).toMatch(/^sandbox exited with 1 /);
    expect(text).toContain(`accessctl: cannot open the sandbox database ${file}: database disk image is malformed`);
    expect(text).toContain('The file is damaged: restore it from a copy, or move it aside and start again');
    noBugNoStack(text);
    // Refused before anything was written: no lock is left behind either.
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('exits 1 naming the file when damage that quick_check does not see is found after the port opened, and leaves nothing listening', async () => {
    const file = createDatabase('index.db');
    // A timer due at once: the scheduler reads it through the index as it catches up, after the port opened.
    mismatchIndex(file, 'timers_by_due', "INSERT INTO timers (kind, org_id, ref_id, due_ms) VALUES ('expire', 'org', 'request', 0)");
    const text = await refusal(['--port', '0', '--db', file]);
    expect(text).toMatch(/^sandbox exited with 1 /);
    expect(text).toContain(`accessctl: cannot open the sandbox database ${file}: database disk image is malformed. The file is damaged`);
    noBugNoStack(text);
  });

  it('exits 1 naming the file when it is not a database', async () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are notes, not a database\n'.repeat(200));
    const text = await refusal(['--port', '0', '--db', file]);
    expect(text).toMatch(/^sandbox exited with 1 /);
    expect(text).toContain(
      `accessctl: cannot open the sandbox database ${file}: file is not a database. It is not an SQLite database, or its header is damaged`,
    );
    noBugNoStack(text);
  });

  it('answers a request that reads a damaged page 500 without naming the file, logs one line naming the file and what to do, and serves on', async () => {
    const file = join(dir, 'users.db');
    const seeded = await startSandbox({ dbPath: file, port: 0, seed: loadSeed(join(repoRoot, 'examples', 'directory.yaml')), log: () => {} });
    await seeded.close();
    // Read by listing users, by nothing at start-up.
    mismatchIndex(file, 'users_by_org');
    const sandbox = await spawnSandbox(['--port', '0', '--db', file]);
    try {
      const headers = { 'x-api-key': sandbox.adminKey };
      const users = await fetch(`${sandbox.url}/api/systemusers`, { headers });
      expect(users.status).toBe(500);
      const body = await users.text();
      expect(JSON.parse(body)).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/^internal error; request id \S+$/) });
      expect(body).not.toMatch(/users\.db|malformed|SQLITE/);
      expect((await fetch(`${sandbox.url}/api/v2/approvalflows`, { headers })).status).toBe(200);
    } finally {
      sandbox.child.kill('SIGTERM');
    }
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
    const line = `failed: the sandbox database ${file} is damaged (SQLITE_CORRUPT: database disk image is malformed). The file is damaged: restore it from a copy, or stop the sandbox and start it with --db naming another file, which creates a new database`;
    const logged = sandbox
      .stderr()
      .split('\n')
      .filter((text) => text.includes('(GET /api/systemusers)'));
    expect(logged).toEqual([expect.stringMatching(/^request \S+ \(GET \/api\/systemusers\) /)]);
    expect(logged[0]?.replace(/^request \S+ \(GET \/api\/systemusers\) /, '')).toBe(line);
    noBugNoStack(sandbox.stderr());
  });

  it('stops with exit 1 naming the file when a timer finds the database damaged while it serves', async () => {
    const file = createDatabase('serving.db');
    // Stands in for a timer that reads a damaged page: SIGUSR2 makes the process throw SQLite's
    // SQLITE_CORRUPT from a callback no request owns, as the scheduler's timer would.
    const preload = join(dir, 'corrupt-on-usr2.mjs');
    const sqlite = join(repoRoot, 'node_modules', 'better-sqlite3', 'lib', 'index.js');
    writeFileSync(
      preload,
      `import sqlite from ${JSON.stringify(sqlite)};\n` +
        "process.on('SIGUSR2', () => { throw new sqlite.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT'); });\n",
    );
    const child = spawn(process.execPath, ['--import', preload, 'bin/accessctl.js', 'sandbox', '--port', '0', '--db', file], { cwd: repoRoot });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/^try: .*\n/m.test(out)) resolve();
      });
      void exited.then((code) => reject(new Error(`exited with ${code} before it was ready:\n${out}\n${err}`)));
    });
    child.kill('SIGUSR2');
    expect(await exited).toBe(1);
    expect(err).toContain(`accessctl: cannot go on serving the sandbox database ${file}: database disk image is malformed. The file is damaged`);
    noBugNoStack(err);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('one sandbox per --db', () => {
  it('refuses a second sandbox on the same database, however --db spells it, naming the file and the pid that serves it; the first serves on', async () => {
    const file = join(dir, 'shared', 'sandbox.db');
    const first = await spawnSandbox(['--port', '0', '--db', file, '--seed', 'examples/directory.yaml']);
    try {
      mkdirSync(join(dir, 'links'), { recursive: true });
      symlinkSync(join(dir, 'shared'), join(dir, 'links', 'shared'));
      for (const spelling of [file, join(dir, 'links', 'shared', 'sandbox.db'), join(dir, 'shared', '..', 'shared', 'sandbox.db')]) {
        const text = await refusal(['--port', '0', '--db', spelling]);
        expect(text).toMatch(/^sandbox exited with 1 /);
        expect(text).toContain(`accessctl: the sandbox database ${spelling} is in use by another sandbox: pid ${first.child.pid}, started `);
        expect(text).toContain('or pass another --db');
        noBugNoStack(text);
      }
      const flows = await fetch(`${first.url}/api/v2/approvalflows`, { headers: { 'x-api-key': first.adminKey } });
      expect(flows.status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toEqual({ code: 0, signal: null });
    // Stopped: its lock is gone, and the next sandbox starts.
    expect(existsSync(`${file}.lock`)).toBe(false);
    const next = await spawnSandbox(['--port', '0', '--db', file]);
    next.child.kill('SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
  });

  it('takes over a lock left by a process that is gone, and says whose it was', async () => {
    const file = createDatabase('left.db');
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('exit', resolve));
    const now = new Date().toISOString();
    // A fresh heartbeat: only the pid tells that its holder is gone.
    writeFileSync(
      `${file}.lock`,
      `${JSON.stringify({ pid: gone.pid, host: hostname(), startedAt: now, heartbeat: now, id: 'left-behind', staleAfterMs: 60_000 })}\n`,
    );
    const sandbox = await spawnSandbox(['--port', '0', '--db', file]);
    try {
      expect(sandbox.stderr()).toContain(`took over the lock ${file}.lock from pid ${gone.pid} on ${hostname()}`);
      expect(sandbox.stderr()).toContain('process gone');
      expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: sandbox.child.pid });
    } finally {
      sandbox.child.kill('SIGTERM');
    }
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
  });
});

describe('lockSandboxDatabase', () => {
  it('tells its holder when another process holds the lock now, naming that pid, and leaves that lock alone', async () => {
    const file = join(dir, 'lost.db');
    let beat: (() => Promise<void>) | undefined;
    let onLost: (error: AccessctlError) => void = () => {};
    const lost = new Promise<AccessctlError>((resolve) => {
      onLost = resolve;
    });
    const lock = await lockSandboxDatabase(file, {
      heartbeatTimer: (_ms, tick) => {
        beat = tick;
        return () => {
          beat = undefined;
        };
      },
      onLost,
    });
    expect(lock?.path).toBe(`${file}.lock`);
    // A live process on this host (vitest's own) holds it now, as a sandbox that took over from this
    // one, frozen past the window, would.
    const now = new Date().toISOString();
    const other = { pid: process.ppid, host: hostname(), startedAt: now, heartbeat: now, id: 'other', staleAfterMs: 60_000 };
    writeFileSync(`${file}.lock`, `${JSON.stringify(other)}\n`);
    await beat?.();
    expect((await lost).message).toBe(
      `lost the lock on the sandbox database ${file} to pid ${process.ppid}, started ${now}, which serves it now; ` +
        'stopped at once without writing to it again (no clock save, no checkpoint), so that one process serves it',
    );
    expect(beat).toBeUndefined();
    await lock?.release();
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toEqual(other);
  });

  describe('its lease', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** A lock whose timer never beats (a woken machine's next tick is up to an interval away) and whose lease clock the test moves. */
    async function lapsing(name: string): Promise<{ lock: Awaited<ReturnType<typeof lockSandboxDatabase>>; clock: { ms: number }; refreshErrors: string[] }> {
      const clock = { ms: Date.now() };
      const refreshErrors: string[] = [];
      const lock = await lockSandboxDatabase(join(dir, name), {
        heartbeatTimer: () => () => {},
        now: () => clock.ms,
        onRefreshError: (error) => refreshErrors.push(error.message),
      });
      return { lock, clock, refreshErrors };
    }

    it("asks a heartbeat at once when it finds the lease lapsed, not at the timer's next tick, one at a time; the lease is back once it kept the lock", async () => {
      const heartbeats = vi.spyOn(StateLock.prototype, 'heartbeat');
      const { lock, clock } = await lapsing('lapsed.db');
      expect(lock?.current()).toBe(true);
      clock.ms += sandboxLockLeaseMs - 1;
      expect(lock?.current()).toBe(true);
      expect(heartbeats).not.toHaveBeenCalled();
      clock.ms += 1;
      // Judged by the (wall) clock still: lapsed until a heartbeat says. Asked once, however often it is looked at.
      expect(lock?.current()).toBe(false);
      expect(lock?.current()).toBe(false);
      expect(heartbeats).toHaveBeenCalledTimes(1);
      // confirm() joins the heartbeat already asked for.
      expect(await lock?.confirm()).toBe(true);
      expect(heartbeats).toHaveBeenCalledTimes(1);
      expect(lock?.current()).toBe(true);
      await lock?.release();
    });

    it('stays lapsed while heartbeats fail to refresh the lock (confirm() says false), asks again at most once a second, confirm() included, and is back once one refreshes it', async () => {
      const heartbeats = vi.spyOn(StateLock.prototype, 'heartbeat');
      const { lock, clock, refreshErrors } = await lapsing('refused.db');
      const diskFull = new AccessctlError('io', 'cannot refresh the lock: ENOSPC');
      heartbeats.mockRejectedValueOnce(diskFull).mockRejectedValueOnce(diskFull);
      clock.ms += sandboxLockLeaseMs;
      expect(lock?.current()).toBe(false);
      // Joins the heartbeat current() asked for; no second one within the second, however many requests wait.
      expect(await lock?.confirm()).toBe(false);
      expect(await lock?.confirm()).toBe(false);
      expect(lock?.current()).toBe(false);
      expect(heartbeats).toHaveBeenCalledTimes(1);
      expect(refreshErrors).toEqual([diskFull.message]);
      clock.ms += 1000;
      expect(await lock?.confirm()).toBe(false);
      expect(heartbeats).toHaveBeenCalledTimes(2);
      expect(refreshErrors).toEqual([diskFull.message, diskFull.message]);
      clock.ms += 1000;
      expect(await lock?.confirm()).toBe(true);
      expect(heartbeats).toHaveBeenCalledTimes(3);
      expect(lock?.current()).toBe(true);
      await lock?.release();
    });
  });

  it('locks nothing for an in-memory database, which no other process can open', async () => {
    expect(await lockSandboxDatabase(':memory:')).toBeUndefined();
  });
});
