// Shared measuring for benchmarks: best-of-N wall time, and the one-line report of a figure
// against its floor measured in the same run.

/** Runs `task` `runs` times and returns the fastest wall time in seconds. */
export async function fastest(runs: number, task: () => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await task();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
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
