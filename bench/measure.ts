// Shared measuring for benchmarks: best-of-N wall time, and the one-line report of a figure
// against its floor measured in the same run.

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

export interface RatioReport {
  name: string;
  unit: string;
  floorLabel: string;
  floorRate: number;
  rate: number;
  /** The least acceptable rate / floorRate. */
  goal: number;
}

export function printRatio(report: RatioReport): void {
  const ratio = report.rate / report.floorRate;
  const verdict = ratio >= report.goal ? 'meets' : 'BELOW';
  const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(
    `${report.name}: ${fmt(report.rate)} ${report.unit}; floor (${report.floorLabel}) ${fmt(report.floorRate)} ${report.unit}; ratio ${ratio.toFixed(2)} (${verdict} the goal of ${report.goal})`,
  );
}
