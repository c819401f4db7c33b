// A webhook receiver on 127.0.0.1 for the sink tests: verifies every request with the standardwebhooks
// package, records what arrived, and answers from a script (status, headers, or a dropped connection).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** True when the Standard Webhooks signature checked out. */
  verified: boolean;
  /** What the receiver answered: a status, or 'dropped' for a destroyed connection. */
  answer: number | 'dropped';
}

export type Answer = { status: number; headers?: Record<string, string> } | 'drop';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests with a verified signature that were answered 2xx. */
  accepted(): Received[];
  /** Answers for the next requests, in order; when empty, 200. */
  script: Answer[];
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startReceiver(secret: string, options: { port?: number; script?: Answer[] } = {}): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const received: Received[] = [];
  const script: Answer[] = [...(options.script ?? [])];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      try {
        verifier.verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const answer = script.shift() ?? { status: 200 };
      received.push({ path: req.url ?? '', headers: req.headers, body, verified, answer: answer === 'drop' ? 'dropped' : answer.status });
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.status >= 400 ? 'no' : 'ok');
    });
  });
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}/hooks/accessctl`,
    port,
    received,
    script,
    accepted: () => received.filter((r) => r.verified && typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
