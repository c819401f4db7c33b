// `accessctl sandbox` and `accessctl up` losing their --db lock to a real second sandbox process: the
// loser stops at once, exit 1 naming the file and the new holder's pid, and writes nothing more into
// the database (no clock save, no checkpoint) that the other process serves now; while serving, and
// while it starts. The loser runs in this process, so the test beats its lock's heartbeat by hand.
// Also `accessctl sandbox` stopped by a timer that finds its database damaged (exit 1, the advice).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SandboxDatabaseLockOptions } from '../../src/cli/sandbox-database.js';
import { main } from '../../src/cli/main.js';
import { setTimer } from '../../src/sandbox/scheduler.js';
import type { RunningSandbox, SandboxOptions } from '../../src/sandbox/server.js';
import { repoRoot, spawnSandbox, type SandboxProcess } from '../sandbox/process.js';

/** What the test reaches into the command through: the lock's heartbeat, its loss, and the moment the sandbox has started. */
const seams = vi.hoisted(() => ({
  beat: undefined as (() => Promise<void>) | undefined,
  lost: [] as ((message: string) => void)[],
  afterStart: undefined as (() => Promise<void>) | undefined,
  /** The sandbox the command started last. */
  started: undefined as RunningSandbox | undefined,
  /** How far the lock's lease clock is ahead of the wall clock: as far as this process was paused. */
  pausedMs: 0,
}));

// The real lock, with its heartbeat driven by the test (the seam lockSandboxDatabase offers tests) and its loss observed.
vi.mock('../../src/cli/sandbox-database.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/cli/sandbox-database.js')>();
  return {
    ...real,
    lockSandboxDatabase: (db: string, options: SandboxDatabaseLockOptions = {}) =>
      real.lockSandboxDatabase(db, {
        ...options,
        heartbeatTimer: (_ms, tick) => {
          seams.beat = tick;
          return () => {
            seams.beat = undefined;
          };
        },
        onLost: (error) => {
          options.onLost?.(error);
          for (const told of seams.lost.splice(0)) told(error.message);
        },
        now: () => Date.now() + seams.pausedMs,
      }),
  };
});

// The real sandbox; a test may act once it has opened the database and listens, before the command serves it.
vi.mock('../../src/sandbox/server.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sandbox/server.js')>();
  return {
    ...real,
    startSandbox: async (options: SandboxOptions) => {
      const sandbox = await real.startSandbox(options);
      seams.started = sandbox;
      await seams.afterStart?.();
      return sandbox;
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), 'accessctl-lock-loss-'));
const winners: SandboxProcess[] = [];
afterEach(async () => {
  seams.afterStart = undefined;
  seams.pausedMs = 0;
  for (const winner of winners.splice(0)) {
    winner.child.kill('SIGTERM');
    await winner.exited;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface InProcessRun {
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout has printed `text`. */
  printed: (text: string) => Promise<void>;
  finished: Promise<number>;
}

/** Runs `accessctl ARGS...` in this process (main(), as bin/accessctl.js does), capturing its output. */
function run(args: string[]): InProcessRun {
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const text = (chunk: string | Uint8Array): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  // A writer that waits for its write's callback (the event sink on stdout) is called back, as by a stream.
  const written = (rest: unknown[]): true => {
    const callback = rest.find((arg): arg is (error?: Error | null) => void => typeof arg === 'function');
    if (callback !== undefined) queueMicrotask(() => callback(null));
    return true;
  };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    out += text(chunk);
    for (const waiter of waiters.filter((w) => out.includes(w.text))) waiter.resolve();
    return written(rest);
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    err += text(chunk);
    return written(rest);
  });
  const saved = { url: process.env['JUMPCLOUD_API_URL'], org: process.env['JUMPCLOUD_ORG_ID'] };
  delete process.env['JUMPCLOUD_API_URL'];
  delete process.env['JUMPCLOUD_ORG_ID'];
  const finished = main(['node', 'accessctl', ...args]).finally(() => {
    stdout.mockRestore();
    stderr.mockRestore();
    if (saved.url !== undefined) process.env['JUMPCLOUD_API_URL'] = saved.url;
    if (saved.org !== undefined) process.env['JUMPCLOUD_ORG_ID'] = saved.org;
  });
  return {
    stdout: () => out,
    stderr: () => err,
    printed: (wanted) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(wanted)) return resolve();
        waiters.push({ text: wanted, resolve });
        void finished.then((code) => reject(new Error(`exited with ${code} without printing ${JSON.stringify(wanted)}:\n${out}\n${err}`)));
      }),
    finished,
  };
}

/**
 * The database file and its write-ahead log as they are on disk: content, size and modification
 * time. Any write changes one of them: a clock save appends a frame to the log, a checkpoint
 * copies frames into the file and truncates the log.
 */
function onDisk(db: string): string {
  const one = (file: string): string => {
    if (!existsSync(file)) return `${file}: none`;
    const stat = statSync(file);
    return `${file}: ${stat.size} bytes, mtime ${stat.mtimeMs}, sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  };
  return `${one(db)}\n${one(`${db}-wal`)}`;
}

/**
 * Makes the lock's holder (the command in this process) look frozen past the lock's 60 s window, as
 * a process paused that long does (its heartbeat old), and starts a real second sandbox on `db`,
 * which takes the lock over and opens the database. Resolves once it serves.
 */
async function takenOverBySecondSandbox(db: string): Promise<SandboxProcess> {
  const lock = JSON.parse(readFileSync(`${db}.lock`, 'utf8')) as { pid: number; heartbeat: string };
  expect(lock.pid).toBe(process.pid);
  writeFileSync(`${db}.lock`, `${JSON.stringify({ ...lock, heartbeat: new Date(Date.now() - 5 * 60_000).toISOString() })}\n`);
  const winner = await spawnSandbox(['--port', '0', '--db', db]);
  winners.push(winner);
  expect(winner.stderr()).toContain(`took over the lock ${db}.lock from pid ${process.pid} on ${hostname()}`);
  expect(winner.stderr()).toContain('heartbeat older than its 1m window');
  return winner;
}

/** Beats the command's lock, which finds it taken over; resolves with what the command was told. */
async function heartbeatFindsItLost(): Promise<string> {
  const told = new Promise<string>((resolve) => seams.lost.push(resolve));
  if (seams.beat === undefined) throw new Error('the command holds no lock with a heartbeat');
  await seams.beat();
  return told;
}

function lostMessage(db: string, winner: SandboxProcess): RegExp {
  const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^accessctl: lost the lock on the sandbox database ${escaped(db)} to pid ${winner.child.pid}, started \\S+, which serves it now; ` +
      'stopped at once without writing to it again \\(no clock save, no checkpoint\\), so that one process serves it$',
    'm',
  );
}

/**
 * Runs accessctl ARGS, whose sandbox serves `db`, with a second sandbox taking the database over
 * once the first has opened it (before it serves); checks that it exits 1 naming the new holder,
 * writing nothing once it knows, and that the winner serves on.
 */
async function lostWhileStarting(db: string, args: string[]): Promise<InProcessRun> {
  let winner: SandboxProcess | undefined;
  let before = '';
  seams.afterStart = async () => {
    winner = await takenOverBySecondSandbox(db);
    before = onDisk(db);
    await heartbeatFindsItLost();
  };
  const loser = run(args);
  expect(await loser.finished).toBe(1);
  if (winner === undefined) throw new Error('the sandbox never started');
  expect(onDisk(db)).toBe(before);
  expect(loser.stderr()).toMatch(lostMessage(db, winner));
  await servesOn(winner);
  return loser;
}

function createGroup(url: string, adminKey: string, name: string): Promise<Response> {
  return fetch(`${url}/api/v2/usergroups`, {
    method: 'POST',
    headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
}

/** Moves the sandbox clock a day on through its hook: a close would save it into the file. */
async function advanceClock(url: string, operatorKey: string): Promise<void> {
  const moved = await fetch(`${url}/sandbox/v1/clock`, {
    method: 'POST',
    headers: { 'x-api-key': operatorKey, 'content-type': 'application/json' },
    body: JSON.stringify({ advanceMs: 86_400_000 }),
  });
  expect(moved.status).toBe(200);
}

/** The second sandbox serves the database on: its flows answer, with its own admin key. */
async function servesOn(winner: SandboxProcess): Promise<void> {
  const flows = await fetch(`${winner.url}/api/v2/approvalflows`, { headers: { 'x-api-key': winner.adminKey } });
  expect(flows.status).toBe(200);
}

describe('accessctl sandbox losing its --db lock', () => {
  it('while serving: exits 1 naming the file and the new holder, closes its port, and writes nothing more into the database', async () => {
    const db = join(dir, 'serving.db');
    const loser = run(['sandbox', '--port', '0', '--db', db, '--enable-test-hooks']);
    await loser.printed('try: ');
    const url = /listening on (http:\/\/\S+)/.exec(loser.stdout())?.[1] ?? '';
    const operatorKey = /operator key: (\S+)/.exec(loser.stdout())?.[1] ?? '';
    // Its clock moved: a close would save it (and checkpoint the log) into the file.
    await advanceClock(url, operatorKey);
    const winner = await takenOverBySecondSandbox(db);
    const before = onDisk(db);
    const message = await heartbeatFindsItLost();
    expect(await loser.finished).toBe(1);
    expect(onDisk(db)).toBe(before);
    expect(`accessctl: ${message}`).toMatch(lostMessage(db, winner));
    expect(loser.stderr()).toMatch(lostMessage(db, winner));
    expect(loser.stderr()).not.toMatch(/bug|internal error|^\s+at /im);
    await expect(fetch(`${url}/api/v2/approvalflows`)).rejects.toThrow();
    await servesOn(winner);
    // The lock is the winner's still: the loser's release left it alone.
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: winner.child.pid });
  });

  it("after a wake past its lease (the wall clock moved on, the heartbeat's timer not yet due): the next request asks a heartbeat at once, which finds the lock its own, and is answered", async () => {
    const db = join(dir, 'woken.db');
    const loser = run(['sandbox', '--port', '0', '--db', db]);
    await loser.printed('try: ');
    const url = /listening on (http:\/\/\S+)/.exec(loser.stdout())?.[1] ?? '';
    const adminKey = /admin key: (\S+)/.exec(loser.stdout())?.[1] ?? '';
    const heartbeatBefore = (JSON.parse(readFileSync(`${db}.lock`, 'utf8')) as { heartbeat: string }).heartbeat;
    // Woken past the lease: the test never beats the lock, so only a heartbeat the request asked for answers.
    seams.pausedMs = 61_000;
    expect((await createGroup(url, adminKey, 'Just Woken')).status).toBe(201);
    expect((JSON.parse(readFileSync(`${db}.lock`, 'utf8')) as { heartbeat: string }).heartbeat).not.toBe(heartbeatBefore);
    expect((await createGroup(url, adminKey, 'Then Another')).status).toBe(201);
    process.emit('SIGINT', 'SIGINT');
    expect(await loser.finished).toBe(0);
    expect(loser.stderr()).toBe('');
  });

  it('after a pause past its lease, taken over meanwhile: the next request is not carried out: the heartbeat it asks stops the sandbox, writing nothing', async () => {
    const db = join(dir, 'paused.db');
    const loser = run(['sandbox', '--port', '0', '--db', db]);
    await loser.printed('try: ');
    const url = /listening on (http:\/\/\S+)/.exec(loser.stdout())?.[1] ?? '';
    const adminKey = /admin key: (\S+)/.exec(loser.stdout())?.[1] ?? '';
    expect((await createGroup(url, adminKey, 'Before The Pause')).status).toBe(201);
    seams.pausedMs = 61_000;
    const winner = await takenOverBySecondSandbox(db);
    const before = onDisk(db);
    const told = new Promise<string>((resolve) => seams.lost.push(resolve));
    // A write that reaches it before it knows would land in the database the winner serves: refused.
    // It waits for the heartbeat it asked for, which finds the loss: letting go cuts it (or, had the
    // heartbeat taken longer than the wait, 503). Either way it is not carried out.
    const refused = await createGroup(url, adminKey, 'Into The Winners Database').then(
      (response) => response.status,
      () => 'cut',
    );
    expect(['cut', 503]).toContain(refused);
    expect(`accessctl: ${await told}`).toMatch(lostMessage(db, winner));
    expect(await loser.finished).toBe(1);
    expect(onDisk(db)).toBe(before);
    expect(loser.stderr()).toMatch(lostMessage(db, winner));
    const groups = await fetch(`${winner.url}/api/v2/usergroups`, { headers: { 'x-api-key': winner.adminKey } });
    expect(((await groups.json()) as { name: string }[]).map((group) => group.name)).toEqual(['Before The Pause']);
  });

  it.each([
    ['taken over meanwhile: the close finds the lock lost, writes nothing (no clock save, no checkpoint) and exits 1', true],
    ['still its own: the close confirms the lock with a heartbeat, then saves the clock and exits 0', false],
  ])('stopped (SIGINT) right after a pause past its lease, %s', async (_title, takenOver) => {
    const db = join(dir, `stopped-${takenOver ? 'lost' : 'kept'}.db`);
    const loser = run(['sandbox', '--port', '0', '--db', db, '--enable-test-hooks']);
    await loser.printed('try: ');
    const url = /listening on (http:\/\/\S+)/.exec(loser.stdout())?.[1] ?? '';
    const operatorKey = /operator key: (\S+)/.exec(loser.stdout())?.[1] ?? '';
    // Its clock moved: a close would save it (and checkpoint the log) into the file.
    await advanceClock(url, operatorKey);
    seams.pausedMs = 61_000;
    const winner = takenOver ? await takenOverBySecondSandbox(db) : undefined;
    const before = onDisk(db);
    process.emit('SIGINT', 'SIGINT');
    if (winner !== undefined) {
      expect(await loser.finished).toBe(1);
      expect(onDisk(db)).toBe(before);
      expect(loser.stderr()).toMatch(lostMessage(db, winner));
      await servesOn(winner);
    } else {
      expect(await loser.finished).toBe(0);
      expect(onDisk(db)).not.toBe(before);
      expect(loser.stderr()).toBe('');
    }
  });

  it('while it starts (the database open, not yet serving): exits 1 without serving or writing once it knows', async () => {
    const loser = await lostWhileStarting(join(dir, 'starting.db'), ['sandbox', '--port', '0', '--db', join(dir, 'starting.db')]);
    // It never served: no banner, no key.
    expect(loser.stdout()).not.toContain('listening on');
  });
});

describe('accessctl sandbox finding its database damaged from a timer', () => {
  it('stops: exit 1 naming the file and what to do, no stack trace', async () => {
    const db = join(dir, 'damaged-by-timer.db');
    const stopped = run(['sandbox', '--port', '0', '--db', db]);
    await stopped.printed('try: ');
    const sandbox = seams.started;
    if (sandbox === undefined) throw new Error('the sandbox never started');
    // A timer due in a moment on the (running) sandbox clock, armed on the scheduler's own timer; by then a page it reads is damaged.
    setTimer(sandbox.store, 'expire', 'org', 'request', sandbox.clock.nowMs() + 20);
    sandbox.scheduler.kick();
    const damaged = vi.spyOn(sandbox.store, 'stmt').mockImplementation(() => {
      throw new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT');
    });
    try {
      expect(await stopped.finished).toBe(1);
    } finally {
      damaged.mockRestore();
    }
    expect(stopped.stderr()).toBe(
      `accessctl: cannot go on serving the sandbox database ${db}: database disk image is malformed. ` +
        'The file is damaged: restore it from a copy, or move it aside and start again, which creates a new database (and applies --seed to it)\n',
    );
    expect(existsSync(`${db}.lock`)).toBe(false);
  });
});

describe('accessctl up losing its --db lock', () => {
  const upArgs = (name: string): string[] => [
    'up',
    join(repoRoot, 'examples', 'access'),
    '--port',
    '0',
    '--seed',
    join(repoRoot, 'examples', 'directory.yaml'),
    '--db',
    join(dir, `${name}.db`),
    '--state-dir',
    join(dir, `state-${name}`),
    '--listen',
    '127.0.0.1:0',
  ];

  it('while reconciling: exits 1 naming the file and the new holder, and writes nothing more into the database', async () => {
    const db = join(dir, 'up-serving.db');
    const loser = run(upArgs('up-serving'));
    await loser.printed('run 1: ');
    const winner = await takenOverBySecondSandbox(db);
    const before = onDisk(db);
    await heartbeatFindsItLost();
    expect(await loser.finished).toBe(1);
    expect(onDisk(db)).toBe(before);
    expect(loser.stderr()).toMatch(lostMessage(db, winner));
    await servesOn(winner);
  });

  it('while the sandbox starts: exits 1 before it reconciles, without writing once it knows', async () => {
    const loser = await lostWhileStarting(join(dir, 'up-starting.db'), upArgs('up-starting'));
    expect(loser.stdout()).not.toContain('reconciling');
  });
});
