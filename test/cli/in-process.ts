// Runs the accessctl command line in this process, as bin/accessctl.js would (the same main()),
// capturing what it prints and its exit code: no build needed, and the sandbox the test started
// answers it over real HTTP. test/e2e/binary.ts is its out-of-process twin.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Runtime } from '../../src/cli/runtime.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** What the run left in process.exitCode: main returns its code and never sets it. */
  processExitCode: typeof process.exitCode;
}

export interface Running {
  /** What it has printed so far. */
  stdout: () => string;
  stderr: () => string;
  finished: Promise<Run>;
}

/**
 * Starts `accessctl ARGS...` and returns at once, for a test that acts while it runs (answers its
 * question, reads what it printed so far). `env` entries set to undefined are removed for the run;
 * all are put back after it. `runtime` replaces the process's own, such as one with a test terminal.
 */
export function startAccessctl(args: readonly string[], env: Record<string, string | undefined> = {}, runtime?: Runtime): Running {
  let stdout = '';
  let stderr = '';
  const saved = new Map<string, string | undefined>();
  const settings = { NO_COLOR: '1', JUMPCLOUD_API_URL: undefined, JUMPCLOUD_ORG_ID: undefined, ...env };
  for (const [name, value] of Object.entries(settings)) {
    saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  process.exitCode = undefined;
  const finished = (async (): Promise<Run> => {
    try {
      const code = await main(['node', 'accessctl', ...args], runtime);
      return { code, stdout, stderr, processExitCode: process.exitCode };
    } finally {
      out.mockRestore();
      err.mockRestore();
      process.exitCode = undefined;
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  })();
  return { stdout: () => stdout, stderr: () => stderr, finished };
}

/** Runs `accessctl ARGS...` to its end; see startAccessctl. */
export function accessctl(args: readonly string[], env: Record<string, string | undefined> = {}, runtime?: Runtime): Promise<Run> {
  return startAccessctl(args, env, runtime).finished;
}
