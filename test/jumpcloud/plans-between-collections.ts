// Run as a child with --expose-gc --trace-opt --trace-deopt-verbose (shape-keeper.test.ts): no-op
// plans of the bench org (args: flows, and optionally without-groups), warm first, then each after a
// full garbage collection, as a long-lived process plans after an idle spell. Prints a marker before
// the collected plans and, at the end, whether the last plan's env was collected; V8 traces to stdout.
import { loadConfig } from '../../src/config/load.js';
import { makePlan, withClientScope } from '../../src/pipeline/make-plan.js';
import { benchOrg } from '../../bench/plan.js';

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with --expose-gc');
const flows = Number(process.argv[2] ?? 1000);
// "without-groups": the repo declares no GroupAssignment, so no live group is compared (or kept with one).
const withoutGroups = process.argv[3] === 'without-groups';
const org = await benchOrg(flows);
try {
  const env = { JUMPCLOUD_API_KEY: org.sandbox.adminKey, JUMPCLOUD_API_URL: org.sandbox.url };
  const read = await loadConfig(org.config);
  const loaded = withoutGroups ? { ...read, desired: { ...read.desired, groups: [] } } : read;
  // Each plan reads its secrets from an env of its own: nothing may keep one past its plan.
  let lastEnv: WeakRef<object> | undefined;
  await withClientScope({ env, clientOptions: { rateLimit: { perSecond: 1e9, burst: 1e9 } } }, async (scope) => {
    const plan = async (): Promise<void> => {
      const planEnv = { ...env };
      lastEnv = new WeakRef(planEnv);
      const run = await makePlan({ dir: org.config, env: planEnv, client: scope.for, load: async () => loaded });
      if (run.status !== 'planned' || run.plan.changes.length !== 0) throw new Error('the bench org did not plan as a no-op');
    };
    for (let i = 0; i < 8; i++) await plan();
    console.log('--- collected plans');
    for (let i = 0; i < 12; i++) {
      collect();
      await plan();
    }
  });
  // A WeakRef's target lives until the job that made or read it ends: collect in a later one.
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  console.log(`--- last plan's env collected: ${lastEnv !== undefined && lastEnv.deref() === undefined}`);
} finally {
  await org.close();
}
