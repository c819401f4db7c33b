// The only door to the platform: an undici client with keep-alive and timeouts, x-api-key and
// x-org-id auth, a token-bucket rate limit, one back-off shared by all calls after a 429, bounded
// retries and a request counter. Retries of writes say what they know: a create is re-sent only
// after a re-read shows it absent, and a delete or relation change confirmed by its retry says so.
// A silent target costs at most a few timeouts, said as they happen; a stop cuts reads short.
import { setTimeout as delay } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import type { AnswerMemo } from './answer-memo.js';
import { abortableSleep } from '../retry/abortable-sleep.js';
import {
  boundedBytes,
  defaultMaxAnswerBytes,
  defaultTimeouts,
  describeNetworkError,
  keepAliveAgent,
  parsedBody,
  platformMessage,
  type Timeouts,
} from './exchange.js';
import { PlatformError, secretsIn } from './platform-error.js';
import { resolveOrgId, resolveTarget, type ProjectTarget } from './target.js';
import { BackoffGate, defaultRateLimit, TokenBucket, type RateLimit } from './rate-limit.js';
import { RequestCounter } from './request-counter.js';
import {
  DEFAULT_RATE_LIMIT_BUDGET_MS,
  DEFAULT_TIMEOUT_ATTEMPTS,
  defaultRetryPolicy,
  isRetryableError,
  isTimeout,
  isRetryableStatus,
  mayHaveLanded,
  parseRetryAfter,
  retryDelayMs,
  type RetryPolicy,
} from '../retry/policy.js';

export { DEFAULT_API_URL } from './target.js';

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  orgId?: string | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the client. */
  dispatcher?: Dispatcher;
  rateLimit?: RateLimit;
  retry?: RetryPolicy;
  /** The agent's timeouts (ignored with a dispatcher of the caller's, but still what messages quote). */
  timeouts?: Timeouts;
  /**
   * Aborted when the caller stops (the reconciler's SIGTERM): reads in flight are cut off and fail
   * at once; a write in flight finishes its try, and no call tries again after it.
   */
  stop?: AbortSignal;
  /** Told, in words, when a call tries again after waiting out a timeout (the CLI prints it as a warning). */
  onNotice?: (notice: string) => void;
  /** An answer larger than this many bytes is refused rather than held in memory. */
  maxAnswerBytes?: number;
  /**
   * Kept GET answers, for a long-lived caller (the reconciler): an answer whose bytes are as
   * before comes back as the same frozen value, unparsed. Without it every answer is parsed anew.
   */
  answers?: AnswerMemo;
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
  /** The body as it came: off the JavaScript heap, so keeping it costs the collector nothing. */
  bytes: Buffer;
}

/** A graph operation on a relation, such as a group's association with an application. */
export interface RelationChange {
  op: 'add' | 'remove';
  type: string;
  id: string;
  attributes?: Record<string, unknown>;
}

/** How a delete or relation change ended: `confirmedByRetry` when a retry found it already done. */
export interface WriteOutcome {
  confirmedByRetry: boolean;
}

interface SendOptions<T> {
  /** Runs before re-sending after an attempt that may have landed; a value settles the call instead. */
  beforeRetry?: () => Promise<T | undefined>;
  /** Statuses that, answered after an earlier attempt may have landed, prove that attempt did. */
  confirmedBy?: ReadonlySet<number>;
}

interface Sent<T> {
  body: T;
  confirmedByRetry: boolean;
  /** The answer's bytes, when the platform answered (not when an earlier try is confirmed by a retry's settle). */
  bytes?: Buffer;
}

// Headers in which the platform (or a proxy in front of it) describes its rate limit.
const RATE_LIMIT_HEADER = /^(x-ratelimit-.+|ratelimit(-.+)?|retry-after)$/;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// Characters that cannot travel in an HTTP header value (undici refuses them before sending).
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A control character named for a person: "a newline", "a tab", or its code point. */
function nameOf(char: string): string {
  if (char === '\n') return 'a newline';
  if (char === '\r') return 'a carriage return';
  if (char === '\t') return 'a tab';
  if (char === ' ') return 'a space';
  return `the character U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Checks a value from the environment that goes into a header (the key, the org id) and names what
 * is wrong with it, never the value itself. A value with surrounding whitespace or a control
 * character is refused, not trimmed: the usual cause is a Secret made with `echo` (a trailing
 * newline), and trimming would hide that the variable differs from the key the platform issued; a
 * key that really began or ended with whitespace would then fail later as a refused key, far
 * from its cause. Refusing names the variable and the fix at once.
 */
export function checkedHeaderValue(variable: string, value: string): string {
  const problem = (where: string, char: string): never => {
    throw usageError(
      `${variable} ${where} ${nameOf(char)}: remove it (a Secret made with \`echo\` ends with a newline; use \`printf %s\` or \`echo -n\`)`,
      variable,
    );
  };
  const first = value[0] ?? '';
  const last = value.at(-1) ?? '';
  if (/\s/.test(last)) problem('ends with', last);
  if (/\s/.test(first)) problem('starts with', first);
  const inner = CONTROL.exec(value);
  if (inner !== null) problem('contains', inner[0]);
  return value;
}

/** A credential read from the environment, checked as checkedHeaderValue does; undefined when unset or empty. */
export function credentialFromEnv(env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const value = env[variable];
  return value ? checkedHeaderValue(variable, value) : undefined;
}

/**
 * Reads target settings from flags, the environment and the Project (see target.ts for the
 * precedence; a variable that contradicts the Project is refused); the key only ever comes from the environment.
 */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv, target?: string, project?: ProjectTarget): ClientOptions {
  const apiKey = credentialFromEnv(env, 'JUMPCLOUD_API_KEY');
  if (!apiKey) throw usageError('JUMPCLOUD_API_KEY is not set: export the API key of the organisation to manage', 'JUMPCLOUD_API_KEY');
  const orgId = resolveOrgId(credentialFromEnv(env, 'JUMPCLOUD_ORG_ID'), project);
  const { url } = resolveTarget(target, env, project?.url, project?.urlAt);
  return { baseUrl: url, apiKey, orgId };
}

function expandRoute(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${route} needs parameter ${name}`);
    return encodeURIComponent(value);
  });
}

export class JumpCloudClient {
  readonly requests = new RequestCounter();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly bucket: TokenBucket;
  private readonly gate: BackoffGate;
  private readonly retry: RetryPolicy;
  private readonly rateLimitHeaders = new Map<string, string>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly baseUrl: string;
  private readonly maxAnswerBytes: number;
  private readonly timeouts: Timeouts;

  constructor(private readonly options: ClientOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.timeouts = options.timeouts ?? defaultTimeouts;
    this.dispatcher = options.dispatcher ?? keepAliveAgent(this.timeouts);
    this.maxAnswerBytes = options.maxAnswerBytes ?? defaultMaxAnswerBytes;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.bucket = new TokenBucket(options.rateLimit ?? defaultRateLimit, this.now, this.sleep);
    this.gate = new BackoffGate(this.retry, this.now, this.sleep, this.random);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get target(): string {
    return this.baseUrl;
  }

  /** Whether GET answers are kept, parsed and frozen, by an answer memo (a long-lived caller's). */
  get keepsAnswers(): boolean {
    return this.options.answers !== undefined;
  }

  /** The org id sent with every call (x-org-id), if any. */
  get orgId(): string | undefined {
    return this.options.orgId || undefined;
  }

  /** The last value of each rate-limit header the platform sent (x-ratelimit-*, ratelimit-*, retry-after). */
  rateLimitHeadersSeen(): Record<string, string> {
    return Object.fromEntries([...this.rateLimitHeaders.entries()].sort(([a], [b]) => a.localeCompare(b)));
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

  /** One HTTP exchange, counted; throws only when no response came back. A read is cut off by a stop. */
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
      const url = this.url(call);
      const signal = call.method === 'GET' ? this.options.stop : undefined;
      const response = await request(url, {
        method: call.method,
        headers,
        dispatcher: this.dispatcher,
        ...(body === undefined ? {} : { body }),
        ...(signal === undefined ? {} : { signal }),
      });
      const bytes = await boundedBytes(response.body, this.maxAnswerBytes);
      this.requests.record(call.method, call.route, response.statusCode);
      if (bytes === 'too-large') {
        throw new PlatformError({
          method: call.method,
          route: call.route,
          status: response.statusCode,
          message: `the answer is larger than ${this.maxAnswerBytes} bytes; refused rather than held in memory`,
        });
      }
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && RATE_LIMIT_HEADER.test(name.toLowerCase())) {
          this.rateLimitHeaders.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
        }
      }
      const text = bytes.toString('utf8');
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const answers = call.method === 'GET' && ok ? this.options.answers : undefined;
      return { status: response.statusCode, headers: response.headers, body: answers ? answers.parse(url, text) : parsedBody(text), bytes };
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      this.requests.record(call.method, call.route, 'error');
      throw error;
    }
  }

  private failure(call: Call, answer: Answer): PlatformError {
    const { message, details } = platformMessage(answer.body, answer.status);
    // The platform may repeat what it was sent, a secret included: what was sent in the clear stays out of the error.
    const secrets = [this.options.apiKey, ...secretsIn(call.body)];
    return new PlatformError({ method: call.method, route: call.route, status: answer.status, message, details, secrets });
  }

  private networkFailure(call: Call, error: unknown): PlatformError {
    const { words, code } = describeNetworkError(error, this.timeouts);
    return new PlatformError({ method: call.method, route: call.route, message: words, cause: error, ...(code === undefined ? {} : { networkCode: code }) });
  }

  private get stopped(): boolean {
    return this.options.stop?.aborted === true;
  }

  /**
   * `landed`: a write of this call went out and may have been carried out (never a read). `last`:
   * the failed try the stop cut the retries of, whose reason is kept in the message.
   */
  private stoppedFailure(call: Call, landed = false, last?: PlatformError): PlatformError {
    return new PlatformError({
      method: call.method,
      route: call.route,
      message: last === undefined ? 'not finished: accessctl is stopping' : `not finished: accessctl is stopping (the last try: ${last.reason})`,
      stopped: true,
      mayHaveLanded: call.method !== 'GET' && landed,
      ...(last === undefined ? {} : { cause: last }),
    });
  }

  /** Waits before a retry; a stop ends the wait early (the caller then gives up). */
  private async pause(ms: number): Promise<void> {
    const stop = this.options.stop;
    if (stop === undefined) return this.sleep(ms);
    // Node's own timer is cancelled by the stop, so a stopping process is not held open by it.
    if (this.options.sleep === undefined) return abortableSleep(ms, stop);
    let onStop: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => {
      onStop = () => resolve();
      stop.addEventListener('abort', onStop, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), stopped]);
    } finally {
      if (onStop) stop.removeEventListener('abort', onStop);
    }
  }

  /**
   * Sends a call, retrying what is safe to retry. A 429 holds this call and every other one at the
   * shared gate and is bounded by the rate-limit budget, not by the attempts; other retryable
   * failures use up attempts and wait with their own backoff.
   */
  private async send<T>(call: Call, options: SendOptions<T> = {}): Promise<Sent<T>> {
    const budgetMs = this.retry.rateLimitBudgetMs ?? DEFAULT_RATE_LIMIT_BUDGET_MS;
    let heldSince: number | undefined;
    const timeoutAttempts = this.retry.timeoutAttempts ?? DEFAULT_TIMEOUT_ATTEMPTS;
    let timedOut = 0;
    const withinBudget = (untilMs: number): void => {
      if (this.stopped && call.method === 'GET') throw this.stoppedFailure(call);
      heldSince ??= this.now();
      if (untilMs - heldSince > budgetMs) {
        throw new PlatformError({
          method: call.method,
          route: call.route,
          status: 429,
          message: `still rate limited after ${Math.round(budgetMs / 1000)}s of waiting; gave up`,
        });
      }
    };
    let failures = 0;
    // Every try, a 429 included: after a stop, a write is not sent again even when the platform turned it away unprocessed.
    let tries = 0;
    // Sticky: once an attempt may have been carried out, a later "already done" answer is its proof.
    let earlierMayHaveLanded = false;
    for (;;) {
      // A read does not start once stopped; a write's first try does (its caller chose to start it), never a retry.
      if (this.stopped && (call.method === 'GET' || tries > 0)) throw this.stoppedFailure(call, earlierMayHaveLanded);
      tries++;
      // A stop during the shared pause of a 429 ends the call at once: nothing was sent on this try.
      const pass = await this.gate.pass({ beforeWait: withinBudget, stop: this.options.stop, sleep: (ms) => this.pause(ms) });
      if (pass === 'stopped') throw this.stoppedFailure(call, earlierMayHaveLanded);
      let answer: Answer | undefined;
      let error: unknown;
      try {
        answer = await this.exchange(call);
      } catch (caught) {
        error = caught;
      }
      const retryAfterMs = answer === undefined ? undefined : parseRetryAfter(firstHeader(answer.headers['retry-after']), this.now());
      // An answer refused for its size still answered: the gate hears its status, not silence.
      this.gate.report(pass, answer?.status ?? (error instanceof PlatformError ? error.status : undefined), retryAfterMs);
      // An answer refused for its size came back whole: repeating the call would only repeat it.
      if (error instanceof PlatformError) throw error;
      if (answer === undefined && this.stopped && call.method === 'GET') throw this.stoppedFailure(call);
      if (answer !== undefined && answer.status >= 200 && answer.status < 300) return { body: answer.body as T, confirmedByRetry: false, bytes: answer.bytes };
      if (answer !== undefined && earlierMayHaveLanded && options.confirmedBy?.has(answer.status)) {
        return { body: answer.body as T, confirmedByRetry: true };
      }
      // Refused before it was processed: the gate holds the retry until the shared pause is over.
      if (answer?.status === 429) continue;
      failures++;
      const failure = answer === undefined ? this.networkFailure(call, error) : this.failure(call, answer);
      const retryable = answer === undefined ? isRetryableError(error) : isRetryableStatus(answer.status);
      if (!retryable || failures >= this.retry.attempts) throw failure;
      const landed = mayHaveLanded(answer === undefined ? { error } : { status: answer.status });
      earlierMayHaveLanded ||= landed;
      // A try that would have been retried but for the stop ends as stopped, as a stop in the pause does.
      if (this.stopped) throw this.stoppedFailure(call, earlierMayHaveLanded, failure);
      if (answer === undefined && isTimeout(error)) {
        // Each such try waited a whole timeout: a silent target fails after a few, and says so as it waits.
        timedOut++;
        if (timedOut >= timeoutAttempts) throw failure;
        this.options.onNotice?.(
          `${call.method} ${expandRoute(call.route, call.params)}: ${failure.reason}; trying again (try ${timedOut + 1} of at most ${timeoutAttempts})`,
        );
      }
      await this.pause(retryDelayMs(this.retry, failures, this.random, retryAfterMs));
      if (this.stopped) throw this.stoppedFailure(call, earlierMayHaveLanded, failure);
      if (options.beforeRetry && landed) {
        // A look-up the stop cut short is this write's stop: the try it follows may have landed.
        const settled = await options.beforeRetry().catch((error: unknown) => {
          throw error instanceof PlatformError && error.stopped ? this.stoppedFailure(call, true) : error;
        });
        if (settled !== undefined) return { body: settled, confirmedByRetry: true };
      }
    }
  }

  async get<T>(route: string, params?: Record<string, string>, query?: Call['query']): Promise<T> {
    return (await this.send<T>({ method: 'GET', route, ...(params ? { params } : {}), ...(query ? { query } : {}) })).body;
  }

  /**
   * A GET's parsed answer with its bytes as they came: a list page whose items are mapped as it
   * arrives keeps its bytes (off the JavaScript heap) rather than the parsed items, to re-read one if asked.
   */
  async getWithBytes<T>(route: string, params?: Record<string, string>, query?: Call['query']): Promise<{ body: T; bytes: Buffer }> {
    const sent = await this.send<T>({ method: 'GET', route, ...(params ? { params } : {}), ...(query ? { query } : {}) });
    return { body: sent.body, bytes: sent.bytes ?? Buffer.from(JSON.stringify(sent.body)) };
  }

  async put<T>(route: string, params: Record<string, string>, body: unknown): Promise<T> {
    return (await this.send<T>({ method: 'PUT', route, params, body })).body;
  }

  /** A DELETE whose 404 is always an error; apply should call remove(), which tells a done retry apart. */
  async delete<T>(route: string, params: Record<string, string>): Promise<T> {
    return (await this.send<T>({ method: 'DELETE', route, params })).body;
  }

  /**
   * Deletes an object. A 404 on the first attempt is an error (PlatformError 404); a 404 on a retry
   * after an attempt that may have landed (a broken connection, a timeout, a gateway 5xx) means that
   * attempt deleted it, and resolves with `confirmedByRetry: true`.
   */
  async remove(route: string, params: Record<string, string>): Promise<WriteOutcome> {
    const sent = await this.send<unknown>({ method: 'DELETE', route, params }, { confirmedBy: new Set([404]) });
    return { confirmedByRetry: sent.confirmedByRetry };
  }

  /**
   * POSTs a relation change (a graph operation such as an association add or remove). On a retry
   * after an attempt that may have landed, 409 for an add (already there) or 404 for a remove
   * (already gone) means that attempt did it: `confirmedByRetry: true`. On the first attempt they
   * are errors (PlatformError 409 or 404).
   */
  async relate(route: string, params: Record<string, string>, body: RelationChange): Promise<WriteOutcome> {
    const confirmedBy = new Set([body.op === 'add' ? 409 : 404]);
    const sent = await this.send<unknown>({ method: 'POST', route, params, body }, { confirmedBy });
    return { confirmedByRetry: sent.confirmedByRetry };
  }

  /**
   * POSTs a create. If it fails in a way that may have reached the platform, `findExisting` re-reads;
   * an object found there is the result, and only an absent one is POSTed again.
   */
  async create<T>(route: string, params: Record<string, string>, body: unknown, findExisting: () => Promise<T | undefined>): Promise<T> {
    return (await this.send<T>({ method: 'POST', route, params, body }, { beforeRetry: findExisting })).body;
  }

  /**
   * A POST retried like any call, with no check of whether an earlier attempt landed: for POSTs
   * that only read (such as an events query) or whose repetition the caller accepts. Creates go
   * through create(), relation changes through relate().
   */
  async post<T>(route: string, params: Record<string, string>, body: unknown): Promise<T> {
    return (await this.send<T>({ method: 'POST', route, params, body })).body;
  }
}
