// Runs the accessctl command line in this process, as bin/accessctl.js would (the same main()),
// capturing what it prints and its exit code: no build needed, and the sandbox the test started
// answers it over real HTTP.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` entries set to undefined are removed for the run; all are put back after it. */
export async function accessctl(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
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
  try {
    const code = await main(['node', 'accessctl', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
