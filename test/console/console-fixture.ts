// A reconciler with its console on 127.0.0.1, reconciling a copy of examples/access (in a git work
// tree, so changes carry a commit and an author) against a real in-process sandbox. The test starts
// each next run itself (the schedule's timer is captured), and waits on the run's outcome.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { ConsoleModel } from '../../src/console/model.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { runReconciler } from '../../src/reconcile/loop.js';
import type { RunOutcome } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { hookChannelFile } from '../config/config-workspace.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const screenshotsDir = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** Planted secrets a channel reads: no page may show them (nor the API key the reconciler runs with). */
export const planted = {
  HOOK_TOKEN: 'planted-hook-token-83b1c0',
  HOOK_AUTH: 'Bearer planted-hook-auth-4d2e91',
  HOOK_SIGNING_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
};

export const MARKUP_FLOW = '<script>window.pwned=1</script> Flow';
export const MARKUP_DESCRIPTION = '<img src=x onerror="window.pwned=2"> described';

const markupFlow = [
  'apiVersion: accessctl/v1',
  'kind: ApprovalFlow',
  'metadata:',
  `  name: ${JSON.stringify(MARKUP_FLOW)}`,
  'spec:',
  `  description: ${JSON.stringify(MARKUP_DESCRIPTION)}`,
  '  category: application',
  '  grantGroup: GitHub Users',
  '  visibleTo: [Engineering User]',
  '  approval:',
  '    type: automatic',
  '  access:',
  '    duration: P1D',
  '',
].join('\n');

const gitEnv = { GIT_AUTHOR_NAME: 'Ada Admin', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada Admin', GIT_COMMITTER_EMAIL: 'ada@example.com' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { PATH: process.env['PATH'], HOME: cwd, ...gitEnv }, encoding: 'utf8' }).trim();
}

export interface ConsoleFixture {
  harness: Harness;
  model: ConsoleModel;
  /** The console's base URL, such as http://127.0.0.1:41234. */
  url: string;
  configDir: string;
  commit: string;
  /** Starts the next run and resolves with its outcome. */
  nextRun(): Promise<RunOutcome>;
  /** The first run's outcome. */
  first: RunOutcome;
  close(): Promise<void>;
}

export async function startConsoleFixture(): Promise<ConsoleFixture> {
  const harness = await startHarness({ hooks: true });
  const work = await mkdtemp(join(tmpdir(), 'accessctl-console-'));
  const configDir = join(work, 'config');
  await cp(examples, configDir, { recursive: true });
  await mkdir(join(configDir, 'channels'));
  await writeFile(join(configDir, 'channels', 'hook.yaml'), hookChannelFile);
  await writeFile(join(configDir, 'flows', 'markup.yaml'), markupFlow);
  git(configDir, 'init', '-q', '-b', 'main');
  git(configDir, 'add', '.');
  git(configDir, 'commit', '-q', '-m', 'access config');
  const commit = git(configDir, 'rev-parse', 'HEAD');
  // The sandbox's admin key is the planted one: the reconciler runs with it, and no page may show it.
  const apiKey = harness.sandbox.adminKey;
  const client = new JumpCloudClient({ baseUrl: harness.sandbox.url, apiKey });
  const env = { ...planted, JUMPCLOUD_API_KEY: apiKey };
  const model = new ConsoleModel(env);
  const controller = new AbortController();
  let fire: (() => void) | undefined;
  let waiting: ((outcome: RunOutcome) => void) | undefined;
  let listening: (url: string) => void = () => {};
  const listened = new Promise<string>((resolve) => (listening = resolve));
  const outcome = (): Promise<RunOutcome> => new Promise((resolve) => (waiting = resolve));
  let firstOutcome = outcome();
  const running = runReconciler({
    source: { kind: 'dir', dir: configDir },
    stateDir: join(work, 'state'),
    intervalMs: 3_600_000,
    once: false,
    listen: '127.0.0.1:0',
    eventSpecs: [],
    env,
    clients: TargetBinding.fixed(client),
    log: pino({ level: 'silent' }),
    allowHistoryRewrite: false,
    lockMode: 'fail',
    signal: controller.signal,
    console: model,
    setTimer: (callback) => {
      fire = callback;
      return () => {
        fire = undefined;
      };
    },
    onListening: (url) => listening(url),
    onOutcome: (result) => waiting?.(result),
  });
  const url = await listened;
  const first = await firstOutcome;
  firstOutcome = Promise.resolve(first);
  return {
    harness,
    model,
    url,
    configDir,
    commit,
    first,
    nextRun: () => {
      const next = outcome();
      if (fire === undefined) throw new Error('the reconciler is not waiting for its next run');
      fire();
      return next;
    },
    close: async () => {
      controller.abort();
      await running;
      await client.close();
      await harness.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Takes a screenshot of the page (always) and checks it is a PNG with content; it is written to
 * docs/screenshots/ only with ACCESSCTL_UPDATE_SCREENSHOTS=1, so ordinary runs leave the tree as it was.
 */
export async function screenshot(page: Page, name: string, tempDir: string): Promise<void> {
  const dir = process.env['ACCESSCTL_UPDATE_SCREENSHOTS'] === '1' ? screenshotsDir : tempDir;
  await mkdir(dir, { recursive: true });
  const png = await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(png.length).toBeGreaterThan(5_000);
}
