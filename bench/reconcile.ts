// Benchmark: no-op reconcile cycles at 10,000 flows against the floor of the plan benchmark (the
// same list requests, bare), with the reconciler's parse cache: the first (cold) cycle, then warm
// cycles timed in turn with the floor, best of five, and how many files a warm cycle parsed. Then
// the process RSS over 100 no-op cycles at 1,000 flows, which must stay flat.
import { join } from 'node:path';
import { pino } from 'pino';
import { ParseCache } from '../src/config/parse-cache.js';
import { EventFanout } from '../src/events/fanout.js';
import { AnswerMemo } from '../src/jumpcloud/answer-memo.js';
import { JumpCloudClient } from '../src/jumpcloud/client.js';
import { PlanMemo } from '../src/pipeline/plan-memo.js';
import { ReconcileMetrics } from '../src/reconcile/metrics.js';
import { reconcileOnce, type RunOptions } from '../src/reconcile/run.js';
import { TargetBinding } from '../src/reconcile/target-binding.js';
import { fastest, fastestInterleaved, figure, ms, type Report } from './measure.js';
import { bareListRequests, benchOrg, type BenchOrg } from './plan.js';

/** Runs `use` with a reconciler's run options over a bench org of `flows` flows, holding one parse cache as the loop does. */
async function withReconciler(flows: number, use: (org: BenchOrg, options: RunOptions, cache: ParseCache) => Promise<void>): Promise<void> {
  const org = await benchOrg(flows);
  // As the reconciler's loop and target binding hold them: one answer memo and one plan memo for its lifetime.
  const client = new JumpCloudClient({
    baseUrl: org.sandbox.url,
    apiKey: org.sandbox.adminKey,
    rateLimit: { perSecond: 1e9, burst: 1e9 },
    answers: new AnswerMemo(),
  });
  const cache = new ParseCache();
  const options: RunOptions = {
    source: { kind: 'dir' as const, dir: org.config },
    stateDir: join(org.dir, 'state'),
    env: { JUMPCLOUD_API_KEY: org.sandbox.adminKey },
    clients: TargetBinding.fixed(client),
    events: new EventFanout([]),
    metrics: new ReconcileMetrics(),
    log: pino({ level: 'silent' }),
    allowHistoryRewrite: false,
    stopping: () => undefined,
    cache,
    memo: new PlanMemo(),
  };
  try {
    await use(org, options, cache);
  } finally {
    await client.close();
    await org.close();
  }
}

async function noop(options: RunOptions): Promise<void> {
  const outcome = await reconcileOnce(options);
  if (outcome.result !== 'no-op') throw new Error(`the cycle was not a no-op: ${outcome.result} ${outcome.message}`);
}

async function cycles(flows: number, report: Report): Promise<void> {
  await withReconciler(flows, async (org, options, cache) => {
    const floor = (): Promise<void> => bareListRequests(org.sandbox.url, org.sandbox.adminKey);
    await floor();
    // The first cycle parses every file; it is timed once, against the best floor of the warm cycles.
    const cold = await fastest(1, () => noop(options));
    const files = cache.parsed;
    let parsedWhenWarm = 0;
    const warm = async (): Promise<void> => {
      const before = cache.parsed;
      await noop(options);
      parsedWhenWarm = Math.max(parsedWhenWarm, cache.parsed - before);
    };
    const timed = await fastestInterleaved(5, floor, warm);
    const n = flows.toLocaleString('en-US');
    const floorLabel = 'the same list requests, bare undici';
    report(figure(`reconcile (no-op cycle) at ${n} flows, first cycle`, { value: ms(cold), floor: ms(timed.floor), unit: 'ms', floorLabel }));
    report(
      figure(
        `reconcile (no-op cycle) at ${n} flows, warm`,
        { value: ms(timed.task), floor: ms(timed.floor), unit: 'ms', floorLabel },
        { at: 'most', ratio: 2 },
      ),
    );
    report(
      figure(
        `files parsed in a warm reconcile cycle with no change, at ${n} flows`,
        { value: parsedWhenWarm, floor: files, unit: 'files', floorLabel: 'the files a first cycle parses' },
        { at: 'most', ratio: 0 },
      ),
    );
  });
}

async function rss(flows: number, count: number, report: Report): Promise<void> {
  const samples: number[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  await withReconciler(flows, async (_org, options) => {
    for (let cycle = 1; cycle <= count; cycle++) {
      await noop(options);
      gc?.();
      samples.push(process.memoryUsage().rss);
    }
  });
  const mib = (bytes: number): number => bytes / 1024 / 1024;
  const first = samples.slice(0, 10).reduce((a, b) => a + b, 0) / 10;
  const last = samples.slice(-10).reduce((a, b) => a + b, 0) / 10;
  report(
    figure(
      `reconcile RSS over ${count} no-op cycles at ${flows.toLocaleString('en-US')} flows, last ten cycles`,
      { value: mib(last), floor: mib(first), unit: 'MiB', floorLabel: 'the first ten cycles' },
      // Flat: within a tenth of where it started.
      { at: 'most', ratio: 1.1 },
    ),
  );
}

export default async function bench(report: Report): Promise<void> {
  await cycles(10_000, report);
  await rss(1_000, 100, report);
}
