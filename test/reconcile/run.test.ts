// Reconcile runs against a real in-process sandbox (default profile): apply then no-op, drift corrected or
// reported, a partial failure, commits from git and rewritten history, and no key or channel secret in any
// log line or event; then the reconciler process, its state-directory lock and /metrics.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { MockAgent } from 'undici';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventFanout } from '../../src/events/fanout.js';
import { AnswerMemo } from '../../src/jumpcloud/answer-memo.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { ParseCache } from '../../src/config/parse-cache.js';
import { PlanMemo } from '../../src/pipeline/plan-memo.js';
import { renderText } from '../../src/plan/render-text.js';
import { loadConfig } from '../../src/config/load.js';
import { GitSource } from '../../src/reconcile/git-source.js';
import { repoDigest } from '../../src/reconcile/last-applied.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import type { SayOnce } from '../../src/reconcile/config-source.js';
import { reconcileOnce, type ConfigSource, type RunOptions } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { hookChannelFile } from '../config/config-workspace.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { MemorySink } from './memory-sink.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const PLANTED_KEY_SUFFIX = 'PLANTED';
/** The values of the environment variables the Hook channel below reads its secrets from. */
const secrets = {
  HOOK_TOKEN: 'PLANTED-hook-token-0001',
  HOOK_AUTH: 'Bearer PLANTED-hook-auth-0002',
  HOOK_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 5).toString('base64')}`,
};
// Only access_request events, which no reconcile run makes: the sandbox never tries to deliver to hooks.example.com.
const hookSubscription = ['    - channel: Hook', '      events: [access_management_access_request]', ''].join('\n');
const gitEnv = { GIT_AUTHOR_NAME: 'Ada Admin', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Admin', GIT_COMMITTER_EMAIL: 'ada@example.com' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { PATH: process.env['PATH'], HOME: cwd, ...gitEnv }, encoding: 'utf8' }).trim();
}

describe('a reconcile run against a real sandbox', () => {
  let h: Harness;
  let work: string;
  let sink: MemorySink;
  let logs: string[];
  let client: JumpCloudClient;
  const cleanup: (() => Promise<void>)[] = [];

  interface Extra {
    allowHistoryRewrite?: boolean;
    client?: JumpCloudClient;
    clients?: TargetBinding;
    now?: () => number;
    metrics?: ReconcileMetrics;
    sayOnce?: SayOnce;
    env?: NodeJS.ProcessEnv;
    memo?: PlanMemo;
  }

  function options(source: ConfigSource, extra: Extra = {}): RunOptions {
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    return {
      source,
      stateDir: join(work, 'state'),
      env: extra.env ?? { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: extra.clients ?? TargetBinding.fixed(extra.client ?? client),
      events: new EventFanout([sink]),
      metrics: extra.metrics ?? new ReconcileMetrics(),
      log,
      allowHistoryRewrite: extra.allowHistoryRewrite ?? false,
      stopping: () => undefined,
      ...(extra.now ? { now: extra.now } : {}),
      ...(extra.sayOnce ? { sayOnce: extra.sayOnce } : {}),
      ...(extra.memo ? { memo: extra.memo } : {}),
    };
  }

  /** The log lines as objects. */
  function logLines(): { level: number; msg: string; [key: string]: unknown }[] {
    return logs.map((line) => JSON.parse(line) as { level: number; msg: string });
  }

  /** Rewrites a file of the working config. */
  async function edit(file: string, from: string | RegExp, to: string): Promise<void> {
    const path = join(work, 'config', file);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(from);
    await writeFile(path, text.replace(from, to));
  }

  /** A bare "remote" holding the example under access/, a working clone that pushes to it, and a source that follows it. */
  async function gitRepo(): Promise<{ clone: string; source: ConfigSource }> {
    const remote = join(work, 'remote.git');
    const clone = join(work, 'clone');
    execFileSync('git', ['init', '--bare', '-b', 'main', remote]);
    execFileSync('git', ['clone', remote, clone], { env: { PATH: process.env['PATH'] } });
    await cp(join(work, 'config'), join(clone, 'access'), { recursive: true });
    git(clone, 'add', '.');
    git(clone, 'commit', '-m', 'access config');
    git(clone, 'push', 'origin', 'HEAD:main');
    return { clone, source: { kind: 'git', git: new GitSource({ repo: remote, branch: 'main', cacheDir: join(work, 'cache') }), path: 'access' } };
  }

  /** Sets the Project's drift policy for a kind, whatever the example chose. */
  async function setDrift(kind: string, policy: 'correct' | 'report'): Promise<void> {
    const project = join(work, 'config', 'accessctl.yaml');
    const text = await readFile(project, 'utf8');
    const line = new RegExp(`^( +${kind}: )(correct|report)$`, 'm');
    expect(text).toMatch(line);
    await writeFile(project, text.replace(line, `$1${policy}`));
  }

  /** Adds the Hook channel to the config and, when asked, subscribes it in the settings after the example's SIEM. */
  async function addHookChannel(options: { subscribe: boolean }): Promise<void> {
    await mkdir(join(work, 'config', 'channels'), { recursive: true });
    // The example subscribes only a console-made channel, by id; this one the repo keeps itself.
    await writeFile(join(work, 'config', 'channels', 'hook.yaml'), hookChannelFile);
    if (!options.subscribe) return;
    const settings = join(work, 'config', 'settings.yaml');
    const text = await readFile(settings, 'utf8');
    expect(text.endsWith('\n') && /^ {2}webhooks:$/m.test(text)).toBe(true);
    await writeFile(settings, text + hookSubscription);
  }

  beforeEach(async () => {
    // The default profile: it serves the channel API, so a WebhookChannel is created with its secrets.
    h = await startHarness({ hooks: true });
    work = await mkdtemp(join(tmpdir(), 'accessctl-reconcile-'));
    await cp(examples, join(work, 'config'), { recursive: true });
    sink = new MemorySink();
    logs = [];
    client = new JumpCloudClient({
      baseUrl: h.sandbox.url,
      apiKey: h.sandbox.adminKey,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
    });
    const [ownClient, ownHarness, ownWork] = [client, h, work];
    cleanup.push(async () => {
      await ownClient.close();
      await ownHarness.close();
      await rm(ownWork, { recursive: true, force: true });
    });
  });
  afterAll(async () => {
    for (const step of cleanup) await step();
  });

  it('applies the config, then finds nothing to do', async () => {
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    const first = await reconcileOnce(options(source));
    expect(first).toMatchObject({ result: 'success', applied: 3, failed: 0, drifted: 0 });
    // The groups are in the seed already: two flows to create and the settings (with the SIEM subscription) to update.
    // The two flows are created concurrently, so their events come in either order.
    expect(
      sink.events
        .filter((e) => e.type === 'accessctl.change.applied')
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['AccessRequestSettings/settings', 'ApprovalFlow/GitHub Admin', 'ApprovalFlow/GitHub User']);
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'success' } });
    const second = await reconcileOnce(options(source));
    expect(second.result).toBe('no-op');
  });

  describe('with the memos a long-running reconciler keeps', () => {
    /** A client and run options as the reconciler's loop holds them: one answer memo, one plan memo, one parse cache. */
    function remembering(): { answers: AnswerMemo; memo: PlanMemo; metrics: ReconcileMetrics; options: (env?: NodeJS.ProcessEnv) => RunOptions } {
      const answers = new AnswerMemo();
      const memo = new PlanMemo();
      const remembered = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey, answers });
      cleanup.push(() => remembered.close());
      const cache = new ParseCache();
      const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
      const metrics = new ReconcileMetrics();
      return { answers, memo, metrics, options: (env) => ({ ...options(source, { client: remembered, memo, metrics, ...(env ? { env } : {}) }), cache }) };
    }

    it('makes no plan again and parses no page again when nothing changed', async () => {
      const { answers, memo, metrics, options: run } = remembering();
      expect((await reconcileOnce(run())).result).toBe('success');
      expect((await reconcileOnce(run())).result).toBe('no-op');
      const parsed = answers.parsed;
      expect(memo.reused).toBe(0);
      expect((await reconcileOnce(run())).result).toBe('no-op');
      expect(memo.reused).toBe(1);
      expect(answers.parsed).toBe(parsed);
      expect(answers.reused).toBeGreaterThan(0);
      // What /metrics says of it.
      const text = await metrics.text();
      expect(text).toContain('accessctl_plans_total{made="new"} 2');
      expect(text).toContain('accessctl_plans_total{made="reused"} 1');
    });

    it('still corrects drift made through the API after a cycle that reused its plan', async () => {
      await setDrift('AccessRequestSettings', 'correct');
      const { memo, options: run } = remembering();
      await reconcileOnce(run());
      await reconcileOnce(run());
      expect((await reconcileOnce(run())).result).toBe('no-op');
      expect(memo.reused).toBe(1);
      await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
      expect(await reconcileOnce(run())).toMatchObject({ result: 'success', applied: 1, drifted: 1 });
      const after = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
      expect(after.body.exposeApprovalProgress).toBe(true);
    });

    it('still applies a changed file, and a changed channel secret, after cycles that reused their plan', async () => {
      await addHookChannel({ subscribe: false });
      const { memo, options: run } = remembering();
      await reconcileOnce(run());
      await reconcileOnce(run());
      expect((await reconcileOnce(run())).result).toBe('no-op');
      expect(memo.reused).toBe(1);
      await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
      expect(await reconcileOnce(run())).toMatchObject({ result: 'success', applied: 1 });
      expect((await reconcileOnce(run())).result).toBe('no-op');
      // The Authorization header's value comes from the environment: a new value is a change to the channel.
      const rotated = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets, HOOK_AUTH: 'Bearer PLANTED-hook-auth-0003' };
      sink.events.length = 0;
      expect(await reconcileOnce(run(rotated))).toMatchObject({ result: 'success', applied: 1 });
      expect(sink.events.filter((e) => e.type === 'accessctl.change.applied').map((e) => e.subject)).toEqual(['WebhookChannel/Hook']);
    });
  });

  it('corrects drift made through the API and says so in a drift event', async () => {
    await setDrift('AccessRequestSettings', 'correct');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    const settings = await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    expect(settings.status).toBe(200);
    sink.events.length = 0;
    const outcome = await reconcileOnce(options(source));
    expect(outcome).toMatchObject({ result: 'success', applied: 1, drifted: 1 });
    const drift = sink.events.find((e) => e.type === 'accessctl.drift.detected');
    expect(drift).toMatchObject({
      subject: 'AccessRequestSettings/settings',
      data: { policy: 'correct', fields: [{ path: 'spec.exposeApprovalProgress', before: false, after: true }] },
    });
    const after = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
    expect(after.body.exposeApprovalProgress).toBe(true);
  });

  it('only reports drift for a kind whose policy is report', async () => {
    await setDrift('AccessRequestSettings', 'report');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    sink.events.length = 0;
    // What `up` prints: the plan with the drift it holds back listed apart from its changes.
    let printed = '';
    const outcome = await reconcileOnce({ ...options(source), onPlan: (plan, _desired, _dir, held) => (printed = renderText(plan, false, held)) });
    expect(outcome).toMatchObject({ drifted: 1, applied: 0 });
    // The counts are the changes made; the report-only drift is counted apart, by that name.
    expect(outcome.message).toBe('Plan: 0 to create, 0 to update, 0 to delete; 1 report-only drift (not applied); 0 unmanaged; nothing to apply');
    expect(printed).toContain('No changes to make on');
    expect(printed).toMatch(/Drift reported only[^\n]*\n\n {2}~ AccessRequestSettings "settings"/);
    expect(printed.trimEnd().split('\n').at(-1)).toBe('Plan: 0 to create, 0 to update, 0 to delete; 1 report-only drift (not applied); 0 unmanaged');
    expect(sink.events.find((e) => e.type === 'accessctl.drift.detected')?.data).toMatchObject({ policy: 'report' });
    const after = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
    expect(after.body.exposeApprovalProgress).toBe(false);
  });

  it('keeps report-only drift reported when another file changes and after a restart, and applies it once its own file changes', async () => {
    await setDrift('AccessRequestSettings', 'report');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    const live = async (): Promise<boolean> =>
      (await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings')).body.exposeApprovalProgress;
    const reported = (): unknown => sink.events.find((e) => e.type === 'accessctl.drift.detected' && e.subject === 'AccessRequestSettings/settings')?.data;

    // Another file changes: its change is applied, the settings' drift is still only reported.
    await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
    sink.events.length = 0;
    const edited = await reconcileOnce(options(source));
    expect(edited).toMatchObject({ result: 'success', applied: 1, drifted: 1 });
    expect(reported()).toMatchObject({ policy: 'report' });
    expect(sink.events.filter((e) => e.type === 'accessctl.change.applied').map((e) => e.subject)).toEqual(['ApprovalFlow/GitHub User']);
    expect(await live()).toBe(false);

    // A restart: nothing in memory survives, only the state directory. Still drift, still reported.
    sink.events.length = 0;
    const restarted = await reconcileOnce(options(source, { metrics: new ReconcileMetrics() }));
    expect(restarted).toMatchObject({ result: 'no-op', applied: 0, drifted: 1 });
    expect(reported()).toMatchObject({ policy: 'report' });
    expect(await live()).toBe(false);

    // The settings' own file changes: now the difference is a change to the config, and it is applied.
    await edit('settings.yaml', '    decision: true', '    decision: false');
    sink.events.length = 0;
    const changed = await reconcileOnce(options(source));
    expect(changed).toMatchObject({ result: 'success', applied: 1, drifted: 0 });
    expect(reported()).toBeUndefined();
    expect(await live()).toBe(true);
    const state = JSON.parse(await readFile(join(work, 'state', 'last-applied.json'), 'utf8')) as { format: number; objects: Record<string, string> };
    expect(state.format).toBe(2);
    expect(Object.keys(state.objects).sort()).toEqual(
      expect.arrayContaining(['AccessRequestSettings/settings', 'ApprovalFlow/github admin', 'ApprovalFlow/github user']),
    );
  });

  it('reads the state of an earlier version: an unchanged repo keeps drift as drift, and the state is rewritten per object', async () => {
    await setDrift('AccessRequestSettings', 'report');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    const config = await loadConfig(join(work, 'config'));
    await writeFile(join(work, 'state', 'last-applied.json'), JSON.stringify({ commit: null, config: repoDigest(config) }));
    await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    const outcome = await reconcileOnce(options(source));
    expect(outcome).toMatchObject({ result: 'no-op', drifted: 1 });
    expect(logLines().some((l) => l.level === 30 && l.msg.includes('format of an earlier version'))).toBe(true);
    expect(JSON.parse(await readFile(join(work, 'state', 'last-applied.json'), 'utf8'))).toMatchObject({ format: 2 });
    expect((await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings')).body.exposeApprovalProgress).toBe(false);
  });

  it('reports a partial failure with a failed event per change and keeps the rest', async () => {
    await addHookChannel({ subscribe: false });
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/notifications/webhook/channels', errorRate: 1, status: 500 }] });
    const outcome = await reconcileOnce(options({ kind: 'dir', dir: join(work, 'config') }));
    expect(outcome).toMatchObject({ result: 'partial', applied: 3, failed: 1 });
    expect(sink.events.filter((e) => e.type === 'accessctl.change.failed')).toMatchObject([
      { subject: 'WebhookChannel/Hook', data: { error: { status: 500 } } },
    ]);
    expect(sink.events.filter((e) => e.type === 'accessctl.change.applied')).toHaveLength(3);
  });

  it('logs each failed change at ERROR with its object, action and reason, and lists them in the run summary', async () => {
    // The channel's secrets are not in this environment, so creating it fails before any request.
    await addHookChannel({ subscribe: false });
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
    const outcome = await reconcileOnce(options({ kind: 'dir', dir: join(work, 'config') }, { env }));
    expect(outcome).toMatchObject({ result: 'partial', applied: 3, failed: 1 });
    expect(outcome.failures).toEqual([{ kind: 'WebhookChannel', name: 'Hook', action: 'create', reason: expect.stringContaining('HOOK_') }]);
    const errors = logLines().filter((l) => l.level === 50);
    expect(errors[0]).toMatchObject({ kind: 'WebhookChannel', name: 'Hook', action: 'create', reason: outcome.failures[0]?.reason });
    expect(errors[0]?.msg).toContain('create WebhookChannel "Hook" failed');
    // The summary line is an error too, and names the failure.
    expect(errors.at(-1)).toMatchObject({ result: 'partial', failures: outcome.failures });
    expect(errors.at(-1)?.msg).toContain('failed: create WebhookChannel "Hook"');
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'partial', failures: outcome.failures } });
  });

  it('applies a new commit from git on the next run, attributing it to its author', async () => {
    const { clone, source } = await gitRepo();
    expect((await reconcileOnce(options(source))).result).toBe('success');
    const flow = join(clone, 'access', 'flows', 'github-user.yaml');
    await writeFile(flow, (await readFile(flow, 'utf8')).replace('duration: P30D', 'duration: P14D'));
    git(clone, 'commit', '-am', 'shorter GitHub User access');
    git(clone, 'push', 'origin', 'HEAD:main');
    sink.events.length = 0;
    const outcome = await reconcileOnce(options(source));
    expect(outcome).toMatchObject({ result: 'success', applied: 1, drifted: 0 });
    const applied = sink.events.find((e) => e.type === 'accessctl.change.applied');
    expect(applied?.data).toMatchObject({
      configCommit: git(clone, 'rev-parse', 'HEAD'),
      attribution: { commit: git(clone, 'rev-parse', 'HEAD'), author: { name: 'Ada Admin', email: 'ada@example.com' } },
      fields: [{ path: 'spec.access.duration', before: 'P30D', after: 'P14D' }],
    });
  });

  it('plans only when the branch history was rewritten, unless allowed', async () => {
    const { clone, source } = await gitRepo();
    await reconcileOnce(options(source));
    const flow = join(clone, 'access', 'flows', 'github-user.yaml');
    await writeFile(flow, (await readFile(flow, 'utf8')).replace('duration: P30D', 'duration: P7D'));
    git(clone, 'commit', '-a', '--amend', '-m', 'rewritten');
    git(clone, 'push', '--force', 'origin', 'HEAD:main');
    const refused = await reconcileOnce(options(source));
    expect(refused.result).toBe('plan-only');
    expect(refused.message).toContain('history was rewritten');
    const allowed = await reconcileOnce(options(source, { allowHistoryRewrite: true }));
    expect(allowed).toMatchObject({ result: 'success', applied: 1 });
  });

  it('gives events the commit and authors of a DIR inside a git work tree, and none to a file with uncommitted edits', async () => {
    const config = join(work, 'config');
    git(config, 'init', '--quiet', '-b', 'main');
    git(config, 'add', '.');
    git(config, 'commit', '--quiet', '--no-gpg-sign', '-m', 'the config');
    const head = git(config, 'rev-parse', 'HEAD');
    await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
    const outcome = await reconcileOnce(options({ kind: 'dir', dir: config }));
    expect(outcome.result).toBe('success');
    const applied = (subject: string): Record<string, unknown> | undefined =>
      sink.events.find((e) => e.type === 'accessctl.change.applied' && e.subject === subject)?.data;
    expect(applied('ApprovalFlow/GitHub Admin')).toMatchObject({
      configCommit: head,
      attribution: { commit: head, author: { name: 'Ada Admin', email: 'ada@example.com' } },
    });
    // Edited since the commit: the commit's author did not write this, so no one is named.
    expect(applied('ApprovalFlow/GitHub User')).toMatchObject({ configCommit: head, attribution: null });
    expect(logLines().some((l) => l.level === 30 && l.msg.includes('differs from commit'))).toBe(true);
  });

  it('says once that a DIR outside git gives events no commit and no attribution', async () => {
    const said = new Set<string>();
    const sayOnce: SayOnce = (key, level, message) => {
      if (said.has(key)) return;
      said.add(key);
      logs.push(JSON.stringify({ level: level === 'info' ? 30 : 40, msg: message }));
    };
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source, { sayOnce }));
    await reconcileOnce(options(source, { sayOnce }));
    const notices = logLines().filter((l) => l.msg.includes('not inside a git work tree'));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.level).toBe(30);
    expect(sink.events.length).toBeGreaterThan(0);
    expect(sink.events.every((e) => e.data['configCommit'] === null && (e.data['attribution'] ?? null) === null)).toBe(true);
  });

  it('reconciles against the target the repo’s Project names when neither --target nor JUMPCLOUD_API_URL is set', async () => {
    await edit('accessctl.yaml', /^spec:$/m, `spec:\n  target: {url: "${h.sandbox.url}"}`);
    const clients = TargetBinding.resolving({
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clientOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } },
    });
    try {
      const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
      const outcome = await reconcileOnce(options(source, { clients }));
      expect(outcome).toMatchObject({ result: 'success', applied: 3 });
      expect(outcome.targetMismatch).toBeUndefined();
      expect(sink.events.at(-1)?.data['target']).toBe(h.sandbox.url);
      // The repo moves to another target: the client stays where it was made, and nothing is applied.
      await edit('accessctl.yaml', `url: "${h.sandbox.url}"`, 'url: "http://127.0.0.1:9"');
      await edit('flows/github-user.yaml', 'duration: P30D', 'duration: P14D');
      const moved = await reconcileOnce(options(source, { clients }));
      expect(moved).toMatchObject({
        result: 'failed',
        applied: 0,
        targetMismatch: { project: 'http://127.0.0.1:9', client: h.sandbox.url, overridden: false },
      });
      expect(moved.message).toContain('restart the reconciler');
      expect(sink.events.at(-1)?.data).toMatchObject({ result: 'failed', targetMismatch: { project: 'http://127.0.0.1:9', overridden: false } });
      expect(logLines().some((l) => l.level === 40 && l.msg.includes('now names http://127.0.0.1:9'))).toBe(true);
    } finally {
      await clients.close();
    }
  });

  // JUMPCLOUD_API_URL never overrides a Project's target (a contradiction is refused): only --target does.
  it('says, in a warning and in the run result, when --target overrides the Project’s target', async () => {
    await edit('accessctl.yaml', /^spec:$/m, 'spec:\n  target: {url: "https://console.jumpcloud.com"}');
    const outcome = await reconcileOnce(options({ kind: 'dir', dir: join(work, 'config') }, { clients: TargetBinding.fixed(client, '--target') }));
    expect(outcome).toMatchObject({
      result: 'success',
      targetMismatch: { project: 'https://console.jumpcloud.com', client: h.sandbox.url, from: '--target', overridden: true },
    });
    expect(sink.events.at(-1)?.data).toMatchObject({ targetMismatch: { overridden: true } });
    expect(logLines().filter((l) => l.level === 40 && l.msg.includes('takes precedence')).length).toBeGreaterThan(0);
  });

  it('applies nothing while the project is suspended, and says so per change, in the result and in /metrics', async () => {
    await edit('accessctl.yaml', /^spec:$/m, 'spec:\n  suspend: {until: "2026-03-01T12:00:00Z", reason: INC-7}');
    let now = Date.parse('2026-03-01T11:00:00Z');
    const metrics = new ReconcileMetrics();
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    const held = await reconcileOnce(options(source, { now: () => now, metrics }));
    expect(held).toMatchObject({ result: 'suspended', applied: 0, failed: 0 });
    expect(held.message).toContain('INC-7');
    expect(held.skipped.map((s) => `${s.reason} ${s.action} ${s.kind} ${s.name} ${s.until}`).sort()).toEqual([
      'suspended create ApprovalFlow GitHub Admin 2026-03-01T12:00:00.000Z',
      'suspended create ApprovalFlow GitHub User 2026-03-01T12:00:00.000Z',
      'suspended update AccessRequestSettings settings 2026-03-01T12:00:00.000Z',
    ]);
    expect(sink.events.filter((e) => e.type === 'accessctl.change.skipped')).toHaveLength(3);
    expect(sink.events.find((e) => e.type === 'accessctl.change.skipped')).toMatchObject({
      time: '2026-03-01T11:00:00.000Z',
      data: { reason: 'suspended', until: '2026-03-01T12:00:00.000Z' },
    });
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'suspended', skipped: 3 } });
    const text = await metrics.text();
    expect(text).toMatch(/^accessctl_changes_skipped_total\{kind="ApprovalFlow",reason="suspended"\} 2$/m);
    expect(text).toMatch(/^accessctl_apply_held\{reason="suspended"\} 1$/m);
    expect(text).toMatch(/^accessctl_runs_total\{result="suspended"\} 1$/m);
    expect((await h.call<{ results: unknown[] }>('GET', '/api/v2/approvalflows')).body.results).toEqual([]);

    now = Date.parse('2026-03-01T12:00:00Z');
    const resumed = await reconcileOnce(options(source, { now: () => now, metrics }));
    expect(resumed).toMatchObject({ result: 'success', applied: 3, skipped: [] });
    expect(await metrics.text()).toMatch(/^accessctl_apply_held\{reason="suspended"\} 0$/m);
  });

  it('applies only inside the sync windows, in their own time zone, and says when the next one opens', async () => {
    await edit(
      'accessctl.yaml',
      /^spec:$/m,
      'spec:\n  syncWindows:\n    - {days: [Mon, Tue, Wed, Thu, Fri], start: "09:00", end: "17:00", timeZone: Europe/Berlin}',
    );
    const metrics = new ReconcileMetrics();
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    // Sunday: outside. The next window opens Monday 09:00 in Berlin, 08:00 UTC in winter.
    const sunday = await reconcileOnce(options(source, { now: () => Date.parse('2026-03-01T10:00:00Z'), metrics }));
    expect(sunday).toMatchObject({ result: 'outside-sync-window', applied: 0 });
    expect(sunday.skipped).toHaveLength(3);
    expect(sunday.skipped.every((s) => s.reason === 'outside-sync-window' && s.until === '2026-03-02T08:00:00.000Z')).toBe(true);
    expect(sunday.message).toContain('2026-03-02T08:00:00.000Z');
    expect(await metrics.text()).toMatch(/^accessctl_apply_held\{reason="outside-sync-window"\} 1$/m);
    // Monday 08:30 UTC is 09:30 in Berlin: inside.
    const monday = await reconcileOnce(options(source, { now: () => Date.parse('2026-03-02T08:30:00Z'), metrics }));
    expect(monday).toMatchObject({ result: 'success', applied: 3 });
  });

  it('reports, but does not correct, drift of an object paused by its annotation until the time it names', async () => {
    await setDrift('AccessRequestSettings', 'correct');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    // Break-glass: the console change is on purpose, and the annotation goes in with it.
    await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    await edit('settings.yaml', '  name: settings\n', '  name: settings\n  annotations: {accessctl.io/pause-drift-until: "2026-12-01T00:00:00Z"}\n');
    const live = async (): Promise<boolean> =>
      (await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings')).body.exposeApprovalProgress;
    const metrics = new ReconcileMetrics();
    sink.events.length = 0;
    const paused = await reconcileOnce(options(source, { now: () => Date.parse('2026-11-30T00:00:00Z'), metrics }));
    expect(paused).toMatchObject({
      result: 'no-op',
      drifted: 1,
      skipped: [{ kind: 'AccessRequestSettings', name: 'settings', action: 'update', reason: 'drift-paused', until: '2026-12-01T00:00:00.000Z' }],
    });
    expect(sink.events.find((e) => e.type === 'accessctl.drift.detected')?.data).toMatchObject({ policy: 'report', pausedUntil: '2026-12-01T00:00:00.000Z' });
    expect(sink.events.find((e) => e.type === 'accessctl.change.skipped')?.data).toMatchObject({ reason: 'drift-paused', until: '2026-12-01T00:00:00.000Z' });
    expect(await metrics.text()).toMatch(/^accessctl_changes_skipped_total\{kind="AccessRequestSettings",reason="drift-paused"\} 1$/m);
    expect(await live()).toBe(false);
    // The pause ends: the drift is corrected.
    const after = await reconcileOnce(options(source, { now: () => Date.parse('2026-12-01T00:00:00Z') }));
    expect(after).toMatchObject({ result: 'success', applied: 1, drifted: 1, skipped: [] });
    expect(await live()).toBe(true);
  });

  it('never puts the API key or a channel secret in a log line or an event, even when the platform quotes one back', async () => {
    await addHookChannel({ subscribe: true });
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    // First a platform that refuses the channel and quotes what it was sent, as a careless one
    // might: the filled URL, the Authorization value and the signing secret all reach the error
    // message that the change.failed event carries. Everything else goes to the sandbox.
    const quoting = new MockAgent();
    quoting.enableNetConnect(new URL(h.sandbox.url).host);
    quoting
      .get(h.sandbox.url)
      .intercept({ path: '/api/v2/notifications/webhook/channels', method: 'POST' })
      .reply(400, ({ body }) => {
        const sent = JSON.parse(String(body)) as {
          url: string;
          sensitiveValues: Record<string, string>;
          headers: { name: string; value: string }[];
          signingSecret?: string;
        };
        const url = sent.url.replace(/\{\{(\w+)\}\}/g, (_, name: string) => sent.sensitiveValues[name] ?? '');
        const auth = sent.headers.find((header) => header.name === 'Authorization')?.value;
        return { code: 'bad_request', status: 400, message: `test delivery to ${url} failed (Authorization: ${auth}; signed with ${sent.signingSecret})` };
      });
    const quotingClient = new JumpCloudClient({
      baseUrl: h.sandbox.url,
      apiKey: h.sandbox.adminKey,
      dispatcher: quoting,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
    });
    try {
      const refused = await reconcileOnce(options(source, { client: quotingClient }));
      expect(refused.result).toBe('partial');
    } finally {
      await quotingClient.close();
      await quoting.close();
    }
    const failed = sink.events.find((e) => e.type === 'accessctl.change.failed' && e.subject === 'WebhookChannel/Hook');
    // The quote did reach the event, with each secret redacted where it stood.
    expect(failed?.data).toMatchObject({
      error: {
        status: 400,
        message: expect.stringContaining(
          'test delivery to https://hooks.example.com/ingest/[redacted] failed (Authorization: [redacted]; signed with [redacted])',
        ),
      },
    });
    // Then the platform accepts the channel, with its secrets, and the settings subscribe it.
    const created = await reconcileOnce(options(source));
    expect(created.result).toBe('success');
    expect(sink.events.filter((e) => e.type === 'accessctl.change.applied').map((e) => e.subject)).toContain('WebhookChannel/Hook');
    const live = await h.call<{ results: { name: string; url: string }[] }>('GET', '/api/v2/notifications/webhook/channels');
    expect(live.body.results.map((c) => c.name)).toContain('Hook');

    const everything = [...logs, ...sink.events.map((e) => JSON.stringify(e))].join('\n');
    expect(everything).not.toContain(h.sandbox.adminKey);
    expect(everything).not.toContain(PLANTED_KEY_SUFFIX);
    expect(everything).not.toContain(secrets.HOOK_SIGNING_SECRET);
    expect(everything).not.toContain(secrets.HOOK_SIGNING_SECRET.slice('whsec_'.length));
  });
});
