// The state lock on a real temp directory: one holder at a time, waiting and failing, stale locks
// taken over with a warning (a dead, reused or own pid on this host, an old heartbeat anywhere, by the
// holder's own window), a heartbeat the holder keeps fresh on a timer the tests drive by hand, racing takers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { StateLock, type HeartbeatTimer, type LockInfo, type StateLockOptions, type TakeoverNotice } from '../../src/reconcile/lock.js';

const MINUTE = 60_000;
const DEAD_PID = 4_000_000;
const LOCK_MODULE = fileURLToPath(new URL('../../src/reconcile/lock.ts', import.meta.url));

/**
 * A reconciler process that loads the lock, says "ready", on the first line of input tries to take
 * it and says how that went, then stays alive (holding what it won) until its input ends.
 */
const CONTENDER = `
const { StateLock } = await import(process.argv[1]);
const lock = new StateLock({ dir: process.argv[2], staleAfterMs: 60000 });
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  try { await lock.acquire('fail'); process.stdout.write('won\\n'); }
  catch (error) { process.stdout.write('lost ' + error.code + '\\n'); }
});
process.stdin.on('end', () => process.exit(0));`;

interface Contender {
  child: ChildProcess;
  ready: Promise<void>;
  outcome: Promise<string>;
  closed: Promise<void>;
}

function contender(): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CONTENDER, LOCK_MODULE, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  let markReady = (): void => undefined;
  let report = (_line: string): void => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const outcome = new Promise<string>((resolve) => {
    report = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    const lines = output.split('\n');
    if (lines.length > 1) markReady();
    if (lines.length > 2) report(lines[1] ?? '');
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.on('close', () => report(`exited: ${output}`));
  return { child, ready, outcome, closed };
}

let dir: string;
let now: number;

function lock(options: Partial<StateLockOptions> = {}): StateLock {
  return new StateLock({
    dir,
    staleAfterMs: 5 * MINUTE,
    now: () => now,
    hostname: 'host-a',
    isAlive: (pid) => pid !== DEAD_PID,
    pollMs: 1,
    heartbeatTimer: manualTimer().timer,
    ...options,
  });
}

/** A heartbeat timer the test ticks by hand: no real time passes, nothing sleeps. */
interface ManualTimer {
  timer: HeartbeatTimer;
  /** The interval the lock asked for, while its timer runs. */
  everyMs: () => number | undefined;
  running: () => boolean;
  tick: () => Promise<void>;
}

function manualTimer(): ManualTimer {
  let tick: (() => Promise<void>) | undefined;
  let every: number | undefined;
  return {
    timer: (ms, run) => {
      tick = run;
      every = ms;
      return () => {
        tick = undefined;
        every = undefined;
      };
    },
    everyMs: () => every,
    running: () => tick !== undefined,
    tick: async () => {
      if (tick === undefined) throw new Error('the heartbeat timer is not running');
      await tick();
    },
  };
}

/** The error a `fail` acquire of `taker` rejects with. */
async function refusal(taker: StateLock): Promise<Error> {
  const outcome = await taker.acquire('fail').then(
    () => new Error('the lock was taken, not refused'),
    (error: unknown) => error as Error,
  );
  return outcome;
}

function plant(info: Partial<LockInfo>): void {
  const at = new Date(now).toISOString();
  const full: LockInfo = { pid: DEAD_PID, host: 'host-a', startedAt: at, heartbeat: at, id: 'planted', ...info };
  writeFileSync(path.join(dir, 'reconcile.lock'), `${JSON.stringify(full)}\n`);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-lock-'));
  now = Date.parse('2026-01-01T00:00:00Z');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('StateLock', () => {
  it('records pid, host and heartbeat of the holder', async () => {
    const holder = lock();
    await holder.acquire('fail');

    expect(await holder.read()).toMatchObject({ pid: process.pid, host: 'host-a', heartbeat: '2026-01-01T00:00:00.000Z' });
    expect(holder.held).toBe(true);
  });

  it('fails a second acquire, naming the holder pid and host', async () => {
    await lock({ hostname: 'host-a' }).acquire('fail');

    const failure = await lock({ hostname: 'host-b' })
      .acquire('fail')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AccessctlError);
    expect(failure).toMatchObject({ code: 'conflict' });
    expect((failure as Error).message).toContain(`pid ${process.pid}`);
    expect((failure as Error).message).toContain('host-a');
  });

  it('names what holds the lock in a refusal: a reconciler, or an apply that recorded itself', async () => {
    const reconciler = lock({ hostname: 'host-a' });
    await reconciler.acquire('fail');
    const byReconciler = await refusal(lock({ hostname: 'host-b' }));
    expect(byReconciler.message).toMatch(/^another reconciler holds the lock /);
    await reconciler.release();

    const apply = lock({ hostname: 'host-a', command: 'apply' });
    await apply.acquire('fail');
    expect(await apply.read()).toMatchObject({ command: 'apply' });
    const byApply = await refusal(lock({ hostname: 'host-b' }));
    expect(byApply.message).toMatch(/^an accessctl apply holds the lock /);
    expect(byApply.message).toContain(`pid ${process.pid} on host host-a`);
  });

  it('lets a waiting acquirer in once the holder releases', async () => {
    const first = lock({ hostname: 'host-a' });
    await first.acquire('fail');
    const waiting: LockInfo[] = [];
    const second = lock({
      hostname: 'host-b',
      onWait: (holder) => {
        waiting.push(holder);
        void first.release();
      },
    });

    await second.acquire('wait');

    expect(waiting.map((holder) => holder.host)).toEqual(['host-a']);
    expect(await second.read()).toMatchObject({ host: 'host-b' });
  });

  it('stops waiting when its signal aborts', async () => {
    await lock({ hostname: 'host-a' }).acquire('fail');
    const controller = new AbortController();
    const reason = new Error('shutting down');

    const waiting = lock({ hostname: 'host-b', onWait: () => controller.abort(reason) }).acquire('wait', controller.signal);

    await expect(waiting).rejects.toBe(reason);
    expect(await lock().read()).toMatchObject({ host: 'host-a' });
  });

  it('takes over a lock whose pid is dead on this host', async () => {
    plant({ pid: DEAD_PID, host: 'host-a' });
    const taker = lock({ hostname: 'host-a' });

    await taker.acquire('fail');

    expect(await taker.read()).toMatchObject({ pid: process.pid, host: 'host-a' });
  });

  it('does not judge a pid on another host, while its heartbeat is fresh', async () => {
    plant({ pid: DEAD_PID, host: 'host-elsewhere' });

    await expect(lock({ hostname: 'host-a' }).acquire('fail')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('takes over a lock whose heartbeat is older than staleAfterMs', async () => {
    plant({ pid: 12345, host: 'host-elsewhere', heartbeat: new Date(now - 6 * MINUTE).toISOString() });
    const taker = lock();

    await taker.acquire('fail');

    expect(await taker.read()).toMatchObject({ pid: process.pid, host: 'host-a' });
  });

  it('takes over an unreadable lock file', async () => {
    writeFileSync(path.join(dir, 'reconcile.lock'), '{"pid": 12');

    await lock().acquire('fail');

    expect(await lock().read()).toMatchObject({ pid: process.pid });
  });

  it('gives a stale lock to exactly one of several racing takers', async () => {
    for (let round = 0; round < 25; round++) {
      plant({ pid: 12345, host: 'host-elsewhere', heartbeat: new Date(now - 10 * MINUTE).toISOString(), id: `stale-${round}` });
      const takers = Array.from({ length: 6 }, (_, index) => lock({ hostname: `taker-${index}` }));

      const outcomes = await Promise.allSettled(takers.map((taker) => taker.acquire('fail')));

      const winners = takers.filter((_, index) => outcomes[index]?.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'conflict' });
      }
      const holder = await lock().read();
      expect(holder?.host).toMatch(/^taker-\d$/);
      expect(takers.filter((taker) => taker.held)).toEqual(winners);
      expect(readdirSync(dir)).toEqual(['reconcile.lock']);
      await winners[0]?.release();
    }
  });

  it('gives a stale lock to exactly one of several reconciler processes', async () => {
    plant({ pid: 12345, host: 'host-elsewhere', heartbeat: new Date(Date.now() - 60 * MINUTE).toISOString() });
    const contenders = Array.from({ length: 4 }, () => contender());
    await Promise.all(contenders.map((entry) => entry.ready));

    for (const entry of contenders) entry.child.stdin?.write('go\n');
    const outcomes = await Promise.all(contenders.map((entry) => entry.outcome));
    const holder = await lock().read();
    for (const entry of contenders) entry.child.stdin?.end();
    await Promise.all(contenders.map((entry) => entry.closed));

    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'lost conflict')).toHaveLength(3);
    const winner = contenders[outcomes.indexOf('won')]?.child.pid;
    expect(holder).toMatchObject({ pid: winner, host: os.hostname() });
  });

  it('moves the heartbeat forward while held', async () => {
    const holder = lock();
    await holder.acquire('fail');
    now += MINUTE;

    await holder.heartbeat();

    expect(await holder.read()).toMatchObject({ heartbeat: '2026-01-01T00:01:00.000Z', startedAt: '2026-01-01T00:00:00.000Z' });
  });

  it('notices on heartbeat that its lock was taken over', async () => {
    const slow = lock({ hostname: 'host-a' });
    await slow.acquire('fail');
    now += 10 * MINUTE;
    await lock({ hostname: 'host-b' }).acquire('fail');

    await expect(slow.heartbeat()).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('host-b') });
    expect(slow.held).toBe(false);
  });

  it('leaves the lock alone on release when someone else holds it now', async () => {
    const slow = lock({ hostname: 'host-a' });
    await slow.acquire('fail');
    now += 10 * MINUTE;
    await lock({ hostname: 'host-b' }).acquire('fail');

    await slow.release();

    expect(await lock().read()).toMatchObject({ host: 'host-b' });
  });

  it('records its own staleness window in the lock file', async () => {
    await lock({ staleAfterMs: 7 * MINUTE }).acquire('fail');

    expect(await lock().read()).toMatchObject({ staleAfterMs: 7 * MINUTE });
  });

  it('keeps the lock of a live process on this host while its heartbeat is fresh', async () => {
    plant({ pid: 12345, host: 'host-a', heartbeat: new Date(now - 4 * MINUTE).toISOString(), staleAfterMs: 5 * MINUTE });

    const failure = await lock({ hostname: 'host-a' })
      .acquire('fail')
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'conflict', message: expect.stringContaining('pid 12345') });
    expect((failure as Error).message).toContain(path.join(dir, 'reconcile.lock'));
    expect((failure as Error).message).toContain('5m after its last heartbeat');
    expect(await lock().read()).toMatchObject({ id: 'planted' });
  });

  it('takes the lock of a live process on this host once its heartbeat is older than its window, and warns naming it', async () => {
    plant({ pid: 12345, host: 'host-a', heartbeat: new Date(now - 60 * MINUTE).toISOString(), staleAfterMs: MINUTE });
    const notices: TakeoverNotice[] = [];
    const taker = lock({ hostname: 'host-a', onTakeover: (notice) => notices.push(notice) });

    await taker.acquire('fail');

    expect(await taker.read()).toMatchObject({ pid: process.pid, host: 'host-a' });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.previous).toMatchObject({ pid: 12345, id: 'planted' });
    expect(notices[0]?.message).toBe(
      `took over the lock ${path.join(dir, 'reconcile.lock')} from pid 12345 on host-a (heartbeat 2025-12-31T23:00:00.000Z; heartbeat older than its 1m window)`,
    );
  });

  it('takes over a lock naming this very process, which does not hold it (a restarted container reuses the pid)', async () => {
    // The same pid, started at the same tick in its own namespace: only "it is not ours" tells it is stale.
    plant({ pid: process.pid, host: 'host-a', pidStart: 'boot-1:55', staleAfterMs: 60 * MINUTE });
    const notices: string[] = [];
    const taker = lock({ hostname: 'host-a', startOf: async () => 'boot-1:55', onTakeover: (notice) => notices.push(notice.message) });

    await taker.acquire('fail');

    expect(await taker.read()).toMatchObject({ pid: process.pid, host: 'host-a' });
    expect((await taker.read())?.id).not.toBe('planted');
    expect(notices).toEqual([expect.stringContaining(`from pid ${process.pid} on host-a`)]);
    expect(notices[0]).toContain('is this process, which did not write it');
  });

  it('keeps a lock another instance in this process holds', async () => {
    const first = lock({ hostname: 'host-a' });
    await first.acquire('fail');

    await expect(lock({ hostname: 'host-a' }).acquire('fail')).rejects.toMatchObject({ code: 'conflict' });
    expect(await first.liveHolder()).toMatchObject({ pid: process.pid });
    await first.release();
    await lock({ hostname: 'host-a' }).acquire('fail');
  });

  it('takes over a lock whose pid is alive but started at another time (the pid was reused)', async () => {
    const starts = new Map([[12345, 'boot-1:900']]);
    plant({ pid: 12345, host: 'host-a', pidStart: 'boot-1:100', staleAfterMs: 60 * MINUTE });
    const notices: string[] = [];
    const taker = lock({ hostname: 'host-a', startOf: async (pid) => starts.get(pid), onTakeover: (notice) => notices.push(notice.reason) });

    await taker.acquire('fail');

    expect(notices).toEqual(['pid 12345 is now another process']);
  });

  it('keeps a lock whose live pid started when the lock says', async () => {
    const starts = new Map([[12345, 'boot-1:100']]);
    plant({ pid: 12345, host: 'host-a', pidStart: 'boot-1:100', staleAfterMs: 60 * MINUTE });
    const taker = lock({ hostname: 'host-a', startOf: async (pid) => starts.get(pid) });

    await expect(taker.acquire('fail')).rejects.toMatchObject({ code: 'conflict' });
    expect(await taker.liveHolder()).toMatchObject({ id: 'planted' });
  });

  it('records when its own process started', async () => {
    const holder = lock({ startOf: async (pid) => (pid === process.pid ? 'boot-1:4242' : undefined) });

    await holder.acquire('fail');

    expect(await holder.read()).toMatchObject({ pid: process.pid, pidStart: 'boot-1:4242' });
  });

  it("warns naming the holder when it takes over a dead process's lock", async () => {
    plant({ pid: DEAD_PID, host: 'host-a' });
    const notices: TakeoverNotice[] = [];

    await lock({ onTakeover: (notice) => notices.push(notice) }).acquire('fail');

    expect(notices.map((notice) => notice.message)).toEqual([
      `took over the lock ${path.join(dir, 'reconcile.lock')} from pid ${DEAD_PID} on host-a (heartbeat 2026-01-01T00:00:00.000Z; process gone)`,
    ]);
  });

  it('warns naming the file when it takes over an empty or unreadable lock file', async () => {
    const notices: TakeoverNotice[] = [];
    const file = path.join(dir, 'reconcile.lock');
    writeFileSync(file, '');
    const first = lock({ onTakeover: (notice) => notices.push(notice) });
    await first.acquire('fail');
    await first.release();
    writeFileSync(file, 'garbage');
    await lock({ onTakeover: (notice) => notices.push(notice) }).acquire('fail');

    expect(notices.map((notice) => [notice.reason, notice.previous])).toEqual([
      ['empty', undefined],
      ['not a lock', undefined],
    ]);
    expect(notices[0]?.message).toContain(`took over the unreadable lock file ${file}`);
  });

  it('says nothing when it takes a free lock', async () => {
    const notices: TakeoverNotice[] = [];

    await lock({ onTakeover: (notice) => notices.push(notice) }).acquire('fail');

    expect(notices).toEqual([]);
  });

  it('removes lock temp files an earlier write left behind, and leaves young ones and other files alone', async () => {
    const old = path.join(dir, `reconcile.lock.${DEAD_PID}.0c4f.tmp`);
    const young = path.join(dir, 'reconcile.lock.77.9a1e.tmp');
    const other = path.join(dir, 'last-applied.json.77.tmp');
    for (const file of [old, young, other]) writeFileSync(file, '');
    const twoMinutesAgo = new Date(now - 2 * MINUTE);
    utimesSync(old, twoMinutesAgo, twoMinutesAgo);
    utimesSync(other, twoMinutesAgo, twoMinutesAgo);
    const thirtySecondsAgo = new Date(now - 30_000);
    utimesSync(young, thirtySecondsAgo, thirtySecondsAgo);

    await lock().acquire('fail');

    expect(readdirSync(dir).sort()).toEqual(['last-applied.json.77.tmp', 'reconcile.lock', 'reconcile.lock.77.9a1e.tmp']);
  });

  it("judges another host's heartbeat by the window the holder recorded, not the taker's", async () => {
    plant({ pid: 12345, host: 'host-elsewhere', heartbeat: new Date(now - 20 * MINUTE).toISOString(), staleAfterMs: 30 * MINUTE });
    await expect(lock({ staleAfterMs: 5 * MINUTE }).acquire('fail')).rejects.toMatchObject({ code: 'conflict' });

    now += 11 * MINUTE;
    const taker = lock({ staleAfterMs: 5 * MINUTE });
    await taker.acquire('fail');
    expect(await taker.read()).toMatchObject({ pid: process.pid, host: 'host-a' });
  });

  it('keeps its heartbeat fresh through a run much longer than its window, so no other host takes it', async () => {
    const clock = manualTimer();
    const holder = lock({ hostname: 'host-a', staleAfterMs: 5 * MINUTE, heartbeatTimer: clock.timer });
    await holder.acquire('fail');
    expect(clock.everyMs()).toBe(Math.floor((5 * MINUTE) / 3));

    // A slow run: an hour passes, the timer firing at its interval.
    for (let elapsed = 0; elapsed < 60 * MINUTE; elapsed += clock.everyMs()!) {
      now += clock.everyMs()!;
      await clock.tick();
    }
    await expect(lock({ hostname: 'host-b', staleAfterMs: 5 * MINUTE }).acquire('fail')).rejects.toMatchObject({ code: 'conflict' });
    expect(await holder.read()).toMatchObject({ host: 'host-a', heartbeat: new Date(now).toISOString() });
    expect(holder.held).toBe(true);
  });

  it('stops its heartbeat timer on release', async () => {
    const clock = manualTimer();
    const holder = lock({ heartbeatTimer: clock.timer });
    await holder.acquire('fail');
    expect(clock.running()).toBe(true);

    await holder.release();

    expect(clock.running()).toBe(false);
    expect(await holder.read()).toBeUndefined();
  });

  it('reports a lock lost to a taker from the timer, and stops the timer', async () => {
    const clock = manualTimer();
    const errors: [string, boolean][] = [];
    const holder = lock({ hostname: 'host-a', heartbeatTimer: clock.timer, onHeartbeatError: (error, lost) => errors.push([error.code, lost]) });
    await holder.acquire('fail');
    // Frozen (a suspended VM): the heartbeat stops, and another host takes over after the window.
    now += 10 * MINUTE;
    await lock({ hostname: 'host-b' }).acquire('fail');

    await clock.tick();

    expect(errors).toEqual([['conflict', true]]);
    expect(holder.held).toBe(false);
    expect(clock.running()).toBe(false);
    expect(await lock().read()).toMatchObject({ host: 'host-b' });
  });

  it('loses to a taker that holds the takeover guard for its content, instead of overwriting it', async () => {
    const holder = lock({ hostname: 'host-a' });
    await holder.acquire('fail');
    const content = readFileSync(path.join(dir, 'reconcile.lock'), 'utf8');
    const guard = `${path.join(dir, 'reconcile.lock')}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
    const at = new Date(now).toISOString();
    writeFileSync(guard, JSON.stringify({ pid: 777, host: 'host-b', startedAt: at, heartbeat: at, id: 'taker' }));

    await expect(holder.heartbeat()).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('host-b') });
    expect(readFileSync(path.join(dir, 'reconcile.lock'), 'utf8')).toBe(content);
  });

  it('frees the lock on release for the next taker', async () => {
    const first = lock({ hostname: 'host-a' });
    await first.acquire('fail');
    await first.release();

    expect(await first.read()).toBeUndefined();
    await lock({ hostname: 'host-b' }).acquire('fail');
  });
});
