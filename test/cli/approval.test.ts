// `apply` asks before it changes anything: the question is answered on an injected terminal (a
// stream the test writes to), and the sandbox's request counter shows what reached the platform.
// Without a terminal the real binary refuses unless --auto-approve, sending nothing at all.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalQuestion, type Terminal } from '../../src/cli/approval.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { accessctl } from '../e2e/binary.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl as inProcess, startAccessctl, type Run, type Running } from './in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

interface Asked {
  terminal: Terminal;
  /** What was written to the terminal: the question, if it was asked. */
  shown: () => string;
}

/** An interactive terminal whose input is `input` (ended by the caller, or at once for a fixed answer). */
function terminal(input: Readable, interactive = true): Asked {
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  return { terminal: { interactive, input, output }, shown: () => shown };
}

const answering = (text: string): Asked => terminal(Readable.from(text === '' ? [] : [text]));

describe('apply asks before changing anything', () => {
  let h: Harness;
  let dir: string;
  let env: Record<string, string>;

  /** Starts apply in this process, as bin/accessctl.js runs it, against the sandbox, asking on `asked`. */
  const startApply = (args: string[], asked: Asked): Running =>
    startAccessctl(['apply', ...args, '--target', h.sandbox.url], env, createRuntime(asked.terminal));
  const apply = (args: string[], asked: Asked): Promise<Run> => startApply(args, asked).finished;

  /** The API requests other than GET that reached the sandbox since the counter was cleared. */
  async function writes(): Promise<string[]> {
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    return Object.keys(counts).filter((route) => !route.startsWith('GET ') && !route.includes(' /sandbox/'));
  }

  const flowNames = async (): Promise<string[]> =>
    (await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows')).body.results.map((f) => f.name).sort();

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-approval-'));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the plan, asks, sends no write before the answer, and applies on "yes"', async () => {
    const input = new PassThrough();
    const asked = terminal(input);
    await h.hook('DELETE', '/sandbox/v1/requests');
    const running = startApply([examples], asked);
    // Answer only once the question is on the terminal; until then only reads may have been sent.
    await new Promise<void>((resolve) => asked.terminal.output.on('data', () => asked.shown().includes(approvalQuestion) && resolve()));
    expect(running.stdout()).toContain('Plan: 2 to create, 1 to update');
    expect(await writes()).toEqual([]);
    input.end('yes\n');
    const run = await running.finished;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 skipped\./);
    expect(await flowNames()).toEqual(['GitHub Admin', 'GitHub User']);
  });

  it.each([
    ['"no"', 'no\n'],
    ['"y"', 'y\n'],
    ['"yes please"', 'yes please\n'],
    ['the end of the input', ''],
  ])('cancels on %s: exit 1, says nothing was changed, and sends no write', async (_name, answer) => {
    const asked = answering(answer);
    await h.hook('DELETE', '/sandbox/v1/requests');
    const run = await apply([examples], asked);
    expect(run.code).toBe(1);
    expect(asked.shown()).toContain(approvalQuestion);
    expect(run.stdout).toContain('Plan: 2 to create, 1 to update');
    expect(run.stdout).not.toContain('Apply:');
    // Said before the question: no state directory to lock here (apply-lock.test.ts covers that line).
    expect(run.stderr).toMatch(
      /^accessctl: no state directory to lock \(.+\): applying without a lock; .+\naccessctl: apply cancelled: only 'yes' is accepted; nothing was changed\n$/,
    );
    expect(await writes()).toEqual([]);
    expect(await flowNames()).toEqual([]);
  });

  it('does not ask with --auto-approve', async () => {
    const asked = answering('');
    const run = await apply([examples, '--auto-approve'], asked);
    expect(run.code, run.stderr).toBe(0);
    expect(asked.shown()).toBe('');
    expect(await flowNames()).toEqual(['GitHub Admin', 'GitHub User']);
  });

  it('does not ask for a saved plan, which was reviewed when it was made', async () => {
    const saved = join(dir, 'plan.json');
    const plan = await inProcess(['plan', examples, '--out', saved, '--target', h.sandbox.url], env);
    expect(plan.code, plan.stderr).toBe(0);
    const asked = answering('');
    const run = await apply([saved], asked);
    expect(run.code, run.stderr).toBe(0);
    expect(asked.shown()).toBe('');
    expect(run.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 skipped\./);
    expect(await flowNames()).toEqual(['GitHub Admin', 'GitHub User']);
  });

  it('does not ask with --dry-run, and says it was a dry run', async () => {
    const asked = answering('yes\n');
    await h.hook('DELETE', '/sandbox/v1/requests');
    const run = await apply([examples, '--dry-run'], asked);
    expect(run.code, run.stderr).toBe(0);
    expect(asked.shown()).toBe('');
    expect(run.stdout).toMatch(/Plan: 2 to create, 1 to update.*\n[\s\S]*Dry run: nothing was applied\.\n$/);
    expect(await writes()).toEqual([]);
  });

  it('does not ask when there is nothing to change', async () => {
    const first = await apply([examples, '--auto-approve'], answering(''));
    expect(first.code, first.stderr).toBe(0);
    const asked = answering('');
    const run = await apply([examples], asked);
    expect(run.code, run.stderr).toBe(0);
    expect(asked.shown()).toBe('');
    expect(run.stdout).toContain('No changes');
  });

  it('refuses, before reading anything, to plan and apply without a terminal unless --auto-approve', async () => {
    const asked = terminal(Readable.from(['yes\n']), false);
    await h.hook('DELETE', '/sandbox/v1/requests');
    const run = await apply([examples], asked);
    expect(run.code).toBe(1);
    expect(asked.shown()).toBe('');
    expect(run.stderr).toContain('--auto-approve');
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(Object.keys(counts).filter((route) => !route.includes(' /sandbox/'))).toEqual([]);
  });
});

describe('the real binary, whose stdin is a pipe and not a terminal', () => {
  let h: Harness;
  let env: Record<string, string>;

  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a fresh apply without --auto-approve, naming the flag, sending nothing', async () => {
    await h.hook('DELETE', '/sandbox/v1/requests');
    const run = await accessctl(['apply', 'examples/access'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'accessctl: apply asks before changing anything, and there is no terminal to answer on; pass --auto-approve to apply without asking, or --dry-run to only print the plan\n',
    );
    const counts = (await h.hook<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(Object.keys(counts).filter((route) => !route.includes(' /sandbox/'))).toEqual([]);
  });

  it('applies with --auto-approve', async () => {
    const run = await accessctl(['apply', 'examples/access', '--auto-approve'], env);
    expect(run.stderr).toMatch(/^accessctl: no state directory to lock \(.+\): applying without a lock; pass --state-dir to share a reconciler's lock\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 skipped\./);
  });
});
