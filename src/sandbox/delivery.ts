// The webhook delivery worker: sends each due outbox row as a signed JSON POST, on the sandbox
// clock, retrying 5xx/408/429/timeouts/connection failures with exponential backoff and jitter
// (honouring Retry-After), never following redirects; a 410 disables the channel.
import { EventEmitter } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressRefusedError, checkLiteralHost, guardedLookup } from './address-guard.js';
import type { SandboxClock } from './clock.js';
import { recordEvent } from './insights.js';
import { equalityFilter } from './lists.js';
import { defaultRetrySchedule, type RetrySchedule } from './retry-schedule.js';
import type { ClockedWork } from './scheduler.js';
import { secretKey, sign } from '../protocols/standard-webhooks.js';
import { parseDoc, type SandboxStore } from './store.js';

export type AttemptResult = 'delivered' | 'retry' | 'failed' | 'gone' | 'refused' | 'timeout' | 'skipped';

export interface DeliveryAttempt {
  at: string;
  statusCode?: number;
  result: AttemptResult;
  error?: string;
}

export interface DeliveryRecord {
  /** The webhook-id header: the same on every attempt and replay. */
  id: string;
  organization: string;
  channelId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'dead';
  nextAttemptAt?: string;
  createdAt: string;
  attempts: DeliveryAttempt[];
}

interface DeliveryRow {
  id: string;
  org_id: string;
  channel_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'dead';
  cycle_attempts: number;
  next_attempt_ms: number | null;
  created_at: string;
}

interface ChannelRow {
  doc: { name: string; url: string; enabled: boolean; verifySsl: boolean; headers: { name: string; value: string; sensitive: boolean }[] };
  secrets: { sensitiveValues: Record<string, string>; headers: Record<string, string>; signingSecret?: string };
}

interface Outcome {
  statusCode?: number;
  retryAfterMs?: number;
  /** Never holds the URL or a header value: only a code and a short reason. */
  error?: string;
  kind: 'answer' | 'timeout' | 'refused' | 'network' | 'unsendable';
}

/** What an attempt that could not be sent says: the error's code only, never a header or URL value. */
function unsendable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.name ?? 'Error';
  return `the request could not be sent (${code}); the channel holds a value HTTP cannot carry`;
}

export function webhookId(deliveryId: string): string {
  return `msg_${deliveryId}`;
}

function retryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const retryableStatuses = new Set([408, 429]);

export class DeliveryWorker extends EventEmitter implements ClockedWork {
  readonly #store: SandboxStore;
  readonly #clock: SandboxClock;
  readonly #log: (line: string) => void;
  readonly #schedule: RetrySchedule;
  readonly #allowPrivate: boolean;
  readonly #random: () => number;
  readonly #inFlight = new Map<string, Promise<void>>();
  #onSettled: () => void = () => {};
  #stopped = false;
  readonly #mayWrite: () => boolean;
  readonly #onError: (error: unknown) => void;
  /** Outcomes that came back while the database could not be written (see mayWrite): recorded at the next pump. */
  readonly #heldBack: (() => void)[] = [];

  constructor(options: {
    store: SandboxStore;
    clock: SandboxClock;
    log: (line: string) => void;
    schedule?: Partial<RetrySchedule>;
    allowPrivateWebhooks?: boolean;
    random?: () => number;
    /** Whether the database may be written now; an outcome that comes back while not is recorded later. */
    mayWrite?: () => boolean;
    /** What recording an attempt's outcome failed with, where no caller can hear it (a damaged page, say). Default: thrown, unhandled. */
    onError?: (error: unknown) => void;
  }) {
    super();
    this.#mayWrite = options.mayWrite ?? (() => true);
    this.#onError =
      options.onError ??
      ((error) => {
        throw error;
      });
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#schedule = { ...defaultRetrySchedule, ...options.schedule };
    this.#allowPrivate = options.allowPrivateWebhooks ?? false;
    this.#random = options.random ?? Math.random;
    // Attempts cut short by a crash are due again at once: at-least-once, same webhook-id.
    this.#store.stmt(`UPDATE deliveries SET leased = 0, next_attempt_ms = ? WHERE status = 'pending' AND leased = 1`).run(this.#clock.nowMs());
  }

  get schedule(): RetrySchedule {
    return this.#schedule;
  }

  /** Called after each attempt settles (the scheduler re-arms). */
  onSettled(callback: () => void): void {
    this.#onSettled = callback;
  }

  nextDueMs(): number | undefined {
    if (this.#stopped || !this.#store.db.open) return undefined;
    const next = this.#store.stmt(`SELECT min(next_attempt_ms) FROM deliveries WHERE status = 'pending' AND leased = 0`).pluck().get() as number | null;
    return next ?? undefined;
  }

  pump(): void {
    if (this.#stopped || !this.#store.db.open) return;
    for (const settle of this.#heldBack.splice(0)) settle();
    const rows = this.#store
      .stmt(`SELECT * FROM deliveries WHERE status = 'pending' AND leased = 0 AND next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT 50`)
      .all(this.#clock.nowMs()) as DeliveryRow[];
    for (const row of rows) {
      if (this.#inFlight.has(row.id)) continue;
      // The lease: a crash mid-attempt leaves the row due again at the next start.
      this.#store.stmt('UPDATE deliveries SET leased = 1 WHERE id = ?').run(row.id);
      const attempt = this.#attempt(row)
        .catch((error: unknown) => {
          // Whatever went wrong is one failed attempt, retried and dead-lettered on the schedule:
          // a row never stays leased and pending with no attempt on record.
          this.#log(`delivery ${row.id} failed unexpectedly: ${(error as Error).name}`);
          if (this.#stopped || !this.#store.db.open) return;
          try {
            this.#settleWhenWritable(row, { kind: 'unsendable', error: unsendable(error) });
          } catch (failure) {
            // Recording it failed too (a damaged page): no caller to throw to.
            this.#onError(failure);
          }
        })
        .finally(() => {
          this.#inFlight.delete(row.id);
          this.emit('attempt', row.id);
          if (this.#inFlight.size === 0) this.emit('idle');
          this.#onSettled();
        });
      this.#inFlight.set(row.id, attempt);
    }
  }

  /** Resolves when no attempt is in flight. */
  async whenIdle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight.values()]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  #channel(row: DeliveryRow): ChannelRow | undefined {
    const channel = this.#store.stmt('SELECT doc, secrets FROM webhook_channels WHERE org_id = ? AND id = ?').get(row.org_id, row.channel_id) as
      | { doc: string; secrets: string }
      | undefined;
    return channel === undefined ? undefined : { doc: parseDoc<ChannelRow['doc']>(channel.doc), secrets: parseDoc<ChannelRow['secrets']>(channel.secrets) };
  }

  async #attempt(row: DeliveryRow): Promise<void> {
    const channel = this.#channel(row);
    if (channel === undefined || !channel.doc.enabled) {
      this.#finish(row, { result: 'skipped', error: channel === undefined ? 'the channel was deleted' : 'the channel is disabled' }, 'dead');
      return;
    }
    let outcome: Outcome;
    try {
      const url = channel.doc.url.replace(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (_, name: string) =>
        encodeURIComponent(channel.secrets.sensitiveValues[name] ?? ''),
      );
      const timestamp = Math.floor(this.#clock.nowMs() / 1000);
      const id = webhookId(row.id);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'accessctl-sandbox',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
      };
      for (const header of channel.doc.headers) {
        headers[header.name] = header.sensitive ? (channel.secrets.headers[header.name.toLowerCase()] ?? '') : header.value;
      }
      if (channel.secrets.signingSecret !== undefined) {
        headers['webhook-signature'] = sign(secretKey(channel.secrets.signingSecret), id, timestamp, row.payload);
      }
      outcome = await this.#send(url, headers, row.payload, channel.doc.verifySsl);
    } catch (error) {
      // A request that cannot even be built (a header or URL value HTTP cannot carry, written
      // before the channel API refused such values): a failed attempt like any other.
      outcome = { kind: 'unsendable', error: unsendable(error) };
    }
    // Stopping cuts attempts short; the lease makes them due again at the next start.
    if (this.#stopped || !this.#store.db.open) return;
    this.#settleWhenWritable(row, outcome);
  }

  /** Records an outcome now, or at the next pump when the database may not be written now (its row stays leased meanwhile). */
  #settleWhenWritable(row: DeliveryRow, outcome: Outcome): void {
    if (this.#mayWrite()) this.#settle(row, outcome);
    else this.#heldBack.push(() => this.#settle(row, outcome));
  }

  /** Records one attempt's outcome: delivered, retried on the schedule, or dead-lettered. */
  #settle(row: DeliveryRow, outcome: Outcome): void {
    const attempt = row.cycle_attempts + 1;
    const status = outcome.statusCode;
    if (status !== undefined && status >= 200 && status < 300) {
      this.#finish(row, { result: 'delivered', statusCode: status }, 'delivered');
      return;
    }
    if (status === 410) {
      this.#finish(row, { result: 'gone', statusCode: status, error: 'the receiver answered 410 Gone; the channel is now disabled' }, 'dead');
      this.#disableChannel(row);
      return;
    }
    if (outcome.kind === 'refused') {
      this.#finish(row, { result: 'refused', ...(outcome.error === undefined ? {} : { error: outcome.error }) }, 'dead');
      return;
    }
    const retryable = outcome.kind !== 'answer' || (status !== undefined && (status >= 500 || retryableStatuses.has(status)));
    const base = {
      ...(status === undefined ? {} : { statusCode: status }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
    if (retryable && attempt <= this.#schedule.retries) {
      const exponential = Math.min(this.#schedule.maxDelayMs, this.#schedule.baseDelayMs * 2 ** (attempt - 1));
      // Equal jitter: between half and all of the exponential delay, at least what Retry-After asks.
      const jittered = exponential / 2 + this.#random() * (exponential / 2);
      const delay = Math.min(this.#schedule.maxDelayMs, Math.max(jittered, outcome.retryAfterMs ?? 0));
      this.#finish(
        row,
        { result: outcome.kind === 'timeout' ? 'timeout' : outcome.kind === 'unsendable' ? 'failed' : 'retry', ...base },
        'pending',
        this.#clock.nowMs() + Math.ceil(delay),
      );
      return;
    }
    this.#finish(row, { result: outcome.kind === 'timeout' ? 'timeout' : 'failed', ...base }, 'dead');
  }

  #finish(row: DeliveryRow, attempt: Omit<DeliveryAttempt, 'at'>, status: DeliveryRow['status'], nextMs?: number): void {
    this.#store.transaction(() => {
      this.#store
        .stmt('INSERT INTO delivery_attempts (delivery_id, at, status_code, result, error) VALUES (?, ?, ?, ?, ?)')
        .run(row.id, this.#clock.nowIso(), attempt.statusCode ?? null, attempt.result, attempt.error ?? null);
      this.#store
        .stmt('UPDATE deliveries SET status = ?, cycle_attempts = cycle_attempts + 1, next_attempt_ms = ?, leased = 0 WHERE id = ?')
        .run(status, nextMs ?? null, row.id);
    });
    if (status === 'dead') this.#log(`webhook delivery ${webhookId(row.id)} (${row.event_type}) is dead: ${attempt.result}`);
  }

  #disableChannel(row: DeliveryRow): void {
    this.#store.transaction(() => {
      const channel = this.#store.stmt('SELECT doc FROM webhook_channels WHERE id = ?').get(row.channel_id) as { doc: string } | undefined;
      if (channel === undefined) return;
      const doc = parseDoc<Record<string, unknown> & { name: string; enabled: boolean }>(channel.doc);
      if (!doc.enabled) return;
      doc.enabled = false;
      this.#store.stmt('UPDATE webhook_channels SET doc = ? WHERE id = ?').run(JSON.stringify(doc), row.channel_id);
      recordEvent(
        this.#store,
        { orgId: row.org_id, id: 'sandbox', type: 'system', email: 'sandbox@accessctl.local' },
        {
          eventType: 'webhook_channel_update',
          resource: { id: row.channel_id, type: 'webhook_channel', name: doc.name },
          changes: [{ field: 'enabled', from: true, to: false }],
        },
      );
    });
  }

  /** One POST; resolves with what happened, never rejects. No redirect is ever followed. */
  #send(url: string, headers: Record<string, string>, body: string, verifySsl: boolean): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      let target: URL;
      try {
        target = new URL(url);
        checkLiteralHost(target.hostname, this.#allowPrivate);
      } catch (error) {
        done(error instanceof AddressRefusedError ? { kind: 'refused', error: error.message } : { kind: 'network', error: 'the URL is not valid' });
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(target, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(this.#allowPrivate),
        agent: false,
        rejectUnauthorized: verifySsl,
      });
      request.on('response', (response: IncomingMessage) => {
        response.resume();
        const outcome: Outcome = { kind: 'answer', ...(response.statusCode === undefined ? {} : { statusCode: response.statusCode }) };
        const after = retryAfterMs(response.headers['retry-after'], this.#clock.nowMs());
        if (after !== undefined) outcome.retryAfterMs = after;
        if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400) {
          outcome.error = `the receiver answered a redirect (${response.statusCode}); redirects are not followed`;
        }
        response.on('end', () => done(outcome));
        response.on('error', () => done(outcome));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof AddressRefusedError) done({ kind: 'refused', error: error.message });
        else done({ kind: 'network', error: `${error.code ?? error.name}: no answer from the receiver` });
      });
      void this.#clock.sleep(this.#schedule.timeoutMs).then(() => {
        if (settled) return;
        done({ kind: 'timeout', error: `no answer within ${this.#schedule.timeoutMs} ms` });
        request.destroy();
      });
      request.end(body);
    });
  }

  /** Deliveries, newest first, with every attempt: one org's (`orgId`), or every org's (undefined). */
  list(params: URLSearchParams, orgId: string | undefined): { results: DeliveryRecord[]; totalCount: number } {
    const { sql, values } = equalityFilter(params, orgId, { status: 'status', channelId: 'channel_id', eventType: 'event_type', eventId: 'event_id' });
    const limit = Math.min(1000, Math.max(1, Number(params.get('limit') ?? 100) || 100));
    const total = this.#store.stmt(`SELECT count(*) AS n FROM deliveries WHERE ${sql}`).get(...values) as { n: number };
    const rows = this.#store.stmt(`SELECT * FROM deliveries WHERE ${sql} ORDER BY id DESC LIMIT ?`).all(...values, limit) as DeliveryRow[];
    return { totalCount: total.n, results: rows.map((row) => this.#record(row)) };
  }

  #record(row: DeliveryRow): DeliveryRecord {
    const attempts = this.#store.stmt('SELECT at, status_code, result, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY id').all(row.id) as {
      at: string;
      status_code: number | null;
      result: AttemptResult;
      error: string | null;
    }[];
    return {
      id: webhookId(row.id),
      organization: row.org_id,
      channelId: row.channel_id,
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      ...(row.next_attempt_ms === null || row.status !== 'pending' ? {} : { nextAttemptAt: new Date(row.next_attempt_ms).toISOString() }),
      createdAt: row.created_at,
      attempts: attempts.map((a) => ({
        at: a.at,
        ...(a.status_code === null ? {} : { statusCode: a.status_code }),
        result: a.result,
        ...(a.error === null ? {} : { error: a.error }),
      })),
    };
  }

  /**
   * Sends a delivery again from the start of the schedule, with the same webhook-id; undefined when
   * there is no such delivery in `orgId` (any org when undefined).
   */
  replay(id: string, orgId: string | undefined): DeliveryRecord | undefined {
    const rowId = id.startsWith('msg_') ? id.slice(4) : id;
    const row = this.#store.stmt('SELECT * FROM deliveries WHERE id = ?').get(rowId) as DeliveryRow | undefined;
    if (row === undefined || (orgId !== undefined && row.org_id !== orgId)) return undefined;
    this.#store
      .stmt(`UPDATE deliveries SET status = 'pending', cycle_attempts = 0, next_attempt_ms = ?, leased = 0 WHERE id = ?`)
      .run(this.#clock.nowMs(), rowId);
    return this.#record({ ...row, status: 'pending', cycle_attempts: 0, next_attempt_ms: this.#clock.nowMs() });
  }
}
