// accessctl as a real child process (src/ through tsx), for the tests that need real signals: what it
// prints on stderr as it runs, a wait for a given line, and its exit code (null when a signal ended it).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_MAIN = `const { main } = await import(process.argv[1]); process.exitCode = await main([process.argv[0], 'accessctl', ...process.argv.slice(2)]);`;

export interface RunningProcess {
  exited: Promise<{ code: number | null; stderr: string }>;
  /** What stderr has printed so far. */
  stderr: () => string;
  /** Resolves once stderr has printed `text`; rejects if the process exits without printing it. */
  printed: (text: string) => Promise<void>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Starts `accessctl ARGS...` in the repo root, with a bare environment (a dummy API key, no colour). */
export function accessctlProcess(args: readonly string[]): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', RUN_MAIN, MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], NO_COLOR: '1', JUMPCLOUD_API_KEY: 'k' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const waiter of waiters.filter((w) => stderr.includes(w.text))) waiter.resolve();
  });
  const exited = once(child, 'close').then(([code]) => ({ code: code as number | null, stderr }));
  return {
    exited,
    stderr: () => stderr,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited without printing ${JSON.stringify(text)}:\n${stderr}`)));
      }),
    kill: (signal) => child.kill(signal),
  };
}
