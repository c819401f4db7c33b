// Runs the real binary (node bin/accessctl.js sandbox ...) as a child process for the CLI and
// durability tests, and reads the URL and admin key it prints, once its whole banner is out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface SandboxProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  adminKey: string;
  /** With --enable-test-hooks: the operator key the sandbox printed (before the admin key). */
  operatorKey: string | undefined;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnSandbox(args: string[]): Promise<SandboxProcess> {
  const child = spawn(process.execPath, ['bin/accessctl.js', 'sandbox', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = await new Promise<{ url: string; adminKey: string; operatorKey: string | undefined }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const key = /admin key: (\S+)/.exec(out)?.[1];
      // The banner's last line ("try: curl ...") arrives last: a test may read any line of it.
      if (url !== undefined && key !== undefined && /^try: .*\n/m.test(out)) resolve({ url, adminKey: key, operatorKey: /operator key: (\S+)/.exec(out)?.[1] });
    });
    void exited.then(({ code }) => reject(new Error(`sandbox exited with ${code} before it was ready:\n${out}\n${err}`)));
  });
  return { child, ...ready, stdout: () => out, stderr: () => err, exited };
}
