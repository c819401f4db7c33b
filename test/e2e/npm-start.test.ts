// `npm start` hands signals to accessctl itself: the script execs node, so npm's forwarded SIGTERM
// or SIGINT reaches `up`, which finishes the run in flight and exits; nothing is left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './binary.js';

describe('npm start', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'accessctl-npm-start-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /**
   * `npm start` on its own database and state dir, once its first run has printed what to try next.
   * `group`: in its own process group, as a terminal's foreground job is.
   */
  async function npmStart(db: string, stateDir: string, group = false): Promise<{ npm: ChildProcess; out: () => string; closed: Promise<void> }> {
    const npm = spawn('npm', ['start', '--', '--port', '0', '--db', db, '--state-dir', stateDir, '--listen', '127.0.0.1:0'], {
      cwd: root,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], NO_COLOR: '1' },
      detached: group,
    });
    let out = '';
    // The pipe closes only when every process holding it has exited: npm, and the node it started.
    const closed = new Promise<void>((resolve) => npm.stdout?.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      npm.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Next, in another shell:')) resolve();
      });
      npm.on('exit', (code) => reject(new Error(`npm start exited with ${code} before its first run:\n${out}`)));
    });
    return { npm, out: () => out, closed };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('stops accessctl up when npm gets %s, leaving no process behind', async (signal) => {
    const { npm, out, closed } = await npmStart(join(work, `${signal}.db`), join(work, `state-${signal}`));
    npm.kill(signal);
    await closed;
    expect(out()).toMatch(/SIG(TERM|INT): finishing the change in flight, then stopping/);
  });

  it("stops cleanly when a terminal's Ctrl-C reaches the whole process group (npm passes its own copy on too), leaving no lock or key file", async () => {
    const db = join(work, 'group.db');
    const stateDir = join(work, 'state-group');
    const { npm, out, closed } = await npmStart(db, stateDir, true);
    expect(existsSync(`${db}.operator-key`)).toBe(true);
    // To the group: npm and node alike, as a terminal's Ctrl-C.
    process.kill(-(npm.pid ?? 0), 'SIGINT');
    await closed;
    expect(out()).toContain('SIGINT: finishing the change in flight, then stopping');
    // What a stop cleans up: taken as a second Ctrl-C, npm's copy ended up before it did (exit 130).
    expect(existsSync(`${db}.lock`)).toBe(false);
    expect(existsSync(`${db}.operator-key`)).toBe(false);
    expect(existsSync(join(stateDir, 'reconcile.lock'))).toBe(false);
  });
});
