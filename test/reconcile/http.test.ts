// The health server over real loopback HTTP: /healthz, /readyz following the caller's rule,
// /metrics as Prometheus text, 404 for anything else, and usage errors for a bad --listen.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { parseListen, startHealthServer, type HealthServer } from '../../src/reconcile/http.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';

let server: HealthServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startHealthServer', () => {
  it('answers /healthz with 200 ok', async () => {
    server = await startHealthServer({ listen: '127.0.0.1:0', ready: () => false, metrics: new ReconcileMetrics() });

    const response = await fetch(`${server.url}/healthz`);

    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it('answers /readyz with 200 or 503 as the readiness rule says, asking it on every request', async () => {
    let ready = false;
    server = await startHealthServer({ listen: '127.0.0.1:0', ready: () => ready, metrics: new ReconcileMetrics() });

    const before = await fetch(`${server.url}/readyz`);
    ready = true;
    const after = await fetch(`${server.url}/readyz`);

    expect(before.status).toBe(503);
    expect(after.status).toBe(200);
  });

  it('answers /readyz with 503 when the readiness rule throws', async () => {
    server = await startHealthServer({
      listen: '127.0.0.1:0',
      ready: () => {
        throw new Error('no run yet');
      },
      metrics: new ReconcileMetrics(),
    });

    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  });

  it('serves /metrics as Prometheus text with its content type', async () => {
    const metrics = new ReconcileMetrics();
    metrics.recordRun('success', 0.5, new Date('2026-01-01T00:00:00Z'));
    server = await startHealthServer({ listen: '127.0.0.1:0', ready: () => true, metrics });

    const response = await fetch(`${server.url}/metrics`);
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE accessctl_runs_total counter');
    expect(body).toContain('accessctl_runs_total{result="success"} 1');
  });

  it('answers 404 for any other path and 405 for a method other than GET or HEAD', async () => {
    server = await startHealthServer({ listen: '127.0.0.1:0', ready: () => true, metrics: new ReconcileMetrics() });

    expect((await fetch(`${server.url}/`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz/extra`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${server.url}/healthz`, { method: 'HEAD' })).status).toBe(200);
  });

  it('reports a port already in use as a conflict on --listen', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const failure = await startHealthServer({ listen: `127.0.0.1:${port}`, ready: () => true, metrics: new ReconcileMetrics() }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(AccessctlError);
      expect(failure).toMatchObject({ code: 'conflict', subject: '--listen' });
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('rejects a bad --listen value with a usage error before listening', async () => {
    for (const listen of ['9464', ':9464', 'localhost', '127.0.0.1:', '127.0.0.1:99999', '999.0.0.1:9464', '[::zz]:80', 'http://127.0.0.1:9464']) {
      await expect(startHealthServer({ listen, ready: () => true, metrics: new ReconcileMetrics() }), listen).rejects.toMatchObject({
        code: 'usage',
        subject: '--listen',
      });
    }
  });
});

describe('parseListen', () => {
  it('reads IPv4, host names and bracketed IPv6', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
  });
});
