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
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import { EventFanout } from '../../src/events/fanout.js';
import type { EventSink } from '../../src/events/sink.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { GitSource } from '../../src/reconcile/git-source.js';
import { reconcileOnce, type ConfigSource, type RunOutcome } from '../../src/reconcile/loop.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { runReconciler } from '../../src/reconcile/reconciler.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const PLANTED_KEY_SUFFIX = 'PLANTED';
/** The values of the environment variables the Hook channel below reads its secrets from. */
const secrets = {
  HOOK_TOKEN: 'PLANTED-hook-token-0001',
  HOOK_AUTH: 'Bearer PLANTED-hook-auth-0002',
  HOOK_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 5).toString('base64')}`,
};
/**
 * A channel the repo keeps itself (the sandbox serves the channel API): every kind of secret it can
 * hold, each from the environment. The example subscribes only a console-made channel, by id.
 */
const hookChannel = [
  'apiVersion: accessctl/v1',
  'kind: WebhookChannel',
  'metadata: {name: Hook}',
  'spec:',
  '  url: https://hooks.example.com/ingest/{{TOKEN}}',
  '  secrets: {TOKEN: {env: HOOK_TOKEN}}',
  '  headers: {X-Source: accessctl, Authorization: {env: HOOK_AUTH}}',
  '  signingSecret: {env: HOOK_SIGNING_SECRET}',
  '',
].join('\n');
// Only access_request events, which no reconcile run makes: the sandbox never tries to deliver to hooks.example.com.
const hookSubscription = ['    - channel: Hook', '      events: [access_management_access_request]', ''].join('\n');
const gitEnv = { GIT_AUTHOR_NAME: 'Ada Admin', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Admin', GIT_COMMITTER_EMAIL: 'ada@example.com' };

/** Collects events in memory. */
class MemorySink implements EventSink {
  readonly name = 'memory';
  readonly events: AccessctlEvent[] = [];
  async emit(events: readonly AccessctlEvent[]): Promise<void> {
    this.events.push(...events);
  }
  async close(): Promise<void> {}
}

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

  function options(source: ConfigSource, extra: { allowHistoryRewrite?: boolean; client?: JumpCloudClient } = {}) {
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    return {
      source,
      stateDir: join(work, 'state'),
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      client: extra.client ?? client,
      events: new EventFanout([sink]),
      metrics: new ReconcileMetrics(),
      log,
      allowHistoryRewrite: extra.allowHistoryRewrite ?? false,
      stopping: () => false,
    };
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
    await writeFile(join(work, 'config', 'channels', 'hook.yaml'), hookChannel);
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
    client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
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
    expect(sink.events.filter((e) => e.type === 'accessctl.change.applied').map((e) => e.subject).sort()).toEqual([
      'AccessRequestSettings/settings',
      'ApprovalFlow/GitHub Admin',
      'ApprovalFlow/GitHub User',
    ]);
    expect(sink.events.at(-1)).toMatchObject({ type: 'accessctl.run.completed', data: { result: 'success' } });
    const second = await reconcileOnce(options(source));
    expect(second.result).toBe('no-op');
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
    expect(drift).toMatchObject({ subject: 'AccessRequestSettings/settings', data: { policy: 'correct', fields: [{ path: 'spec.exposeApprovalProgress', before: false, after: true }] } });
    const after = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
    expect(after.body.exposeApprovalProgress).toBe(true);
  });

  it('only reports drift for a kind whose policy is report', async () => {
    await setDrift('AccessRequestSettings', 'report');
    const source: ConfigSource = { kind: 'dir', dir: join(work, 'config') };
    await reconcileOnce(options(source));
    await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false });
    sink.events.length = 0;
    const outcome = await reconcileOnce(options(source));
    expect(outcome).toMatchObject({ drifted: 1, applied: 0 });
    expect(sink.events.find((e) => e.type === 'accessctl.drift.detected')?.data).toMatchObject({ policy: 'report' });
    const after = await h.call<{ exposeApprovalProgress: boolean }>('GET', '/api/v2/approvalflowsettings');
    expect(after.body.exposeApprovalProgress).toBe(false);
  });

  it('reports a partial failure with a failed event per change and keeps the rest', async () => {
    await addHookChannel({ subscribe: false });
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/notifications/webhook/channels', errorRate: 1, status: 500 }] });
    const outcome = await reconcileOnce(options({ kind: 'dir', dir: join(work, 'config') }));
    expect(outcome).toMatchObject({ result: 'partial', applied: 3, failed: 1 });
    expect(sink.events.filter((e) => e.type === 'accessctl.change.failed')).toMatchObject([{ subject: 'WebhookChannel/Hook', data: { error: { status: 500 } } }]);
    expect(sink.events.filter((e) => e.type === 'accessctl.change.applied')).toHaveLength(3);
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
        const sent = JSON.parse(String(body)) as { url: string; sensitiveValues: Record<string, string>; headers: { name: string; value: string }[]; signingSecret?: string };
        const url = sent.url.replace(/\{\{(\w+)\}\}/g, (_, name: string) => sent.sensitiveValues[name] ?? '');
        const auth = sent.headers.find((header) => header.name === 'Authorization')?.value;
        return { code: 'bad_request', status: 400, message: `test delivery to ${url} failed (Authorization: ${auth}; signed with ${sent.signingSecret})` };
      });
    const quotingClient = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey, dispatcher: quoting, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
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
        message: expect.stringContaining('test delivery to https://hooks.example.com/ingest/[redacted] failed (Authorization: [redacted]; signed with [redacted])'),
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

describe('the reconciler process', () => {
  it('lets one reconciler hold a state directory and serves /metrics as Prometheus text', async () => {
    const h = await startHarness();
    const work = await mkdtemp(join(tmpdir(), 'accessctl-reconciler-'));
    await cp(examples, join(work, 'config'), { recursive: true });
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    const log = pino({ level: 'silent' });
    const controller = new AbortController();
    const base = {
      source: { kind: 'dir' as const, dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      intervalMs: 3_600_000,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      client,
      log,
      allowHistoryRewrite: false,
    };
    let metricsUrl = '';
    let firstRun: () => void = () => {};
    const ran = new Promise<void>((resolve) => (firstRun = resolve));
    const running = runReconciler({
      ...base,
      once: false,
      listen: '127.0.0.1:0',
      lockMode: 'fail',
      signal: controller.signal,
      onListening: (url) => (metricsUrl = url),
      onOutcome: (outcome: RunOutcome) => {
        expect(outcome.result).toBe('success');
        firstRun();
      },
    });
    await ran;
    await expect(runReconciler({ ...base, once: true, lockMode: 'fail', signal: new AbortController().signal })).rejects.toThrow(/pid \d+/);
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE accessctl_runs_total counter$/m);
    expect(metrics).toMatch(/^accessctl_runs_total\{result="success"\} 1$/m);
    expect(metrics).toMatch(/^accessctl_changes_total\{kind="ApprovalFlow",action="create"\} 2$/m);
    for (const line of metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(/^accessctl_[a-z_]+(\{.*\})? [0-9.e+-]+$/);
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);
    controller.abort();
    await expect(running).resolves.toBe(0);
    await client.close();
    await h.close();
    await rm(work, { recursive: true, force: true });
  });
});
