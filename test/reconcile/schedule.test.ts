// The schedule under vitest fake timers: jitter stays in bounds, runs never overlap, an abort lets
// the run in flight finish and stops the loop, a run may ask for a sooner next run (a conflict's
// requeue), and --interval values parse or fail as usage errors.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import {
  CONFLICT_REQUEUE_MS,
  conflictRequeueMs,
  conflictStreak,
  MIN_RUN_INTERVAL_MS,
  parseInterval,
  runEvery,
  Schedule,
} from '../../src/reconcile/schedule.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Schedule', () => {
  it('keeps every delay within plus or minus the jitter of the interval', () => {
    const values = [0, 0.25, 0.5, 0.75, 0.999999];
    let index = 0;
    const schedule = new Schedule({ intervalMs: 300_000, jitter: 0.1, random: () => values[index++ % values.length] ?? 0 });

    const delays = values.map(() => schedule.nextDelay());

    expect(delays).toEqual([270_000, 285_000, 300_000, 315_000, 330_000]);
    const random = new Schedule({ intervalMs: 300_000, jitter: 0.1 });
    for (let i = 0; i < 1000; i++) {
      const delay = random.nextDelay();
      expect(delay).toBeGreaterThanOrEqual(270_000);
      expect(delay).toBeLessThanOrEqual(330_000);
    }
  });

  it('uses the interval as is without jitter', () => {
    expect(new Schedule({ intervalMs: 30_000, jitter: 0, random: () => 0.9 }).nextDelay()).toBe(30_000);
  });

  it('requeues after a conflict sooner than the interval, with the same jitter, and never later than the interval', () => {
    expect(new Schedule({ intervalMs: 300_000, jitter: 0.1, random: () => 0.5 }).requeueDelay()).toBe(CONFLICT_REQUEUE_MS);
    expect(new Schedule({ intervalMs: 300_000, jitter: 0.1, random: () => 0 }).requeueDelay()).toBe(CONFLICT_REQUEUE_MS * 0.9);
    expect(new Schedule({ intervalMs: 5_000, jitter: 0, random: () => 0.5 }).requeueDelay()).toBe(5_000);
  });

  it('requeues each conflict in a row twice as late as the one before, never later than the interval', () => {
    const schedule = new Schedule({ intervalMs: 300_000, jitter: 0, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 40].map((n) => schedule.requeueDelay(n))).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    expect(conflictRequeueMs(300_000, 0)).toBe(CONFLICT_REQUEUE_MS);
  });

  it('counts conflict-ended runs in a row: a stopped run neither ends nor adds to them, anything else ends them', () => {
    expect(conflictStreak(2, 'conflict')).toBe(3);
    expect(conflictStreak(2, 'stopped')).toBe(2);
    expect(conflictStreak(2, 'success')).toBe(0);
    expect(conflictStreak(2, 'failed')).toBe(0);
  });

  it('refuses an interval that is not positive', () => {
    expect(() => new Schedule({ intervalMs: 0, jitter: 0.1 })).toThrow(AccessctlError);
  });
});

describe('runEvery', () => {
  it('runs at once, then again one delay after each run finishes, never overlapping', async () => {
    const schedule = new Schedule({ intervalMs: 60_000, jitter: 0.1, random: () => 0.5 });
    const controller = new AbortController();
    const gates: Gate[] = [];
    let running = 0;
    let most = 0;
    const task = vi.fn(async () => {
      running++;
      most = Math.max(most, running);
      const next = gate();
      gates.push(next);
      await next.promise;
      running--;
    });

    const loop = runEvery(task, schedule, controller.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(1);

    // The first run is slow: many intervals pass, and no second run starts.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(task).toHaveBeenCalledTimes(1);

    gates[0]?.open();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(2);

    gates[1]?.open();
    controller.abort();
    await loop;
    expect(most).toBe(1);
  });

  it("waits the delay a run asks for instead of the interval, for that run only (a conflict's requeue)", async () => {
    const schedule = new Schedule({ intervalMs: 60_000, jitter: 0, random: () => 0.5 });
    const controller = new AbortController();
    const asks: (number | undefined)[] = [5_000, undefined];
    const delays: number[] = [];
    const task = vi.fn(async () => asks.shift());

    const loop = runEvery(task, schedule, controller.signal, { onDelay: (ms) => delays.push(ms) });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(2);
    // The second run asked nothing: the interval again.
    await vi.advanceTimersByTimeAsync(59_999);
    expect(task).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(3);
    controller.abort();
    await loop;
    expect(delays).toEqual([5_000, 60_000, 60_000]);
  });

  it('on abort, finishes the run in flight and starts no other', async () => {
    const schedule = new Schedule({ intervalMs: 1_000, jitter: 0.1, random: () => 0.5 });
    const controller = new AbortController();
    const inFlight = gate();
    const seen: boolean[] = [];
    let finished = false;
    const task = vi.fn(async (signal: AbortSignal) => {
      await inFlight.promise;
      seen.push(signal.aborted);
      finished = true;
    });
    let stopped = false;

    const loop = runEvery(task, schedule, controller.signal).then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stopped).toBe(false);

    inFlight.open();
    await loop;

    expect(finished).toBe(true);
    expect(seen).toEqual([true]);
    expect(task).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops at once when aborted between runs, cancelling its timer', async () => {
    const schedule = new Schedule({ intervalMs: 300_000, jitter: 0.1, random: () => 0.5 });
    const controller = new AbortController();
    const task = vi.fn(async () => undefined);

    const loop = runEvery(task, schedule, controller.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    await loop;

    expect(task).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not run at all when the signal is already aborted', async () => {
    const task = vi.fn(async () => undefined);

    await runEvery(task, new Schedule({ intervalMs: 1_000, jitter: 0 }), AbortSignal.abort());

    expect(task).not.toHaveBeenCalled();
  });

  it('stops with the error of a run that rejects', async () => {
    const failure = new Error('run failed');

    await expect(
      runEvery(
        async () => {
          throw failure;
        },
        new Schedule({ intervalMs: 1_000, jitter: 0 }),
        new AbortController().signal,
      ),
    ).rejects.toBe(failure);
  });

  it('waits through the timer it was given', async () => {
    const requested: number[] = [];
    const controller = new AbortController();
    const schedule = new Schedule({
      intervalMs: 1_000,
      jitter: 0,
      setTimer: (callback, ms) => {
        requested.push(ms);
        queueMicrotask(callback);
        return () => undefined;
      },
    });
    let runs = 0;

    await runEvery(
      async () => {
        runs++;
        if (runs === 3) controller.abort();
      },
      schedule,
      controller.signal,
    );

    expect(runs).toBe(3);
    expect(requested).toEqual([1_000, 1_000]);
  });
});

describe('parseInterval', () => {
  it('reads milliseconds, seconds, minutes, hours and sums of them', () => {
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('30s')).toBe(30_000);
    expect(parseInterval('5m')).toBe(300_000);
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('1h30m')).toBe(5_400_000);
    expect(parseInterval('1.5s')).toBe(1_500);
  });

  it('rejects anything else as a usage error on --interval', () => {
    for (const value of ['', '5', '5 m', '-5m', '0s', 'five minutes', '5d', '30days', '1000h']) {
      expect(() => parseInterval(value), value).toThrow(AccessctlError);
      try {
        parseInterval(value);
      } catch (error) {
        expect(error).toMatchObject({ code: 'usage', subject: '--interval' });
      }
    }
  });

  it('refuses an interval under the minimum a reconciler runs at, naming the flag and the minimum', () => {
    expect(MIN_RUN_INTERVAL_MS).toBe(1000);
    expect(parseInterval('1s', '--interval', MIN_RUN_INTERVAL_MS)).toBe(1000);
    for (const value of ['1ms', '999ms', '0.5s']) {
      expect(() => parseInterval(value, '--interval', MIN_RUN_INTERVAL_MS), value).toThrow(/^--interval must be .*at least 1s/);
      expect(() => parseInterval(value, '--interval', MIN_RUN_INTERVAL_MS)).toThrow(expect.objectContaining({ code: 'usage', subject: '--interval' }));
    }
  });
});
