// A fleet worker's Prometheus metrics: the reconciler's own (summed over every org it ran) plus
// series labelled by org. /metrics is open (scrapers carry no token), so an org is labelled by its
// JumpCloud org id, never its name (an MSP's customer list). Cardinality is bounded: at most
// `maxOrgLabels` org values, the orgs past that counted under org="_other", every other label closed.
import { Counter, Gauge } from 'prom-client';
import { ReconcileMetrics } from '../reconcile/metrics.js';
import type { OrgRunResult } from './history.js';

export const DEFAULT_MAX_ORG_LABELS = 500;
export const OTHER_ORGS = '_other';

export class FleetMetrics extends ReconcileMetrics {
  private readonly orgRuns: Counter<'org' | 'result'>;
  private readonly orgLastSuccess: Gauge<'org'>;
  private readonly orgLastDuration: Gauge<'org'>;
  private readonly orgChanges: Counter<'org'>;
  private readonly orgDrift: Counter<'org'>;
  private readonly orgFailures: Gauge<'org'>;
  private readonly inFlight: Gauge<string>;
  private readonly ready: Gauge<string>;
  private readonly skippedBusy: Counter<string>;
  private readonly labelled = new Set<string>();
  /** Each org name's org id, as the fleet file last gave it. */
  private readonly ids = new Map<string, string>();

  constructor(private readonly maxOrgLabels: number = DEFAULT_MAX_ORG_LABELS) {
    super();
    const registers = [this.registry];
    this.orgRuns = new Counter({ name: 'accessctl_fleet_org_runs_total', help: 'Org runs by org and result.', labelNames: ['org', 'result'], registers });
    this.orgLastSuccess = new Gauge({
      name: 'accessctl_fleet_org_last_success_timestamp_seconds',
      help: "Unix time of the org's last successful run on this worker.",
      labelNames: ['org'],
      registers,
    });
    this.orgLastDuration = new Gauge({
      name: 'accessctl_fleet_org_last_run_duration_seconds',
      help: "Duration of the org's last run on this worker.",
      labelNames: ['org'],
      registers,
    });
    this.orgChanges = new Counter({ name: 'accessctl_fleet_org_changes_total', help: 'Changes applied, by org.', labelNames: ['org'], registers });
    this.orgDrift = new Counter({ name: 'accessctl_fleet_org_drift_detected_total', help: 'Drifted objects found, by org.', labelNames: ['org'], registers });
    this.orgFailures = new Gauge({
      name: 'accessctl_fleet_org_consecutive_failures',
      help: 'Failed runs in a row, by org, as of its last run on this worker.',
      labelNames: ['org'],
      registers,
    });
    this.inFlight = new Gauge({ name: 'accessctl_fleet_runs_in_flight', help: 'Org runs this worker is carrying out now.', registers });
    this.ready = new Gauge({ name: 'accessctl_fleet_worker_ready', help: '1 while the worker can take work (its database answers), else 0.', registers });
    this.skippedBusy = new Counter({ name: 'accessctl_fleet_org_busy_total', help: 'Jobs dropped because another worker was running the org.', registers });
  }

  /** Tells the org id the org's series are labelled with (from the fleet file, at each run). */
  knowOrg(name: string, orgId: string): void {
    this.ids.set(name, orgId);
  }

  /** The org's label: its org id for the first maxOrgLabels orgs seen, then _other (also for an org whose id is not known). */
  orgLabel(org: string): string {
    const id = this.ids.get(org);
    if (id === undefined) return OTHER_ORGS;
    if (this.labelled.has(id)) return id;
    if (this.labelled.size >= this.maxOrgLabels) return OTHER_ORGS;
    this.labelled.add(id);
    return id;
  }

  recordOrgRun(org: string, result: OrgRunResult, seconds: number, at: Date, outcome: { applied: number; drifted: number; consecutiveFailures: number }): void {
    const label = this.orgLabel(org);
    this.orgRuns.inc({ org: label, result });
    if (label !== OTHER_ORGS) {
      this.orgLastDuration.set({ org: label }, seconds);
      this.orgFailures.set({ org: label }, outcome.consecutiveFailures);
      if (result === 'success' || result === 'no-op') this.orgLastSuccess.set({ org: label }, at.getTime() / 1000);
    }
    if (outcome.applied > 0) this.orgChanges.inc({ org: label }, outcome.applied);
    if (outcome.drifted > 0) this.orgDrift.inc({ org: label }, outcome.drifted);
  }

  setInFlight(count: number): void {
    this.inFlight.set(count);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  recordBusy(): void {
    this.skippedBusy.inc();
  }
}
