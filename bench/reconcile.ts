// Benchmark: a no-op reconcile cycle at 10,000 flows against the floor of the plan benchmark (the
// same list requests, bare), and the process RSS over 100 no-op cycles, which must stay flat.
import { join } from 'node:path';
import { pino } from 'pino';
import { EventFanout } from '../src/events/fanout.js';
import { JumpCloudClient } from '../src/jumpcloud/client.js';
import { ReconcileMetrics } from '../src/reconcile/metrics.js';
import { reconcileOnce } from '../src/reconcile/run.js';
import { TargetBinding } from '../src/reconcile/target-binding.js';
import { fastest } from './measure.js';
import { bareListRequests, benchOrg } from './plan.js';

async function cycles(flows: number, count: number, onCycle: (cycle: number, seconds: number) => void): Promise<void> {
  const org = await benchOrg(flows);
  const client = new JumpCloudClient({ baseUrl: org.sandbox.url, apiKey: org.sandbox.adminKey, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  const options = {
    source: { kind: 'dir' as const, dir: org.config },
    stateDir: join(org.dir, 'state'),
    env: { JUMPCLOUD_API_KEY: org.sandbox.adminKey },
    clients: TargetBinding.fixed(client),
    events: new EventFanout([]),
    metrics: new ReconcileMetrics(),
    log: pino({ level: 'silent' }),
    allowHistoryRewrite: false,
    stopping: () => undefined,
  };
  try {
    for (let cycle = 1; cycle <= count; cycle++) {
      const seconds = await fastest(1, async () => {
        const outcome = await reconcileOnce(options);
        if (outcome.result !== 'no-op') throw new Error(`cycle ${cycle} was not a no-op: ${outcome.result} ${outcome.message}`);
      });
      onCycle(cycle, seconds);
    }
    if (count === 1) {
      const floor = await fastest(3, () => bareListRequests(org.sandbox.url, org.sandbox.adminKey));
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 2; i++) best = Math.min(best, await fastest(1, async () => void (await reconcileOnce(options))));
      console.log(
        `reconcile (no-op cycle) at ${flows.toLocaleString('en-US')} flows: ${(best * 1000).toFixed(0)} ms (loading the config included); ` +
          `floor (the same list requests, bare undici) ${(floor * 1000).toFixed(0)} ms; ratio floor/cycle ${(floor / best).toFixed(2)}`,
      );
    }
  } finally {
    await client.close();
    await org.close();
  }
}

export default async function bench(): Promise<void> {
  await cycles(10_000, 1, () => {});
  const rss: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  await cycles(1_000, 100, () => {
    gc?.();
    rss.push(process.memoryUsage().rss);
  });
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const first = rss.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
  const last = rss.slice(-10).reduce((a, b) => a + b, 0) / 10;
  console.log(
    `reconcile RSS over 100 no-op cycles at 1,000 flows: first ten ${mb(first)}, last ten ${mb(last)} (growth ${(((last - first) / first) * 100).toFixed(1)}%; min ${mb(Math.min(...rss))}, max ${mb(Math.max(...rss))})`,
  );
}
