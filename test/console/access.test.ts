// Who may read the console, over real HTTP on 127.0.0.1: a token, when one is set, on every page
// but /healthz, /readyz and /metrics (wrong or missing: 401); a loopback Host otherwise; nothing but
// GET and HEAD; and no start off loopback without ACCESSCTL_CONSOLE_TOKEN, from the loop or the CLI.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { accessctl } from '../cli/in-process.js';
import { bearerMatches, consoleAccess } from '../../src/console/access.js';
import { isLoopbackHost } from '../../src/protocols/loopback.js';
import { ConsoleModel } from '../../src/console/model.js';
import { AccessctlError } from '../../src/errors.js';
import { startHealthServer, type HealthServer } from '../../src/reconcile/http.js';
import { runReconciler } from '../../src/reconcile/loop.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';

const TOKEN = 'console-token-for-tests-8c1f4a';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serve(env: NodeJS.ProcessEnv): Promise<HealthServer> {
  const server = await startHealthServer({
    listen: '127.0.0.1:0',
    ready: () => true,
    metrics: new ReconcileMetrics(),
    console: { source: new ConsoleModel(env), access: consoleAccess('127.0.0.1', env) },
  });
  cleanup.push(() => server.close());
  return server;
}

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console access rule', () => {
  it('takes 127.0.0.0/8, ::1 and localhost as loopback, and not the addresses of every interface', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '[::]', '10.0.0.5', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses a non-loopback --listen without ACCESSCTL_CONSOLE_TOKEN, naming the variable and the flag', () => {
    const refused = (() => {
      try {
        consoleAccess('0.0.0.0', {});
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(AccessctlError);
    expect(refused).toMatchObject({ code: 'usage', subject: '--listen' });
    expect((refused as Error).message).toContain('ACCESSCTL_CONSOLE_TOKEN');
    expect((refused as Error).message).toContain('--listen');
    expect(() => consoleAccess('0.0.0.0', { ACCESSCTL_CONSOLE_TOKEN: '  ' })).toThrow(/ACCESSCTL_CONSOLE_TOKEN/);
    expect(consoleAccess('0.0.0.0', { ACCESSCTL_CONSOLE_TOKEN: TOKEN })).toEqual({ token: TOKEN, loopbackOnly: false });
    expect(consoleAccess('127.0.0.1', {})).toEqual({ token: undefined, loopbackOnly: true });
  });

  it('matches only the exact bearer token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});

describe('the console server', () => {
  it('asks for the token on every console page (401 without it or with a wrong one) and keeps /healthz, /readyz and /metrics open', async () => {
    const server = await serve({ ACCESSCTL_CONSOLE_TOKEN: TOKEN });
    for (const path of ['/objects', '/runs', '/runs/1', '/objects/ApprovalFlow/x', '/runs/events', '/nowhere']) {
      const none = await fetch(`${server.url}${path}`);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="accessctl console"');
      expect(await none.text()).not.toContain(TOKEN);
      expect((await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer wrong-token' } })).status, path).toBe(401);
    }
    const page = await fetch(`${server.url}/objects`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('No run yet');
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
  });

  it('is read-only: anything but GET and HEAD is 405, on every path', async () => {
    const server = await serve({});
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/objects', '/runs', '/runs/events', '/metrics']) {
        const response = await fetch(`${server.url}${path}`, { method });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
      }
    }
    expect((await fetch(`${server.url}/objects`, { method: 'HEAD' })).status).toBe(200);
  });

  it('on loopback without a token, answers only requests for a loopback host (a rebound DNS name reads nothing)', async () => {
    const server = await serve({});
    expect(await getWithHost(`${server.url}/objects`, 'attacker.example:80')).toBe(403);
    expect(await getWithHost(`${server.url}/objects`, new URL(server.url).host)).toBe(200);
    expect(await getWithHost(`${server.url}/objects`, 'localhost:9464')).toBe(200);
    expect(await getWithHost(`${server.url}/healthz`, 'attacker.example:80')).toBe(200);
  });

  it('sends a content security policy with a fresh nonce per page, and no cache', async () => {
    const server = await serve({});
    const first = await fetch(`${server.url}/runs`);
    const second = await fetch(`${server.url}/runs`);
    const policy = first.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/default-src 'none'; style-src 'nonce-[^']+'; script-src 'nonce-[^']+'/);
    expect(second.headers.get('content-security-policy')).not.toBe(policy);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('starting off loopback', () => {
  it('the reconciler refuses to start without ACCESSCTL_CONSOLE_TOKEN, before it takes the lock', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'accessctl-console-state-'));
    cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
    const refused = await runReconciler({
      source: { kind: 'dir', dir: stateDir },
      stateDir,
      intervalMs: 60_000,
      once: false,
      listen: '0.0.0.0:0',
      eventSpecs: [],
      env: { JUMPCLOUD_API_KEY: 'a-key' },
      clients: TargetBinding.resolving({ env: { JUMPCLOUD_API_KEY: 'a-key' } }),
      log: pino({ level: 'silent' }),
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal: new AbortController().signal,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'usage', subject: '--listen' });
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('`accessctl reconcile --listen 0.0.0.0:PORT` exits non-zero with a usage message naming ACCESSCTL_CONSOLE_TOKEN and --listen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-console-cli-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const run = await accessctl(['reconcile', dir, '--listen', '0.0.0.0:9464', '--state-dir', join(dir, 'state')], {
      ACCESSCTL_CONSOLE_TOKEN: undefined,
      JUMPCLOUD_API_KEY: 'a-key',
    });
    expect(run.code).not.toBe(0);
    const text = run.stderr;
    expect(text).toMatch(/^accessctl: --listen 0\.0\.0\.0 is not a loopback address.*ACCESSCTL_CONSOLE_TOKEN/);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
