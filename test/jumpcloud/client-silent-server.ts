// A target that accepts connections and never answers (or answers only when told): what a hung
// platform or a black-holing proxy looks like to the client, on 127.0.0.1.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SilentServer {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Resolves once `count` connections have sent their first bytes (a request is in flight). */
  untilRequests(count: number): Promise<void>;
  /** The sockets, for a test that answers by hand. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  let requests = 0;
  const waiting: (() => void)[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', () => {
      requests++;
      for (const notify of waiting.splice(0)) notify();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return sockets.length;
    },
    sockets,
    untilRequests: async (count) => {
      while (requests < count) await new Promise<void>((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
