// A reverse proxy for tests that holds every request to JumpCloud's published contract on its way to
// an upstream (a sandbox): it records each violation, forwards the exchange unchanged with undici and,
// in strict mode, answers what the contract does not have with 404 as the real platform would.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { jumpcloudContract, templatePattern } from './contract.js';

export interface Violation {
  method: string;
  /** The path as sent, without the query (an x-api-key in it is shown as <x-api-key>). */
  path: string;
  /** The contract's path template, when the path is an operation of it. */
  operation: string | undefined;
  /** What broke the contract: the parameter or body location and property, never a value sent. */
  reason: string;
}

export interface ExtraPath {
  method: string;
  /** A path template such as /api/v2/notifications/webhook/channels/{id}. */
  path: string;
}

export interface ContractProxyOptions {
  /** Where requests go, such as http://127.0.0.1:PORT of a sandbox. */
  upstream: string;
  /** Answer an undocumented method and path with 404 instead of forwarding it. */
  strict: boolean;
  /** Method and path templates the platform has beyond the contract; forwarded in both modes. */
  extraPaths?: ExtraPath[];
}

export interface ProxiedRequest {
  method: string;
  /** The path as sent, without the query (an x-api-key in it is shown as <x-api-key>). */
  path: string;
  status: number;
}

export interface ContractProxy {
  url: string;
  violations(): Violation[];
  requests(): ProxiedRequest[];
  close(): Promise<void>;
}

/** The routes the sandbox defines where JumpCloud has published no shape (see docs of the sandbox API). */
export const sandboxExtensions: readonly ExtraPath[] = [
  { method: 'GET', path: '/api/v2/notifications/webhook/channels' },
  { method: 'POST', path: '/api/v2/notifications/webhook/channels' },
  { method: 'GET', path: '/api/v2/notifications/webhook/channels/{id}' },
  { method: 'PUT', path: '/api/v2/notifications/webhook/channels/{id}' },
  { method: 'DELETE', path: '/api/v2/notifications/webhook/channels/{id}' },
  { method: 'POST', path: '/api/v2/approvalflowrequest' },
  { method: 'POST', path: '/insights/directory/v1/events' },
];

export const MAX_BODY_BYTES = 1024 * 1024;

/** Headers that describe one connection, not the message: never copied across the proxy. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || name === 'host' || name === 'content-length' || name === 'expect') continue;
    out[name] = value;
  }
  return out;
}

/** Reads the whole body, or drains it and gives undefined once it passes the bound (memory stays bounded). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startContractProxy(options: ContractProxyOptions): Promise<ContractProxy> {
  const contract = jumpcloudContract();
  const upstream = new URL(options.upstream);
  const base = upstream.origin + upstream.pathname.replace(/\/+$/, '');
  const extras = (options.extraPaths ?? []).map((extra) => ({ method: extra.method.toUpperCase(), pattern: templatePattern(extra.path).pattern }));
  const violations: Violation[] = [];
  const requests: ProxiedRequest[] = [];
  const agent = new Agent({ keepAliveTimeout: 1_000 });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://proxy.invalid');
    const path = target.pathname;

    // Reasons name what was sent where (property and parameter names, the path); a client that put
    // its key into one of those must still not see it in a test report.
    const key = req.headers['x-api-key'];
    const keys = (Array.isArray(key) ? key : [key]).filter((k): k is string => k !== undefined && k.length >= 8);
    const redact = (text: string): string => keys.reduce((out, k) => out.split(k).join('<x-api-key>').split(encodeURIComponent(k)).join('<x-api-key>'), text);
    const shownPath = redact(path);
    const record = (operation: string | undefined, reason: string): void => {
      violations.push({ method, path: shownPath, operation, reason: redact(reason) });
    };
    // Recorded when the status is known, so a test reading requests() after its answer sees it.
    const reply = (status: number, body: unknown): void => {
      requests.push({ method, path: shownPath, status });
      answerJson(res, status, body);
    };

    const body = await readBody(req);
    if (body === undefined) {
      record(undefined, `the body is larger than ${MAX_BODY_BYTES} bytes`);
      reply(413, { code: 'PAYLOAD_TOO_LARGE', message: `request bodies are limited to ${MAX_BODY_BYTES} bytes`, status: 413 });
      return;
    }

    const extra = extras.some((e) => e.method === method && e.pattern.test(path));
    const verdict = contract.checkRequest({
      method,
      path,
      query: target.searchParams,
      contentType: req.headers['content-type'],
      body: body.toString('utf8'),
    });
    if (verdict.operation === undefined) {
      if (!extra) {
        record(undefined, `${method} ${path} is not an operation of the JumpCloud contract`);
        if (options.strict) {
          reply(404, { code: 'NOT_FOUND', message: `${method} ${path} is not an operation of the JumpCloud API`, status: 404 });
          return;
        }
      }
    } else {
      for (const problem of verdict.problems) record(verdict.operation.template, problem);
    }

    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(`${base}${path}${target.search}`, {
        method: method as Dispatcher.HttpMethod,
        headers: forwardedHeaders(req.headers),
        body: body.length > 0 ? body : null,
        dispatcher: agent,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      reply(502, { code: 'BAD_GATEWAY', message: `the upstream gave no answer (${typeof code === 'string' ? code : 'error'})`, status: 502 });
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
    }
    requests.push({ method, path: shownPath, status: answer.statusCode });
    res.writeHead(answer.statusCode, headers);
    await pipeline(answer.body, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The client went away mid-answer, or the upstream did: nothing left to tell either.
      if (!res.headersSent) answerJson(res, 502, { code: 'BAD_GATEWAY', message: 'the proxy could not relay the answer', status: 502 });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    violations: () => violations.map((v) => ({ ...v })),
    requests: () => requests.map((r) => ({ ...r })),
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await agent.close();
      })();
      return closed;
    },
  };
}

/** Throws when the proxy saw any request that broke the contract, listing every one. */
export function assertNoViolations(proxy: Pick<ContractProxy, 'violations'>): void {
  const found = proxy.violations();
  if (found.length === 0) return;
  const lines = found.map((v) => `- ${v.method} ${v.path}${v.operation === undefined ? '' : ` (${v.operation})`}: ${v.reason}`);
  throw new Error(`${found.length} request(s) broke the JumpCloud contract:\n${lines.join('\n')}`);
}
