import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, root, start, type Running } from './binary.js';
import { startWriteGate } from './write-gate.js';

const examples = join(root, 'examples', 'access');
const secrets = {
  SIEM_TOKEN: 'e2e-siem-token-value',
  SIEM_AUTH: 'Bearer e2e-siem-auth-value',
  SIEM_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 11).toString('base64')}`,
};

function reconcile(args: string[], env: Record<string, string>): Running {
  return start(['reconcile', ...args], env);
}

/** git in `cwd`, with no reliance on the machine's git config. */
function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env['PATH'],
      HOME: cwd,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'A',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'A',
      GIT_COMMITTER_EMAIL: 'a@example.com',
    },
  }).trim();
}

/** Waits, yielding to the event loop between looks, until `check` holds or the child exits. */
async function until(check: () => Promise<boolean>, child: Running): Promise<boolean> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  for (;;) {
    if (await check()) return true;
    if (exited) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The results of the runs the reconciler logged, in order: its stderr is pino JSON, one object a line. */
function loggedResults(stderr: string): unknown[] {
  return stderr.split('\n').flatMap((line) => {
    try {
      const fields = JSON.parse(line) as { result?: unknown };
      return 'result' in fields ? [fields.result] : [];
    } catch {
      return []; // a line still being written, or not JSON
    }
  });
}

describe('accessctl reconcile, the real binary against a real sandbox', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'accessctl-e2e-reconcile-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('applies once, writes its events to a file, and a second reconciler on the same state is refused', async () => {
    const h = await startHarness();
    const state = join(work, 'once');
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...secrets };
    const run = reconcile([examples, '--once', '--state-dir', state, '--events', `file:${join(state, 'events.jsonl')}`], env);
    expect((await run.exited).code).toBe(0);
    const events = (await readFile(join(state, 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });
    expect(events.map((e) => e.type).sort()).toEqual([...Array(3).fill('accessctl.change.applied'), 'accessctl.run.completed'].sort());
    expect(JSON.stringify(events)).not.toContain(h.sandbox.adminKey);
    expect(JSON.stringify(events)).not.toContain(secrets.SIEM_TOKEN);

    const holder = reconcile([examples, '--interval', '1h', '--listen', '127.0.0.1:0', '--state-dir', state], env);
    // Its first run finds the state the --once run left: nothing to do.
    expect(await until(async () => loggedResults(holder.stderr()).length > 0, holder), holder.stderr()).toBe(true);
    expect(loggedResults(holder.stderr())[0]).toBe('no-op');
    const second = reconcile([examples, '--once', '--state-dir', state], env);
    const refused = await second.exited;
    // The README's exit code table: 3 is "another reconciler holds the state directory".
    expect(refused.code).toBe(3);
    expect(second.stderr()).toMatch(/pid \d+/);
    expect(second.stderr()).not.toMatch(/\n\s+at /);
    holder.child.kill('SIGTERM');
    expect((await holder.exited).code).toBe(0);
    await h.close();
  });

  it('exits --once as the README table says: 1 with each failure at ERROR and in the summary, 0 while suspended', async () => {
    const h = await startHarness({ hooks: true });
    const base = join(work, 'exit-codes');
    const config = join(base, 'config');
    await cp(examples, config, { recursive: true });
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...secrets };
    const fault = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'PUT /api/v2/approvalflowsettings', errorRate: 1, status: 500 }] });
    expect(fault.status).toBe(200);
    const failing = reconcile([config, '--once', '--state-dir', join(base, 'state')], env);
    expect((await failing.exited).code, failing.stderr()).toBe(1);
    const lines = failing
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; kind?: string; action?: string; reason?: string; failures?: unknown[] });
    const failure = lines.find((l) => l.level === 50 && l.kind === 'AccessRequestSettings');
    expect(failure).toMatchObject({ action: 'update', reason: expect.stringContaining('answered 500') });
    expect(lines.at(-1)).toMatchObject({ level: 50, failures: [expect.objectContaining({ kind: 'AccessRequestSettings', action: 'update' })] });
    expect(lines.at(-1)?.msg).toContain('failed: update AccessRequestSettings "settings"');

    // Suspended: the changes are held back on purpose, which is no failure.
    await h.call('PUT', '/sandbox/v1/faults', { rules: [] });
    const project = join(config, 'accessctl.yaml');
    await writeFile(project, (await readFile(project, 'utf8')).replace(/^spec:$/m, 'spec:\n  suspend: {until: "2999-01-01T00:00:00Z", reason: e2e}'));
    const suspended = reconcile([config, '--once', '--state-dir', join(base, 'state'), '--events', '-'], env);
    expect((await suspended.exited).code, suspended.stderr()).toBe(0);
    expect(suspended.stdout()).toContain('"type":"accessctl.change.skipped"');
    expect(suspended.stdout()).toContain('"result":"suspended"');
    await h.close();
  });

  it('refuses an --interval under 1s as a usage error naming the flag, for reconcile and up', async () => {
    for (const command of [
      ['reconcile', examples],
      ['up', examples],
    ]) {
      const refused = await accessctl([...command, '--interval', '1ms', '--state-dir', join(work, 'interval')], { JUMPCLOUD_API_KEY: 'not-used' });
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/--interval must be .*at least 1s.*got "1ms"/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('finishes the change in flight on SIGTERM, starts no other, and exits 0', async () => {
    const clock = new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') });
    const h = await startHarness({ hooks: true, clock });
    const state = join(work, 'sigterm');
    // Creating a flow waits on the sandbox clock, which only the test moves.
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', latencyMs: 1000 }] });
    const run = reconcile([examples, '--interval', '1h', '--listen', '127.0.0.1:0', '--state-dir', state, '--events', '-'], {
      JUMPCLOUD_API_KEY: h.sandbox.adminKey,
      JUMPCLOUD_API_URL: h.sandbox.url,
      ...secrets,
    });
    const postsStarted = async (): Promise<boolean> => {
      const counts = (await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
      return (counts['POST /api/v2/approvalflows'] ?? 0) >= 2;
    };
    expect(await until(postsStarted, run)).toBe(true);
    run.child.kill('SIGTERM');
    // Give the signal its turn before the blocked creates are let through.
    expect(await until(async () => run.stderr().includes('SIGTERM'), run)).toBe(true);
    clock.advance(1000);
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    const flows = await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows');
    expect(flows.body.results.map((f) => f.name).sort()).toEqual(['GitHub Admin', 'GitHub User']);
    const settings = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
    expect(settings.body.exposeApprovalProgress).toBe(false);
    // A stop is not a failure: the run ends as stopped, with no line at ERROR.
    expect(run.stdout()).toContain('"result":"stopped"');
    expect(run.stderr()).not.toContain('"level":50');
    await h.close();
  });

  it('refuses a commit that turns the config folder into a link to a folder outside the repository', async () => {
    const h = await startHarness();
    const base = join(work, 'linked-config');
    const repo = join(base, 'repo');
    const outside = join(base, 'outside');
    // Outside the repository: the example config with one more flow, which must never be applied.
    await cp(examples, join(outside, 'access'), { recursive: true });
    const extra = (await readFile(join(examples, 'flows', 'github-admin.yaml'), 'utf8')).replace('name: GitHub Admin', 'name: Outside Flow');
    await writeFile(join(outside, 'access', 'flows', 'outside.yaml'), extra);
    await mkdir(repo, { recursive: true });
    git(repo, ['init', '--quiet', '-b', 'main']);
    await cp(examples, join(repo, 'config', 'access'), { recursive: true });
    git(repo, ['add', '--all']);
    git(repo, ['commit', '--quiet', '--no-gpg-sign', '-m', 'the config']);
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...secrets };
    // The folder that turns into a link is above the config folder itself.
    const args = ['--repo', repo, '--path', 'config/access', '--once', '--state-dir', join(base, 'state')];
    const first = reconcile(args, env);
    expect((await first.exited).code, first.stderr()).toBe(0);

    await rm(join(repo, 'config'), { recursive: true });
    await symlink(outside, join(repo, 'config'), 'dir');
    git(repo, ['add', '--all']);
    git(repo, ['commit', '--quiet', '--no-gpg-sign', '-m', 'config is now a link']);
    const linked = reconcile(args, env);
    expect((await linked.exited).code).toBe(1);
    expect(linked.stderr()).toContain('symbolic link');
    expect(linked.stderr()).not.toMatch(/\n\s+at /);
    const flows = await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows');
    expect(flows.body.results.map((f) => f.name).sort()).toEqual(['GitHub Admin', 'GitHub User']);
    await h.close();
  });

  it('converges after kill -9 between any two writes of an apply, with no duplicate objects and no lost events', async () => {
    // The example and a few more flows, so the run makes enough writes to stop between.
    const configFor = async (dir: string): Promise<string> => {
      const config = join(dir, 'config');
      await cp(examples, config, { recursive: true });
      const user = await readFile(join(examples, 'flows', 'github-user.yaml'), 'utf8');
      for (let i = 1; i <= 4; i++) await writeFile(join(config, 'flows', `extra-${i}.yaml`), user.replace('name: GitHub User', `name: Extra ${i}`));
      return config;
    };
    const eventsIn = async (state: string): Promise<{ type: string; subject?: string }[]> => {
      const text = await readFile(join(state, 'events.jsonl'), 'utf8').catch(() => '');
      // A line still being appended is not an event yet.
      return text
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as { type: string; subject?: string });
    };
    const appliedIn = async (state: string): Promise<string[]> =>
      [...new Set((await eventsIn(state)).filter((e) => e.type === 'accessctl.change.applied').map((e) => e.subject ?? ''))].sort();
    const flowNames = async (h: Harness): Promise<string[]> =>
      (await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows')).body.results.map((f) => f.name).sort();

    // One run through an open gate: the writes a whole run makes, and what converged looks like.
    const calibration = await startHarness();
    const gate = await startWriteGate(calibration.sandbox.url);
    gate.open();
    const calibrationDir = join(work, 'kill-calibration');
    const whole = reconcile(
      [await configFor(calibrationDir), '--once', '--state-dir', calibrationDir, '--events', `file:${join(calibrationDir, 'events.jsonl')}`],
      {
        JUMPCLOUD_API_KEY: calibration.sandbox.adminKey,
        JUMPCLOUD_API_URL: gate.url,
        ...secrets,
      },
    );
    expect((await whole.exited).code, whole.stderr()).toBe(0);
    const writes = gate.arrived().length;
    const expectedFlows = await flowNames(calibration);
    const expectedApplied = await appliedIn(calibrationDir);
    expect(writes).toBeGreaterThanOrEqual(7);
    expect(expectedApplied).toHaveLength(writes);
    await gate.close();
    await calibration.close();

    // Stop after write k is made (k = 0: before any): with its answer still held from the run, or
    // once the run has written its event. Writes k+1.. are held, so the run is alive at the kill.
    const points: { k: number; delivered: boolean }[] = [{ k: 0, delivered: false }];
    for (let k = 1; k < writes; k++) points.push({ k, delivered: false }, { k, delivered: true });
    for (const { k, delivered } of points) {
      const point = k === 0 ? 'before any write' : `after write ${k}${delivered ? ' and its event' : ', its answer held'}`;
      const h = await startHarness();
      const gated = await startWriteGate(h.sandbox.url);
      const state = join(work, `kill-${k}-${delivered ? 'delivered' : 'held'}`);
      const config = await configFor(state);
      const events = `file:${join(state, 'events.jsonl')}`;
      const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets };
      const run = reconcile([config, '--once', '--state-dir', state, '--events', events], { ...env, JUMPCLOUD_API_URL: gated.url });
      const died = run.exited.then(() => 'exited' as const);
      for (let made = 1; made <= Math.max(k, 1); made++) {
        expect(await Promise.race([gated.arrival(made).then(() => 'arrived' as const), died]), `${point}: ${run.stderr()}`).toBe('arrived');
        if (made > k) break;
        await gated.commitNext();
        if (made < k || delivered) gated.deliverAnswers();
      }
      if (delivered) expect(await until(async () => (await appliedIn(state)).length >= k, run), point).toBe(true);
      run.child.kill('SIGKILL');
      // It died of the kill, not of anything before it.
      expect(await run.exited, point).toEqual({ code: null, signal: 'SIGKILL' });
      await gated.close();

      const again = reconcile([config, '--once', '--state-dir', state, '--events', events], { ...env, JUMPCLOUD_API_URL: h.sandbox.url });
      expect((await again.exited).code, `${point}: ${again.stderr()}`).toBe(0);
      expect(await flowNames(h), point).toEqual(expectedFlows);
      // Every change has its applied event, from the killed run, the journal or the next run.
      expect(await appliedIn(state), point).toEqual(expectedApplied);
      const check = reconcile([config, '--once', '--state-dir', state, '--events', '-'], { ...env, JUMPCLOUD_API_URL: h.sandbox.url });
      expect((await check.exited).code).toBe(0);
      expect(check.stdout(), point).toContain('"result":"no-op"');
      await h.close();
    }
  }, 180_000);
});
