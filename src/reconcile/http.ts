// The reconciler's small HTTP server on --listen: /healthz (the process is up), /readyz (the
// caller's readiness rule) and /metrics (Prometheus text), open to all; and, when given, the
// read-only console (src/console) on every other path, behind its own access rule.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { consoleAccess, type ConsoleAccess } from '../console/access.js';
import { consoleApp, type ConsoleSource } from '../console/app.js';
import { AccessctlError } from '../errors.js';
import type { ReconcileMetrics } from './metrics.js';

export interface HealthServerOptions {
  /** host:port, such as 127.0.0.1:9464 or [::1]:9464; port 0 picks a free one. */
  listen: string;
  ready: () => boolean;
  metrics: ReconcileMetrics;
  /** The console and who may read it; without it, every other path is 404. */
  console?: ConsoleServing | undefined;
}

export interface ConsoleServing {
  source: ConsoleSource;
  access: ConsoleAccess;
}

/**
 * The console for a --listen address, or undefined without one. Off loopback without
 * ACCESSCTL_CONSOLE_TOKEN this throws the usage error, so call it before taking any lock.
 */
export function consoleServing<S extends ConsoleSource>(
  listen: string | undefined,
  env: NodeJS.ProcessEnv,
  source: () => S,
): { source: S; access: ConsoleAccess } | undefined {
  if (listen === undefined) return undefined;
  const access = consoleAccess(parseListen(listen).host, env);
  return { source: source(), access };
}

type Listener = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export interface HealthServer {
  /** The base URL actually listened on, such as http://127.0.0.1:9464. */
  url: string;
  close(): Promise<void>;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses a --listen value; a bad one is a usage error naming --listen. */
export function parseListen(value: string): ListenAddress {
  const bad = (why: string): AccessctlError =>
    new AccessctlError('usage', `--listen must be host:port such as 127.0.0.1:9464 (${why}), got ${JSON.stringify(value)}`, { subject: '--listen' });
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) throw bad('no host:port');
  const host = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined && isIP(host) !== 6) throw bad('not an IPv6 address');
  if (match[2] !== undefined && /^[\d.]+$/.test(host) && isIP(host) !== 4) throw bad('not an IPv4 address');
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port > 65535) throw bad('port out of range');
  return { host, port };
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { host, port } = parseListen(options.listen);
  const consoleListener = options.console ? (getRequestListener(consoleApp(options.console.source, options.console.access).fetch) as Listener) : undefined;
  const server = createServer((request, response) => {
    void answer(request, response, options, consoleListener).catch(() => {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const code = error.code === 'EADDRINUSE' ? 'conflict' : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' ? 'usage' : 'io';
      reject(new AccessctlError(code, `cannot listen on ${options.listen}: ${error.message}`, { subject: '--listen', cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new AccessctlError('internal', `the health server on ${options.listen} has no TCP address`);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, options: HealthServerOptions, consoleListener: Listener | undefined): Promise<void> {
  const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
  const route = pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics' ? pathname : undefined;
  if (route === undefined && consoleListener === undefined) return send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  // Everything here is read-only, the console included.
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  if (route === undefined) return consoleListener?.(request, response);
  if (route === '/healthz') return send(response, 200, 'text/plain; charset=utf-8', 'ok');
  if (route === '/readyz') {
    let ready = false;
    try {
      ready = options.ready();
    } catch {
      ready = false;
    }
    return send(response, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ready' : 'not ready');
  }
  const text = await options.metrics.text();
  return send(response, 200, options.metrics.contentType, text);
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.statusCode = status;
  response.setHeader('content-type', contentType);
  response.setHeader('cache-control', 'no-store');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
