// `accessctl apply` and the state directory's lock, in this process against a real sandbox, with
// real lock files in temp dirs: the lock a reconciler holds keeps apply out (exit 3) or waits, found
// up from the config wherever apply runs; with none, apply says it writes unlocked; --lock with none,
// and a --state-dir that is missing, are refused; it is released however apply ends (a release that
// fails is a warning, not the exit code), dry-run takes none, and one lost while applying stops the writes.
// The lock's timers are injected (its heartbeat is ticked by hand, its wait polls at once): no sleeps.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import type { LockInfo, StateLock as StateLockType, StateLockOptions } from '../../src/reconcile/lock.js';
import { startWriteGate, type WriteGate } from '../e2e/write-gate.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, startAccessctl, type Run } from './in-process.js';

/** What the test injects into every StateLock apply makes: its heartbeat ticks, and a hook on its waits. */
const injected = vi.hoisted(() => ({
  /** The heartbeat of each lock apply took, latest last: calling one refreshes it as the timer would. */
  ticks: [] as (() => Promise<void>)[],
  /** Called when apply starts waiting on a holder. */
  onWait: undefined as ((holder: LockInfo) => void) | undefined,
  /** Set: each release rejects with it, as an unlink the file system refuses would. */
  releaseError: undefined as Error | undefined,
}));

vi.mock('../../src/reconcile/lock.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/reconcile/lock.js')>();
  class InjectedStateLock extends real.StateLock {
    constructor(options: StateLockOptions) {
      super({
        ...options,
        pollMs: 1,
        heartbeatTimer: (_ms, tick) => {
          injected.ticks.push(tick);
          return () => undefined;
        },
        onWait: (holder) => {
          options.onWait?.(holder);
          injected.onWait?.(holder);
        },
      });
    }
    override release(): Promise<void> {
      return injected.releaseError === undefined ? super.release() : Promise.reject(injected.releaseError);
    }
  }
  return { ...real, StateLock: InjectedStateLock };
});

const { StateLock } = await vi.importActual<typeof import('../../src/reconcile/lock.js')>('../../src/reconcile/lock.js');

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

/** A runtime with no terminal, as in CI. */
const noTerminal = (): Runtime => createRuntime({ interactive: false, input: Readable.from([]), output: new PassThrough() });

describe('accessctl apply and the state lock', () => {
  let h: Harness;
  let dir: string;
  let stateDir: string;
  let holder: StateLockType | undefined;
  let gate: WriteGate | undefined;

  const apply = (args: string[], target: string = h.sandbox.url): Promise<Run> =>
    accessctl(['apply', ...args, '--target', target], { JUMPCLOUD_API_KEY: h.sandbox.adminKey }, noTerminal());

  /** The API requests (any method) that reached the sandbox since the counter was cleared. */
  async function requests(): Promise<string[]> {
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    return Object.keys(counts).filter((route) => !route.includes(' /sandbox/'));
  }

  /** A reconciler on another host holding `where`'s lock: the real lock class, its heartbeat left alone. */
  async function reconcilerHolds(where: string): Promise<StateLockType> {
    holder = new StateLock({ dir: where, staleAfterMs: 3_600_000, hostname: 'reconciler-host', heartbeatTimer: () => () => undefined });
    await holder.acquire('fail');
    return holder;
  }

  const lockFile = (where: string): string => join(where, 'reconcile.lock');

  /** The example config copied into a git repo in the test's directory (dir/repo/access): nothing above it is looked at. */
  function repoWithConfig(): string {
    mkdirSync(join(dir, 'repo', '.git'), { recursive: true });
    cpSync(examples, join(dir, 'repo', 'access'), { recursive: true });
    return join(dir, 'repo', 'access');
  }

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-apply-lock-'));
    // The state directory apply is pointed at exists, as a reconciler's does once it has started.
    stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    injected.ticks.length = 0;
    injected.onWait = undefined;
    injected.releaseError = undefined;
  });
  afterEach(async () => {
    await holder?.release();
    holder = undefined;
    await gate?.close();
    gate = undefined;
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to apply while a reconciler holds the state directory, naming its pid, exit 3', async () => {
    const held = await reconcilerHolds(stateDir);
    const before = readFileSync(lockFile(stateDir), 'utf8');

    const run = await apply([examples, '--auto-approve', '--state-dir', stateDir]);

    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `accessctl: another reconciler holds the lock ${held.path}: pid ${process.pid} on host reconciler-host (heartbeat ${JSON.parse(before).heartbeat}); ` +
        'it is free once that process ends, or 1h after its last heartbeat. Delete the file only when no reconciler or apply uses this state directory\n',
    );
    expect(run.stdout).toBe('');
    expect(await requests()).toEqual([]);
    // The holder's lock is as it was: refused, apply neither took it over nor removed it.
    expect(readFileSync(lockFile(stateDir), 'utf8')).toBe(before);
  });

  it('refuses a saved plan too, before reading what it touches, and applies it once the lock is free', async () => {
    const saved = join(dir, 'plan.json');
    const planned = await accessctl(['plan', examples, '--target', h.sandbox.url, '--out', saved], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(planned.code, planned.stderr).toBe(0);
    const held = await reconcilerHolds(stateDir);
    await h.hook('DELETE', '/sandbox/v1/requests');

    const refused = await apply([saved, '--state-dir', stateDir]);

    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`another reconciler holds the lock ${held.path}: pid ${process.pid} on host reconciler-host`);
    expect(await requests()).toEqual([]);
    await held.release();
    const applied = await apply([saved, '--state-dir', stateDir]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Apply: 3 applied, 0 failed, 0 skipped.');
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });

  it('waits for the lock with --lock wait and applies once it is free', async () => {
    const held = await reconcilerHolds(stateDir);
    const waiting = new Promise<LockInfo>((resolve) => (injected.onWait = resolve));

    const running = startAccessctl(
      ['apply', examples, '--auto-approve', '--state-dir', stateDir, '--lock', 'wait', '--target', h.sandbox.url],
      { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      noTerminal(),
    );
    expect((await waiting).host).toBe('reconciler-host');
    // Waiting, it has read nothing from the platform: the lock comes before the plan's read.
    expect(running.stderr()).toContain(
      `accessctl: waiting for the lock ${held.path}, held by another reconciler, pid ${process.pid} on host reconciler-host since `,
    );
    expect(await requests()).toEqual([]);

    await held.release();
    const run = await running.finished;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Apply: 3 applied, 0 failed, 0 skipped.');
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });

  it('releases the lock after a failed apply', async () => {
    await h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'POST /api/v2/approvalflows', errorRate: 1, status: 500 }] });

    const run = await apply([examples, '--auto-approve', '--state-dir', stateDir]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('accessctl: 2 of 3 changes did not apply; see above');
    // It held the lock (its heartbeat ran) and let it go: the file is gone, and the next writer takes it at once.
    expect(injected.ticks).toHaveLength(1);
    expect(existsSync(lockFile(stateDir))).toBe(false);
    await reconcilerHolds(stateDir);
  });

  it('releases the lock after a refusal: an invalid config', async () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'flow.yaml'), 'apiVersion: accessctl.io/v1\nkind: ApprovalFlow\nmetadata: {}\n');

    const run = await apply([broken, '--auto-approve', '--state-dir', stateDir]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('missing required field "name"');
    expect(injected.ticks).toHaveLength(1);
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });

  it('releases the lock when Ctrl-C ends the question, applying nothing', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const asked = new Promise<void>((resolve) => output.on('data', (chunk: Buffer) => chunk.toString().includes('Apply these changes?') && resolve()));
    const running = startAccessctl(
      ['apply', examples, '--state-dir', stateDir, '--target', h.sandbox.url],
      { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      createRuntime({ interactive: true, input, output }),
    );
    await asked;
    expect(existsSync(lockFile(stateDir))).toBe(true);
    await h.hook('DELETE', '/sandbox/v1/requests');
    // What a Ctrl-C delivers to the process's listeners, without signalling the test runner itself.
    process.emit('SIGINT', 'SIGINT');
    const run = await running.finished;

    expect(run.code).toBe(130);
    // Said before the question: a question left open explains a reconciler kept waiting.
    expect(run.stderr).toContain(
      `accessctl: holding the lock ${lockFile(stateDir)} until you answer: reconcilers and applies using it wait, or are refused, meanwhile\n`,
    );
    expect(run.stderr).toContain('accessctl: stopped by SIGINT before the first change; nothing was applied, and the lock is released\n');
    expect(await requests()).toEqual([]);
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });

  it("takes the default reconciler state dir's lock only when it exists, and says when it applies without one", async () => {
    const config = repoWithConfig();
    const home = process.cwd();
    process.chdir(dir);
    try {
      // No reconciler state here nor up from the config: no lock taken, no state directory made, and that said once.
      const plain = await apply([config, '--auto-approve']);
      expect(plain.code, plain.stderr).toBe(0);
      expect(injected.ticks).toHaveLength(0);
      expect(existsSync(join(dir, '.accessctl'))).toBe(false);
      expect(plain.stderr).toBe(
        'accessctl: no state directory to lock (no .accessctl/reconcile in the working directory, nor in repo/access or above it up to the git root): ' +
          "applying without a lock; pass --state-dir to share a reconciler's lock\n",
      );

      // A reconciler runs here with its default --state-dir: apply takes that directory's lock.
      const defaultDir = join(dir, '.accessctl', 'reconcile');
      await reconcilerHolds(defaultDir);
      await h.hook('DELETE', '/sandbox/v1/requests');
      const refused = await apply([config, '--auto-approve']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`another reconciler holds the lock ${lockFile(defaultDir)}: pid ${process.pid} on host reconciler-host`);
      expect(await requests()).toEqual([]);

      // And, once free, holds it while applying and releases it.
      await holder?.release();
      holder = undefined;
      const applied = await apply([config, '--auto-approve']);
      expect(applied.code, applied.stderr).toBe(0);
      expect(injected.ticks).toHaveLength(1);
      expect(existsSync(lockFile(defaultDir))).toBe(false);
    } finally {
      process.chdir(home);
    }
  });

  it("finds a reconciler's default state directory up from the config, in its git repo, wherever apply runs", async () => {
    const config = repoWithConfig();
    // Started at the repo's root with its defaults; apply runs from another directory (this test's own).
    const atRoot = join(dir, 'repo', '.accessctl', 'reconcile');
    await reconcilerHolds(atRoot);

    const refused = await apply([config, '--auto-approve']);

    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`another reconciler holds the lock ${lockFile(atRoot)}: pid ${process.pid} on host reconciler-host`);
    expect(await requests()).toEqual([]);
  });

  it('refuses --lock when there is no state directory to lock, before reading anything', async () => {
    const config = repoWithConfig();
    const home = process.cwd();
    process.chdir(dir);
    try {
      for (const mode of ['wait', 'fail']) {
        const run = await apply([config, '--auto-approve', '--lock', mode]);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(
          `accessctl: --lock ${mode}: there is no state directory to lock (no .accessctl/reconcile in the working directory, nor in repo/access or above it up to the git root); ` +
            "pass --state-dir DIR to name a reconciler's, or leave --lock out to apply without a lock\n",
        );
      }
      expect(await requests()).toEqual([]);
    } finally {
      process.chdir(home);
    }
  });

  it('refuses a --state-dir that does not exist, making none and reading nothing', async () => {
    const missing = join(dir, 'no-such-state');

    const run = await apply([examples, '--auto-approve', '--state-dir', missing]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`accessctl: --state-dir ${missing}: no such directory: apply locks only a state directory that exists`);
    expect(existsSync(missing)).toBe(false);
    expect(await requests()).toEqual([]);
  });

  it("refuses a fleet runner's state directory: its lock is another", async () => {
    const fleet = join(dir, 'fleet');
    mkdirSync(fleet);
    writeFileSync(join(fleet, 'fleet.lock'), '{}');

    const run = await apply([examples, '--auto-approve', '--state-dir', fleet]);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`accessctl: --state-dir ${fleet} is a fleet runner's state directory`);
    expect(await requests()).toEqual([]);
  });

  it('keeps a successful exit when the lock cannot be released, saying so', async () => {
    injected.releaseError = new Error('EACCES: permission denied');

    const run = await apply([examples, '--auto-approve', '--state-dir', stateDir]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Apply: 3 applied, 0 failed, 0 skipped.');
    expect(run.stderr).toBe(
      `accessctl: warning: cannot release the lock ${lockFile(stateDir)}: EACCES: permission denied; the next writer takes it over once this process has ended\n`,
    );
  });

  it('dry-run takes no lock', async () => {
    await reconcilerHolds(stateDir);
    const elsewhere = join(dir, 'never-made');

    for (const where of [stateDir, elsewhere]) {
      const run = await apply([examples, '--dry-run', '--state-dir', where, '--lock', 'fail']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Dry run: nothing was applied.');
    }
    expect(injected.ticks).toHaveLength(0);
    // Nor does it make a state directory it was pointed at.
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('stops before its next change when the lock is lost while applying, naming the new holder', async () => {
    gate = await startWriteGate(h.sandbox.url);
    const running = startAccessctl(
      ['apply', examples, '--auto-approve', '--state-dir', stateDir, '--concurrency', '1', '--target', gate.url],
      { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      noTerminal(),
    );
    // The first write is at the platform's door: now another process takes the lock over (as a taker
    // that judged it stale does, renaming its own over it), and apply's next heartbeat finds out.
    await gate.arrival(1);
    const taker = { pid: 4242, host: 'other-host', startedAt: new Date().toISOString(), heartbeat: new Date().toISOString(), id: 'taker' };
    writeFileSync(lockFile(stateDir), JSON.stringify(taker));
    const tick = injected.ticks.at(-1);
    await tick?.();
    gate.open();
    const run = await running.finished;

    expect(run.code).toBe(1);
    expect(gate.arrived()).toHaveLength(1);
    expect(run.stdout).toMatch(/Apply: 1 applied, 0 failed, 2 skipped\./);
    expect(run.stdout).toContain(`not started: lost the lock ${lockFile(stateDir)} to pid 4242 on host other-host`);
    expect(run.stderr).toContain(
      `accessctl: lost the lock ${lockFile(stateDir)} to pid 4242 on host other-host while applying: 1 of 3 changes applied, 2 not started (each named above)`,
    );
    // The new holder's lock is left alone.
    expect(JSON.parse(readFileSync(lockFile(stateDir), 'utf8'))).toMatchObject({ id: 'taker' });
  });
});
