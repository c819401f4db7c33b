// `fleet run` (embedded) from the command line: a state directory another runner holds exits 3, as
// `reconcile` does, and --help lists the exit codes; a long-running runner says where its console
// (/orgs) is at start, as `reconcile` and `up` do, and names events spooled for a webhook no longer configured.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSpoolDir } from '../../src/events/sink-spec.js';
import { fleetOrgs, KEY_VARIABLE, MSP_KEY, writeFleet } from '../fleet/fixtures.js';
import { freePort } from '../fleet/postgres.js';
import { accessctl } from './in-process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_MAIN = `const { main } = await import(process.argv[1]); process.exitCode = await main([process.argv[0], 'accessctl', ...process.argv.slice(2)]);`;

let dir: string;
let file: string;
/** Every process the tests start, ended after them even when a test timed out. */
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-run-'));
  // A target nobody listens on: the runs fail fast and change nothing anywhere.
  const target = `http://127.0.0.1:${await freePort()}`;
  file = await writeFleet(join(dir, 'repo'), { name: 'cli-fleet', target, orgs: fleetOrgs(2), flowsPerOrg: 1, interval: '1h' });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** `accessctl ARGS...` as a real process (src/ through tsx): its log goes to the real stderr. */
function spawnAccessctl(args: string[], env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUN_MAIN, MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, stderr: () => stderr, exited: once(child, 'close').then(([code]) => code as number | null) };
}

describe('fleet run on a held state directory', () => {
  it('exits 3 naming the holder, as reconcile does, and reads nothing', async () => {
    const stateDir = join(dir, 'held');
    await mkdir(stateDir, { recursive: true });
    // Held by a runner on another host, whose heartbeat is fresh: nothing here can prove it dead.
    const now = new Date().toISOString();
    await writeFile(
      join(stateDir, 'fleet.lock'),
      JSON.stringify({ pid: 4242, host: 'other-host', startedAt: now, heartbeat: now, id: 'held-by-test', staleAfterMs: 60_000 }),
    );
    const run = await accessctl(['fleet', 'run', file, '--once', '--state-dir', stateDir], { [KEY_VARIABLE]: MSP_KEY });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('another fleet runner holds the lock');
    expect(run.stderr).toContain('pid 4242 on host other-host');
  });

  it('--help lists the exit codes, 3 among them', async () => {
    const run = await accessctl(['fleet', 'run', '--help']);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toMatch(/\n {2}3 +another fleet runner holds the state directory/);
  });
});

describe('fleet run at start', () => {
  it('says where its console is (/orgs), and the console answers there', async () => {
    const running = spawnAccessctl(['fleet', 'run', file, '--listen', '127.0.0.1:0', '--state-dir', join(dir, 'console-state')], {
      [KEY_VARIABLE]: MSP_KEY,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const look = (): void => {
          const found = /serving the console on (http:\/\/127\.0\.0\.1:\d+\/orgs),/.exec(running.stderr());
          if (found) resolve(found[1]!);
        };
        running.child.stderr!.on('data', look);
        void running.exited.then(() => reject(new Error(`ended before serving: ${running.stderr()}`)));
      });
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain('cli-fleet');
    } finally {
      running.child.kill('SIGTERM');
    }
    expect(await running.exited).toBe(0);
  }, 60_000);
});

describe('fleet run and its event spool', () => {
  it('warns at start about events spooled for a webhook no --events names now, naming the folder', async () => {
    const stateDir = join(dir, 'stranded-state');
    const stranded = webhookSpoolDir(join(stateDir, 'spool'), new URL('https://old-receiver.example/events'));
    await mkdir(stranded, { recursive: true });
    await writeFile(join(stranded, '000000000001-e1.json'), '{}');
    const running = spawnAccessctl(['fleet', 'run', file, '--once', '--state-dir', stateDir], { [KEY_VARIABLE]: MSP_KEY });
    await running.exited;
    expect(running.stderr()).toContain(stranded);
    expect(running.stderr()).toContain('1 event(s)');
  });
});
