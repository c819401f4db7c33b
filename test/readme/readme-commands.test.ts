// Runs the README as a new user would: every fenced shell block, in order, in a copy of the repo,
// against sandboxes this test starts on free ports, comparing each block's shown output.
// Blocks marked `<!-- readme-test: skip (REASON) -->` are not run; each prints its reason.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareOutput, parseReadme, servedPort, type ReadmeBlock } from './readme-blocks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = parseReadme(readme);

/** What a served block must print before the blocks after it run; a hang guard, not a wait. */
const serveDeadlineMs = 20_000;

/** Files of the repo the README's commands read; node_modules is linked, not copied. */
const copied = ['bin', 'dist', 'examples', 'schemas', 'contracts', 'package.json'];

interface Served {
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

let copy = '';
let envFile = '';
/** README port -> the sandbox this test started for it. */
const served = new Map<number, Served>();
/** Every process a served block started, stopped at the end whether or not it became ready. */
const started: Pick<Served, 'child' | 'exited'>[] = [];
/** Original text of the copy's example files that name a README port, rewritten whenever a port is served. */
const portFiles = new Map<string, string>();

function portRewrite(text: string): string {
  let out = text;
  for (const [readmePort, s] of served)
    out = out.replaceAll(`127.0.0.1:${readmePort}`, `127.0.0.1:${s.port}`).replaceAll(`localhost:${readmePort}`, `127.0.0.1:${s.port}`);
  return out;
}

/** Points the copy's examples (the fleet file names http://127.0.0.1:8080) at the sandboxes served now. */
function rewritePortFiles(): void {
  for (const [path, original] of portFiles) writeFileSync(path, portRewrite(original));
}

/**
 * The shell every block runs in: the environment earlier blocks exported, `npx accessctl` as the
 * built binary. A block run to its end saves what it exported for the next; a served block never
 * does (it ends when stopped, while later blocks run).
 */
function script(commands: string, saveEnv: boolean): string {
  return [
    'set -eo pipefail',
    `source ${JSON.stringify(envFile)}`,
    // npx would find the same bin/accessctl.js; calling node directly spares its start-up per command.
    `npx() { if [ "$1" = accessctl ]; then shift; node ${JSON.stringify(join(copy, 'bin', 'accessctl.js'))} "$@"; else command npx "$@"; fi; }`,
    `cd ${JSON.stringify(copy)}`,
    'exec 2>&1',
    commands,
    ...(saveEnv ? [`export -p > ${JSON.stringify(envFile)}`] : []),
  ].join('\n');
}

/** A fresh user's shell: no JumpCloud or SIEM variables, no colour. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: join(copy, '.home'), NO_COLOR: '1', TERM: 'dumb' };
}

function runBlock(commands: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script(commands, true)], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function stop(s: Pick<Served, 'child' | 'exited'>): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined) process.kill(-s.child.pid, 'SIGINT');
  await s.exited;
}

/** Starts a block that serves until stopped, on a free port, and waits until it printed what the README shows. */
async function serve(block: ReadmeBlock, readmePort: number): Promise<Served> {
  const previous = served.get(readmePort);
  if (previous !== undefined) {
    // The README asks to stop what held the port before; so does the test.
    await stop(previous);
    served.delete(readmePort);
  }
  const command = block.commands
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .join(' ');
  const onFreePort = /--port \d+/.test(command) ? command.replace(/--port \d+/, '--port 0') : command === 'npm start' ? 'npm start -- --port 0' : undefined;
  if (onFreePort === undefined) throw new Error(`README line ${block.line}: a served block takes --port N, or is npm start`);
  const child = spawn('bash', ['-c', script(portRewrite(onFreePort), false)], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`README line ${block.line}: not ready within ${serveDeadlineMs} ms:\n${output}`)), serveDeadlineMs);
    const check = (): void => {
      const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port === undefined) return;
      if (block.output !== undefined && !compareOutput(block.output.text, output, { prefix: true }).ok) return;
      clearTimeout(timer);
      resolve(Number(port));
    };
    const add = (chunk: Buffer): void => {
      output += chunk.toString();
      check();
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`README line ${block.line}: exited before it was ready:\n${output}`));
    });
  });
  started.push({ child, exited });
  const s: Served = { port: await ready, child, output: () => output, exited };
  served.set(readmePort, s);
  rewritePortFiles();
  return s;
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run npm run build first');
  }
  copy = mkdtempSync(join(tmpdir(), 'accessctl-readme-'));
  for (const entry of copied) if (existsSync(join(root, entry))) cpSync(join(root, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  mkdirSync(join(copy, '.home'), { recursive: true });
  envFile = join(copy, '.readme-env.sh');
  writeFileSync(envFile, '');
  for (const path of [join(copy, 'examples', 'fleet', 'fleet.yaml')]) portFiles.set(path, readFileSync(path, 'utf8'));
});

afterAll(async () => {
  await Promise.all(started.map(stop));
  if (copy !== '') rmSync(copy, { recursive: true, force: true });
});

describe('README.md, run as printed', () => {
  it('has shell blocks to run', () => {
    expect(blocks.filter((b) => b.marker?.kind !== 'skip').length).toBeGreaterThan(5);
  });

  for (const block of blocks) {
    const first = block.commands.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
    const title = `line ${block.line}: ${first.length > 90 ? `${first.slice(0, 89)}…` : first}`;
    if (block.marker?.kind === 'skip') {
      const reason = block.marker.reason;
      it(`${title} (not run: ${reason})`, () => {
        console.log(`README line ${block.line} not run: ${reason}`);
        expect(reason.length, 'a skipped block says why').toBeGreaterThan(10);
        for (const file of reason.match(/test\/\S+\.test\.ts/g) ?? [])
          expect(existsSync(join(root, file)), `${file}, named by the skip reason, exists`).toBe(true);
      });
      continue;
    }
    if (block.marker?.kind === 'serve') {
      const readmePort = servedPort(block);
      it(`${title} (served until stopped, on a free port for 127.0.0.1:${readmePort})`, async () => {
        const s = await serve(block, readmePort);
        expect(s.port).toBeGreaterThan(0);
      });
      continue;
    }
    it(title, async () => {
      const { code, output } = await runBlock(portRewrite(block.commands));
      expect(code, `README line ${block.line} failed:\n${output}`).toBe(0);
      if (block.output !== undefined) {
        const result = compareOutput(block.output.text, output, { prefix: false });
        expect(result.ok, `README line ${block.output.line} shows output that differs from what the commands print:\n${result.diff}`).toBe(true);
      }
    });
  }
});
