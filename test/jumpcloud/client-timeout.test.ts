// What the client does when no answer comes: it says why in words (not undici's codes, which it
// keeps for a debug log), tries a request that timed out only once more and says so, and a stop
// cuts reads in flight short while a write in flight finishes. Real sockets on 127.0.0.1 with tiny
// timeouts, and waits that are never slept.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient, type ClientOptions } from '../../src/jumpcloud/client.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { startSilentServer, type SilentServer } from './client-silent-server.js';
import { json, startLocalServer } from './local-server.js';

const tiny = { connectMs: 1000, headersMs: 50, bodyMs: 50 };
const retry = { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 };

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

function clientOf(url: string, options: Partial<ClientOptions> = {}): { client: JumpCloudClient; notices: string[] } {
  const notices: string[] = [];
  const client = new JumpCloudClient({
    baseUrl: url,
    apiKey: 'k',
    timeouts: tiny,
    retry,
    sleep: async () => undefined,
    onNotice: (notice) => notices.push(notice),
    ...options,
  });
  closers.push(() => client.close());
  return { client, notices };
}

async function silent(): Promise<SilentServer> {
  const server = await startSilentServer();
  closers.push(() => server.close());
  return server;
}

async function failureOf(work: Promise<unknown>): Promise<PlatformError> {
  const error = await work.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

describe('a target that accepts connections and never answers', () => {
  it('fails after two tries, saying "no answer within" the timeout, with the retry said as it happens', async () => {
    const server = await silent();
    const { client, notices } = clientOf(server.url);
    const failure = await failureOf(client.get(routes.groups));
    expect(failure.message).toBe('GET /api/v2/usergroups failed: no answer within 50 ms');
    expect(failure.networkCode).toBe('UND_ERR_HEADERS_TIMEOUT');
    // Not five tries (retry.attempts): each one that times out costs a whole timeout.
    expect(server.connections).toBe(2);
    expect(notices).toEqual(['GET /api/v2/usergroups: no answer within 50 ms; trying again (try 2 of at most 2)']);
    expect(client.requests.total({ status: 'error' })).toBe(2);
  });

  it('tries as often as timeoutAttempts says', async () => {
    const server = await silent();
    const { client, notices } = clientOf(server.url, { retry: { ...retry, timeoutAttempts: 3 } });
    await failureOf(client.get(routes.settings));
    expect(server.connections).toBe(3);
    expect(notices).toHaveLength(2);
  });

  it('says when an answer stops arriving part way through its body', async () => {
    const server = await startLocalServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"results": [');
    });
    closers.push(() => server.close());
    const { client } = clientOf(server.url);
    const failure = await failureOf(client.get(routes.settings));
    expect(failure.message).toBe('GET /api/v2/approvalflowsettings failed: the answer stopped arriving: nothing more for 50 ms');
    expect(failure.networkCode).toBe('UND_ERR_BODY_TIMEOUT');
    expect(server.seen).toHaveLength(2);
  });
});

describe('other ways an answer does not come, in words', () => {
  it('connection refused: nothing listens there (tried again without a notice: it costs no waiting)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { client, notices } = clientOf(`http://127.0.0.1:${port}`);
    const failure = await failureOf(client.get(routes.settings));
    expect(failure.message).toBe('GET /api/v2/approvalflowsettings failed: connection refused: nothing listens at that address');
    expect(failure.networkCode).toBe('ECONNREFUSED');
    expect(client.requests.total({ status: 'error' })).toBe(retry.attempts);
    expect(notices).toEqual([]);
  });

  it('a connection closed before the answer', async () => {
    const server = await startLocalServer((_request, response) => response.socket?.destroy());
    closers.push(() => server.close());
    const { client } = clientOf(server.url);
    const failure = await failureOf(client.get(routes.settings));
    expect(failure.message).toMatch(/^GET \/api\/v2\/approvalflowsettings failed: the connection (broke|was closed) before the answer came$/);
    expect(failure.message).not.toMatch(/UND_ERR|ECONN/);
    expect(server.seen).toHaveLength(retry.attempts);
  });
});

describe('a stop', () => {
  it('cuts a read in flight short, and starts no read after it', async () => {
    const server = await silent();
    const stop = new AbortController();
    // A timeout far longer than any test: only the stop can end this read.
    const { client } = clientOf(server.url, { stop: stop.signal, timeouts: { connectMs: 1000, headersMs: 600_000, bodyMs: 600_000 } });
    const read = failureOf(client.get(routes.groups));
    await server.untilRequests(1);
    stop.abort();
    const cut = await read;
    expect(cut.message).toBe('GET /api/v2/usergroups failed: not finished: accessctl is stopping');
    expect(cut.stopped).toBe(true);
    expect((await failureOf(client.get(routes.flows))).message).toBe('GET /api/v2/approvalflows failed: not finished: accessctl is stopping');
    expect(server.connections).toBe(1);
  });

  it('ends the wait before a retry', async () => {
    const server = await startLocalServer((_request, response) => json(response, 503, { message: 'busy' }));
    closers.push(() => server.close());
    const stop = new AbortController();
    let waiting!: () => void;
    const inWait = new Promise<void>((resolve) => (waiting = resolve));
    // A wait that would never end by itself.
    const sleep = (): Promise<void> => {
      waiting();
      return new Promise<void>(() => undefined);
    };
    const { client } = clientOf(server.url, { stop: stop.signal, sleep });
    const read = failureOf(client.get(routes.settings));
    await inWait;
    stop.abort();
    const failure = await read;
    // Stopped, not failed: the run stops; the 503 it would have retried is kept as the reason.
    expect(failure.stopped).toBe(true);
    expect(failure.message).toBe('GET /api/v2/approvalflowsettings failed: not finished: accessctl is stopping (the last try: busy)');
    expect((failure.cause as PlatformError).status).toBe(503);
    expect(server.seen).toHaveLength(1);
  });

  it('lets a write in flight finish, and does not try it again', async () => {
    const server = await silent();
    const stop = new AbortController();
    const { client } = clientOf(server.url, { stop: stop.signal, timeouts: { connectMs: 1000, headersMs: 600_000, bodyMs: 600_000 } });
    const write = client.put<{ ok: boolean }>(routes.settings, {}, { resourceRequest: true });
    await server.untilRequests(1);
    stop.abort();
    const body = '{"ok":true}';
    server.sockets[0]?.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await expect(write).resolves.toEqual({ ok: true });

    const failing = failureOf(client.put(routes.settings, {}, { resourceRequest: false }));
    await server.untilRequests(2);
    const busy = '{"message":"busy"}';
    const socket = server.sockets.at(-1);
    socket?.write(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${busy.length}\r\n\r\n${busy}`);
    // Not tried again: it ends as stopped, and a 503 write may have been carried out.
    expect(await failing).toMatchObject({ stopped: true, mayHaveLanded: true });
    expect(server.connections).toBe(2);
  });

  it('does not send a write again after a 429 that came back once stopped', async () => {
    const stop = new AbortController();
    const server = await startLocalServer((_request, response) => {
      stop.abort();
      json(response, 429, { message: 'slow down' }, { 'retry-after': '1' });
    });
    closers.push(() => server.close());
    const { client } = clientOf(server.url, { stop: stop.signal });
    const failure = await failureOf(client.put(routes.settings, {}, { resourceRequest: true }));
    expect(failure.stopped).toBe(true);
    expect(server.seen).toHaveLength(1);
  });
});
