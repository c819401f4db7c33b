// The webhook sink against real receivers on 127.0.0.1 that verify Standard Webhooks signatures:
// retries with the same webhook-id, Retry-After, the durable spool across runs, and refusals.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import { logSinkNotice, type SinkNotice } from '../../src/events/sink.js';
import { sinkFromSpec, warnStrandedSpools, webhookSpoolDir } from '../../src/events/sink-spec.js';
import { WebhookSink } from '../../src/events/webhook-sink.js';
import { startReceiver, type Answer, type Receiver } from './receiver.js';
import { sampleEvents } from './sample-events.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let spoolRoot: string;
const receivers: Receiver[] = [];
const sinks: WebhookSink[] = [];

beforeEach(async () => {
  spoolRoot = await mkdtemp(join(tmpdir(), 'accessctl-spool-'));
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await rm(spoolRoot, { recursive: true, force: true });
});

async function receiver(script: Answer[] = [], port?: number): Promise<Receiver> {
  const started = await startReceiver(SECRET, { script, ...(port === undefined ? {} : { port }) });
  receivers.push(started);
  return started;
}

/** A webhook sink whose waits are recorded, not slept, and whose notices are kept. */
function webhook(url: string, extra: { now?: () => number } = {}) {
  const sleeps: number[] = [];
  const notices: SinkNotice[] = [];
  const sink = sinkFromSpec(`webhook:${url}`, {
    env: { ACCESSCTL_EVENTS_WEBHOOK_SECRET: SECRET },
    spoolDir: spoolRoot,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onNotice: (notice) => notices.push(notice),
    ...extra,
  });
  expect(sink).toBeInstanceOf(WebhookSink);
  sinks.push(sink as WebhookSink);
  return { sink: sink as WebhookSink, sleeps, notices };
}

async function spooled(url: string): Promise<string[]> {
  try {
    return (await readdir(webhookSpoolDir(spoolRoot, new URL(url)))).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
}

function ids(events: readonly AccessctlEvent[]): string[] {
  return events.map((event) => event.id);
}

function acceptedIds(r: Receiver): string[] {
  return r.accepted().map((request) => (JSON.parse(request.body) as { id: string }).id);
}

describe('the webhook sink', () => {
  it('POSTs each event as signed structured CloudEvents JSON that standardwebhooks verifies', async () => {
    const r = await receiver();
    const { sink, sleeps } = webhook(r.url);
    const events = sampleEvents();
    await sink.emit(events);
    expect(r.received).toHaveLength(events.length);
    for (const [index, request] of r.received.entries()) {
      expect(request.verified).toBe(true);
      expect(request.path).toBe('/hooks/accessctl');
      expect(request.headers['content-type']).toBe('application/cloudevents+json');
      expect(request.headers['webhook-id']).toBe(events[index]!.id);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
      expect(JSON.parse(request.body)).toEqual(JSON.parse(JSON.stringify(events[index])));
    }
    expect(sleeps).toEqual([]);
    expect(await spooled(r.url)).toEqual([]);
  });

  it('retries a 503 and delivers the event once, under the same webhook-id', async () => {
    const r = await receiver([{ status: 503 }, { status: 200 }]);
    const { sink, sleeps } = webhook(r.url);
    const [event] = sampleEvents();
    await sink.emit([event!]);
    expect(r.received.map((request) => request.answer)).toEqual([503, 200]);
    expect(r.received.map((request) => request.headers['webhook-id'])).toEqual([event!.id, event!.id]);
    expect(r.received.every((request) => request.verified)).toBe(true);
    expect(acceptedIds(r)).toEqual([event!.id]);
    // Full jitter over an exponential window: random 0.5 of the 500 ms first window.
    expect(sleeps).toEqual([250]);
    expect(await spooled(r.url)).toEqual([]);
  });

  it('retries 408, 429, 5xx and dropped connections with growing jittered waits', async () => {
    const r = await receiver([{ status: 408 }, { status: 429 }, 'drop', { status: 500 }, { status: 204 }]);
    const { sink, sleeps } = webhook(r.url);
    const [event] = sampleEvents();
    await sink.emit([event!]);
    expect(r.received.map((request) => request.answer)).toEqual([408, 429, 'dropped', 500, 204]);
    expect(acceptedIds(r)).toEqual([event!.id]);
    expect(sleeps).toEqual([250, 500, 1000, 2000]);
  });

  it('honours Retry-After in seconds, as an HTTP date, and caps a long one', async () => {
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    const r = await receiver([
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': new Date(nowMs + 12_000).toUTCString() } },
      { status: 503, headers: { 'retry-after': '3600' } },
      { status: 200 },
    ]);
    const { sink, sleeps } = webhook(r.url, { now: () => nowMs });
    const [event] = sampleEvents();
    await sink.emit([event!]);
    expect(sleeps).toEqual([7_000, 12_000, 30_000]);
    expect(acceptedIds(r)).toEqual([event!.id]);
  });

  it('gives up after a bounded number of tries, keeping the event and those after it spooled', async () => {
    const r = await receiver(Array.from({ length: 20 }, () => ({ status: 503 })));
    const { sink, notices } = webhook(r.url);
    const events = sampleEvents();
    await sink.emit(events);
    expect(r.received).toHaveLength(5);
    expect(new Set(r.received.map((request) => request.headers['webhook-id']))).toEqual(new Set([events[0]!.id]));
    expect(await spooled(r.url)).toHaveLength(events.length);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toMatch(/HTTP 503.*4 event\(s\) kept in .* for the next run/);
  });

  it('leaves events spooled when the receiver is down at the end of a run, and the next run delivers them first, in order', async () => {
    const down = await receiver();
    const url = down.url;
    await down.close();
    receivers.splice(receivers.indexOf(down), 1);

    const firstRun = webhook(url);
    const lost = sampleEvents();
    await firstRun.sink.emit(lost.slice(0, 2));
    await firstRun.sink.emit(lost.slice(2));
    await firstRun.sink.close();
    expect(await spooled(url)).toHaveLength(4);
    expect(firstRun.notices.map((notice) => notice.message).join('\n')).toMatch(/network error ECONNREFUSED/);
    // Each spooled file is the exact event, readable on its own.
    const dir = webhookSpoolDir(spoolRoot, new URL(url));
    const files = (await spooled(url)).sort();
    const onDisk = await Promise.all(files.map(async (file) => (JSON.parse(await readFile(join(dir, file), 'utf8')) as { id: string }).id));
    expect(onDisk).toEqual(ids(lost));

    const up = await receiver([], down.port);
    const nextRun = webhook(url);
    const fresh = sampleEvents();
    await nextRun.sink.emit(fresh);
    expect(acceptedIds(up)).toEqual([...ids(lost), ...ids(fresh)]);
    expect(up.received.every((request) => request.verified)).toBe(true);
    expect(await spooled(url)).toEqual([]);
  });

  it('only spools for a while after finding the receiver down, then sends everything in order', async () => {
    let nowMs = Date.now();
    const r = await receiver(Array.from({ length: 5 }, () => ({ status: 503 })));
    const { sink, sleeps } = webhook(r.url, { now: () => nowMs });
    const [a, b, c, d] = sampleEvents();
    await sink.emit([a!]);
    expect(r.received).toHaveLength(5);
    expect(sleeps).toHaveLength(4);
    expect(await sink.emitAndReport([b!])).toEqual({ delivered: 0, deadLettered: 0, spooled: 2 });
    expect(r.received).toHaveLength(5);
    nowMs += 60_000;
    await sink.emit([c!, d!]);
    expect(acceptedIds(r)).toEqual(ids([a!, b!, c!, d!]));
    expect(sleeps).toHaveLength(4);
  });

  it('says at INFO, once, when the receiver answers again and the spooled events went out, without the query', async () => {
    let nowMs = Date.now();
    const r = await receiver(Array.from({ length: 5 }, () => ({ status: 503 })));
    const url = `${r.url}?token=sekrit-query-token`;
    const { sink, notices } = webhook(url, { now: () => nowMs });
    const [a, b, c, d] = sampleEvents();
    await sink.emit([a!]);
    await sink.emit([b!]);
    expect(notices.map((notice) => notice.severity)).toEqual([undefined]);
    nowMs += 60_000;
    await sink.emit([c!]);
    await sink.emit([d!]);
    expect(acceptedIds(r)).toEqual(ids([a!, b!, c!, d!]));
    const shown = r.url.replace('http://', '');
    expect(notices.slice(1)).toEqual([
      { sink: `webhook:http://${shown}`, severity: 'info', message: `webhook:http://${shown} answers again: sent 3 spooled event(s)` },
    ]);
    expect(notices.map((notice) => notice.message).join('\n')).not.toContain('sekrit');
  });

  it('has its notices logged at their severity: the recovery at INFO, the rest at WARN', () => {
    const logged: string[] = [];
    const log = {
      info: (fields: object, message: string) => logged.push(`INFO ${JSON.stringify(fields)} ${message}`),
      warn: (fields: object, message: string) => logged.push(`WARN ${JSON.stringify(fields)} ${message}`),
    };
    logSinkNotice(log, { sink: 'webhook:x', message: 'webhook:x answers again: sent 1 spooled event(s)', severity: 'info' });
    logSinkNotice(log, { sink: 'webhook:x', message: 'webhook:x: receiver unreachable' });
    expect(logged).toEqual([
      'INFO {"sink":"webhook:x"} webhook:x answers again: sent 1 spooled event(s)',
      'WARN {"sink":"webhook:x"} webhook:x: receiver unreachable',
    ]);
  });

  it('says nothing at INFO when the receiver was never found down', async () => {
    const r = await receiver([{ status: 503 }]);
    const { sink, notices } = webhook(r.url);
    await sink.emit(sampleEvents());
    await sink.emit(sampleEvents());
    expect(acceptedIds(r)).toHaveLength(8);
    expect(notices).toEqual([]);
  });

  it('sends what an earlier run spooled on flush, without new events', async () => {
    const r = await receiver([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
    const first = webhook(r.url);
    const events = sampleEvents();
    await first.sink.emit(events);
    expect(await spooled(r.url)).toHaveLength(4);
    await first.sink.close();
    const next = webhook(r.url);
    const report = await next.sink.flush();
    expect(report).toEqual({ delivered: 4, deadLettered: 0, spooled: 0 });
    expect(acceptedIds(r)).toEqual(ids(events));
  });

  it('does not follow a redirect, and moves a refused event to dead-letter/ without retrying', async () => {
    const r = await receiver([{ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }, { status: 400 }, { status: 200 }]);
    const { sink, sleeps, notices } = webhook(r.url);
    const events = sampleEvents().slice(0, 3);
    const report = await sink.emitAndReport(events);
    expect(report).toEqual({ delivered: 1, deadLettered: 2, spooled: 0 });
    expect(r.received.map((request) => request.answer)).toEqual([302, 400, 200]);
    expect(sleeps).toEqual([]);
    expect(notices.map((notice) => notice.message)).toEqual([
      expect.stringMatching(/refused \(HTTP 302, a redirect, not followed\); moved to .*dead-letter/),
      expect.stringMatching(/refused \(HTTP 400\)/),
    ]);
    const dead = await readdir(join(webhookSpoolDir(spoolRoot, new URL(r.url)), 'dead-letter'));
    expect(dead).toHaveLength(2);
    expect(await spooled(r.url)).toEqual([]);
  });

  it('sets aside a spool file that holds no event instead of blocking the rest', async () => {
    const r = await receiver();
    const dir = webhookSpoolDir(spoolRoot, new URL(r.url));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '000000000001-broken.json'), 'not json');
    const { sink } = webhook(r.url);
    const [event] = sampleEvents();
    const report = await sink.emitAndReport([event!]);
    expect(report).toEqual({ delivered: 1, deadLettered: 1, spooled: 0 });
    expect(acceptedIds(r)).toEqual([event!.id]);
  });

  it('sets aside a spool entry it cannot read (a directory) with a notice naming it, and delivers the events behind it', async () => {
    const r = await receiver();
    const dir = webhookSpoolDir(spoolRoot, new URL(r.url));
    await mkdir(join(dir, '000000000001-dir.json'), { recursive: true });
    const { sink, notices } = webhook(r.url);
    const [event] = sampleEvents();
    const report = await sink.emitAndReport([event!]);
    expect(report).toEqual({ delivered: 1, deadLettered: 1, spooled: 0 });
    expect(acceptedIds(r)).toEqual([event!.id]);
    expect(notices.map((n) => n.message)).toEqual([
      `${sink.name}: spooled file 000000000001-dir.json cannot be read (EISDIR); moved to ${join(dir, 'dead-letter', '000000000001-dir.json')}`,
    ]);
  });

  it('skips an entry that can be neither read nor moved aside, saying so, and still delivers the rest', async () => {
    const r = await receiver();
    const dir = webhookSpoolDir(spoolRoot, new URL(r.url));
    await mkdir(join(dir, '000000000001-dir.json'), { recursive: true });
    await writeFile(join(dir, 'dead-letter'), 'a file where the dead-letter folder goes');
    const { sink, notices } = webhook(r.url);
    const [event] = sampleEvents();
    const report = await sink.emitAndReport([event!]);
    expect(report).toEqual({ delivered: 1, deadLettered: 0, spooled: 0 });
    expect(acceptedIds(r)).toEqual([event!.id]);
    expect(notices.map((n) => n.message)).toEqual([
      `${sink.name}: spooled file 000000000001-dir.json in ${dir} cannot be read (EISDIR) and could not be moved to dead-letter/ (EEXIST); skipped, move or remove it by hand`,
    ]);
  });

  it('warns at start about events spooled for a URL no sink names any more, with how many and what to do', async () => {
    const down = await receiver(Array.from({ length: 5 }, () => ({ status: 503 })));
    const oldUrl = `${down.url}?token=rotated-away`;
    const old = webhook(oldUrl);
    const events = sampleEvents();
    await old.sink.emit(events);
    await old.sink.close();
    const r = await receiver();
    const current = webhook(r.url);
    const notices: SinkNotice[] = [];
    const stranded = await warnStrandedSpools(spoolRoot, [current.sink], (notice) => notices.push(notice));
    const oldDir = webhookSpoolDir(spoolRoot, new URL(oldUrl));
    expect(stranded).toEqual([{ dir: oldDir, events: events.length }]);
    expect(notices).toEqual([
      {
        sink: 'spool',
        message: `spool ${oldDir} holds ${events.length} event(s) for a webhook URL that no --events names now; they will not be sent. To send them, run again with --events webhook:<that old URL>; if they are not wanted, move the folder out of ${spoolRoot}`,
      },
    ]);
    expect(notices[0]!.message).not.toContain('rotated-away');
    expect(await warnStrandedSpools(spoolRoot, [current.sink, old.sink], () => undefined)).toEqual([]);
  });

  it("keeps one spool per URL, so two webhook sinks never send each other's events", async () => {
    const a = await receiver([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
    const b = await receiver();
    const first = webhook(a.url);
    const second = webhook(b.url);
    const events = sampleEvents();
    await Promise.all([first.sink.emit(events), second.sink.emit(events)]);
    expect(acceptedIds(b)).toEqual(ids(events));
    expect(await spooled(a.url)).toHaveLength(4);
    expect(await spooled(b.url)).toEqual([]);
  });

  it('never lets the signing secret into a notice, a name or a request body', async () => {
    const r = await receiver(Array.from({ length: 5 }, () => ({ status: 500 })));
    const { sink, notices } = webhook(r.url);
    await sink.emit(sampleEvents());
    const key = SECRET.slice('whsec_'.length);
    const seen = [sink.name, ...notices.map((n) => n.message), ...r.received.map((request) => request.body + JSON.stringify(request.headers))].join('\n');
    expect(seen).not.toContain(key);
    expect(seen).not.toContain(SECRET);
  });
});
