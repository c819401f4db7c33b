// Shared measuring for benchmarks: best-of-N wall time, a task timed in turn with its floor, and
// the figure every benchmark reports: a value against its floor measured in the same run, with the
// goal for their ratio and whether it is met (`npm run bench`, or one JSON object per figure with --json).

/** Runs `task` `runs` times and returns the fastest wall time in seconds. */
export async function fastest(runs: number, task: () => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < runs; i++) {
    // Start every run on a clean heap, so no run pays for the garbage of the one before (--expose-gc).
    gc?.();
    const start = process.hrtime.bigint();
    await task();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

/**
 * Times `floor` and `task` alternately, `runs` times each, and returns the fastest of each: both
 * see the same machine, whatever else it is doing.
 */
export async function fastestInterleaved(runs: number, floor: () => Promise<void>, task: () => Promise<void>): Promise<{ floor: number; task: number }> {
  let bestFloor = Number.POSITIVE_INFINITY;
  let bestTask = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    bestFloor = Math.min(bestFloor, await fastest(1, floor));
    bestTask = Math.min(bestTask, await fastest(1, task));
  }
  return { floor: bestFloor, task: bestTask };
}

/** What the ratio value / floor must be: at most (a cost) or at least (a rate) the given number. */
export interface Goal {
  at: 'most' | 'least';
  ratio: number;
}

/** One figure, as `--json` prints it. */
export interface Figure {
  name: string;
  value: number;
  floor: number;
  /** value / floor. */
  ratio: number;
  /** The goal for the ratio, such as "<= 1.5" or ">= 0.8"; null for a figure kept for information. */
  goal: string | null;
  meets: boolean | null;
}

/** A figure with what its text line says besides: the unit of value and floor, and what the floor is. */
export interface ReportedFigure extends Figure {
  unit: string;
  floorLabel: string;
}

export type Report = (figure: ReportedFigure) => void;

export function figure(name: string, measured: { value: number; floor: number; unit: string; floorLabel: string }, goal?: Goal): ReportedFigure {
  const { value, floor } = measured;
  // None of nothing is none: a count of zero against an empty floor is a ratio of zero.
  const ratio = value === 0 ? 0 : floor === 0 ? Number.POSITIVE_INFINITY : value / floor;
  return {
    name,
    value,
    floor,
    ratio,
    goal: goal === undefined ? null : `${goal.at === 'most' ? '<=' : '>='} ${goal.ratio}`,
    meets: goal === undefined ? null : goal.at === 'most' ? ratio <= goal.ratio : ratio >= goal.ratio,
    unit: measured.unit,
    floorLabel: measured.floorLabel,
  };
}

function amount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: n !== 0 && Math.abs(n) < 10 ? 1 : 0 });
}

/** The human line: value, floor, ratio, and the goal with "meets" or "BELOW". */
export function formatFigure(f: ReportedFigure): string {
  const verdict = f.meets === null ? '' : f.meets ? ` (meets the goal ${f.goal})` : ` (BELOW the goal ${f.goal})`;
  return `${f.name}: ${amount(f.value)} ${f.unit}; floor (${f.floorLabel}) ${amount(f.floor)} ${f.unit}; ratio ${f.ratio.toFixed(2)}${verdict}`;
}

/** The JSON line: exactly the figure's six fields. */
export function figureJson(f: ReportedFigure): string {
  const { name, value, floor, ratio, goal, meets } = f;
  return JSON.stringify({ name, value: round(value), floor: round(floor), ratio: round(ratio, 3), goal, meets });
}

function round(n: number, digits = 1): number {
  const scale = 10 ** digits;
  return Number.isFinite(n) ? Math.round(n * scale) / scale : n;
}

/** Prints each figure on its own line, as text or as JSON. */
export function printer(json: boolean): Report {
  return (f) => console.log(json ? figureJson(f) : formatFigure(f));
}

export const ms = (seconds: number): number => seconds * 1000;
