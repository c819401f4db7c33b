// The real binary: `accessctl sandbox --port 0` prints a URL and a key, serves the API, and
// stops cleanly on SIGINT and SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleAdminKey } from './harness.js';
import { spawnSandbox } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('accessctl sandbox', () => {
  it('prints the URL and the seed key, serves an empty flow list, and stops on SIGTERM', async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, 'term.db'), '--seed', 'examples/directory.yaml']);
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.adminKey).toBe(exampleAdminKey);
    const response = await fetch(`${sandbox.url}/api/v2/approvalflows`, { headers: { 'x-api-key': sandbox.adminKey } });
    expect(await response.json()).toEqual({ results: [], totalCount: 0 });
    sandbox.child.kill('SIGTERM');
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
    expect(sandbox.stdout()).toContain('received SIGTERM, stopping');
  });

  it("prints a first request that works, naming an organization with x-org-id when the key manages several (an MSP's)", async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, 'msp.db'), '--seed', 'examples/fleet/seed.yaml']);
    try {
      const hint = /^try: curl (.*) (http\S+)/m.exec(sandbox.stdout());
      expect(hint).not.toBeNull();
      const headers = Object.fromEntries([...(hint?.[1] ?? '').matchAll(/-H "([^:]+): ([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));
      expect(Object.keys(headers)).toEqual(['x-api-key', 'x-org-id']);
      expect(sandbox.stdout()).toMatch(/# the key manages \d+ organizations: x-org-id picks one/);
      expect((await fetch(hint?.[2] ?? '', { headers })).status).toBe(200);
    } finally {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
  });

  it('mints and prints a key when started without a seed, and stops on SIGINT', async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, 'int.db')]);
    expect(sandbox.stdout()).toContain('(new for this run; shown once)');
    const response = await fetch(`${sandbox.url}/api/v2/approvalflowsettings`, { headers: { 'x-api-key': sandbox.adminKey } });
    expect(response.status).toBe(200);
    sandbox.child.kill('SIGINT');
    expect(await sandbox.exited).toEqual({ code: 0, signal: null });
  });

  it('prints an operator key with --enable-test-hooks, which alone opens the clock; an admin key is refused', async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, 'hooks.db'), '--seed', 'examples/directory.yaml', '--enable-test-hooks']);
    try {
      expect(sandbox.operatorKey).toMatch(/^sandbox_operator_\S+$/);
      expect(sandbox.stdout()).toContain(`operator key: ${sandbox.operatorKey ?? ''} (test hooks; new for this run)`);
      const clock = (key: string) => fetch(`${sandbox.url}/sandbox/v1/clock`, { headers: { 'x-api-key': key } });
      expect((await clock(sandbox.adminKey)).status).toBe(403);
      expect((await clock(sandbox.operatorKey ?? '')).status).toBe(200);
      const mail = await fetch(`${sandbox.url}/sandbox/v1/mail`, { headers: { 'x-api-key': sandbox.adminKey } });
      expect(mail.status).toBe(200);
    } finally {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
    // Without test hooks there is no operator key to print.
    const plain = await spawnSandbox(['--port', '0', '--db', join(dir, 'plain.db')]);
    plain.child.kill('SIGTERM');
    await plain.exited;
    expect(plain.operatorKey).toBeUndefined();
    expect(plain.stdout()).not.toContain('operator key');
  });

  it('serves only the published API with --profile strict', async () => {
    const sandbox = await spawnSandbox(['--port', '0', '--db', join(dir, 'strict.db'), '--seed', 'examples/directory.yaml', '--profile', 'strict']);
    try {
      expect(sandbox.stdout()).toContain('profile: strict');
      const headers = { 'x-api-key': sandbox.adminKey };
      expect(await (await fetch(`${sandbox.url}/api/v2/approvalflows`, { headers })).json()).toEqual({});
      const channels = await fetch(`${sandbox.url}/api/v2/notifications/webhook/channels`, { headers });
      expect(channels.status).toBe(404);
    } finally {
      sandbox.child.kill('SIGTERM');
      await sandbox.exited;
    }
  });

  it('exits 1 naming --profile for a profile it does not know', async () => {
    await expect(spawnSandbox(['--port', '0', '--db', join(dir, 'lax.db'), '--profile', 'lax'])).rejects.toThrow(
      /exited with 1 [\s\S]*--profile <profile>' argument 'lax' is invalid\. a profile is one of default, strict/,
    );
  });

  it('exits 1 with a message for an invalid seed file', async () => {
    await expect(spawnSandbox(['--port', '0', '--db', join(dir, 'bad.db'), '--seed', 'no-such-seed.yaml'])).rejects.toThrow(
      /exited with 1 [\s\S]*cannot read seed file no-such-seed\.yaml/,
    );
  });
});

describe('accessctl sandbox start-up failures', () => {
  it('exits 1 naming the port when it is already in use', async () => {
    const first = await spawnSandbox(['--port', '0', '--db', join(dir, 'busy-1.db')]);
    try {
      const port = new URL(first.url).port;
      await expect(spawnSandbox(['--port', port, '--db', join(dir, 'busy-2.db')])).rejects.toThrow(
        new RegExp(`exited with 1 [\\s\\S]*port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});
