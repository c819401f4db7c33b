// `accessctl sandbox` prints the console's address, and the console is served in both profiles
// while strict still serves only the published API (the real binary from dist/: npm run build first).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSandbox, type SandboxProcess } from '../process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-console-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once the process has printed `text` (the lines after the admin key may come in a later chunk). */
function printed(sandbox: SandboxProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (sandbox.stdout().includes(text)) resolve();
    };
    sandbox.child.stdout.on('data', check);
    check();
  });
}

describe.each(['default', 'strict'])('accessctl sandbox --profile %s', (profile) => {
  it('prints the console URL and serves the console there', async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, `${profile}.db`), '--seed', 'examples/directory.yaml', '--profile', profile]);
    try {
      // The start-up message's last line: everything before it has been printed by then.
      await printed(sandbox, 'try: curl');
      expect(sandbox.stdout()).toContain(`sandbox console: ${sandbox.url}/console/ (sign in as any seeded user or administrator; a sandbox, so no password)`);
      const page = await fetch(`${sandbox.url}/console/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('This is a sandbox: there are no passwords.');
      const channels = await fetch(`${sandbox.url}/api/v2/notifications/webhook/channels`, { headers: { 'x-api-key': sandbox.adminKey } });
      expect(channels.status).toBe(profile === 'strict' ? 404 : 200);
    } finally {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
  });
});
