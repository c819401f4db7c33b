// When and how long to wait before trying a platform request again: exponential backoff with full
// jitter, Retry-After honoured (seconds or an HTTP date) up to a cap, a bounded number of tries, and
// which failures may have been carried out by the platform before the answer was lost.

export interface RetryPolicy {
  /** Total tries, the first included. A 429 is not counted: rate limiting has its own budget. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After that is honoured; a longer one is cut to this. */
  retryAfterCapMs: number;
  /**
   * How long one call may be held back by 429s (its own or other calls') before it gives up;
   * 5 minutes when not set.
   */
  rateLimitBudgetMs?: number;
  /**
   * Total tries, the first included, that may end with no answer in time (a timeout of the
   * connection, the headers or the body); 2 when not set. Each such try costs a whole timeout,
   * so a target that accepts connections and never answers fails after this many, not `attempts`.
   */
  timeoutAttempts?: number;
}

export const DEFAULT_RATE_LIMIT_BUDGET_MS = 300_000;
export const DEFAULT_TIMEOUT_ATTEMPTS = 2;

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  retryAfterCapMs: 60_000,
  rateLimitBudgetMs: DEFAULT_RATE_LIMIT_BUDGET_MS,
  timeoutAttempts: DEFAULT_TIMEOUT_ATTEMPTS,
};

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

// undici's and Node's codes for a connection that broke or a peer that did not answer in time.
const RETRYABLE_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// Codes of a connection that was never made: the request cannot have reached the platform.
const NEVER_SENT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);

// Codes of a try that waited a whole timeout for nothing: the ones timeoutAttempts bounds.
const TIMEOUT_ERRORS = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The error codes of an error and its causes (undici wraps socket errors), outermost first. */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  // undici wraps socket errors; the code may sit on the cause.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableError(error: unknown): boolean {
  return errorCodes(error).some((code) => RETRYABLE_ERRORS.has(code));
}

/** Whether a failed try waited out a timeout: no connection, no headers or no more of the body in time. */
export function isTimeout(error: unknown): boolean {
  return errorCodes(error).some((code) => TIMEOUT_ERRORS.has(code));
}

/**
 * Whether a failed attempt may have been carried out although no success came back: a broken
 * connection or timeout after the request went out, or a gateway 5xx. A 429 and a refused
 * connection were turned away before anything happened.
 */
export function mayHaveLanded(outcome: { status: number } | { error: unknown }): boolean {
  if ('status' in outcome) return outcome.status !== 429 && isRetryableStatus(outcome.status);
  const codes = errorCodes(outcome.error);
  return isRetryableError(outcome.error) && !codes.some((code) => NEVER_SENT_ERRORS.has(code));
}

/** Milliseconds a Retry-After header asks for, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * The wait before retry number `retry` (1 for the first retry): full jitter over an exponentially
 * growing window, unless the server said how long to wait.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.retryAfterCapMs);
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * window);
}
