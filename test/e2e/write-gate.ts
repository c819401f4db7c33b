// A proxy on 127.0.0.1 between the binary and a sandbox for the crash tests: reads pass straight
// through; each write (POST, PUT, PATCH, DELETE) is held until the test commits it, and its answer
// is held again until the test delivers it. So the test knows which writes the platform has made,
// and can stop a run at an exact point between two of them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface HeldWrite {
  method: string;
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  response: ServerResponse;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WriteGate {
  url: string;
  /** Writes that have reached the gate so far, in order of arrival ("POST /api/v2/approvalflows"). */
  arrived(): string[];
  /** Resolves once `count` writes have arrived. */
  arrival(count: number): Promise<void>;
  /** Sends the oldest held write to the sandbox and resolves once the sandbox has answered it; the answer stays held. */
  commitNext(): Promise<void>;
  /** Sends every committed write's answer on to the binary. */
  deliverAnswers(): void;
  /** Commits and delivers every write from now on as it arrives: the gate is open. */
  open(): void;
  close(): Promise<void>;
}

async function bodyOf(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Headers worth forwarding: hop-by-hop ones belong to each connection. */
function forwardable(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || ['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export async function startWriteGate(upstream: string): Promise<WriteGate> {
  const queued: HeldWrite[] = [];
  const answers: { write: HeldWrite; answer: Answer }[] = [];
  const arrivedWrites: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let isOpen = false;

  const forward = async (method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> => {
    const answer = await request(`${upstream}${path}`, {
      method: method as 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    return { status: answer.statusCode, headers: forwardable(answer.headers), body: Buffer.from(await answer.body.arrayBuffer()) };
  };
  const reply = (response: ServerResponse, answer: Answer): void => {
    if (response.destroyed) return;
    response.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
    response.end(answer.body);
  };
  const commit = async (write: HeldWrite): Promise<Answer> => forward(write.method, write.path, write.headers, write.body);

  const server = createServer((incoming, response) => {
    void (async () => {
      const method = incoming.method ?? 'GET';
      const path = incoming.url ?? '/';
      const body = await bodyOf(incoming);
      const headers = forwardable(incoming.headers);
      if (!WRITES.has(method)) {
        reply(response, await forward(method, path, headers, body));
        return;
      }
      const write: HeldWrite = { method, path, body, headers, response };
      arrivedWrites.push(`${method} ${path.split('?')[0]}`);
      for (const waiter of waiters.filter((w) => arrivedWrites.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (isOpen) reply(response, await commit(write));
      else queued.push(write);
    })().catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(502);
        response.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    arrived: () => [...arrivedWrites],
    arrival: (count) => (arrivedWrites.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    commitNext: async () => {
      const write = queued.shift();
      if (write === undefined) throw new Error('no write is waiting at the gate');
      answers.push({ write, answer: await commit(write) });
    },
    deliverAnswers: () => {
      for (const { write, answer } of answers.splice(0)) reply(write.response, answer);
    },
    open: () => {
      isOpen = true;
      for (const { write, answer } of answers.splice(0)) reply(write.response, answer);
      for (const write of queued.splice(0)) void commit(write).then((answer) => reply(write.response, answer));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
