// A tiny HTTP server on 127.0.0.1 whose answers a test scripts, and a manual clock whose sleepers
// the test wakes: platform behaviour the sandbox does not offer, with no real waiting.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  body: string;
}

export interface LocalServer {
  url: string;
  seen: SeenRequest[];
  /** Resolves once the server has received `count` requests in all. */
  untilSeen(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 (port 0); `answer` writes each response. */
export async function startLocalServer(answer: (request: SeenRequest, response: ServerResponse, raw: IncomingMessage) => void): Promise<LocalServer> {
  const seen: SeenRequest[] = [];
  const onSeen: (() => void)[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const request = { method: raw.method ?? '', url: raw.url ?? '', body: Buffer.concat(chunks).toString('utf8') };
      seen.push(request);
      for (const notify of onSeen.splice(0)) notify();
      answer(request, response, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    untilSeen: async (count) => {
      while (seen.length < count) await new Promise<void>((resolve) => onSeen.push(resolve));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * Closes what a test opened, in the order given (a client before the server its pool holds sockets
 * to), and gives back undefined for each: `[client, server] = await closedInOrder(client, server)`.
 */
export async function closedInOrder(...opened: ({ close(): Promise<unknown> } | undefined)[]): Promise<undefined[]> {
  for (const each of opened) await each?.close();
  return opened.map(() => undefined);
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/**
 * Time that moves only when the test wakes a sleeper: `sleep` waits until woken, `wakeNext` moves
 * the clock to the earliest wake-up and releases it. `drive` wakes sleepers until some work is done.
 */
export class ManualClock {
  private t = 0;
  readonly delays: number[] = [];
  private readonly sleepers: Sleeper[] = [];
  private readonly onSleep: (() => void)[] = [];

  readonly now = (): number => this.t;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      this.delays.push(ms);
      this.sleepers.push({ wakeAt: this.t + ms, resolve });
      for (const notify of this.onSleep.splice(0)) notify();
    });

  get asleep(): number {
    return this.sleepers.length;
  }

  /** Resolves once at least `count` callers are asleep. */
  async untilAsleep(count = 1): Promise<void> {
    while (this.sleepers.length < count) await new Promise<void>((resolve) => this.onSleep.push(resolve));
  }

  wakeNext(): void {
    this.sleepers.sort((a, b) => a.wakeAt - b.wakeAt);
    const next = this.sleepers.shift();
    if (next === undefined) throw new Error('nobody is asleep');
    this.t = Math.max(this.t, next.wakeAt);
    next.resolve();
  }

  /** Wakes sleepers, earliest first, whenever someone sleeps, until `work` settles. */
  async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const settle = (): void => {
      settled = true;
    };
    const done = work.then(settle, settle);
    while (!settled) {
      await Promise.race([done, this.untilAsleep()]);
      if (!settled && this.sleepers.length > 0) this.wakeNext();
    }
    return work;
  }
}
