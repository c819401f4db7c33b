// A stop (SIGTERM, SIGINT) is not a failure: a run it cuts short, in its reads or between its
// changes, ends as stopped in the log (one warning, no error), the exit code, the events, the
// metrics and the console, and leaves the state directory for the next start to read both sides again.
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleModel } from '../../src/console/model.js';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import { EventFanout } from '../../src/events/fanout.js';
import type { EventSink } from '../../src/events/sink.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { EXIT_OK, runReconciler } from '../../src/reconcile/loop.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { fileRunState, reconcileOnce, type RunOutcome } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { startWriteGate } from '../e2e/write-gate.js';
import { startSilentServer } from '../jumpcloud/client-silent-server.js';
import { startHarness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const secrets = { SIEM_TOKEN: 'stop-siem-token', SIEM_AUTH: 'Bearer stop-siem-auth', SIEM_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 4).toString('base64')}` };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function workDir(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'accessctl-stop-'));
  await cp(examples, join(work, 'config'), { recursive: true });
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  return work;
}

interface LogLine {
  level: number;
  msg: string;
  result?: string;
}

function collectingLog(lines: LogLine[]) {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

async function eventsIn(file: string): Promise<AccessctlEvent[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AccessctlEvent);
}

/**
 * A proxy to the sandbox that, once armed, holds the next read of the settings and never answers
 * it: the read apply makes before it writes the settings is in flight for as long as the test likes.
 */
async function settingsReadHolder(upstream: string): Promise<{ url: string; arm(): void; held: Promise<void>; close(): Promise<void> }> {
  let armed = false;
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const bodyOf = async (incoming: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((incoming, response) => {
    void (async () => {
      const method = incoming.method ?? 'GET';
      const path = incoming.url ?? '/';
      const body = await bodyOf(incoming);
      if (armed && method === 'GET' && path.startsWith('/api/v2/approvalflowsettings')) {
        armed = false;
        holding();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
      }
      const answer = await request(`${upstream}${path}`, { method: method as 'GET', headers, ...(body.length > 0 ? { body } : {}) });
      const text = Buffer.from(await answer.body.arrayBuffer());
      response.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': String(text.length) });
      response.end(text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm: () => {
      armed = true;
    },
    held,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Collects events in memory. */
function memorySink(events: AccessctlEvent[]): EventSink {
  return {
    name: 'memory',
    emit: async (batch) => {
      events.push(...batch);
    },
    close: async () => undefined,
  };
}

/** What a stopped run must never leave behind: an ERROR line or a failure event. */
function expectNoFailure(lines: LogLine[], events: AccessctlEvent[]): void {
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  expect(events.filter((e) => e.type === 'accessctl.change.failed')).toEqual([]);
  const completed = events.filter((e) => e.type === 'accessctl.run.completed');
  expect(completed).toHaveLength(1);
  expect(completed[0]?.data).toMatchObject({ result: 'stopped', failed: 0 });
}

describe('a reconciler stopped by SIGTERM or SIGINT', () => {
  it('a list that failed on its own is a failure, even when a stop comes too: the run names it at ERROR and is not stopped', async () => {
    const h = await startHarness({ hooks: true });
    cleanup.push(() => h.close());
    const work = await workDir();
    const fault = await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/approvalflows', errorRate: 1, status: 500 }] });
    expect(fault.status).toBe(200);
    const client = new JumpCloudClient({
      baseUrl: h.sandbox.url,
      apiKey: h.sandbox.adminKey,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
    });
    cleanup.push(() => client.close());
    const lines: LogLine[] = [];
    const outcome = await reconcileOnce({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      // The stop has come, but no read was cut short by it: the flows failed with a 500.
      stopping: () => ({ why: 'accessctl is shutting down', stateIsOurs: true }),
    });
    expect(outcome.result).toBe('failed');
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toContainEqual(expect.stringContaining('approval flows'));
  });

  it('a reconcile run stopped mid-read is recorded as stopped, not failed, and logs no error', async () => {
    // A target that never answers: every read is in flight when the stop comes, and only the stop ends it.
    const target = await startSilentServer();
    cleanup.push(() => target.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const eventsFile = join(work, 'events.jsonl');
    const signal = new AbortController();
    const client = new JumpCloudClient({
      baseUrl: target.url,
      apiKey: 'stop-key',
      stop: signal.signal,
      timeouts: { connectMs: 1000, headersMs: 600_000, bodyMs: 600_000 },
    });
    cleanup.push(() => client.close());
    const lines: LogLine[] = [];
    const outcomes: RunOutcome[] = [];
    const env = { JUMPCLOUD_API_KEY: 'stop-key', ...secrets };
    const view = new ConsoleModel(env);
    const running = runReconciler({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      intervalMs: 3_600_000,
      once: true,
      eventSpecs: [`file:${eventsFile}`],
      env,
      clients: TargetBinding.fixed(client),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: signal.signal,
      console: view,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await target.untilRequests(1);
    signal.abort();
    await expect(running).resolves.toBe(EXIT_OK);

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ result: 'stopped', applied: 0, failed: 0, failures: [] });
    expect(outcomes[0]?.message).toMatch(/^stopped \(accessctl is shutting down\): cut short: reading the live .*approval flows/);
    const stopped = lines.filter((l) => l.msg.startsWith('stopped'));
    expect(stopped).toEqual([expect.objectContaining({ level: 40, result: 'stopped' })]);
    expectNoFailure(lines, await eventsIn(eventsFile));
    expect(view.runs.map((r) => r.status)).toEqual(['stopped']);
    // Nothing was applied or recorded: the next start reads both sides again.
    await expect(stat(join(stateDir, 'last-applied.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(stateDir, 'journal')).catch(() => [])).toEqual([]);
  });

  it('lets the changes in flight finish, starts no other, and ends as stopped naming the changes it did not start', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    // Writes are held at the gate until the test lets them through: the stop comes while two are in flight.
    const gate = await startWriteGate(h.sandbox.url);
    cleanup.push(() => gate.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const eventsFile = join(work, 'events.jsonl');
    const signal = new AbortController();
    const client = new JumpCloudClient({ baseUrl: gate.url, apiKey: h.sandbox.adminKey, stop: signal.signal });
    cleanup.push(() => client.close());
    const lines: LogLine[] = [];
    const outcomes: RunOutcome[] = [];
    const running = runReconciler({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      intervalMs: 3_600_000,
      once: true,
      eventSpecs: [`file:${eventsFile}`],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: signal.signal,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    await gate.arrival(2);
    signal.abort();
    gate.open();
    await expect(running).resolves.toBe(EXIT_OK);

    expect(gate.arrived()).toEqual(['POST /api/v2/approvalflows', 'POST /api/v2/approvalflows']);
    expect(outcomes[0]).toMatchObject({ result: 'stopped', applied: 2, failed: 0, failures: [] });
    expect(outcomes[0]?.message).toMatch(/cut short: not started: update AccessRequestSettings "settings"; applied 2 before the stop/);
    expect(lines.filter((l) => l.msg.startsWith('stopped'))).toEqual([expect.objectContaining({ level: 40 })]);
    const events = await eventsIn(eventsFile);
    expectNoFailure(lines, events);
    expect(events.filter((e) => e.type === 'accessctl.change.applied')).toHaveLength(2);
    // The two flows that landed are recorded; the settings are not, so the next run applies them.
    const state = JSON.parse(await readFile(join(stateDir, 'last-applied.json'), 'utf8')) as { objects: Record<string, string> };
    expect(Object.keys(state.objects).filter((key) => key.startsWith('ApprovalFlow'))).toHaveLength(2);
    expect(Object.keys(state.objects).some((key) => key.startsWith('AccessRequestSettings'))).toBe(false);
    expect(await readdir(join(stateDir, 'journal'))).toEqual([]);
  });
});

describe('a run that a stop ends before or while it applies', () => {
  it('is counted as stopped in the metrics, with no failed change and no last success', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const events: AccessctlEvent[] = [];
    const sink = memorySink(events);
    const lines: LogLine[] = [];
    const metrics = new ReconcileMetrics();
    const outcome = await reconcileOnce({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([sink]),
      metrics,
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      stopping: () => ({ why: 'accessctl is shutting down', stateIsOurs: true }),
    });
    expect(outcome).toMatchObject({ result: 'stopped', applied: 0, failed: 0 });
    expect(outcome.message).toMatch(/not started: create ApprovalFlow "GitHub (User|Admin)", create ApprovalFlow/);
    expectNoFailure(lines, events);
    const text = await metrics.text();
    expect(text).toMatch(/^accessctl_runs_total\{result="stopped"\} 1$/m);
    expect(text).not.toMatch(/^accessctl_runs_total\{result="failed"\}/m);
    expect(text).not.toMatch(/^accessctl_changes_failed_total\{/m);
    expect(text).toMatch(/^accessctl_last_success_timestamp_seconds 0$/m);
  });

  it('a lock lost after the signal does not turn the changes the signal left undone into failures without an event', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const events: AccessctlEvent[] = [];
    const lines: LogLine[] = [];
    // SIGTERM before the first change; the lock is lost once the run has recorded its state, before it sums up.
    let lockLost = false;
    const files = fileRunState(stateDir);
    const outcome = await reconcileOnce({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([memorySink(events)]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      state: {
        ...files,
        writeLastApplied: async (value) => {
          await files.writeLastApplied(value);
          lockLost = true;
        },
      },
      stopping: () => (lockLost ? { why: 'lost the lock', stateIsOurs: false } : { why: 'accessctl is shutting down', stateIsOurs: true }),
    });
    expect(lockLost).toBe(true);
    expect(outcome).toMatchObject({ result: 'stopped', applied: 0, failed: 0, failures: [] });
    expect(outcome.message).toMatch(/^stopped \(accessctl is shutting down\): cut short: not started: /);
    expectNoFailure(lines, events);
  });

  it('a lost lock is still a failure, not a stop', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const lines: LogLine[] = [];
    const outcome = await reconcileOnce({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      stopping: () => ({ why: 'lost the lock', stateIsOurs: false }),
    });
    expect(outcome).toMatchObject({ result: 'failed', applied: 0 });
    expect(outcome.failed).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 50).length).toBeGreaterThan(0);
  });

  it('a change cut short in its read, before anything was sent, has no event from the stopped run nor the next, and leaves no journal entry', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const holder = await settingsReadHolder(h.sandbox.url);
    cleanup.push(() => holder.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets };
    const signal = new AbortController();
    const stopping = new JumpCloudClient({ baseUrl: holder.url, apiKey: h.sandbox.adminKey, stop: signal.signal });
    cleanup.push(() => stopping.close());
    const events: AccessctlEvent[] = [];
    const lines: LogLine[] = [];
    const base = {
      source: { kind: 'dir' as const, dir: join(work, 'config') },
      stateDir,
      env,
      events: new EventFanout([memorySink(events)]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
    };
    const running = reconcileOnce({
      ...base,
      clients: TargetBinding.fixed(stopping),
      stopping: () => (signal.signal.aborted ? { why: 'accessctl is shutting down', stateIsOurs: true } : undefined),
      // The planning reads pass; the read of the settings that apply makes before writing them is held.
      onPlan: () => holder.arm(),
    });
    await holder.held;
    signal.abort();
    const outcome = await running;
    expect(outcome).toMatchObject({ result: 'stopped', applied: 2, failed: 0 });
    expect(outcome.message).toContain('cut short: before anything was sent: update AccessRequestSettings "settings"; applied 2 before the stop');
    expectNoFailure(lines, events);
    expect(events.filter((e) => e.type === 'accessctl.change.applied')).toHaveLength(2);
    // Nothing was written for the settings: there is nothing for a later run to settle.
    expect(await readdir(join(stateDir, 'journal'))).toEqual([]);

    // The next run applies the settings, with no change.failed "interrupted" for a change that did nothing.
    events.length = 0;
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const next = await reconcileOnce({ ...base, clients: TargetBinding.fixed(client), stopping: () => undefined });
    expect(next).toMatchObject({ result: 'success', applied: 1 });
    expect(events.filter((e) => e.type.startsWith('accessctl.change.')).map((e) => [e.type, (e.data as { kind: string }).kind])).toEqual([
      ['accessctl.change.applied', 'AccessRequestSettings'],
    ]);
    expect(await readdir(join(stateDir, 'journal'))).toEqual([]);
  });

  /**
   * A reconcile run whose settings PUT the sandbox answers with `status` every time, and whose stop
   * comes as the client starts to wait for the retry (a wait that never ends by itself).
   */
  async function stoppedWhileRetrying(status: number) {
    const h = await startHarness({ hooks: true });
    cleanup.push(() => h.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const signal = new AbortController();
    const rules = [{ route: 'PUT /api/v2/approvalflowsettings', errorRate: 1, status }];
    expect((await h.call('PUT', '/sandbox/v1/faults', { rules })).status).toBe(200);
    const held = new JumpCloudClient({
      baseUrl: h.sandbox.url,
      apiKey: h.sandbox.adminKey,
      stop: signal.signal,
      sleep: () => {
        signal.abort();
        return new Promise<void>(() => undefined);
      },
    });
    cleanup.push(() => held.close());
    const events: AccessctlEvent[] = [];
    const lines: LogLine[] = [];
    const base = {
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      events: new EventFanout([memorySink(events)]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
    } as const;
    const outcome = await reconcileOnce({
      ...base,
      clients: TargetBinding.fixed(held),
      stopping: () => (signal.signal.aborted ? { why: 'accessctl is shutting down', stateIsOurs: true } : undefined),
    });
    return { h, stateDir, events, lines, base, outcome };
  }

  it('a write held at the 429 gate when the stop comes sent nothing that landed: no event, no journal entry, named as unsent', async () => {
    // The settings PUT is turned away (429, unprocessed); the stop comes while the gate holds its retry.
    const { stateDir, events, lines, outcome } = await stoppedWhileRetrying(429);
    expect(outcome).toMatchObject({ result: 'stopped', applied: 2, failed: 0 });
    expect(outcome.message).toContain('cut short: before anything was sent: update AccessRequestSettings "settings"');
    expect(outcome.message).not.toContain('in a read');
    expectNoFailure(lines, events);
    expect(await readdir(join(stateDir, 'journal'))).toEqual([]);
  });

  it('a write answered 503 and stopped in its back-off is stopped, not failed: named as possibly landed, and the next run settles it', async () => {
    // The settings PUT is answered 503, which may have been carried out; the stop comes while its retry waits.
    const { h, stateDir, events, lines, base, outcome } = await stoppedWhileRetrying(503);
    expect(outcome).toMatchObject({ result: 'stopped', failed: 0 });
    expect(outcome.message).toContain('after a write went out: update AccessRequestSettings "settings" (it may have landed');
    expectNoFailure(lines, events);
    // Its journal entry stays, for the next run to settle from the live state.
    expect(await readdir(join(stateDir, 'journal'))).toHaveLength(1);

    expect((await h.call('PUT', '/sandbox/v1/faults', { rules: [] })).status).toBe(200);
    events.length = 0;
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const next = await reconcileOnce({ ...base, clients: TargetBinding.fixed(client), stopping: () => undefined });
    expect(next).toMatchObject({ result: 'success' });
    expect(await readdir(join(stateDir, 'journal'))).toEqual([]);
  });

  it('a plan left unmade by a call the stop cut short is stopped; one left unmade for another reason is still a failure', async () => {
    const work = await workDir();
    const unmade = async (error: PlatformError): Promise<{ outcome: RunOutcome; lines: LogLine[] }> => {
      // No client can be had: the error is what making the plan ends in.
      const clients = {
        target: undefined,
        bind: () => {
          throw error;
        },
      } as unknown as TargetBinding;
      const lines: LogLine[] = [];
      const outcome = await reconcileOnce({
        source: { kind: 'dir', dir: join(work, 'config') },
        stateDir: join(work, 'state'),
        env: { JUMPCLOUD_API_KEY: 'k', ...secrets },
        clients,
        events: new EventFanout([]),
        metrics: new ReconcileMetrics(),
        log: collectingLog(lines),
        allowHistoryRewrite: false,
        stopping: () => ({ why: 'accessctl is shutting down', stateIsOurs: true }),
      });
      return { outcome, lines };
    };
    const cut = await unmade(new PlatformError({ method: 'GET', route: routes.settings, message: 'not finished: accessctl is stopping', stopped: true }));
    expect(cut.outcome.result).toBe('stopped');
    expect(cut.outcome.message).toContain('cut short: reading the live state (GET /api/v2/approvalflowsettings failed: not finished: accessctl is stopping)');
    expect(cut.lines.filter((l) => l.level >= 50)).toEqual([]);
    const failed = await unmade(new PlatformError({ method: 'GET', route: routes.settings, status: 500, message: 'boom' }));
    expect(failed.outcome.result).toBe('failed');
    expect(failed.lines.filter((l) => l.level >= 50)).toHaveLength(1);
  });
});
