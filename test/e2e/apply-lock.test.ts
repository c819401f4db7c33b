// The real binaries, a real reconciler: while `accessctl reconcile` runs on a state directory, an
// `accessctl apply` told to lock it (--state-dir, or the reconciler's default directory in its working
// directory) is refused with exit 3 naming the reconciler's pid, before it reads or writes anything;
// once the reconciler has stopped, the same apply makes a change (a flow deleted meanwhile on the
// platform) holding that lock as its write lands, and leaves no lock behind.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl, root, start, type Running } from './binary.js';
import { startWriteGate, type WriteGate } from './write-gate.js';

const examples = join(root, 'examples', 'access');
const secrets = {
  SIEM_TOKEN: 'e2e-siem-token-value',
  SIEM_AUTH: 'Bearer e2e-siem-auth-value',
  SIEM_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 11).toString('base64')}`,
};

/** Resolves once the reconciler has logged the result of its first run (it holds the lock by then). */
function firstRun(reconciler: Running): Promise<void> {
  return new Promise((resolve, reject) => {
    const look = (): void => {
      if (reconciler.stderr().includes('"result":')) resolve();
    };
    reconciler.child.stderr.on('data', look);
    look();
    void reconciler.exited.then(() => reject(new Error(`the reconciler exited:\n${reconciler.stderr()}`)));
  });
}

describe('apply while a reconciler runs', () => {
  let h: Harness;
  let dir: string;
  let reconciler: Running | undefined;
  let gate: WriteGate | undefined;

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(os.tmpdir(), 'accessctl-e2e-apply-lock-'));
  });
  afterEach(async () => {
    if (reconciler && reconciler.child.exitCode === null) {
      reconciler.child.kill('SIGTERM');
      await reconciler.exited;
    }
    reconciler = undefined;
    await gate?.close();
    gate = undefined;
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['--state-dir names it', ['--state-dir', 'state'], 'state'],
    ["it is the reconciler's default, in apply's working directory", [], join('.accessctl', 'reconcile')],
  ])('is refused with exit 3 naming its pid, then applies once it stops: %s', async (_name, flags, stateDir) => {
    const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url, ...secrets };
    // Its first run applies the config; from then on it holds the lock until it stops.
    reconciler = start(['reconcile', examples, '--interval', '1h', '--listen', '127.0.0.1:0', '--state-dir', join(dir, stateDir)], env);
    await firstRun(reconciler);
    await h.hook('DELETE', '/sandbox/v1/requests');

    const refused = await accessctl(['apply', examples, '--auto-approve', ...flags], env, dir);

    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(
      `another reconciler holds the lock ${join(dir, stateDir, 'reconcile.lock')}: pid ${reconciler.child.pid} on host ${os.hostname()}`,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.stdout).toBe('');
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(Object.keys(counts).filter((route) => !route.includes(' /sandbox/'))).toEqual([]);

    reconciler.child.kill('SIGTERM');
    expect((await reconciler.exited).code).toBe(0);
    // Something to apply once it has stopped: a flow deleted on the platform, which apply creates again.
    const flows = await h.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows');
    const deleted = flows.body.results.find((flow) => flow.name === 'GitHub User');
    expect((await h.call('DELETE', `/api/v2/approvalflows/${deleted?.id}`)).status).toBe(200);
    // Its write is held at the platform's door: the lock file there is the apply's, then.
    gate = await startWriteGate(h.sandbox.url);
    const applying = accessctl(['apply', examples, '--auto-approve', ...flags], { ...env, JUMPCLOUD_API_URL: gate.url }, dir);
    await gate.arrival(1);
    expect(gate.arrived()).toEqual(['POST /api/v2/approvalflows']);
    const lockFile = join(dir, stateDir, 'reconcile.lock');
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ command: 'apply', host: os.hostname() });
    gate.open();
    const applied = await applying;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Plan: 1 to create, 0 to update, 0 to delete');
    expect(applied.stdout).toContain('Apply: 1 applied, 0 failed, 0 skipped.');
    expect((await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows')).body.results.map((flow) => flow.name)).toContain('GitHub User');
    expect(existsSync(lockFile)).toBe(false);
  });
});
