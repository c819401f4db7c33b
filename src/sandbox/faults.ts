// Test hooks, only with --enable-test-hooks: a token-bucket rate limit per API key, injected
// faults per route (error rate, latency, connection resets) and a request counter per route.
import { BodyReader } from './request-body.js';
import type { SandboxClock } from './clock.js';

export interface FaultRule {
  /** "METHOD /path/pattern" as listed by the request counter, or "*" for every route. */
  route: string;
  /** Share of requests (0 to 1) answered with `status` instead of being served. */
  errorRate: number;
  status: number;
  /** Delay before the request is handled, on the sandbox clock. */
  latencyMs: number;
  /** Share of requests (0 to 1) whose connection is destroyed without an answer. */
  resetRate: number;
  /**
   * Share of requests (0 to 1) that are carried out and committed, and whose connection is then
   * destroyed before the answer: the client cannot tell whether its write happened.
   */
  resetAfterRate: number;
}

export interface FaultConfig {
  rules: FaultRule[];
  /** Seed of the generator that draws against the rates, so a run can be replayed. */
  seed: number;
}

export interface RateLimitConfig {
  /** Bucket size: the burst a key may send at once. */
  capacity: number;
  refillPerSecond: number;
}

export interface FaultDecision {
  latencyMs: number;
  reset: boolean;
  resetAfter: boolean;
  errorStatus: number | undefined;
}

const faultStatuses = [408, 429, 500, 502, 503, 504];

/** mulberry32: small, fast and deterministic for a given seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TestHooks {
  readonly #clock: SandboxClock;
  readonly #counts = new Map<string, number>();
  #faults: FaultConfig = { rules: [], seed: 1 };
  #random = generator(1);
  #rateLimit: RateLimitConfig | undefined;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(clock: SandboxClock) {
    this.#clock = clock;
  }

  count(route: string): void {
    this.#counts.set(route, (this.#counts.get(route) ?? 0) + 1);
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  resetCounts(): void {
    this.#counts.clear();
  }

  faults(): FaultConfig {
    return this.#faults;
  }

  /** Replaces the fault rules; throws a 400 listing every problem. */
  setFaults(body: unknown): FaultConfig {
    const reader = new BodyReader(body, ['rules', 'seed']);
    const seed = reader.integer('seed', { min: 0, max: 2 ** 32 - 1 }) ?? 1;
    const rules: FaultRule[] = [];
    (reader.array('rules', { required: true, maxItems: 100 }) ?? []).forEach((item, index) => {
      const entry = new BodyReader(item, ['route', 'errorRate', 'status', 'latencyMs', 'resetRate', 'resetAfterRate'], {
        prefix: `rules[${index}]`,
        details: reader.details,
      });
      const route = entry.string('route', {
        required: true,
        pattern: /^(\*|(GET|POST|PUT|DELETE) \/\S*)$/,
        hint: 'must be "*" or "METHOD /path"',
      });
      const errorRate = rate(entry, 'errorRate');
      const resetRate = rate(entry, 'resetRate');
      const resetAfterRate = rate(entry, 'resetAfterRate');
      const status = entry.integer('status', { min: 400, max: 599 }) ?? 503;
      if (!faultStatuses.includes(status)) entry.fail('status', `must be one of ${faultStatuses.join(', ')}`);
      const latencyMs = entry.integer('latencyMs', { min: 0, max: 600_000 }) ?? 0;
      if (route !== undefined) rules.push({ route, errorRate, status, latencyMs, resetRate, resetAfterRate });
    });
    reader.finish('invalid fault configuration');
    this.#faults = { rules, seed };
    this.#random = generator(seed);
    return this.#faults;
  }

  /** What to do to one request on `route`: the first matching rule wins. */
  decide(route: string): FaultDecision {
    const rule = this.#faults.rules.find((r) => r.route === '*' || r.route === route);
    if (rule === undefined) return { latencyMs: 0, reset: false, resetAfter: false, errorStatus: undefined };
    const reset = rule.resetRate > 0 && this.#random() < rule.resetRate;
    const error = !reset && rule.errorRate > 0 && this.#random() < rule.errorRate;
    const resetAfter = !reset && !error && rule.resetAfterRate > 0 && this.#random() < rule.resetAfterRate;
    return { latencyMs: rule.latencyMs, reset, resetAfter, errorStatus: error ? rule.status : undefined };
  }

  rateLimit(): RateLimitConfig | null {
    return this.#rateLimit ?? null;
  }

  /** Sets the rate limit; a body of {"capacity": 0} or null turns it off. */
  setRateLimit(body: unknown): RateLimitConfig | null {
    if (body === null) {
      this.#rateLimit = undefined;
      this.#buckets.clear();
      return null;
    }
    const reader = new BodyReader(body, ['capacity', 'refillPerSecond']);
    const capacity = reader.integer('capacity', { required: true, min: 0, max: 1_000_000 });
    const refill = reader.body['refillPerSecond'];
    if (typeof refill !== 'number' || !(refill > 0) || refill > 1_000_000) reader.fail('refillPerSecond', 'must be a number above 0');
    reader.finish('invalid rate limit');
    this.#buckets.clear();
    this.#rateLimit = capacity === 0 || capacity === undefined ? undefined : { capacity, refillPerSecond: refill as number };
    return this.#rateLimit ?? null;
  }

  /** Takes one token from the key's bucket; when empty, says how many seconds until the next. */
  take(keyId: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const limit = this.#rateLimit;
    if (limit === undefined) return { ok: true };
    const now = this.#clock.nowMs();
    const bucket = this.#buckets.get(keyId) ?? { tokens: limit.capacity, at: now };
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + elapsed * limit.refillPerSecond);
    bucket.at = now;
    this.#buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.refillPerSecond)) };
  }
}

function rate(reader: BodyReader, field: string): number {
  const value = reader.body[field];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    reader.fail(field, 'must be a number from 0 to 1');
    return 0;
  }
  return value;
}
