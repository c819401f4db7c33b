// A slow receiver cannot hold the webhook sink, nor whoever emits through it: each POST has an
// overall deadline (headers and body together, not only the idle gap), an emit waits for delivery
// only emitWaitMs before resolving with its events spooled, and close cuts a stuck delivery short.
// Real receivers on 127.0.0.1 that trickle or never answer; short deadlines, no sleeps.
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventFanout } from '../../src/events/fanout.js';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import type { EventSink, SinkNotice } from '../../src/events/sink.js';
import { webhookSigner } from '../../src/events/webhook-signature.js';
import { WebhookSink, type WebhookSinkOptions } from '../../src/events/webhook-sink.js';
import { sampleEvents } from './sample-events.js';

/** How a receiver answers: trickle (200, then one byte per tick forever), hang (never a byte), or ok (200 at once). */
type Mode = 'trickle' | 'hang' | 'ok';

interface SlowReceiver {
  url: string;
  mode: Mode;
  /** Requests received, by event id. */
  seen: string[];
  /** Requests answered 200 in full. */
  delivered: string[];
  /** Resolves once `count` requests were answered in full. */
  untilDelivered(count: number): Promise<void>;
  /** Answers every request still hanging with 200. */
  release(): void;
  close(): Promise<void>;
}

async function startSlowReceiver(mode: Mode): Promise<SlowReceiver> {
  const seen: string[] = [];
  const delivered: string[] = [];
  const hanging: { id: string; response: ServerResponse }[] = [];
  const waiters: (() => void)[] = [];
  const tickers = new Set<NodeJS.Timeout>();
  const answer = (id: string, response: ServerResponse): void => {
    response.end('ok', () => {
      delivered.push(id);
      for (const wake of waiters.splice(0)) wake();
    });
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id;
      seen.push(id);
      if (receiver.mode === 'ok') return answer(id, response);
      if (receiver.mode === 'hang') return void hanging.push({ id, response });
      // Headers at once, then a byte every 20 ms, well inside any idle timeout, forever.
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('.');
      const ticker = setInterval(() => response.write('.'), 20);
      tickers.add(ticker);
      response.on('close', () => {
        clearInterval(ticker);
        tickers.delete(ticker);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: SlowReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ev`,
    mode,
    seen,
    delivered,
    untilDelivered: async (count) => {
      while (delivered.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    release: () => {
      for (const { id, response } of hanging.splice(0)) answer(id, response);
    },
    close: async () => {
      for (const ticker of tickers) clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

let spoolDir: string;
const receivers: SlowReceiver[] = [];
const sinks: WebhookSink[] = [];
beforeEach(async () => {
  spoolDir = await mkdtemp(join(tmpdir(), 'accessctl-webhook-deadline-'));
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await rm(spoolDir, { recursive: true, force: true });
});

async function receiver(mode: Mode): Promise<SlowReceiver> {
  const started = await startSlowReceiver(mode);
  receivers.push(started);
  return started;
}

function sink(url: string, options: Partial<WebhookSinkOptions>, notices: SinkNotice[] = []): WebhookSink {
  const made = new WebhookSink({
    url: new URL(url),
    sign: webhookSigner(randomBytes(32)),
    spoolDir,
    // Retries are not waited for: the waits are what defaultWebhookRetry and the retry tests cover.
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 },
    sleep: async () => undefined,
    onNotice: (notice) => notices.push(notice),
    ...options,
  });
  sinks.push(made);
  return made;
}

const spooled = async (): Promise<string[]> => (await readdir(spoolDir)).filter((name) => name.endsWith('.json'));
const ids = (events: readonly AccessctlEvent[]): string[] => events.map((event) => event.id);

describe('the overall deadline of one POST', () => {
  it('cuts an attempt whose answer trickles in inside the idle timeout, and keeps the event spooled', async () => {
    const r = await receiver('trickle');
    const notices: SinkNotice[] = [];
    // The idle timeout (10 s) never fires on a byte every 20 ms; only the 300 ms deadline can end it.
    const s = sink(r.url, { timeoutMs: 10_000, deadlineMs: 300, emitWaitMs: 60_000 }, notices);
    const [event] = sampleEvents();
    expect(await s.emitAndReport([event!])).toEqual({ delivered: 0, deadLettered: 0, spooled: 1 });
    expect(r.seen).toEqual([event!.id, event!.id]);
    expect(notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(/receiver unreachable \(no whole answer within 300 ms\) after 2 tries; 1 event\(s\) kept/),
    );
    expect(await spooled()).toHaveLength(1);
  });

  it('delivers what was kept once the receiver answers again', async () => {
    const r = await receiver('trickle');
    const s = sink(r.url, { deadlineMs: 300, emitWaitMs: 60_000 });
    const events = sampleEvents().slice(0, 2);
    await s.emit(events);
    r.mode = 'ok';
    expect(await s.flush()).toEqual({ delivered: 2, deadLettered: 0, spooled: 0 });
    expect(r.delivered).toEqual(ids(events));
  });
});

describe('how long an emit waits', () => {
  it('resolves after emitWaitMs with the events spooled, and later emits only spool while delivery goes on', async () => {
    const r = await receiver('hang');
    const notices: SinkNotice[] = [];
    const s = sink(r.url, { deadlineMs: 60_000, emitWaitMs: 100 }, notices);
    const [first, second, third] = sampleEvents();
    expect(await s.emitAndReport([first!])).toEqual({ delivered: 0, deadLettered: 0, spooled: 1 });
    expect(notices.map((n) => n.message)).toContainEqual(
      expect.stringMatching(/delivery is taking longer than 100 ms; 1 event\(s\) kept in .* while it goes on/),
    );
    // Delivery is still stuck on the first event: the next emits do not wait for it at all.
    expect(await s.emitAndReport([second!])).toEqual({ delivered: 0, deadLettered: 0, spooled: 2 });
    expect(await s.emitAndReport([third!])).toEqual({ delivered: 0, deadLettered: 0, spooled: 3 });
    // Said once for the slow delivery, not once per emit.
    expect(notices.filter((n) => /taking longer/.test(n.message))).toHaveLength(1);
    expect(r.seen).toEqual([first!.id]);
    // The receiver answers at last: the background delivery sends the rest, in order.
    r.mode = 'ok';
    r.release();
    await r.untilDelivered(3);
    expect(r.delivered).toEqual([first!.id, second!.id, third!.id]);
  });

  it('keeps a stuck webhook from holding up a fan-out: the other sinks get every batch at once', async () => {
    const r = await receiver('hang');
    const stuck = sink(r.url, { deadlineMs: 60_000, emitWaitMs: 100 });
    const got: string[] = [];
    const memory: EventSink = { name: 'memory', emit: async (events) => void got.push(...ids(events)), close: async () => undefined };
    const fanout = new EventFanout([stuck, memory]);
    const events = sampleEvents();
    for (const event of events) expect(await fanout.emit([event])).toEqual([]);
    expect(got).toEqual(ids(events));
    expect(await spooled()).toHaveLength(events.length);
  });

  it('close cuts a stuck delivery short after emitWaitMs, leaving its events spooled for the next run', async () => {
    const r = await receiver('hang');
    const notices: SinkNotice[] = [];
    const s = sink(r.url, { deadlineMs: 60_000, emitWaitMs: 100 }, notices);
    await s.emit(sampleEvents().slice(0, 2));
    await s.close();
    expect(notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/delivery is taking longer than 100 ms; 2 event\(s\) kept in /),
      expect.stringMatching(/closing with delivery still in progress; undelivered events stay in .* for the next run$/),
    ]);
    expect(await spooled()).toHaveLength(2);
    expect(r.delivered).toEqual([]);
  });
});
