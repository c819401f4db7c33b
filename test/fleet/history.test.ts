// An org's run of failures in a row, which drives its back-off and the consecutive-failures metric
// that alerts watch: what each run result does to it.
import { describe, expect, it } from 'vitest';
import { failureStreak } from '../../src/fleet/history.js';

describe("an org's failures in a row", () => {
  it('grows with each failing run and ends with a run that succeeded or had nothing to do', () => {
    expect(failureStreak(2, 'failed')).toBe(3);
    expect(failureStreak(2, 'partial')).toBe(3);
    expect(failureStreak(2, 'error')).toBe(3);
    expect(failureStreak(2, 'success')).toBe(0);
    expect(failureStreak(2, 'no-op')).toBe(0);
  });

  it('is kept as it was by a stopped run (a worker shut down mid-run), so a failing org stays failing', () => {
    expect(failureStreak(5, 'stopped')).toBe(5);
    expect(failureStreak(0, 'stopped')).toBe(0);
  });
});
