// The sandbox clock: freezing, setting (backwards too), advancing, and sleeps that wake when the
// clock passes their deadline rather than after wall time.
import { describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';

describe('SandboxClock', () => {
  it('stands still when frozen until advanced', () => {
    const clock = new SandboxClock({ frozenAt: Date.parse('2026-01-01T00:00:00Z') });
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.000Z');
    clock.advance(90_000);
    expect(clock.nowIso()).toBe('2026-01-01T00:01:30.000Z');
    expect(clock.state()).toMatchObject({ frozen: true });
  });

  it('follows its source with an offset when running', () => {
    let wall = 1_000;
    const clock = new SandboxClock({ source: () => wall });
    clock.advance(500);
    wall = 2_000;
    expect(clock.nowMs()).toBe(2_500);
    clock.set(10_000);
    expect(clock.nowMs()).toBe(10_000);
    clock.set(0);
    expect(clock.nowMs()).toBe(0);
  });

  it('freezes and unfreezes without a jump', () => {
    let wall = 5_000;
    const clock = new SandboxClock({ source: () => wall });
    clock.freeze();
    wall = 9_000;
    expect(clock.nowMs()).toBe(5_000);
    clock.unfreeze();
    expect(clock.nowMs()).toBe(5_000);
    wall = 9_500;
    expect(clock.nowMs()).toBe(5_500);
  });

  it('refuses to advance by a negative amount', () => {
    expect(() => new SandboxClock().advance(-1)).toThrow(RangeError);
  });

  it('wakes a sleeper when advanced past its deadline, not before', async () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    let woke = false;
    const sleeping = clock.sleep(60_000).then(() => {
      woke = true;
    });
    clock.advance(59_999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('releases every sleeper on shutdown', async () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const sleeping = Promise.all([clock.sleep(1_000_000), clock.sleep(5)]);
    clock.releaseAll();
    await expect(sleeping).resolves.toEqual([undefined, undefined]);
  });

  it('tells its listeners synchronously when it is advanced, set or unfrozen, until they unsubscribe', () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const seen: number[] = [];
    const unsubscribe = clock.onChange(() => seen.push(clock.nowMs()));
    clock.advance(5);
    clock.set(100);
    unsubscribe();
    clock.advance(1);
    expect(seen).toEqual([5, 100]);
  });
});
