// The `webhook:URL` sink: each event is spooled durably, then POSTed as structured CloudEvents JSON
// signed per Standard Webhooks, retried with backoff, and unspooled only after a 2xx. Events left
// from an earlier run go first; a receiver that stays down leaves events spooled for the next run.
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { AccessctlError } from '../errors.js';
import { parseRetryAfter, retryDelayMs, type RetryPolicy } from '../retry/policy.js';
import type { AccessctlEvent } from './cloudevent.js';
import { SerialQueue } from './serial-queue.js';
import type { EventSink, SinkNoticeHandler } from './sink.js';
import type { WebhookSigner } from './webhook-signature.js';
import { WebhookSpool } from './webhook-spool.js';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/** Five tries over about eight seconds of jittered waiting; a Retry-After is honoured up to 30 s. */
export const defaultWebhookRetry: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  retryAfterCapMs: 30_000,
};

export interface WebhookSinkOptions {
  url: URL;
  sign: WebhookSigner;
  /** This sink's own spool directory (not shared with another URL). */
  spoolDir: string;
  /** Defaults to an Agent owned, and closed, by the sink. */
  dispatcher?: Dispatcher;
  retry?: RetryPolicy;
  /** Per attempt: connect, then response headers, then body. */
  timeoutMs?: number;
  /**
   * After the receiver stayed unreachable through every retry, later emits only spool for this long
   * (default 60 s), so a run with many emits is not slowed by a receiver that is down.
   */
  holdOffMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onNotice?: SinkNoticeHandler;
}

export interface DeliveryReport {
  delivered: number;
  /** Refused for good by the receiver (a 4xx other than 408/429, or a redirect) and moved to dead-letter/. */
  deadLettered: number;
  /** Still in the spool, for the next emit or the next run. */
  spooled: number;
}

type Attempt = { outcome: 'delivered'; status: number } | { outcome: 'refused'; reason: string } | { outcome: 'unreachable'; reason: string };

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return `network error ${code}`;
    current = current.cause;
  }
  return error instanceof Error ? `network error: ${error.message}` : 'network error';
}

/** The URL as shown in names and messages: no user info, query or fragment. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export class WebhookSink implements EventSink {
  readonly name: string;
  readonly spool: WebhookSpool;
  private readonly queue = new SerialQueue();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly holdOffMs: number;
  private holdOffUntil = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = `webhook:${displayUrl(options.url)}`;
    this.spool = new WebhookSpool(options.spoolDir);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? new Agent({ connectTimeout: this.timeoutMs, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, keepAliveTimeout: 4_000 });
    const retry = options.retry ?? defaultWebhookRetry;
    this.retry = { ...retry, attempts: Math.max(1, Math.floor(retry.attempts)) };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.holdOffMs = options.holdOffMs ?? 60_000;
  }

  /**
   * Spools the events, then sends everything spooled, oldest first. Resolves once each event is
   * delivered, dead-lettered or safely spooled; rejects only when the spool cannot be written.
   * Within holdOffMs of the receiver being found down, it only spools.
   */
  async emit(events: readonly AccessctlEvent[]): Promise<void> {
    await this.emitAndReport(events);
  }

  /** emit() that also says what happened. */
  emitAndReport(events: readonly AccessctlEvent[]): Promise<DeliveryReport> {
    return this.spoolAndDeliver(events, false);
  }

  /** Sends what this or an earlier run left in the spool, without adding anything, even while holding off. */
  flush(): Promise<DeliveryReport> {
    return this.spoolAndDeliver([], true);
  }

  private spoolAndDeliver(events: readonly AccessctlEvent[], force: boolean): Promise<DeliveryReport> {
    if (this.closed) return Promise.reject(new AccessctlError('internal', `${this.name}: emit after close`));
    return this.queue.run(async () => {
      try {
        await this.spool.add(events.map((event) => ({ id: event.id, body: JSON.stringify(event) })));
      } catch (error) {
        throw new AccessctlError('io', `${this.name}: could not spool events in ${this.spool.dir}: ${(error as Error).message}`, { cause: error });
      }
      try {
        if (!force && this.now() < this.holdOffUntil) {
          return { delivered: 0, deadLettered: 0, spooled: (await this.spool.files()).length };
        }
        return await this.deliverSpooled();
      } catch (error) {
        // The events are spooled; what failed is the bookkeeping (reading or unspooling a file).
        if (error instanceof AccessctlError) throw error;
        throw new AccessctlError('io', `${this.name}: spool ${this.spool.dir}: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.run(async () => undefined);
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async deliverSpooled(): Promise<DeliveryReport> {
    const report: DeliveryReport = { delivered: 0, deadLettered: 0, spooled: 0 };
    this.holdOffUntil = Number.NEGATIVE_INFINITY;
    const files = await this.spool.files();
    for (let index = 0; index < files.length; index++) {
      const entry = await this.spool.read(files[index]!);
      if (entry === undefined) continue;
      if (entry.id === '') {
        const where = await this.spool.deadLetter(entry.file);
        report.deadLettered++;
        this.notify(`spooled file ${entry.file} holds no event; moved to ${where}`);
        continue;
      }
      const attempt = await this.deliver(entry.id, entry.body);
      if (attempt.outcome === 'delivered') {
        await this.spool.remove(entry.file);
        report.delivered++;
      } else if (attempt.outcome === 'refused') {
        const where = await this.spool.deadLetter(entry.file);
        report.deadLettered++;
        this.notify(`event ${entry.id} refused (${attempt.reason}); moved to ${where}`);
      } else {
        // The receiver is down: keep the order and stop spending retries; the next emit or run resends.
        report.spooled = files.length - index;
        this.holdOffUntil = this.now() + this.holdOffMs;
        this.notify(`${attempt.reason} after ${this.retry.attempts} tries; ${report.spooled} event(s) kept in ${this.spool.dir} for the next run`);
        break;
      }
    }
    return report;
  }

  private async deliver(id: string, body: string): Promise<Attempt> {
    let reason = 'no attempt made';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let retryAfter: string | undefined;
      try {
        const timestamp = Math.floor(this.now() / 1000);
        const response = await request(this.options.url, {
          method: 'POST',
          dispatcher: this.dispatcher,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          headers: {
            'content-type': CLOUDEVENTS_JSON,
            'user-agent': 'accessctl',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': this.options.sign(id, timestamp, body),
          },
          body,
        });
        await response.body.dump();
        const status = response.statusCode;
        if (status >= 200 && status < 300) return { outcome: 'delivered', status };
        if (!isRetryableStatus(status)) {
          return { outcome: 'refused', reason: status >= 300 && status < 400 ? `HTTP ${status}, a redirect, not followed` : `HTTP ${status}` };
        }
        reason = `HTTP ${status}`;
        const header = response.headers['retry-after'];
        retryAfter = Array.isArray(header) ? header[0] : header;
      } catch (error) {
        // Any failure to get an answer (refused, reset, timed out, DNS) is worth another try.
        reason = networkReason(error);
      }
      if (attempt < this.retry.attempts) {
        await this.sleep(retryDelayMs(this.retry, attempt, this.random, parseRetryAfter(retryAfter, this.now())));
      }
    }
    return { outcome: 'unreachable', reason: `receiver unreachable (${reason})` };
  }

  private notify(message: string): void {
    try {
      this.options.onNotice?.({ sink: this.name, message: `${this.name}: ${message}` });
    } catch {
      // A failing notice handler must not lose events or stop delivery.
    }
  }
}
