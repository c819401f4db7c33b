// The one abortable wait, under vitest fake timers and an injected timer: it ends when its time
// passes or when the stop comes, whichever is first, never rejects, and leaves nothing behind.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableSleep, type SetTimer } from '../../src/retry/abortable-sleep.js';

/** Whether the promise has settled, seen after the microtasks queued so far. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('abortableSleep', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves once its time has passed, and not before', async () => {
    const sleep = abortableSleep(1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(sleep)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(sleep)).toBe(true);
  });

  it('resolves as soon as the signal aborts, clearing its timer and its listener', async () => {
    const stop = new AbortController();
    const sleep = abortableSleep(60_000, stop.signal);
    expect(vi.getTimerCount()).toBe(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort(new Error('stopping'));
    await expect(sleep).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('resolves at once, starting no timer, when the signal has already aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    const sleep = abortableSleep(60_000, stop.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(await settled(sleep)).toBe(true);
  });

  it('removes its abort listener when the time passes, so a long-lived signal collects none', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 3; i++) {
      const sleep = abortableSleep(10, stop.signal);
      await vi.advanceTimersByTimeAsync(10);
      await sleep;
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('waits on the timer it is given, and cancels that timer on abort', async () => {
    const started: number[] = [];
    let fire: (() => void) | undefined;
    let cancelled = 0;
    const setTimer: SetTimer = (callback, ms) => {
      started.push(ms);
      fire = callback;
      return () => cancelled++;
    };
    const first = abortableSleep(250, undefined, setTimer);
    expect(started).toEqual([250]);
    expect(await settled(first)).toBe(false);
    fire?.();
    expect(await settled(first)).toBe(true);

    const stop = new AbortController();
    const second = abortableSleep(500, stop.signal, setTimer);
    stop.abort();
    await second;
    expect(cancelled).toBe(2);
  });
});
