// The `webhook:URL` sink: each event is spooled durably, then POSTed as structured CloudEvents JSON
// signed per Standard Webhooks, retried with backoff, and unspooled only after a 2xx. Events left
// from an earlier run go first; a receiver that stays down leaves events spooled for the next run.
// Each POST has an overall deadline, and an emit waits for delivery only so long: a receiver that
// answers slowly or never finishes its answer cannot hold the caller (the reconcile loop) up.
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { AccessctlError } from '../errors.js';
import { parseRetryAfter, retryDelayMs, type RetryPolicy } from '../retry/policy.js';
import type { AccessctlEvent } from './cloudevent.js';
import { SerialQueue } from './serial-queue.js';
import type { EventSink, SinkNoticeHandler } from './sink.js';
import type { WebhookSigner } from './webhook-signature.js';
import { DEAD_LETTER_DIR, WebhookSpool } from './webhook-spool.js';

export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/** The receiver's answer is read (and dropped) up to this many bytes; past it the connection is closed. */
const ANSWER_READ_LIMIT = 128 * 1024;

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
  /** Per attempt, each of: connect, the response headers, any gap in the body (default 10 s). */
  timeoutMs?: number;
  /**
   * Per attempt, the whole exchange: connect, headers and body together (default 30 s), so a
   * receiver that trickles its answer byte by byte inside timeoutMs still cannot hold an attempt.
   */
  deadlineMs?: number;
  /**
   * How long emit() waits for delivery before resolving with its events safely spooled (default
   * 10 s); delivery goes on in the background, and emits after that only spool until it is done.
   */
  emitWaitMs?: number;
  /**
   * After the receiver stayed unreachable through every retry, later emits only spool for this long
   * (default 60 s), so a run with many emits is not slowed by a receiver that is down. Nothing is
   * sent meanwhile, so a receiver back sooner gets the spooled events at the first emit after it.
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

/** Why an attempt was cut short: its answer did not arrive whole within the deadline. */
class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no whole answer within ${ms} ms`);
  }
}

export class WebhookSink implements EventSink {
  readonly name: string;
  readonly spool: WebhookSpool;
  /** Spool writes, one after another, in emit order; never behind a delivery. */
  private readonly spooling = new SerialQueue();
  /** Delivery passes over the spool, one after another. */
  private readonly delivering = new SerialQueue();
  /** A pass queued behind the running one and not started yet: later emits join it (it reads the spool when it starts). */
  private nextPass: Promise<DeliveryReport> | undefined;
  /** Whether a flush asked for the queued pass (it sends even while holding off). */
  private nextPassForced = false;
  /** Set while a pass has outrun an emit's wait: emits only spool until it ends. */
  private overdue = false;
  /** Aborts the attempt in flight, and every later one, when the sink closes. */
  private readonly stop = new AbortController();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly emitWaitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly holdOffMs: number;
  private holdOffUntil = Number.NEGATIVE_INFINITY;
  /**
   * Whether this sink last found the receiver down, so that the pass that gets the spooled events
   * through says so: the warning that they were kept is not left as the last word.
   */
  private receiverDown = false;
  private closed = false;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = `webhook:${displayUrl(options.url)}`;
    this.spool = new WebhookSpool(options.spoolDir);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.emitWaitMs = options.emitWaitMs ?? 10_000;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? new Agent({ connectTimeout: this.timeoutMs, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs, keepAliveTimeout: 4_000 });
    const retry = options.retry ?? defaultWebhookRetry;
    this.retry = { ...retry, attempts: Math.max(1, Math.floor(retry.attempts)) };
    this.now = options.now ?? Date.now;
    // The default wait ends when the sink closes, so no timer outlives it.
    this.sleep = options.sleep ?? ((ms) => delay(ms, undefined, { signal: this.stop.signal }).catch(() => undefined));
    this.random = options.random ?? Math.random;
    this.holdOffMs = options.holdOffMs ?? 60_000;
  }

  /**
   * Spools the events, then sends everything spooled, oldest first. Resolves once each event is
   * delivered, dead-lettered or safely spooled; rejects only when the spool cannot be written.
   * Within holdOffMs of the receiver being found down, it only spools; and it waits for delivery
   * at most emitWaitMs, after which the events are spooled and delivery carries on in the background.
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

  private async spoolAndDeliver(events: readonly AccessctlEvent[], force: boolean): Promise<DeliveryReport> {
    if (this.closed) throw new AccessctlError('internal', `${this.name}: emit after close`);
    await this.spooling.run(async () => {
      try {
        await this.spool.add(events.map((event) => ({ id: event.id, body: JSON.stringify(event) })));
      } catch (error) {
        throw new AccessctlError('io', `${this.name}: could not spool events in ${this.spool.dir}: ${(error as Error).message}`, { cause: error });
      }
    });
    try {
      if ((!force && this.now() < this.holdOffUntil) || this.overdue) {
        // Holding off, or a pass is still at it: the events wait in the spool, and a pass after the
        // running one sends them (none while holding off; the next emit after that, or the next run).
        if (this.overdue) void this.pass(force);
        return this.spooledReport();
      }
      return await this.waitAtMost(this.pass(force));
    } catch (error) {
      // The events are spooled; what failed is the bookkeeping (reading or unspooling a file).
      if (error instanceof AccessctlError) throw error;
      throw new AccessctlError('io', `${this.name}: spool ${this.spool.dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * A delivery pass that starts after the running one: the queued one when there is one. Unless
   * forced (flush), a pass that starts while holding off (the pass before it found the receiver
   * down) or after close only reports what is spooled.
   */
  private pass(force: boolean): Promise<DeliveryReport> {
    if (force) this.nextPassForced = true;
    if (this.nextPass !== undefined) return this.nextPass;
    const pass = this.delivering.run(async () => {
      this.nextPass = undefined;
      const forced = this.nextPassForced;
      this.nextPassForced = false;
      try {
        if (this.stop.signal.aborted || (!forced && this.now() < this.holdOffUntil)) return await this.spooledReport();
        return await this.deliverSpooled();
      } finally {
        this.overdue = false;
      }
    });
    this.nextPass = pass;
    // A pass nobody waits for any longer must not end as an unhandled rejection.
    pass.catch((error: unknown) => this.notify(`delivery failed: ${(error as Error).message}`));
    return pass;
  }

  /** The pass's report, or, after emitWaitMs, one that says the events are spooled while the pass goes on. */
  private async waitAtMost(pass: Promise<DeliveryReport>): Promise<DeliveryReport> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.emitWaitMs);
    });
    try {
      const first = await Promise.race([pass, late]);
      if (first !== 'late') return first;
    } finally {
      clearTimeout(timer);
    }
    const report = await this.spooledReport();
    // Said once per slow pass, however many emits were waiting on it.
    if (!this.overdue)
      this.notify(`delivery is taking longer than ${this.emitWaitMs} ms; ${report.spooled} event(s) kept in ${this.spool.dir} while it goes on`);
    this.overdue = true;
    return report;
  }

  private async spooledReport(): Promise<DeliveryReport> {
    return { delivered: 0, deadLettered: 0, spooled: (await this.spool.files()).length };
  }

  /**
   * Stops: emits end, a delivery still going after emitWaitMs is cut short (its events stay
   * spooled for the next run), then the dispatcher closes.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.spooling.run(async () => undefined);
    const drained = this.delivering.run(async () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.emitWaitMs);
    });
    try {
      if ((await Promise.race([drained, late])) === 'late') {
        this.stop.abort();
        this.notify(`closing with delivery still in progress; undelivered events stay in ${this.spool.dir} for the next run`);
        await drained;
      }
    } finally {
      clearTimeout(timer);
    }
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
        // Nothing to send in it, and never will be: out of the way, or the events behind it wait forever.
        const problem = entry.problem ?? 'holds no event';
        try {
          const where = await this.spool.deadLetter(entry.file);
          report.deadLettered++;
          this.notify(`spooled file ${entry.file} ${problem}; moved to ${where}`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          this.notify(
            `spooled file ${entry.file} in ${this.spool.dir} ${problem} and could not be moved to ${DEAD_LETTER_DIR}/ (${code}); skipped, move or remove it by hand`,
          );
        }
        continue;
      }
      const attempt = this.stop.signal.aborted ? { outcome: 'unreachable' as const, reason: 'the sink is closing' } : await this.deliver(entry.id, entry.body);
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
        // Closing is not the receiver's fault, and close() has said what stays spooled.
        if (this.stop.signal.aborted) break;
        this.receiverDown = true;
        this.holdOffUntil = this.now() + this.holdOffMs;
        this.notify(`${attempt.reason} after ${this.retry.attempts} tries; ${report.spooled} event(s) kept in ${this.spool.dir} for the next run`);
        break;
      }
    }
    if (report.spooled === 0 && report.delivered > 0 && this.receiverDown) {
      this.receiverDown = false;
      this.say(`${this.name} answers again: sent ${report.delivered} spooled event(s)`, 'info');
    }
    return report;
  }

  private async deliver(id: string, body: string): Promise<Attempt> {
    let reason = 'no attempt made';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let retryAfter: string | undefined;
      // The whole attempt, headers and body, within deadlineMs; and at once when the sink closes.
      const attemptStop = new AbortController();
      const deadline = setTimeout(() => attemptStop.abort(new DeadlineExceeded(this.deadlineMs)), this.deadlineMs);
      const onClose = (): void => attemptStop.abort(this.stop.signal.reason);
      this.stop.signal.addEventListener('abort', onClose, { once: true });
      try {
        const timestamp = Math.floor(this.now() / 1000);
        const response = await request(this.options.url, {
          method: 'POST',
          dispatcher: this.dispatcher,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal: attemptStop.signal,
          headers: {
            'content-type': CLOUDEVENTS_JSON,
            'user-agent': 'accessctl',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': this.options.sign(id, timestamp, body),
          },
          body,
        });
        await response.body.dump({ limit: ANSWER_READ_LIMIT, signal: attemptStop.signal });
        // An answer not read to its end within the deadline is no answer.
        if (attemptStop.signal.aborted) throw attemptStop.signal.reason;
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
        reason = attemptStop.signal.reason instanceof DeadlineExceeded ? attemptStop.signal.reason.message : networkReason(error);
      } finally {
        clearTimeout(deadline);
        this.stop.signal.removeEventListener('abort', onClose);
      }
      if (this.stop.signal.aborted) return { outcome: 'unreachable', reason: 'the sink is closing' };
      if (attempt < this.retry.attempts) {
        await this.pause(retryDelayMs(this.retry, attempt, this.random, parseRetryAfter(retryAfter, this.now())));
        if (this.stop.signal.aborted) return { outcome: 'unreachable', reason: 'the sink is closing' };
      }
    }
    return { outcome: 'unreachable', reason: `receiver unreachable (${reason})` };
  }

  /** The wait before a retry, cut short when the sink closes. */
  private async pause(ms: number): Promise<void> {
    if (this.stop.signal.aborted) return;
    let onClose: (() => void) | undefined;
    const closed = new Promise<void>((resolve) => {
      onClose = resolve;
      this.stop.signal.addEventListener('abort', onClose, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), closed]);
    } finally {
      if (onClose) this.stop.signal.removeEventListener('abort', onClose);
    }
  }

  /** A warning, prefixed with the sink's name. */
  private notify(message: string): void {
    this.say(`${this.name}: ${message}`);
  }

  private say(message: string, severity?: 'info'): void {
    try {
      this.options.onNotice?.({ sink: this.name, message, ...(severity === undefined ? {} : { severity }) });
    } catch {
      // A failing notice handler must not lose events or stop delivery.
    }
  }
}
