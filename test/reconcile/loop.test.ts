// The reconciler process around the runs, against a real in-process sandbox: one holder per state
// directory (a second one exits with the documented code), /metrics as Prometheus text, a notice
// said once for its lifetime, and a lock lost mid-run that stops it before the next change.
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { webhookSpoolDir } from '../../src/events/sink-spec.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { EXIT_FAILED, EXIT_LOCKED, runReconciler, type ReconcilerOptions } from '../../src/reconcile/loop.js';
import type { RunOutcome } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { startWriteGate } from '../e2e/write-gate.js';
import { startHarness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const secrets = { SIEM_TOKEN: 'loop-siem-token', SIEM_AUTH: 'Bearer loop-siem-auth', SIEM_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}` };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function workDir(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'accessctl-reconciler-'));
  await cp(examples, join(work, 'config'), { recursive: true });
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  return work;
}

function collectingLog(lines: { level: number; msg: string }[]) {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
}

describe('the reconciler process', () => {
  it('lets one reconciler hold a state directory, exits a second one with code 3, and serves /metrics as Prometheus text', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const controller = new AbortController();
    const base = {
      source: { kind: 'dir' as const, dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      intervalMs: 3_600_000,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      log: pino({ level: 'silent' }),
      allowHistoryRewrite: false,
    };
    let metricsUrl = '';
    // The first outcome is checked here, not in onOutcome, where a failed expect would be caught by the loop.
    let firstRun: (outcome: RunOutcome) => void = () => {};
    const ran = new Promise<RunOutcome>((resolve) => (firstRun = resolve));
    const running = runReconciler({
      ...base,
      once: false,
      listen: '127.0.0.1:0',
      lockMode: 'fail',
      signal: controller.signal,
      onListening: (url) => (metricsUrl = url),
      onOutcome: (outcome: RunOutcome) => firstRun(outcome),
    });
    expect((await ran).result).toBe('success');
    const refused = await runReconciler({ ...base, once: true, lockMode: 'fail', signal: new AbortController().signal }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AccessctlError);
    expect(refused).toMatchObject({ exitCode: EXIT_LOCKED, message: expect.stringMatching(/pid \d+/) });
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE accessctl_runs_total counter$/m);
    expect(metrics).toMatch(/^accessctl_runs_total\{result="success"\} 1$/m);
    expect(metrics).toMatch(/^accessctl_changes_total\{kind="ApprovalFlow",action="create"\} 2$/m);
    expect(metrics).toMatch(/^accessctl_apply_held\{reason="suspended"\} 0$/m);
    for (const line of metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(/^accessctl_[a-z_]+(\{.*\})? [0-9.e+-]+$/);
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);
    controller.abort();
    await expect(running).resolves.toBe(0);
  });

  it('says once, for its whole life, that DIR is not in git', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const lines: { level: number; msg: string }[] = [];
    const controller = new AbortController();
    const exit = await runReconciler({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      // Runs follow each other at once; the second run ends the reconciler.
      intervalMs: 1,
      once: false,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: controller.signal,
      onOutcome: (_outcome, run) => {
        if (run === 2) controller.abort();
      },
    });
    expect(exit).toBe(0);
    expect(lines.filter((l) => l.msg.includes('events carry no configCommit'))).toEqual([expect.objectContaining({ level: 30 })]);
  });

  it('warns at start, naming the folder and the count, about events spooled for a webhook no --events names now', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const work = await workDir();
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const stranded = webhookSpoolDir(join(work, 'state', 'spool'), new URL('https://old-receiver.example/events'));
    await mkdir(stranded, { recursive: true });
    await writeFile(join(stranded, '000000000001-e1.json'), '{}');
    const lines: { level: number; msg: string; message?: string }[] = [];
    const exit = await runReconciler({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: join(work, 'state'),
      intervalMs: 1,
      once: true,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: new AbortController().signal,
    });
    expect(exit).toBe(0);
    const warned = lines.filter((l) => l.level === 40 && JSON.stringify(l).includes('old URL'));
    expect(warned).toHaveLength(1);
    expect(JSON.stringify(warned[0])).toContain(stranded);
  });

  it('logs a lock lost mid-run at ERROR and starts no further change; the change in flight finishes', async () => {
    const h = await startHarness();
    cleanup.push(() => h.close());
    const gate = await startWriteGate(h.sandbox.url);
    cleanup.push(() => gate.close());
    const work = await workDir();
    const stateDir = join(work, 'state');
    const client = new JumpCloudClient({ baseUrl: gate.url, apiKey: h.sandbox.adminKey });
    cleanup.push(() => client.close());
    const lines: { level: number; msg: string }[] = [];
    let beat: (() => Promise<void>) | undefined;
    const outcomes: RunOutcome[] = [];
    const options: ReconcilerOptions = {
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir,
      intervalMs: 3_600_000,
      once: true,
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...secrets },
      clients: TargetBinding.fixed(client),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: new AbortController().signal,
      // The heartbeat runs when the test says so.
      lock: {
        heartbeatTimer: (_ms, tick) => {
          beat = tick;
          return () => {
            beat = undefined;
          };
        },
      },
      onOutcome: (outcome) => outcomes.push(outcome),
    };
    const running = runReconciler(options);
    // Both flow creates are sent (one phase) and held at the gate; the settings come in the next phase.
    await gate.arrival(2);
    expect(gate.arrived()).toEqual(['POST /api/v2/approvalflows', 'POST /api/v2/approvalflows']);
    // Another reconciler, on another host, takes the lock over; this one's next heartbeat finds out.
    const lockFile = join(stateDir, 'reconcile.lock');
    const now = new Date().toISOString();
    await writeFile(lockFile, JSON.stringify({ pid: 4242, host: 'other-host', startedAt: now, heartbeat: now, id: 'the-other-one', staleAfterMs: 60_000 }));
    await beat!();
    expect(lines.filter((l) => l.level === 50 && l.msg.includes('lost the lock'))).toHaveLength(1);
    gate.open();
    await expect(running).resolves.toBe(EXIT_FAILED);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ result: 'partial', applied: 2, failed: 1 });
    expect(outcomes[0]?.failures).toEqual([
      {
        kind: 'AccessRequestSettings',
        name: 'settings',
        action: 'update',
        reason: expect.stringMatching(/^not started: lost the lock .* to pid 4242 on host other-host/),
      },
    ]);
    expect(gate.arrived()).toHaveLength(2);
    // The other reconciler owns the state directory now: its lock stays, and this run records nothing there.
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ id: 'the-other-one' });
    await expect(stat(join(stateDir, 'last-applied.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
