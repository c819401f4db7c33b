// The sandbox's one source of time. Everything that reads "now" or waits (events, rate limits,
// injected latency) goes through a SandboxClock, so tests can freeze, set and advance time.

export interface ClockState {
  now: string;
  frozen: boolean;
  offsetMs: number;
}

/** What a sandbox database keeps of its clock, so a restart continues from it. */
export interface SavedClock {
  /** The sandbox time when it was saved (the last change, or the close). */
  nowMs: number;
  /** The offset from the wall clock while running; a frozen clock keeps nowMs. */
  offsetMs: number;
  frozen: boolean;
}

interface Sleeper {
  deadline: number;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

export class SandboxClock {
  #offsetMs = 0;
  #frozenAt: number | undefined;
  /** Whether whoever holds this clock chose its time (frozenAt, advance, set, freeze, unfreeze). */
  #chosen: boolean;
  readonly #source: () => number;
  readonly #sleepers = new Set<Sleeper>();
  readonly #listeners = new Set<() => void>();

  /** `source` is the wall clock to follow; `frozenAt` starts the clock stopped at that instant. */
  constructor(options: { source?: () => number; frozenAt?: number } = {}) {
    this.#source = options.source ?? Date.now;
    this.#frozenAt = options.frozenAt;
    this.#chosen = options.frozenAt !== undefined;
  }

  nowMs(): number {
    return this.#frozenAt ?? this.#source() + this.#offsetMs;
  }

  nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance takes a non-negative number of milliseconds');
    if (this.#frozenAt !== undefined) this.#frozenAt += ms;
    else this.#offsetMs += ms;
    this.#chosen = true;
    this.#wake();
    this.#notify();
  }

  /** Jumps to an instant; time may go backwards, so nothing may assume timestamps are monotonic. */
  set(ms: number): void {
    if (this.#frozenAt !== undefined) this.#frozenAt = ms;
    else this.#offsetMs = ms - this.#source();
    this.#chosen = true;
    this.#wake();
    this.#notify();
  }

  freeze(): void {
    this.#chosen = true;
    if (this.#frozenAt !== undefined) return;
    this.#frozenAt = this.nowMs();
    this.#notify();
  }

  unfreeze(): void {
    this.#chosen = true;
    if (this.#frozenAt === undefined) return;
    this.#offsetMs = this.#frozenAt - this.#source();
    this.#frozenAt = undefined;
    this.#notify();
  }

  state(): ClockState {
    return { now: this.nowIso(), frozen: this.#frozenAt !== undefined, offsetMs: this.nowMs() - this.#source() };
  }

  /** This clock as a database keeps it (see resume). */
  saved(): SavedClock {
    const nowMs = this.nowMs();
    return { nowMs, offsetMs: nowMs - this.#source(), frozen: this.#frozenAt !== undefined };
  }

  /**
   * Continues from what a database saved of the clock when it last ran, so sandbox time never goes backwards
   * over a restart (else a P30D grant, timed on the old clock, would outlive 30 days of the new
   * one). A clock whose time nobody chose takes the saved state: frozen at the saved instant, or
   * running with the saved offset (time passes while the sandbox is down, as it does for the
   * grants). Either way it then stands at the saved instant at least: a wall clock set back, or a
   * test's clock made earlier, moves up to it.
   */
  resume(saved: SavedClock): void {
    const before = this.nowMs();
    if (!this.#chosen) {
      if (saved.frozen) this.#frozenAt = saved.nowMs;
      else this.#offsetMs = saved.offsetMs;
      this.#chosen = true;
    }
    const behind = saved.nowMs - this.nowMs();
    if (behind > 0 && this.#frozenAt !== undefined) this.#frozenAt += behind;
    else if (behind > 0) this.#offsetMs += behind;
    if (this.nowMs() === before) return;
    this.#wake();
    this.#notify();
  }

  /**
   * Resolves once the clock has moved `ms` forward: by advance()/set() on this clock, or by the wall
   * clock when it is running. A frozen clock only wakes sleepers through advance()/set().
   */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        deadline: this.nowMs() + ms,
        resolve,
        timer: setTimeout(() => this.#wake(), ms),
      };
      this.#sleepers.add(sleeper);
    });
  }

  /**
   * Calls `listener` synchronously after every advance() or set(), so whatever keeps timers on this
   * clock (the scheduler) runs what fell due before advance() returns. Returns an unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Releases every pending sleep, used when the server shuts down. */
  releaseAll(): void {
    for (const sleeper of this.#sleepers) this.#finish(sleeper);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  #wake(): void {
    const now = this.nowMs();
    for (const sleeper of this.#sleepers) {
      if (sleeper.deadline <= now) this.#finish(sleeper);
      else if (this.#frozenAt === undefined) {
        clearTimeout(sleeper.timer);
        sleeper.timer = setTimeout(() => this.#wake(), sleeper.deadline - now);
      }
    }
  }

  #finish(sleeper: Sleeper): void {
    clearTimeout(sleeper.timer);
    this.#sleepers.delete(sleeper);
    sleeper.resolve();
  }
}
