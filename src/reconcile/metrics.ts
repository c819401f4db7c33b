// The reconciler's Prometheus metrics: one prom-client Registry per instance (never the global
// default), every name prefixed accessctl_. API request counts arrive cumulative from the
// client's RequestCounter and are turned into counter increases here.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestCount } from '../jumpcloud/request-counter.js';

/** Buckets for run durations, in seconds: a no-op run is well under a second, a big apply minutes. */
/** The reasons a whole run applies nothing on purpose. */
export const HOLD_REASONS = ['suspended', 'outside-sync-window'] as const;

export const RUN_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class ReconcileMetrics {
  readonly registry: Registry;
  private readonly runs: Counter<'result'>;
  private readonly runDuration: Histogram<string>;
  private readonly changes: Counter<'kind' | 'action'>;
  private readonly drift: Counter<'kind'>;
  private readonly failedChanges: Counter<'kind' | 'action'>;
  private readonly conflictedChanges: Counter<'kind' | 'action'>;
  private readonly skipped: Counter<'kind' | 'reason'>;
  private readonly held: Gauge<'reason'>;
  private readonly apiRequests: Counter<'method' | 'route' | 'status'>;
  private readonly lastSuccess: Gauge<string>;
  private readonly plans: Counter<'made'>;
  private readonly seenRequests = new Map<string, number>();

  constructor() {
    this.registry = new Registry();
    const registers = [this.registry];
    this.runs = new Counter({ name: 'accessctl_runs_total', help: 'Reconcile runs by result.', labelNames: ['result'], registers });
    this.runDuration = new Histogram({
      name: 'accessctl_run_duration_seconds',
      help: 'Duration of reconcile runs in seconds.',
      buckets: RUN_DURATION_BUCKETS,
      registers,
    });
    this.changes = new Counter({
      name: 'accessctl_changes_total',
      help: 'Changes applied, by object kind and action.',
      labelNames: ['kind', 'action'],
      registers,
    });
    this.drift = new Counter({
      name: 'accessctl_drift_detected_total',
      help: 'Drift detected between git and the platform, by object kind.',
      labelNames: ['kind'],
      registers,
    });
    this.failedChanges = new Counter({
      name: 'accessctl_changes_failed_total',
      help: 'Changes that failed or were not started, by object kind and action.',
      labelNames: ['kind', 'action'],
      registers,
    });
    this.conflictedChanges = new Counter({
      name: 'accessctl_changes_conflicted_total',
      help: 'Changes not written because another writer changed the object since the plan was made (changed-since-plan), by object kind and action: a conflict, not a failure (the run plans again at once while it has plans left).',
      labelNames: ['kind', 'action'],
      registers,
    });
    this.skipped = new Counter({
      name: 'accessctl_changes_skipped_total',
      help: 'Planned changes not applied on purpose, by object kind and reason (suspended, outside-sync-window, drift-paused).',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.held = new Gauge({
      name: 'accessctl_apply_held',
      help: 'Whether the last run applied nothing on purpose, by reason: 1 while the project is suspended or outside its sync windows.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of HOLD_REASONS) this.held.set({ reason }, 0);
    this.apiRequests = new Counter({
      name: 'accessctl_api_requests_total',
      help: 'Platform API requests by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.plans = new Counter({
      name: 'accessctl_plans_total',
      help: 'Plans a run worked from: made anew, or reused because the config, the live answers and the secrets were all as in the run before.',
      labelNames: ['made'],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'accessctl_last_success_timestamp_seconds',
      help: 'Unix time of the last successful reconcile run.',
      registers,
    });
  }

  /** Counts a run; a run that applied everything, or found nothing to apply, also sets the last-success time to `at`. */
  recordRun(result: string, seconds: number, at: Date): void {
    this.runs.inc({ result });
    if (Number.isFinite(seconds) && seconds >= 0) this.runDuration.observe(seconds);
    // A reconciler at rest only has no-op runs: they succeed too, or an alert on this gauge would fire.
    if (result === 'success' || result === 'no-op') this.lastSuccess.set(at.getTime() / 1000);
  }

  recordChange(kind: string, action: string): void {
    this.changes.inc({ kind, action });
  }

  recordFailedChange(kind: string, action: string): void {
    this.failedChanges.inc({ kind, action });
  }

  /** A change refused because another writer changed its object since the plan: counted apart from failures. */
  recordConflict(kind: string, action: string): void {
    this.conflictedChanges.inc({ kind, action });
  }

  recordSkip(kind: string, reason: string): void {
    this.skipped.inc({ kind, reason });
  }

  /** What held the last run back from applying, if anything: the gauge of that reason is 1, the others 0. */
  recordHold(reason: (typeof HOLD_REASONS)[number] | undefined): void {
    for (const each of HOLD_REASONS) this.held.set({ reason: each }, each === reason ? 1 : 0);
  }

  recordPlan(made: 'new' | 'reused'): void {
    this.plans.inc({ made });
  }

  recordDrift(kind: string, count = 1): void {
    this.drift.inc({ kind }, count);
  }

  /**
   * Takes the client's cumulative counts and adds only the increase since the last call. A count
   * lower than last seen means a new client (counting from zero), so all of it is new.
   */
  recordApiRequests(entries: readonly RequestCount[]): void {
    for (const { method, route, status, count } of entries) {
      const key = `${method}\u0000${route}\u0000${status}`;
      const seen = this.seenRequests.get(key) ?? 0;
      const increase = count >= seen ? count - seen : count;
      this.seenRequests.set(key, count);
      if (increase > 0) this.apiRequests.inc({ method, route, status }, increase);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
