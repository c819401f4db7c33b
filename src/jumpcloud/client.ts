// The only door to the platform: an undici client with keep-alive and timeouts, x-api-key and
// x-org-id auth, a token-bucket rate limit, bounded retries and a request counter. A POST is
// retried only after a re-read shows the object was not created.
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import { PlatformError } from './platform-error.js';
import { defaultRateLimit, TokenBucket, type RateLimit } from './rate-limit.js';
import { RequestCounter } from './request-counter.js';
import { defaultRetryPolicy, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from './retry.js';

export const DEFAULT_API_URL = 'https://console.jumpcloud.com';

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  orgId?: string | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the client. */
  dispatcher?: Dispatcher;
  rateLimit?: RateLimit;
  retry?: RetryPolicy;
  timeouts?: { connectMs: number; headersMs: number; bodyMs: number };
  /** Injected for tests: time, waiting and jitter. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route template, such as /api/v2/approvalflows/{id}: what counters and errors name. */
  route: string;
  params?: Record<string, string>;
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: unknown;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Reads target settings from flags and the environment; the key only ever comes from the environment. */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv, target?: string): ClientOptions {
  const apiKey = env['JUMPCLOUD_API_KEY'];
  if (!apiKey) throw usageError('JUMPCLOUD_API_KEY is not set: export the API key of the organisation to manage', 'JUMPCLOUD_API_KEY');
  const baseUrl = target ?? env['JUMPCLOUD_API_URL'] ?? DEFAULT_API_URL;
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw usageError(`--target ${baseUrl} is not an http(s) URL`, target === undefined ? 'JUMPCLOUD_API_URL' : '--target');
  }
  return { baseUrl, apiKey, orgId: env['JUMPCLOUD_ORG_ID'] || undefined };
}

function expandRoute(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${route} needs parameter ${name}`);
    return encodeURIComponent(value);
  });
}

function platformMessage(body: unknown, status: number): { message: string; details?: unknown } {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const message = typeof record['message'] === 'string' ? record['message'] : typeof record['error'] === 'string' ? record['error'] : undefined;
    if (message) return { message, details: record['details'] };
  }
  return { message: `HTTP ${status}` };
}

export class JumpCloudClient {
  readonly requests = new RequestCounter();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly bucket: TokenBucket;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly baseUrl: string;

  constructor(private readonly options: ClientOptions) {
    const timeouts = options.timeouts ?? { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 10_000,
        connectTimeout: timeouts.connectMs,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
      });
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.bucket = new TokenBucket(options.rateLimit ?? defaultRateLimit, this.now, this.sleep);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get target(): string {
    return this.baseUrl;
  }

  private closed = false;

  /** Closes the keep-alive connections; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private url(call: Call): string {
    const url = new URL(this.baseUrl + expandRoute(call.route, call.params));
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(name, String(v));
      else url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** One HTTP exchange, counted; throws only when no response came back. */
  private async exchange(call: Call): Promise<Answer> {
    await this.bucket.take();
    const headers: Record<string, string> = { accept: 'application/json', 'x-api-key': this.options.apiKey };
    if (this.options.orgId) headers['x-org-id'] = this.options.orgId;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    try {
      const response = await request(this.url(call), { method: call.method, headers, body, dispatcher: this.dispatcher });
      const text = await response.body.text();
      this.requests.record(call.method, call.route, response.statusCode);
      let parsed: unknown = undefined;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.statusCode, headers: response.headers, body: parsed };
    } catch (error) {
      this.requests.record(call.method, call.route, 'error');
      throw error;
    }
  }

  private failure(call: Call, answer: Answer): PlatformError {
    const { message, details } = platformMessage(answer.body, answer.status);
    return new PlatformError({ method: call.method, route: call.route, status: answer.status, message, details });
  }

  private networkFailure(call: Call, error: unknown): PlatformError {
    const code = (error as { code?: unknown }).code;
    const reason = error instanceof Error ? error.message : String(error);
    return new PlatformError({ method: call.method, route: call.route, message: `no response (${typeof code === 'string' ? code : reason})`, cause: error });
  }

  /**
   * Sends a call, retrying what is safe to retry. `beforeRetry` runs before each retry of a
   * non-idempotent call and may settle it (return a value) instead of sending it again.
   */
  private async send<T>(call: Call, beforeRetry?: () => Promise<T | undefined>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let answer: Answer | undefined;
      let failure: PlatformError;
      let retryAfterMs: number | undefined;
      let mayRetry: boolean;
      try {
        answer = await this.exchange(call);
        if (answer.status >= 200 && answer.status < 300) return answer.body as T;
        failure = this.failure(call, answer);
        mayRetry = isRetryableStatus(answer.status);
        const header = answer.headers['retry-after'];
        retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, this.now());
      } catch (error) {
        failure = this.networkFailure(call, error);
        mayRetry = isRetryableError(error);
      }
      if (!mayRetry || attempt >= this.retry.attempts) throw failure;
      await this.sleep(retryDelayMs(this.retry, attempt, this.random, retryAfterMs));
      // A 429 was refused before it was processed; anything else may have been applied.
      if (beforeRetry && answer?.status !== 429) {
        const settled = await beforeRetry();
        if (settled !== undefined) return settled;
      }
    }
  }

  get<T>(route: string, params?: Record<string, string>, query?: Call['query']): Promise<T> {
    return this.send<T>({ method: 'GET', route, ...(params ? { params } : {}), ...(query ? { query } : {}) });
  }

  put<T>(route: string, params: Record<string, string>, body: unknown): Promise<T> {
    return this.send<T>({ method: 'PUT', route, params, body });
  }

  delete<T>(route: string, params: Record<string, string>): Promise<T> {
    return this.send<T>({ method: 'DELETE', route, params });
  }

  /**
   * POSTs a create. If it fails in a way that may have reached the platform, `findExisting` re-reads;
   * an object found there is the result, and only an absent one is POSTed again.
   */
  create<T>(route: string, params: Record<string, string>, body: unknown, findExisting: () => Promise<T | undefined>): Promise<T> {
    return this.send<T>({ method: 'POST', route, params, body }, findExisting);
  }

  /** A POST that changes a relation idempotently (such as an association add or remove). */
  post<T>(route: string, params: Record<string, string>, body: unknown): Promise<T> {
    return this.send<T>({ method: 'POST', route, params, body });
  }
}
