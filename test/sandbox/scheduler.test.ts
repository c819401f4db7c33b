// The scheduler: timers stored in SQLite run when the sandbox clock reaches them (synchronously
// inside advance()), in due order, once each, and on start for those that fell due while stopped.
import { describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { Scheduler, clearTimer, setTimer, type DueTimer } from '../../src/sandbox/scheduler.js';
import { SandboxStore } from '../../src/sandbox/store.js';

function setUp(at = 1_000_000): { store: SandboxStore; clock: SandboxClock; ran: DueTimer[]; scheduler: Scheduler } {
  const clock = new SandboxClock({ frozenAt: at });
  const store = new SandboxStore(':memory:', clock);
  const ran: DueTimer[] = [];
  const scheduler = new Scheduler({ store, clock, log: () => {}, run: (timer) => ran.push(timer) });
  return { store, clock, ran, scheduler };
}

describe('the scheduler', () => {
  it('runs nothing while the database may not be written (its lock unconfirmed), and runs what is due by itself once it may', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const clock = new SandboxClock({ frozenAt: 1_000_000 });
      const store = new SandboxStore(':memory:', clock);
      const ran: string[] = [];
      let writable = false;
      const scheduler = new Scheduler({ store, clock, log: () => {}, run: (timer) => ran.push(timer.refId), mayWrite: () => writable });
      setTimer(store, 'expire', 'org', 'due', 999_000);
      scheduler.start();
      clock.advance(60_000);
      expect(ran).toEqual([]);
      expect(store.stmt('SELECT count(*) FROM timers').pluck().get()).toBe(1);
      // A heartbeat confirmed the lock: the scheduler looks again within a second, without a request or a clock change.
      writable = true;
      vi.advanceTimersByTime(1000);
      expect(ran).toEqual(['due']);
      scheduler.stop();
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs timers when the clock reaches them, in due order, once each', () => {
    const { store, clock, ran, scheduler } = setUp();
    scheduler.start();
    setTimer(store, 'revoke', 'org', 'b', 1_000_200);
    setTimer(store, 'expire', 'org', 'a', 1_000_100);
    setTimer(store, 'expire', 'org', 'gone', 1_000_050);
    clearTimer(store, 'expire', 'gone');
    clock.advance(99);
    expect(ran).toEqual([]);
    clock.advance(200);
    expect(ran.map((t) => `${t.kind}:${t.refId}`)).toEqual(['expire:a', 'revoke:b']);
    clock.advance(1000);
    expect(ran).toHaveLength(2);
    scheduler.stop();
    store.close();
  });

  it('moves a timer that is set again, and runs what fell due before it started', () => {
    const { store, ran, scheduler } = setUp();
    setTimer(store, 'revoke', 'org', 'r', 2_000_000);
    setTimer(store, 'revoke', 'org', 'r', 999_000);
    scheduler.start();
    expect(ran.map((t) => t.refId)).toEqual(['r']);
    scheduler.stop();
    store.close();
  });

  it('drops a timer whose work fails and logs which, without stopping the others', () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const store = new SandboxStore(':memory:', clock);
    const logs: string[] = [];
    const ran: string[] = [];
    const scheduler = new Scheduler({
      store,
      clock,
      log: (line) => logs.push(line),
      run: (timer) => {
        if (timer.refId === 'bad') throw new Error('boom');
        ran.push(timer.refId);
      },
    });
    setTimer(store, 'expire', 'org', 'bad', 0);
    setTimer(store, 'expire', 'org', 'good', 0);
    scheduler.start();
    expect(ran).toEqual(['good']);
    expect(logs).toEqual(['timer expire for bad failed: boom']);
    clock.advance(1);
    expect(ran).toEqual(['good']);
    scheduler.stop();
    store.close();
  });
});
