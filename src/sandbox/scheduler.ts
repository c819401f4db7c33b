// Durable timers on the sandbox clock: due times live in SQLite (timers table), and the Scheduler
// runs what is due when the clock moves, at start-up (so timers survive a restart) and on a timer.
import type { SandboxClock } from './clock.js';
import type { SandboxStore } from './store.js';

export type TimerKind = 'expire' | 'revoke';

export interface DueTimer {
  kind: TimerKind;
  orgId: string;
  refId: string;
}

/** Sets (or moves) the one timer of `kind` for `refId`; call inside the caller's transaction. */
export function setTimer(store: SandboxStore, kind: TimerKind, orgId: string, refId: string, dueMs: number): void {
  store
    .stmt('INSERT INTO timers (kind, org_id, ref_id, due_ms) VALUES (?, ?, ?, ?) ON CONFLICT (kind, ref_id) DO UPDATE SET due_ms = excluded.due_ms')
    .run(kind, orgId, refId, dueMs);
}

export function clearTimer(store: SandboxStore, kind: TimerKind, refId: string): void {
  store.stmt('DELETE FROM timers WHERE kind = ? AND ref_id = ?').run(kind, refId);
}

/** Other work on the same clock (the webhook delivery worker). */
export interface ClockedWork {
  /** Starts whatever is due now. */
  pump(): void;
  /** When the next piece of work falls due, if any. */
  nextDueMs(): number | undefined;
}

/** The longest a real timer waits before looking again, so a running clock never drifts far. */
const maxWaitMs = 60_000;

/** How soon it looks again when the database may not be written (see mayWrite): about a heartbeat's wait. */
const writeWaitMs = 1000;

export class Scheduler {
  readonly #store: SandboxStore;
  readonly #clock: SandboxClock;
  readonly #log: (line: string) => void;
  readonly #run: (timer: DueTimer) => void;
  readonly #work: ClockedWork[];
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #kicking = false;
  #again = false;
  #stopped = false;
  readonly #mayWrite: () => boolean;
  readonly #onError: (error: unknown) => void;

  constructor(options: {
    store: SandboxStore;
    clock: SandboxClock;
    log: (line: string) => void;
    run: (timer: DueTimer) => void;
    work?: ClockedWork[];
    /** Whether the database may be written now; while not, nothing runs and it looks again shortly. */
    mayWrite?: () => boolean;
    /**
     * What a run from its own timer failed with (no caller to throw to: a damaged page, say).
     * Default: thrown from the timer, uncaught.
     */
    onError?: (error: unknown) => void;
  }) {
    this.#mayWrite = options.mayWrite ?? (() => true);
    this.#onError =
      options.onError ??
      ((error) => {
        throw error;
      });
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#run = options.run;
    this.#work = options.work ?? [];
  }

  /** Runs everything already due (a restart catches up here) and follows the clock from now on. */
  start(): void {
    this.#unsubscribe = this.#clock.onChange(() => this.kick());
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe?.();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Runs due timers synchronously, starts due work, and arms a real timer for what comes next. */
  kick(): void {
    if (this.#stopped || !this.#store.db.open) return;
    if (!this.#mayWrite()) {
      // Due timers write: they wait until this process knows the database is still its own.
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#kickFromTimer(), writeWaitMs);
      this.#timer.unref();
      return;
    }
    if (this.#kicking) {
      this.#again = true;
      return;
    }
    this.#kicking = true;
    try {
      do {
        this.#again = false;
        this.#runDueTimers();
        for (const work of this.#work) work.pump();
      } while (this.#again);
    } finally {
      this.#kicking = false;
    }
    this.#arm();
  }

  /** A kick no caller asked for: what it fails with goes to onError. */
  #kickFromTimer(): void {
    try {
      this.kick();
    } catch (error) {
      this.#onError(error);
    }
  }

  #runDueTimers(): void {
    for (;;) {
      const now = this.#clock.nowMs();
      const rows = this.#store.stmt('SELECT id, kind, org_id, ref_id FROM timers WHERE due_ms <= ? ORDER BY due_ms, id LIMIT 100').all(now) as {
        id: number;
        kind: TimerKind;
        org_id: string;
        ref_id: string;
      }[];
      if (rows.length === 0) return;
      for (const row of rows) {
        try {
          this.#store.transaction(() => {
            this.#store.stmt('DELETE FROM timers WHERE id = ?').run(row.id);
            this.#run({ kind: row.kind, orgId: row.org_id, refId: row.ref_id });
          });
        } catch (error) {
          // A timer whose work fails is dropped, not retried forever; the log says which.
          this.#store.stmt('DELETE FROM timers WHERE id = ?').run(row.id);
          this.#log(`timer ${row.kind} for ${row.ref_id} failed: ${(error as Error).message}`);
        }
      }
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || this.#clock.state().frozen) return;
    const nextTimer = this.#store.stmt('SELECT min(due_ms) FROM timers').pluck().get() as number | null;
    const candidates = [nextTimer ?? undefined, ...this.#work.map((work) => work.nextDueMs())].filter((value): value is number => value !== undefined);
    if (candidates.length === 0) return;
    const wait = Math.min(maxWaitMs, Math.max(0, Math.min(...candidates) - this.#clock.nowMs()));
    this.#timer = setTimeout(() => this.#kickFromTimer(), wait);
    this.#timer.unref();
  }
}
