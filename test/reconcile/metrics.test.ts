// The reconciler's metrics: valid Prometheus text with every name prefixed accessctl_, API counts
// turned from cumulative into increases, and one registry per instance.
import { describe, expect, it } from 'vitest';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|[+-]Inf)( -?\d+)?$/;

interface Exposition {
  types: Map<string, string>;
  samples: { name: string; labels: string; value: number }[];
}

/** A small, strict reader of the text format: comments, TYPE lines and samples only. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Exposition['samples'] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    samples.push({ name: sample[1] ?? '', labels: sample[2] ?? '', value: Number(sample[3]) });
  }
  return { types, samples };
}

function familyOf(sample: string, types: Map<string, string>): string | undefined {
  if (types.has(sample)) return sample;
  const base = sample.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : undefined;
}

function value(exposition: Exposition, name: string, labels = ''): number | undefined {
  return exposition.samples.find((sample) => sample.name === name && sample.labels === labels)?.value;
}

describe('ReconcileMetrics', () => {
  it('exposes valid Prometheus text with every family typed and prefixed accessctl_', async () => {
    const metrics = new ReconcileMetrics();
    metrics.recordRun('success', 1.5, new Date('2026-01-01T00:00:00Z'));
    metrics.recordRun('failure', 0.2, new Date('2026-01-01T00:05:00Z'));
    metrics.recordChange('flow', 'create');
    metrics.recordChange('flow', 'create');
    metrics.recordDrift('group-assignment');
    metrics.recordApiRequests([{ method: 'GET', route: '/api/v2/approvalflows/{id}', status: '200', count: 3 }]);

    const exposition = parseExposition(await metrics.text());

    expect(Object.fromEntries(exposition.types)).toEqual({
      accessctl_runs_total: 'counter',
      accessctl_run_duration_seconds: 'histogram',
      accessctl_changes_total: 'counter',
      accessctl_drift_detected_total: 'counter',
      accessctl_changes_failed_total: 'counter',
      accessctl_changes_conflicted_total: 'counter',
      accessctl_changes_skipped_total: 'counter',
      accessctl_apply_held: 'gauge',
      accessctl_api_requests_total: 'counter',
      accessctl_plans_total: 'counter',
      accessctl_last_success_timestamp_seconds: 'gauge',
    });
    for (const sample of exposition.samples) {
      expect(sample.name).toMatch(/^accessctl_/);
      expect(familyOf(sample.name, exposition.types), sample.name).toBeDefined();
    }
    expect(value(exposition, 'accessctl_runs_total', '{result="success"}')).toBe(1);
    expect(value(exposition, 'accessctl_runs_total', '{result="failure"}')).toBe(1);
    expect(value(exposition, 'accessctl_run_duration_seconds_count')).toBe(2);
    expect(value(exposition, 'accessctl_run_duration_seconds_sum')).toBeCloseTo(1.7);
    expect(value(exposition, 'accessctl_changes_total', '{kind="flow",action="create"}')).toBe(2);
    expect(value(exposition, 'accessctl_drift_detected_total', '{kind="group-assignment"}')).toBe(1);
    expect(value(exposition, 'accessctl_api_requests_total', '{method="GET",route="/api/v2/approvalflows/{id}",status="200"}')).toBe(3);
    expect(value(exposition, 'accessctl_last_success_timestamp_seconds')).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
  });

  it('adds only the increase of cumulative API request counts', async () => {
    const metrics = new ReconcileMetrics();
    const entry = { method: 'POST', route: '/api/v2/approvalflows', status: '201' };

    metrics.recordApiRequests([{ ...entry, count: 3 }]);
    metrics.recordApiRequests([{ ...entry, count: 5 }]);
    metrics.recordApiRequests([{ ...entry, count: 5 }]);
    const afterGrowth = value(
      parseExposition(await metrics.text()),
      'accessctl_api_requests_total',
      '{method="POST",route="/api/v2/approvalflows",status="201"}',
    );
    // A new client counts from zero again: all of its count is new.
    metrics.recordApiRequests([{ ...entry, count: 2 }]);
    const afterReset = value(
      parseExposition(await metrics.text()),
      'accessctl_api_requests_total',
      '{method="POST",route="/api/v2/approvalflows",status="201"}',
    );

    expect(afterGrowth).toBe(5);
    expect(afterReset).toBe(7);
  });

  it('counts a conflict (a change another writer changed since the plan) apart from failures, and a conflict run is no success', async () => {
    const metrics = new ReconcileMetrics();
    metrics.recordRun('success', 1, new Date('2026-01-01T00:00:00Z'));
    metrics.recordConflict('ApprovalFlow', 'update');
    metrics.recordConflict('ApprovalFlow', 'update');
    metrics.recordRun('conflict', 1, new Date('2026-01-01T01:00:00Z'));
    const exposition = parseExposition(await metrics.text());
    expect(value(exposition, 'accessctl_changes_conflicted_total', '{kind="ApprovalFlow",action="update"}')).toBe(2);
    expect(value(exposition, 'accessctl_changes_failed_total', '{kind="ApprovalFlow",action="update"}')).toBeUndefined();
    expect(value(exposition, 'accessctl_runs_total', '{result="conflict"}')).toBe(1);
    expect(value(exposition, 'accessctl_last_success_timestamp_seconds')).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
  });

  it('moves the last-success time only on a successful run, a no-op run included', async () => {
    const metrics = new ReconcileMetrics();
    metrics.recordRun('success', 1, new Date('2026-01-01T00:00:00Z'));
    metrics.recordRun('failure', 1, new Date('2026-01-01T01:00:00Z'));
    expect(value(parseExposition(await metrics.text()), 'accessctl_last_success_timestamp_seconds')).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    // A reconciler at rest: nothing to apply is a success too.
    metrics.recordRun('no-op', 1, new Date('2026-01-01T02:00:00Z'));
    metrics.recordRun('partial', 1, new Date('2026-01-01T03:00:00Z'));
    expect(value(parseExposition(await metrics.text()), 'accessctl_last_success_timestamp_seconds')).toBe(Date.parse('2026-01-01T02:00:00Z') / 1000);
  });

  it('counts failed and skipped changes by reason, and shows what holds the reconciler back', async () => {
    const metrics = new ReconcileMetrics();
    // Before any run, nothing holds it back: both reasons are exposed as 0, so an alert can watch them.
    let exposition = parseExposition(await metrics.text());
    expect(value(exposition, 'accessctl_apply_held', '{reason="suspended"}')).toBe(0);
    expect(value(exposition, 'accessctl_apply_held', '{reason="outside-sync-window"}')).toBe(0);
    metrics.recordFailedChange('WebhookChannel', 'create');
    metrics.recordSkip('ApprovalFlow', 'suspended');
    metrics.recordSkip('ApprovalFlow', 'suspended');
    metrics.recordSkip('AccessRequestSettings', 'drift-paused');
    metrics.recordHold('suspended');
    exposition = parseExposition(await metrics.text());
    expect(value(exposition, 'accessctl_changes_failed_total', '{kind="WebhookChannel",action="create"}')).toBe(1);
    expect(value(exposition, 'accessctl_changes_skipped_total', '{kind="ApprovalFlow",reason="suspended"}')).toBe(2);
    expect(value(exposition, 'accessctl_changes_skipped_total', '{kind="AccessRequestSettings",reason="drift-paused"}')).toBe(1);
    expect(value(exposition, 'accessctl_apply_held', '{reason="suspended"}')).toBe(1);
    metrics.recordHold('outside-sync-window');
    exposition = parseExposition(await metrics.text());
    expect(value(exposition, 'accessctl_apply_held', '{reason="suspended"}')).toBe(0);
    expect(value(exposition, 'accessctl_apply_held', '{reason="outside-sync-window"}')).toBe(1);
    metrics.recordHold(undefined);
    expect(value(parseExposition(await metrics.text()), 'accessctl_apply_held', '{reason="outside-sync-window"}')).toBe(0);
  });

  it('keeps each instance in its own registry', async () => {
    const busy = new ReconcileMetrics();
    const quiet = new ReconcileMetrics();
    busy.recordChange('flow', 'delete');

    const exposition = parseExposition(await quiet.text());

    expect(exposition.samples.filter((sample) => sample.name === 'accessctl_changes_total')).toEqual([]);
    expect(busy.registry).not.toBe(quiet.registry);
  });
});
