// Specifies what shape-keeper.ts is for: a long-lived process keeps the optimised code that maps and
// compares flows when a full garbage collection runs between two plans. Counted from V8's own
// deoptimisation trace of a child process, never timed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./plans-between-collections.ts', import.meta.url));

/** The functions a no-op plan runs once per flow, whose optimised code each plan relies on. */
const PER_FLOW = [
  'flowShapeProblem',
  'flowShapeReasons',
  'flowFromWire',
  'levelsFromWire',
  'approverFromWire',
  'groupById',
  'PagedFlow',
  'flowFromDesired',
  'knownGroup',
  'LocatedLater',
  'sameFlowSpec',
];

/** Each function whose optimised code V8 dropped because an object it was made for died, once per time. */
function droppedForDeadObjects(trace: string): string[] {
  const after = trace.slice(trace.indexOf('--- collected plans'));
  return [...after.matchAll(/marking dependent code .*?<SharedFunctionInfo ([^>]*)>.*reason: weak objects/g)].map((m) => m[1]!);
}

describe('plans between full garbage collections', () => {
  it('keep the optimised code of the per-flow mapping and comparison', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', '--trace-deopt-verbose', '--import', 'tsx', CHILD, '1000'], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain('--- collected plans');
    expect(droppedForDeadObjects(child.stdout).filter((name) => PER_FLOW.includes(name))).toEqual([]);
  }, 180_000);
});
