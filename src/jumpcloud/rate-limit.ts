// A token bucket in front of the platform: a steady rate with room for bursts, so a large plan
// never trips the platform's own limits; and the back-off every call shares once the platform
// answers 429 anyway, which a stop cuts short. Time comes in through `now`, `sleep` and `random`.

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

/** The back-off of a 429: how long to pause without Retry-After, and the longest Retry-After obeyed. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  retryAfterCapMs: number;
}

/** A request let through the gate; `probe` is the one request that tests whether the limit has lifted. */
export interface GatePass {
  readonly probe: boolean;
}

/** How one call waits at the gate: a stop ends its wait at once, and the call is then not let through. */
export interface GateWait {
  /** Told when the wait will end; may throw to give up instead. */
  beforeWait: (untilMs: number) => void;
  /** Aborted when the caller stops: a wait under way ends at once, and one not begun is not begun. */
  stop?: AbortSignal | undefined;
  /** Waits `ms`, or less once `stop` aborts (the client's own abortable pause); default the gate's sleep. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** What the gate answers a call: go (a pass), or `stopped` when a stop ended the call's wait. */
export type GateOutcome = GatePass | 'stopped';

/**
 * Waits for `work`, or only until `stop` aborts; then whether the call is stopped. A stop that came
 * as the wait ended counts too: the call has not been sent, so it may still end as stopped.
 */
async function waitUnlessStopped(work: () => Promise<void>, stop: AbortSignal | undefined): Promise<boolean> {
  if (stop === undefined) {
    await work();
    return false;
  }
  if (stop.aborted) return true;
  let onStop: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    onStop = () => resolve();
    stop.addEventListener('abort', onStop, { once: true });
  });
  try {
    await Promise.race([work(), stopped]);
  } finally {
    if (onStop) stop.removeEventListener('abort', onStop);
  }
  return stop.aborted;
}

export class BackoffGate {
  private limited = false;
  private notBefore = 0;
  /** Pauses in a row that ended in another 429: grows the pause when no Retry-After is given. */
  private strikes = 0;
  private spreadMs = 0;
  private probe: { settled: Promise<void>; settle: () => void } | undefined;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly random: () => number,
  ) {}

  /** Whether a 429 is standing: calls are held until a probe gets through. */
  get isLimited(): boolean {
    return this.limited;
  }

  private jitter(): number {
    return Math.floor(this.random() * this.spreadMs);
  }

  /**
   * Resolves when a request may go out: at once while no 429 stands. `beforeWait` is told when
   * the wait will end and may throw to give up instead. A stop during any wait (the pause, the
   * probe's answer, the jitter after it) resolves `stopped` at once: the call was not sent, and a
   * stopped call never holds the probe, so the calls still waiting are not held up by it.
   */
  async pass(how: GateWait | ((untilMs: number) => void)): Promise<GateOutcome> {
    const { beforeWait, stop, sleep = this.sleep } = typeof how === 'function' ? { beforeWait: how } : how;
    // Compared with notBefore rather than the clock: a later 429 moves it, and only that means another pause.
    let sleptThrough = Number.NEGATIVE_INFINITY;
    for (;;) {
      if (!this.limited) return { probe: false };
      if (this.notBefore > sleptThrough) {
        sleptThrough = this.notBefore;
        const wait = Math.max(0, this.notBefore - this.now()) + this.jitter();
        beforeWait(this.now() + wait);
        if (await waitUnlessStopped(() => sleep(wait), stop)) return 'stopped';
        continue;
      }
      const probe = this.probe;
      if (probe !== undefined) {
        if (await waitUnlessStopped(() => probe.settled, stop)) return 'stopped';
        // Let go together, the waiters would all fire at once: each takes its own jitter first.
        if (!this.limited) {
          const wait = this.jitter();
          beforeWait(this.now() + wait);
          if (await waitUnlessStopped(() => sleep(wait), stop)) return 'stopped';
        }
        continue;
      }
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      this.probe = { settled, settle };
      return { probe: true };
    }
  }

  /**
   * What a request let through got back: its status, or undefined when no answer came (which says
   * nothing about the limit). `retryAfterMs` is the answer's Retry-After, when it had one.
   */
  report(pass: GatePass, status: number | undefined, retryAfterMs?: number): void {
    if (status === 429) {
      // Answers to requests sent before the gate closed extend the pause but are not a new strike.
      if (!this.limited || pass.probe) this.strikes++;
      this.limited = true;
      const window = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (this.strikes - 1));
      this.spreadMs = window;
      const pause = retryAfterMs === undefined ? window : Math.min(retryAfterMs, this.policy.retryAfterCapMs);
      this.notBefore = Math.max(this.notBefore, this.now() + pause);
    } else if (status !== undefined && pass.probe) {
      this.limited = false;
      this.strikes = 0;
    }
    if (pass.probe && this.probe !== undefined) {
      const probe = this.probe;
      this.probe = undefined;
      probe.settle();
    }
  }
}
