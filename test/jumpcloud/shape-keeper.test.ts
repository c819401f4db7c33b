// Specifies what shape-keeper.ts is for: a long-lived process keeps the optimised code that maps and
// compares flows when a full garbage collection runs between two plans, and keeps nothing of a plan
// past it. Counted from V8's own optimisation trace of a child process, never timed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./plans-between-collections.ts', import.meta.url));
const MARKER = '--- collected plans';

/** Large functions a no-op plan runs once per flow or list item: V8 optimises each on its own, never only inlined. */
const OPTIMISED_ALONE = ['pageProblem', 'flowShapeProblem', 'flowShapeReasons', 'flowFromWire', 'levelsFromWire', 'flowFromDesired', 'sameFlowSpec'];
/** Every per-flow function whose optimised code, alone or inlined in another, a plan relies on. */
const PER_FLOW = [...OPTIMISED_ALONE, 'itemId', 'groupById', 'knownGroup', 'approverFromWire', 'PagedFlow', 'LocatedLater'];

/** The function names that `line` (a pattern with the name as its first group) finds in `trace`. */
function functionsIn(trace: string, line: RegExp): string[] {
  return [...trace.matchAll(line)].map((m) => m[1]!);
}
const DROPPED = /marking dependent code .*?<SharedFunctionInfo ([^>]*)>.*reason: weak objects/g;
const OPTIMISED = /completed optimizing 0x[0-9a-f]+ <JSFunction ([^ >]+)/g;

function traceOf(...args: string[]): string {
  const child = spawnSync(process.execPath, ['--expose-gc', '--trace-opt', '--trace-deopt-verbose', '--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  expect(child.status, child.stderr).toBe(0);
  expect(child.stdout).toContain(MARKER);
  return child.stdout;
}

describe('plans between full garbage collections', () => {
  let declared = '';
  let undeclared = '';
  beforeAll(() => {
    declared = traceOf('1000');
    // Without declared groups no live group is compared: the directory's own items keep their class.
    undeclared = traceOf('500', 'without-groups');
  }, 240_000);

  it('optimise the per-flow functions while warm, and say so in the form this test reads', () => {
    const optimised = new Set(functionsIn(declared.slice(0, declared.indexOf(MARKER)), OPTIMISED));
    expect(OPTIMISED_ALONE.filter((name) => !optimised.has(name))).toEqual([]);
    // The first plans' objects (the config's parse, say) die: the trace names such drops, so a drop of ours would be seen.
    expect(functionsIn(declared, DROPPED).length).toBeGreaterThan(0);
  });

  it('keep the optimised code of the per-flow mapping and comparison', () => {
    for (const trace of [declared, undeclared]) {
      expect(functionsIn(trace.slice(trace.indexOf(MARKER)), DROPPED).filter((name) => PER_FLOW.includes(name))).toEqual([]);
    }
  });

  it("keep nothing of a plan past it: the last plan's env is collected", () => {
    for (const trace of [declared, undeclared]) expect(trace).toContain("--- last plan's env collected: true");
  });
});
