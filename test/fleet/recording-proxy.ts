// A loopback proxy in front of the sandbox for the fleet tests: it logs every request as the
// platform sees it (method, path, x-org-id, when it arrived and was answered) and can hold the
// requests a test picks until the test lets them through, so a worker can be caught mid-run.
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  method: string;
  path: string;
  org: string | undefined;
  arrivedAt: number;
  answeredAt?: number;
  status?: number;
}

export interface HeldRequest {
  request: LoggedRequest;
  /** Sends it on to the sandbox; the answer goes to the client if it is still there. */
  release(): Promise<void>;
}

export interface RecordingProxy {
  url: string;
  log: LoggedRequest[];
  /** Requests matching `hold` wait until released; each one held is passed to `onHeld`. */
  holdWhen(hold: ((request: LoggedRequest) => boolean) | undefined, onHeld?: (held: HeldRequest) => void): void;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const log: LoggedRequest[] = [];
  let hold: ((request: LoggedRequest) => boolean) | undefined;
  let onHeld: ((held: HeldRequest) => void) | undefined;

  const pass = (incoming: IncomingMessage, body: Buffer, entry: LoggedRequest, response: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const outgoing = forward(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            entry.answeredAt = Date.now();
            entry.status = answer.statusCode ?? 0;
            if (!response.destroyed) {
              response.writeHead(answer.statusCode ?? 502, answer.headers);
              response.end(Buffer.concat(chunks));
            }
            resolve();
          });
        },
      );
      outgoing.on('error', () => {
        if (!response.destroyed) response.destroy();
        resolve();
      });
      outgoing.end(body);
    });

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const orgHeader = incoming.headers['x-org-id'];
      const entry: LoggedRequest = {
        method: incoming.method ?? 'GET',
        path: (incoming.url ?? '/').split('?')[0]!,
        org: Array.isArray(orgHeader) ? orgHeader[0] : orgHeader,
        arrivedAt: Date.now(),
      };
      log.push(entry);
      const body = Buffer.concat(chunks);
      if (hold?.(entry)) {
        onHeld?.({ request: entry, release: () => pass(incoming, body, entry, response) });
        return;
      }
      void pass(incoming, body, entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    holdWhen: (predicate, callback) => {
      hold = predicate;
      onHeld = callback;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
