// Fleet worker processes for the tests (the real binary), read line by line as they log, and the
// database's announcements of finished runs: waits that end on what happened, never on a timer
// (a timeout only turns a hang into a failure that says what was awaited).
import type pg from 'pg';
import { start, type Running } from '../e2e/binary.js';
import { RUN_CHANNEL } from '../../src/fleet/database.js';

export interface LogLine {
  msg?: string;
  org?: string;
  [key: string]: unknown;
}

export interface WorkerProcess {
  id: string;
  running: Running;
  lines: LogLine[];
  /** Resolves with the first line (already logged or still to come) that matches. */
  waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** The /healthz /readyz /metrics base URL, once the worker said it. */
  healthUrl(): Promise<string>;
}

function within<T>(promise: Promise<T>, ms: number, what: string, detail: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${detail()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function startWorker(id: string, args: string[], env: Record<string, string | undefined>): WorkerProcess {
  const running = start(['fleet', 'run', ...args, '--worker-id', id], env);
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let partial = '';
  running.child.stderr.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const waitFor = (match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    const found = new Promise<LogLine>((resolve) => waiters.push({ match, resolve }));
    return within(found, timeoutMs, `worker ${id}: ${what}`, () => running.stderr().slice(-3000));
  };
  return {
    id,
    running,
    lines,
    waitFor,
    healthUrl: async () => {
      const line = await waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('serving the console on '), 'its health server');
      // `serving the console on http://HOST:PORT/orgs, and /healthz, ...`: the server's base URL.
      return /on (http:\/\/[^\s/]+)/.exec(line.msg!)![1]!;
    },
  };
}

export interface RunNotice {
  fleet: string;
  org: string;
  run: string;
  result: string;
  worker: string;
}

/** Finished runs as the database announces them (LISTEN), with waits on what has been announced. */
export interface RunWatch {
  notices: RunNotice[];
  waitFor(match: (all: readonly RunNotice[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export async function watchRuns(client: pg.Client): Promise<RunWatch> {
  const notices: RunNotice[] = [];
  const waiters: { match: (all: readonly RunNotice[]) => boolean; resolve: () => void }[] = [];
  client.on('notification', (message) => {
    if (message.channel !== RUN_CHANNEL || message.payload === undefined) return;
    notices.push(JSON.parse(message.payload) as RunNotice);
    for (const waiter of [...waiters]) {
      if (waiter.match(notices)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  await client.query(`LISTEN ${RUN_CHANNEL}`);
  return {
    notices,
    waitFor: (match, what, timeoutMs = 60_000) => {
      if (match(notices)) return Promise.resolve();
      const done = new Promise<void>((resolve) => waiters.push({ match, resolve }));
      return within(done, timeoutMs, what, () => JSON.stringify(notices.slice(-20)));
    },
  };
}

/** Each org has at least `count` announced runs of the fleet with one of `results`. */
export function eachOrgRan(
  fleet: string,
  orgs: readonly string[],
  count: number,
  results: readonly string[] = ['success', 'no-op'],
): (all: readonly RunNotice[]) => boolean {
  return (all) => orgs.every((org) => all.filter((n) => n.fleet === fleet && n.org === org && results.includes(n.result)).length >= count);
}
