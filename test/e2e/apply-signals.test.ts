// `accessctl apply` stopped by a signal, as Ctrl-C or a CI runner's SIGTERM stops it: the real binary,
// against a sandbox that holds the first flow's create on its frozen clock until the test moves it,
// so the signal always lands while exactly one change is in flight.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { automaticFlowFile } from '../config/config-workspace.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, start, type Running } from './binary.js';

const FLOWS = ['Signal Flow 01', 'Signal Flow 02', 'Signal Flow 03', 'Signal Flow 04', 'Signal Flow 05', 'Signal Flow 06'];
const HELD_MS = 60_000;

/** The sandbox clock, which also says when a request starts waiting on it: the held create has arrived. */
class WatchedClock extends SandboxClock {
  #sleeps = 0;
  #waiting: { count: number; resolve: () => void }[] = [];

  override sleep(ms: number): Promise<void> {
    this.#sleeps += 1;
    for (const waiter of this.#waiting.filter((w) => w.count <= this.#sleeps)) waiter.resolve();
    this.#waiting = this.#waiting.filter((w) => w.count > this.#sleeps);
    return super.sleep(ms);
  }

  /** Resolves once `count` sleeps have begun. */
  sleeping(count: number): Promise<void> {
    if (this.#sleeps >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ count, resolve }));
  }
}

/** Resolves once the child has printed `text` on `stream`; rejects if it exits first, with what it printed. */
function printed(run: Running, stream: 'stdout' | 'stderr', text: string): Promise<void> {
  const seen = stream === 'stdout' ? run.stdout : run.stderr;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!seen().includes(text)) return;
      run.child[stream].off('data', check);
      resolve();
    };
    run.child[stream].on('data', check);
    void run.exited.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}:\n${run.stdout()}\n${run.stderr()}`)));
    check();
  });
}

describe('accessctl apply stopped by a signal', () => {
  let clock: WatchedClock;
  let h: Harness;
  let dir: string;
  let config: string;
  let env: Record<string, string>;

  const flowNames = async (): Promise<string[]> =>
    (await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows')).body.results.map((f) => f.name).sort();

  beforeEach(async () => {
    clock = new WatchedClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') });
    h = await startHarness({ hooks: true, clock });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-e2e-apply-signals-'));
    config = join(dir, 'config');
    await mkdir(config);
    for (const [i, name] of FLOWS.entries()) await writeFile(join(config, `flow-${i}.yaml`), automaticFlowFile(name, 'GitHub Users', ['Engineering All']));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
    // Every flow create waits on the frozen sandbox clock, which only the test moves.
    expect((await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', latencyMs: HELD_MS }] })).status).toBe(200);
  });
  afterEach(async () => {
    clock.advance(HELD_MS);
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Starts apply, waits until its first create is held at the sandbox, sends `signal`, waits until
   * apply says what it does about it, and only then lets the held create through.
   */
  async function interrupt(args: string[], signal: NodeJS.Signals): Promise<Running> {
    const run = start(['apply', ...args, '--concurrency', '1'], env);
    await clock.sleeping(1);
    run.child.kill(signal);
    await printed(run, 'stderr', `accessctl: ${signal}: finishing the change in flight and starting no more`);
    clock.advance(HELD_MS);
    return run;
  }

  /** What a stopped apply prints and leaves: the one change in flight applied, every other named as not started. */
  async function expectStopped(run: Running, signal: NodeJS.Signals, code: number): Promise<void> {
    expect(await run.exited).toEqual({ code, signal: null });
    const live = await flowNames();
    expect(live).toHaveLength(1);
    const [applied] = live;
    const out = run.stdout();
    expect(out).toContain(`Apply: 1 applied, 0 failed, ${FLOWS.length - 1} skipped.`);
    expect(out).toContain(`  ✓ create ApprovalFlow "${applied}"\n`);
    for (const name of FLOWS.filter((n) => n !== applied)) {
      expect(out).toContain(`  - create ApprovalFlow "${name}": not started: accessctl is shutting down\n`);
    }
    expect(run.stderr()).toContain(
      `accessctl: stopped by ${signal}: 1 of ${FLOWS.length} changes applied, ${FLOWS.length - 1} not started (each named above); plan and apply again to finish\n`,
    );
    // Only the one create was ever sent: nothing started after the signal.
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(counts['POST /api/v2/approvalflows']).toBe(1);
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s, finishes the change in flight, starts no other, names each, and exits %i', async (signal, code) => {
    const run = await interrupt([config, '--auto-approve'], signal);
    await expectStopped(run, signal, code);
  });

  it('stops a saved plan the same way', async () => {
    const saved = join(dir, 'plan.json');
    const planned = await accessctl(['plan', config, '--out', saved], env);
    expect(planned.code, planned.stderr).toBe(0);
    const run = await interrupt([saved], 'SIGTERM');
    await expectStopped(run, 'SIGTERM', 143);
  });

  it('ends at once on a second signal, leaving the change in flight to the platform', async () => {
    const run = start(['apply', config, '--auto-approve', '--concurrency', '1'], env);
    await clock.sleeping(1);
    run.child.kill('SIGINT');
    await printed(run, 'stderr', 'send SIGINT or SIGTERM again to stop at once');
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(run.stdout()).not.toContain('Apply:');
  });
});
