// Specifies the figures `npm run bench` reports: the ratio of a value to its floor against a goal
// that is a most (a cost) or a least (a rate), and the JSON line `--json` prints for each figure.
import { describe, expect, it, vi } from 'vitest';
import { figure, figureJson, formatFigure, printer } from '../../bench/measure.js';

const timed = (value: number, floor: number) => ({ value, floor, unit: 'ms', floorLabel: 'bare undici' });

describe('a figure', () => {
  it('meets a goal of at most a ratio when its value is within that many floors, and not past it', () => {
    expect(figure('plan', timed(150, 100), { at: 'most', ratio: 1.5 })).toMatchObject({ ratio: 1.5, goal: '<= 1.5', meets: true });
    expect(figure('plan', timed(151, 100), { at: 'most', ratio: 1.5 })).toMatchObject({ goal: '<= 1.5', meets: false });
  });

  it('meets a goal of at least a ratio when its rate is that share of the floor, and not below it', () => {
    expect(figure('validate', timed(800, 1000), { at: 'least', ratio: 0.8 })).toMatchObject({ ratio: 0.8, goal: '>= 0.8', meets: true });
    expect(figure('validate', timed(799, 1000), { at: 'least', ratio: 0.8 })).toMatchObject({ meets: false });
  });

  it('meets a goal of none out of a count only with none', () => {
    expect(figure('files parsed', timed(0, 10_001), { at: 'most', ratio: 0 })).toMatchObject({ ratio: 0, meets: true });
    expect(figure('files parsed', timed(1, 10_001), { at: 'most', ratio: 0 })).toMatchObject({ meets: false });
  });

  it('has no goal and no verdict when it is kept for information', () => {
    expect(figure('impact', timed(30, 10))).toMatchObject({ ratio: 3, goal: null, meets: null });
  });

  it('says meets or BELOW, with the goal, on its text line', () => {
    expect(formatFigure(figure('plan (no-op) at 1,000 flows', timed(45, 30), { at: 'most', ratio: 1.5 }))).toBe(
      'plan (no-op) at 1,000 flows: 45 ms; floor (bare undici) 30 ms; ratio 1.50 (meets the goal <= 1.5)',
    );
    expect(formatFigure(figure('plan', timed(60, 30), { at: 'most', ratio: 1.5 }))).toContain('ratio 2.00 (BELOW the goal <= 1.5)');
    expect(formatFigure(figure('impact', timed(60, 30)))).toBe('impact: 60 ms; floor (bare undici) 30 ms; ratio 2.00');
  });
});

describe('--json', () => {
  it('prints one JSON object per figure, with exactly name, value, floor, ratio, goal and meets', () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const report = printer(true);
      report(figure('validate 10,000 flow files', { value: 1234.567, floor: 1500, unit: 'files/s', floorLabel: 'parseDocument' }, { at: 'least', ratio: 0.8 }));
      report(figure('impact', timed(30, 10)));
    } finally {
      log.mockRestore();
    }
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(first!)).toEqual(['name', 'value', 'floor', 'ratio', 'goal', 'meets']);
    expect(first).toEqual({ name: 'validate 10,000 flow files', value: 1234.6, floor: 1500, ratio: 0.823, goal: '>= 0.8', meets: true });
    expect(second).toEqual({ name: 'impact', value: 30, floor: 10, ratio: 3, goal: null, meets: null });
    expect(figureJson(figure('x', timed(1, 3)))).toBe('{"name":"x","value":1,"floor":3,"ratio":0.333,"goal":null,"meets":null}');
  });
});
