// A token bucket in front of the platform: a steady rate with room for bursts, so a large plan
// never trips the platform's own limits. Time comes in through `now` and `sleep` for testability.

export interface RateLimit {
  perSecond: number;
  burst: number;
}

export const defaultRateLimit: RateLimit = { perSecond: 10, burst: 100 };

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.perSecond);
    this.updatedAt = now;
  }

  /** Resolves when a request may go out. Callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        await this.sleep(Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000));
        this.refill();
      }
      this.tokens -= 1;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }
}
