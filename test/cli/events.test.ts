// `accessctl events` through the real binary against real sandboxes: Insights read from
// --insights-url (never the API URL) and paged by X-Search_after; --follow prints each event once
// across pages, outages and restarts; a closed pipe ends it quietly; bad flags are refused by name.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSIGHTS_URL, insightsOptionsFromEnv } from '../../src/insights/reader.js';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { accessctl, root, start, type Running } from '../e2e/binary.js';
import { allEvents, exampleSeed, startHarness, type Harness } from '../sandbox/harness.js';

const eventsRoute = 'POST /insights/directory/v1/events';

async function createGroups(url: string, key: string, names: string[]): Promise<void> {
  for (const name of names) {
    const response = await fetch(`${url}/api/v2/usergroups`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    if (response.status !== 201) throw new Error(`creating group ${name}: ${response.status} ${await response.text()}`);
  }
}

function idsOf(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

/** Resolves once `ready()` holds, re-checked whenever the command prints; rejects if it exits first. */
function until(running: Running, ready: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!ready()) return;
      running.child.stdout.off('data', check);
      running.child.stderr.off('data', check);
      resolve();
    };
    running.child.stdout.on('data', check);
    running.child.stderr.on('data', check);
    void running.exited.then(({ code }) => {
      if (!ready()) reject(new Error(`events exited with ${code} before ${what}:\n${running.stdout()}\n${running.stderr()}`));
    });
    check();
  });
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('accessctl events', () => {
  let h: Harness;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ JUMPCLOUD_API_KEY: h.sandbox.adminKey, ...extra });

  beforeAll(async () => {
    h = await startHarness({ hooks: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reads every event exactly once, page by page, following X-Search_after', async () => {
    await createGroups(
      h.sandbox.url,
      h.sandbox.adminKey,
      Array.from({ length: 11 }, (_, i) => `paging ${i}`),
    );
    const expected = (await allEvents(h)).map((e) => e.id);
    expect(expected.length).toBeGreaterThan(8);
    h.sandbox.hooks!.resetCounts();
    const run = await accessctl(['events', '--json', '--page-size', '4', '--insights-url', h.sandbox.url], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(idsOf(run.stdout)).toEqual(expected);
    // Full pages, then the short one that ends the log.
    expect(h.sandbox.hooks!.counts()[eventsRoute]).toBe(Math.floor(expected.length / 4) + 1);

    const text = await accessctl(['events', '--insights-url', h.sandbox.url], env());
    expect(text.stdout).toMatch(/^\S+Z {2}user_group_create {2}paging 0 {2}by admin@example\.com$/m);
  });

  it('reads Insights from --insights-url or JUMPCLOUD_INSIGHTS_URL, never from the API URL', async () => {
    const other = await startHarness({ hooks: true });
    try {
      await createGroups(other.sandbox.url, other.sandbox.adminKey, ['only on the insights host']);
      await createGroups(h.sandbox.url, h.sandbox.adminKey, ['only on the api host']);
      h.sandbox.hooks!.resetCounts();
      // Both sandboxes share the demo admin key, so either would answer; only the right one may be asked.
      const viaFlag = await accessctl(['events', '--insights-url', other.sandbox.url], env({ JUMPCLOUD_API_URL: h.sandbox.url }));
      const viaEnv = await accessctl(['events'], env({ JUMPCLOUD_API_URL: h.sandbox.url, JUMPCLOUD_INSIGHTS_URL: other.sandbox.url }));
      const flagWins = await accessctl(
        ['events', '--insights-url', other.sandbox.url],
        env({ JUMPCLOUD_API_URL: h.sandbox.url, JUMPCLOUD_INSIGHTS_URL: h.sandbox.url }),
      );
      for (const run of [viaFlag, viaEnv, flagWins]) {
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain('only on the insights host');
        expect(run.stdout).not.toContain('only on the api host');
      }
      expect(h.sandbox.hooks!.counts()[eventsRoute]).toBeUndefined();
      expect(other.sandbox.hooks!.counts()[eventsRoute]).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('treats an empty JUMPCLOUD_INSIGHTS_URL as unset: JumpCloud’s Insights host, not the API URL', () => {
    const options = insightsOptionsFromEnv({ JUMPCLOUD_API_KEY: 'k', JUMPCLOUD_INSIGHTS_URL: '', JUMPCLOUD_API_URL: 'http://127.0.0.1:9' });
    expect(options.baseUrl).toBe(DEFAULT_INSIGHTS_URL);
    expect(insightsOptionsFromEnv({ JUMPCLOUD_API_KEY: 'k', JUMPCLOUD_INSIGHTS_URL: 'http://127.0.0.1:9/' }).baseUrl).toBe('http://127.0.0.1:9');
  });

  it('refuses bad flags and URLs by name, without echoing a password', async () => {
    const url = h.sandbox.url;
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--interval', 'abc'], {}, /^accessctl: --interval must be a duration .*got "abc"\n$/],
      [['--interval', '5'], {}, /^accessctl: --interval must be a duration .*a unit is required/],
      [['--interval', '10ms'], {}, /^accessctl: --interval must be at least 100ms/],
      [['--page-size', '0'], {}, /option '--page-size <n>' argument '0' is invalid/],
      [['--page-size', '1001'], {}, /--page-size/],
      [['--target', url], {}, /^accessctl: events reads Directory Insights, which has its own host: use --insights-url/],
    ];
    const bad: [string[], Record<string, string>, RegExp][] = [
      [['--insights-url', 'ftp://127.0.0.1/'], {}, /^accessctl: --insights-url must be an http\(s\) URL/],
      [['--insights-url', 'not a url'], {}, /^accessctl: --insights-url must be an http\(s\) URL/],
      [['--insights-url', 'https://erin:hunter2@127.0.0.1:1'], {}, /^accessctl: --insights-url must not contain a user name or password/],
      [[], { JUMPCLOUD_INSIGHTS_URL: 'http://erin:hunter2@127.0.0.1:1' }, /^accessctl: JUMPCLOUD_INSIGHTS_URL must not contain a user name or password/],
      [[], { JUMPCLOUD_INSIGHTS_URL: 'hunter2://x' }, /^accessctl: JUMPCLOUD_INSIGHTS_URL must be an http\(s\) URL/],
    ];
    const runs = await Promise.all([
      ...cases.map(([args, extra]) => accessctl(['events', ...args, '--insights-url', url], env(extra))),
      ...bad.map(([args, extra]) => accessctl(['events', ...args], env(extra))),
    ]);
    [...cases, ...bad].forEach(([args, , message], i) => {
      const run = runs[i]!;
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toContain('hunter2');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('--follow prints every event once when several pages arrive while Insights is failing', async () => {
    const before = (await allEvents(h)).map((e) => e.id);
    const follower = start(['events', '--follow', '--json', '--page-size', '3', '--interval', '100ms', '--insights-url', h.sandbox.url], env());
    try {
      await until(follower, () => idsOf(follower.stdout()).length === before.length, 'the existing events');
      h.sandbox.hooks!.setFaults({ rules: [{ route: eventsRoute, errorRate: 1, status: 503 }] });
      await until(follower, () => follower.stderr().includes('retrying with back-off'), 'the outage notice');
      // Eight events, nearly three pages, land between two polls that succeed.
      await createGroups(
        h.sandbox.url,
        h.sandbox.adminKey,
        Array.from({ length: 8 }, (_, i) => `while down ${i}`),
      );
      h.sandbox.hooks!.setFaults({ rules: [] });
      await createGroups(h.sandbox.url, h.sandbox.adminKey, ['after the outage']);
      const expected = (await allEvents(h)).map((e) => e.id);
      await until(
        follower,
        () => idsOf(follower.stdout()).length >= expected.length && follower.stderr().includes('answers again'),
        'every event, and word that Insights is back',
      );
      expect(idsOf(follower.stdout())).toEqual(expected);
      expect(count(follower.stderr(), 'retrying with back-off')).toBe(1);
      expect(follower.stderr()).toContain('answered 503');
    } finally {
      h.sandbox.hooks!.setFaults({ rules: [] });
      follower.child.kill('SIGTERM');
    }
    expect((await follower.exited).code).toBe(0);
  });

  it('ends quietly when the reader of its output goes away (events | head -2)', async () => {
    await createGroups(h.sandbox.url, h.sandbox.adminKey, ['for head 1', 'for head 2', 'for head 3']);
    // The reading side says when head has gone and nothing holds the pipe open any more.
    const command =
      `{ "${process.execPath}" bin/accessctl.js events --follow --interval 100ms --insights-url ${h.sandbox.url}; echo "events exited $?" >&2; }` +
      ' | { head -2; exec 0<&-; echo "reader gone" >&2; }';
    const shell = spawn('sh', ['-c', command], { cwd: root, env: { PATH: process.env['PATH'], JUMPCLOUD_API_KEY: h.sandbox.adminKey } });
    let out = '';
    let err = '';
    const changed = new Set<() => void>();
    const when = (ready: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!ready()) return;
          changed.delete(check);
          resolve();
        };
        changed.add(check);
        check();
      });
    shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      for (const check of [...changed]) check();
    });
    const exited = new Promise<number | null>((resolve) => shell.on('close', (code) => resolve(code)));
    await when(() => err.includes('reader gone'));
    // The next event makes events write into a pipe nobody reads.
    await createGroups(h.sandbox.url, h.sandbox.adminKey, ['written into a closed pipe']);
    expect(await exited).toBe(0);
    expect(out.trimEnd().split('\n')).toHaveLength(2);
    expect(err).toBe('reader gone\nevents exited 0\n');
  });
});

describe('accessctl events --follow across a sandbox restart', () => {
  let dir: string;
  let sandbox: RunningSandbox;
  let lives = 0;
  // Each life of the sandbox starts its clock a day after the last, as a real restart moves on.
  const open = (port: number): Promise<RunningSandbox> =>
    startSandbox({
      dbPath: join(dir, 'sandbox.db'),
      port,
      seed: exampleSeed,
      clock: new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') + 86_400_000 * lives++ }),
      log: () => undefined,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'accessctl-events-'));
    sandbox = await open(0);
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says once that the platform went away, retries with back-off, and carries on from its cursor', async () => {
    await createGroups(sandbox.url, sandbox.adminKey, ['before the restart 1', 'before the restart 2']);
    const follower = start(['events', '--follow', '--json', '--page-size', '2', '--interval', '100ms', '--insights-url', sandbox.url], {
      JUMPCLOUD_API_KEY: sandbox.adminKey,
    });
    try {
      await until(follower, () => follower.stdout().includes('before the restart 2'), 'the first events');
      const port = sandbox.port;
      await sandbox.close();
      await until(follower, () => follower.stderr().includes('retrying with back-off'), 'the outage notice');
      sandbox = await open(port);
      await createGroups(sandbox.url, sandbox.adminKey, ['after the restart 1', 'after the restart 2', 'after the restart 3']);
      await until(follower, () => follower.stdout().includes('after the restart 3'), 'the events after the restart');
      const ids = idsOf(follower.stdout());
      expect(ids).toHaveLength(new Set(ids).size);
      const expected = (await (
        await fetch(`${sandbox.url}/insights/directory/v1/events`, {
          method: 'POST',
          headers: { 'x-api-key': sandbox.adminKey, 'content-type': 'application/json' },
          body: JSON.stringify({ service: ['all'], start_time: '1970-01-01T00:00:00Z' }),
        })
      ).json()) as { id: string }[];
      expect(ids).toEqual(expected.map((e) => e.id));
      expect(count(follower.stderr(), 'retrying with back-off')).toBe(1);
      expect(follower.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      follower.child.kill('SIGTERM');
    }
    expect((await follower.exited).code).toBe(0);
  });
});
