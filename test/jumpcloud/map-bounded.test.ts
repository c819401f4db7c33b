import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../src/jumpcloud/map-bounded.js';

/** A call the test finishes by hand, so how many run at once is seen, not timed. */
function gatedCalls() {
  const running = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  let peak = 0;
  let onStart: (() => void) | undefined;
  const fn = (item: number) =>
    new Promise<string>((resolve, reject) => {
      running.set(item, {
        resolve: (value) => {
          running.delete(item);
          resolve(value);
        },
        reject: (error) => {
          running.delete(item);
          reject(error);
        },
      });
      peak = Math.max(peak, running.size);
      onStart?.();
    });
  /** Resolves once the calls for `items` are all running. */
  const untilRunning = async (...items: number[]) => {
    while (!items.every((item) => running.has(item))) await new Promise<void>((resolve) => (onStart = resolve));
  };
  return { fn, running, untilRunning, peak: () => peak };
}

describe('mapBounded', () => {
  it('runs at most `limit` calls at once and keeps the results in the order of the items', async () => {
    const calls = gatedCalls();
    const all = mapBounded([0, 1, 2, 3, 4], 2, calls.fn);
    await calls.untilRunning(0, 1);
    expect([...calls.running.keys()]).toEqual([0, 1]);
    // Finishing out of order: 1 first frees a slot for 2.
    calls.running.get(1)!.resolve('b');
    await calls.untilRunning(2);
    expect([...calls.running.keys()].sort()).toEqual([0, 2]);
    calls.running.get(0)!.resolve('a');
    await calls.untilRunning(3);
    calls.running.get(3)!.resolve('d');
    await calls.untilRunning(4);
    calls.running.get(2)!.resolve('c');
    calls.running.get(4)!.resolve('e');
    await expect(all).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls.peak()).toBe(2);
  });

  it('starts nothing new after a failure, waits for the calls running, then throws the first failure', async () => {
    const calls = gatedCalls();
    let settled = false;
    const all = mapBounded([0, 1, 2, 3], 2, calls.fn).finally(() => (settled = true));
    await calls.untilRunning(0, 1);
    calls.running.get(0)!.reject(new Error('first'));
    // One turn of the event loop runs every pending reaction to the failure.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect([...calls.running.keys()]).toEqual([1]);
    calls.running.get(1)!.reject(new Error('second'));
    await expect(all).rejects.toThrow('first');
    expect(calls.running.size).toBe(0);
    expect(calls.peak()).toBe(2);
  });

  it('handles no items, a limit above the number of items, and refuses a limit below 1', async () => {
    await expect(mapBounded([], 4, async () => 1)).resolves.toEqual([]);
    await expect(mapBounded(['x', 'y'], 10, async (item, index) => `${item}${index}`)).resolves.toEqual(['x0', 'y1']);
    await expect(mapBounded([1], 0, async () => 1)).rejects.toThrow(RangeError);
    await expect(mapBounded([1], 1.5, async () => 1)).rejects.toThrow(/whole limit/);
  });
});
