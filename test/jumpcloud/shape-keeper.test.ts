// Specifies what shape-keeper.ts is for: a long-lived process keeps the optimised code that maps and
// compares flows when a full garbage collection runs between two plans, and keeps nothing of a plan
// past it. Counted from V8's own optimisation trace of a child process, never timed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./plans-between-collections.ts', import.meta.url));
const MARKER = '--- collected plans';

/** The functions a no-op plan runs once per flow (or per list item), whose optimised code each plan relies on. */
const PER_FLOW = [
  'pageProblem',
  'itemId',
  'flowShapeProblem',
  'flowShapeReasons',
  'flowFromWire',
  'levelsFromWire',
  'groupById',
  'PagedFlow',
  'flowFromDesired',
  'LocatedLater',
  'sameFlowSpec',
];

/** The functions of SharedFunctionInfo lines in `trace` that match `reason`. */
function functionsIn(trace: string, line: RegExp): string[] {
  return [...trace.matchAll(line)].map((m) => m[1]!);
}
const DROPPED = /marking dependent code .*?<SharedFunctionInfo ([^>]*)>.*reason: weak objects/g;
const OPTIMISED = /completed optimizing 0x[0-9a-f]+ <JSFunction ([^ >]+)/g;

describe('plans between full garbage collections', () => {
  let trace = '';
  beforeAll(() => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--trace-opt', '--trace-deopt-verbose', '--import', 'tsx', CHILD, '1000'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain(MARKER);
    trace = child.stdout;
  }, 180_000);

  it('optimise the per-flow functions while warm, and say so in the form this test reads', () => {
    const warm = trace.slice(0, trace.indexOf(MARKER));
    const optimised = new Set(functionsIn(warm, OPTIMISED));
    expect(PER_FLOW.filter((name) => !optimised.has(name))).toEqual([]);
    // The first plans' objects (the config's parse, say) die: the trace names such drops, so a drop of ours would be seen.
    expect(functionsIn(trace, DROPPED).length).toBeGreaterThan(0);
  });

  it('keep the optimised code of the per-flow mapping and comparison', () => {
    const collected = trace.slice(trace.indexOf(MARKER));
    expect(functionsIn(collected, DROPPED).filter((name) => PER_FLOW.includes(name))).toEqual([]);
  });

  it("keep nothing of a plan past it: the last plan's env is collected", () => {
    expect(trace).toContain("--- last plan's env collected: true");
  });
});
