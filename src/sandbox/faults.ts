// Test hooks, only with --enable-test-hooks: a token-bucket rate limit per API key, injected
// faults per route (error rate, latency, connection resets) and a request counter per route.
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

/** A PUT /sandbox/v1/faults body, as the FaultConfig schema accepted it. */
export interface FaultConfigWrite {
  seed?: number;
  rules: (Pick<FaultRule, 'route'> & Partial<Omit<FaultRule, 'route'>>)[];
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

export const faultStatuses = [408, 429, 500, 502, 503, 504] as const;

/** mulberry32: small, fast and deterministic for a given seed. */
export function seededRandom(seed: number): () => number {
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
  #random = seededRandom(1);
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

  /** Replaces the fault rules with a body the FaultConfig schema accepted; rates and the rest default to 0, status to 503. */
  setFaults(body: FaultConfigWrite): FaultConfig {
    const seed = body.seed ?? 1;
    const rules: FaultRule[] = body.rules.map((rule) => ({
      route: rule.route,
      errorRate: rule.errorRate ?? 0,
      status: rule.status ?? 503,
      latencyMs: rule.latencyMs ?? 0,
      resetRate: rule.resetRate ?? 0,
      resetAfterRate: rule.resetAfterRate ?? 0,
    }));
    this.#faults = { rules, seed };
    this.#random = seededRandom(seed);
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

  /** Sets the rate limit from a RateLimitState the schema accepted; null or a capacity of 0 turns it off. */
  setRateLimit(limit: RateLimitConfig | null): RateLimitConfig | null {
    this.#buckets.clear();
    this.#rateLimit = limit === null || limit.capacity === 0 ? undefined : { ...limit };
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
