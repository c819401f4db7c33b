// Runs the real accessctl binary for the end-to-end tests, without blocking the event loop (so an
// in-process sandbox can answer it), with a minimal environment and no colour. The binary loads
// dist/, which vitest's global setup (build-dist.ts) has built from src/ as it is now.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'accessctl.js');

function environment(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], NO_COLOR: '1', ...env };
}

export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (60 s at most, as a hang guard), in `cwd` (the repo unless given). */
export function accessctl(args: string[], env: Record<string, string | undefined>, cwd: string = root): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: environment(env), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

export interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a long-running command (reconcile, up) and collects what it prints. */
export function start(args: string[], env: Record<string, string | undefined>): Running {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: environment(env) });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}
