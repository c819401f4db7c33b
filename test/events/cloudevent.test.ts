// The CloudEvents builders: every envelope meets the CloudEvents 1.0 attribute rules, carries the
// run, the object, the field diff and its git author, and never a secret.
import { describe, expect, it } from 'vitest';
import {
  changeApplied,
  changeFailed,
  changeSkipped,
  driftDetected,
  EVENT_TYPES,
  MAX_LISTED_FAILURES,
  runCompleted,
  type AccessctlEvent,
} from '../../src/events/cloudevent.js';
import { AccessctlError } from '../../src/errors.js';
import { attribution, NOW, PLANTED, runContext, sampleEvents, skippedEvent } from './sample-events.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The CloudEvents 1.0 core rules (spec.md "Context Attributes"), written from the spec, not the code. */
function cloudEventProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) return ['not an object'];
  const event = value as Record<string, unknown>;
  for (const name of ['id', 'source', 'specversion', 'type']) {
    if (typeof event[name] !== 'string' || (event[name] as string).length === 0) problems.push(`required ${name} must be a non-empty string`);
  }
  if (event['specversion'] !== '1.0') problems.push('specversion must be 1.0');
  for (const name of Object.keys(event)) {
    if (!/^[a-z0-9]{1,20}$/.test(name)) problems.push(`attribute name ${name} must be lower-case a-z0-9, at most 20 characters`);
  }
  for (const name of ['datacontenttype', 'dataschema', 'subject', 'time']) {
    if (name in event && (typeof event[name] !== 'string' || (event[name] as string).length === 0))
      problems.push(`${name} must be a non-empty string when present`);
  }
  if (typeof event['time'] === 'string' && !RFC3339.test(event['time'])) problems.push('time must be RFC 3339');
  if (typeof event['source'] === 'string' && /\s/.test(event['source'])) problems.push('source must be a URI-reference');
  if ('data' in event && 'data_base64' in event) problems.push('data and data_base64 are exclusive');
  return problems;
}

describe('CloudEvents envelopes', () => {
  it('builds every event type as a valid CloudEvents 1.0 structured JSON event', () => {
    const events = [...sampleEvents(), skippedEvent()];
    expect(events.map((e) => e.type)).toEqual([...EVENT_TYPES]);
    for (const event of events) {
      const roundTripped: unknown = JSON.parse(JSON.stringify(event));
      expect(cloudEventProblems(roundTripped)).toEqual([]);
      expect(event.specversion).toBe('1.0');
      expect(event.datacontenttype).toBe('application/json');
      expect(event.source).toBe('accessctl/reconcile');
      expect(event.time).toBe('2026-03-01T09:00:00.000Z');
    }
  });

  it('gives every run its own ids, and the same event the same id (test/events/event-identity.test.ts has the rest)', () => {
    const ids = new Set<string>();
    const summary = { result: 'no-op', applied: 0, failed: 0, drifted: 0, durationMs: 1 } as const;
    for (let i = 0; i < 500; i++) ids.add(runCompleted(runContext({ runId: `run-${i}` }), summary, NOW).id);
    expect(ids.size).toBe(500);
    expect(runCompleted(runContext({ runId: 'run-7' }), summary, NOW).id).toBe(runCompleted(runContext({ runId: 'run-7' }), summary, NOW).id);
  });

  it('names the object as the subject, kind/name, and leaves it off the run summary', () => {
    const [applied, failed, drift, run] = sampleEvents() as [AccessctlEvent, AccessctlEvent, AccessctlEvent, AccessctlEvent];
    expect(applied.subject).toBe('WebhookChannel/Slack');
    expect(failed.subject).toBe('ApprovalFlow/GitHub Admins');
    expect(drift.subject).toBe('ApprovalFlow/Prod DB');
    expect(run).not.toHaveProperty('subject');
  });

  it('stamps every event with the run id, the config commit and the target', () => {
    for (const event of [...sampleEvents(), skippedEvent()]) {
      expect(event.data).toMatchObject({
        runId: 'run-7f3a',
        configCommit: 'fedcba9876543210fedcba9876543210fedcba98',
        target: 'http://127.0.0.1:8080',
      });
    }
    const outsideGit = runCompleted(runContext({ configCommit: null }), { result: 'plan-only', applied: 0, failed: 0, drifted: 2, durationMs: 5 }, NOW);
    expect(outsideGit.data['configCommit']).toBeNull();
  });

  it('carries kind, name, action, id, the field diff and the git attribution of an applied change', () => {
    const event = changeApplied(
      runContext(),
      {
        kind: 'ApprovalFlow',
        name: 'GitHub Admins',
        action: 'update',
        id: 'af-1',
        fields: [{ path: 'spec.approval.levels[0].require', before: 1, after: 2 }],
        attribution,
      },
      NOW,
    );
    expect(event.type).toBe('accessctl.change.applied');
    expect(event.data).toEqual({
      runId: 'run-7f3a',
      configCommit: 'fedcba9876543210fedcba9876543210fedcba98',
      target: 'http://127.0.0.1:8080',
      kind: 'ApprovalFlow',
      name: 'GitHub Admins',
      action: 'update',
      id: 'af-1',
      fields: [{ path: 'spec.approval.levels[0].require', before: 1, after: 2 }],
      attribution,
    });
  });

  it('sets attribution to null when git could not say who changed the object', () => {
    const event = changeApplied(runContext(), { kind: 'ApprovalFlow', name: 'X', action: 'delete', id: 'af-2', fields: [] }, NOW);
    expect(event.data['attribution']).toBeNull();
  });

  it('adds the error to a failed change', () => {
    const event = changeFailed(
      runContext({ redact: undefined }),
      { kind: 'ApprovalFlow', name: 'X', action: 'create', fields: [], error: { code: 'platform', message: 'HTTP 409 name taken', status: 409 } },
      NOW,
    );
    expect(event.type).toBe('accessctl.change.failed');
    expect(event.data['error']).toEqual({ code: 'platform', message: 'HTTP 409 name taken', status: 409 });
    expect(event.data['action']).toBe('create');
  });

  it('reports drift with its policy, as an update unless told otherwise', () => {
    const corrected = driftDetected(
      runContext(),
      { kind: 'ApprovalFlow', name: 'X', id: 'af-3', policy: 'correct', fields: [{ path: 'spec.enabled', before: false, after: true }] },
      NOW,
    );
    expect(corrected.type).toBe('accessctl.drift.detected');
    expect(corrected.data).toMatchObject({ policy: 'correct', action: 'update', kind: 'ApprovalFlow', name: 'X', id: 'af-3', attribution: null });
    const missing = driftDetected(runContext(), { kind: 'ApprovalFlow', name: 'Y', policy: 'report', action: 'create', fields: [] }, NOW);
    expect(missing.data).toMatchObject({ policy: 'report', action: 'create' });
  });

  it('summarises a run', () => {
    const event = runCompleted(runContext(), { result: 'success', applied: 3, failed: 0, drifted: 1, durationMs: 812 }, NOW);
    expect(event.type).toBe('accessctl.run.completed');
    expect(event.data).toEqual({
      runId: 'run-7f3a',
      configCommit: 'fedcba9876543210fedcba9876543210fedcba98',
      target: 'http://127.0.0.1:8080',
      result: 'success',
      applied: 3,
      failed: 0,
      drifted: 1,
      durationMs: 812,
    });
  });

  it('lists the failed changes of a run, each with why, capped and counted beyond the cap', () => {
    const failure = { kind: 'WebhookChannel', name: 'Hook', action: 'create' as const, reason: 'answered 500' };
    const event = runCompleted(runContext(), { result: 'partial', applied: 2, failed: 1, drifted: 0, skipped: 0, durationMs: 5, failures: [failure] }, NOW);
    expect(event.data).toMatchObject({ skipped: 0, failures: [failure] });
    const many = Array.from({ length: MAX_LISTED_FAILURES + 3 }, (_, i) => ({ ...failure, name: `Hook ${i}` }));
    const capped = runCompleted(runContext(), { result: 'failed', applied: 0, failed: many.length, drifted: 0, durationMs: 5, failures: many }, NOW);
    expect(capped.data['failures']).toHaveLength(MAX_LISTED_FAILURES);
    expect(capped.data['failuresNotListed']).toBe(3);
  });

  it("lists the changes another writer's conflict kept from being written apart from the failures, capped the same way", () => {
    const conflict = { kind: 'ApprovalFlow', name: 'GitHub User', action: 'update' as const, reason: 'changed on the platform since the plan was made' };
    const event = runCompleted(
      runContext(),
      { result: 'conflict', applied: 0, failed: 0, drifted: 0, durationMs: 5, failures: [], conflicts: [conflict] },
      NOW,
    );
    expect(event.data).toMatchObject({ result: 'conflict', failed: 0, conflicts: [conflict] });
    expect(event.data).not.toHaveProperty('failures');
    const many = Array.from({ length: MAX_LISTED_FAILURES + 2 }, (_, i) => ({ ...conflict, name: `Flow ${i}` }));
    const capped = runCompleted(runContext(), { result: 'conflict', applied: 0, failed: 0, drifted: 0, durationMs: 5, conflicts: many }, NOW);
    expect(capped.data['conflicts']).toHaveLength(MAX_LISTED_FAILURES);
    expect(capped.data['conflictsNotListed']).toBe(2);
    expect(runCompleted(runContext(), { result: 'success', applied: 1, failed: 0, drifted: 0, durationMs: 5, conflicts: [] }, NOW).data).not.toHaveProperty(
      'conflicts',
    );
  });

  it('says why a change was skipped and until when, and which target a Project named instead', () => {
    const skipped = changeSkipped(
      runContext(),
      { kind: 'ApprovalFlow', name: 'X', action: 'create', fields: [], reason: 'outside-sync-window', until: '2026-03-02T08:00:00.000Z' },
      NOW,
    );
    expect(skipped).toMatchObject({
      type: 'accessctl.change.skipped',
      subject: 'ApprovalFlow/X',
      data: { reason: 'outside-sync-window', until: '2026-03-02T08:00:00.000Z', action: 'create' },
    });
    expect(changeSkipped(runContext(), { kind: 'ApprovalFlow', name: 'X', action: 'create', fields: [], reason: 'suspended' }, NOW).data['until']).toBeNull();
    const paused = driftDetected(runContext(), { kind: 'ApprovalFlow', name: 'X', policy: 'report', pausedUntil: '2026-12-01T00:00:00.000Z', fields: [] }, NOW);
    expect(paused.data).toMatchObject({ policy: 'report', pausedUntil: '2026-12-01T00:00:00.000Z' });
    const mismatch = { project: 'https://console.jumpcloud.com', client: 'http://127.0.0.1:8080', from: 'JUMPCLOUD_API_URL', overridden: true };
    expect(
      runCompleted(runContext(), { result: 'success', applied: 1, failed: 0, drifted: 0, durationMs: 1, targetMismatch: mismatch }, NOW).data['targetMismatch'],
    ).toEqual(mismatch);
  });

  it('writes the time in RFC 3339 UTC from the clock it is given', () => {
    const event = runCompleted(runContext(), { result: 'no-op', applied: 0, failed: 0, drifted: 0, durationMs: 0 }, new Date(Date.UTC(2027, 0, 2, 3, 4, 5, 6)));
    expect(event.time).toBe('2027-01-02T03:04:05.006Z');
    expect(event.time).toMatch(RFC3339);
  });

  it('refuses an empty source or an invalid time, which would break the envelope', () => {
    const summary = { result: 'no-op' as const, applied: 0, failed: 0, drifted: 0, durationMs: 0 };
    expect(() => runCompleted(runContext({ source: '' }), summary, NOW)).toThrow(AccessctlError);
    expect(() => runCompleted(runContext(), summary, new Date(Number.NaN))).toThrow(AccessctlError);
  });
});

describe('secrets in events', () => {
  it('never carries the planted secret anywhere in any event', () => {
    for (const event of [...sampleEvents(), skippedEvent()]) expect(JSON.stringify(event)).not.toContain(PLANTED);
  });

  it('keeps only the path of a sensitive field or a field under signingSecret, secrets or headers', () => {
    const event = changeApplied(
      runContext(),
      {
        kind: 'WebhookChannel',
        name: 'Slack',
        action: 'update',
        fields: [
          { path: 'spec.password', before: 'a', after: 'b', sensitive: true },
          { path: 'spec.signingSecret', before: 'whsec_old', after: 'whsec_new' },
          { path: 'spec.secrets.token', after: 'tok' },
          { path: 'spec.headers["X-Api-Key"]', before: 'k1', after: 'k2' },
          { path: 'spec.headers.Authorization', before: 'Bearer a' },
          { path: 'spec.url', before: 'https://a.example', after: 'https://b.example' },
        ],
      },
      NOW,
    );
    expect(event.data['fields']).toEqual([
      { path: 'spec.password', sensitive: true },
      { path: 'spec.signingSecret', sensitive: true },
      { path: 'spec.secrets.token', sensitive: true },
      { path: 'spec.headers["X-Api-Key"]', sensitive: true },
      { path: 'spec.headers.Authorization', sensitive: true },
      { path: 'spec.url', before: 'https://a.example', after: 'https://b.example' },
    ]);
  });

  it('masks secret-bearing keys inside a whole object being created', () => {
    const event = changeApplied(
      runContext({ redact: undefined }),
      {
        kind: 'WebhookChannel',
        name: 'Slack',
        action: 'create',
        fields: [
          { path: 'spec', after: { url: 'https://a.example', signingSecret: 'whsec_abc', headers: { Authorization: 'Bearer xyz' }, secrets: { token: 't' } } },
        ],
      },
      NOW,
    );
    expect(event.data['fields']).toEqual([
      { path: 'spec', after: { url: 'https://a.example', signingSecret: '(sensitive)', headers: '(sensitive)', secrets: '(sensitive)' } },
    ]);
    expect(JSON.stringify(event)).not.toMatch(/whsec_abc|Bearer xyz/);
  });

  it('redacts a known secret inside error messages, names and attribution', () => {
    const event = changeFailed(
      runContext(),
      {
        kind: 'ApprovalFlow',
        name: `flow-${PLANTED}`,
        action: 'update',
        fields: [{ path: 'spec.description', before: { nested: [`x ${PLANTED} y`] } }],
        attribution: { ...attribution, author: { name: PLANTED, email: 'a@example.com' } },
        error: { code: 'platform', message: `rejected ${PLANTED}` },
      },
      NOW,
    );
    const text = JSON.stringify(event);
    expect(text).not.toContain(PLANTED);
    expect(event.subject).toBe('ApprovalFlow/flow-[redacted]');
    expect(event.data['error']).toEqual({ code: 'platform', message: 'rejected [redacted]' });
    expect(event.data['fields']).toEqual([{ path: 'spec.description', before: { nested: ['x [redacted] y'] } }]);
  });

  it('copies values, so changing the plan afterwards does not change the event', () => {
    const value = { require: 2 };
    const event = changeApplied(runContext(), { kind: 'ApprovalFlow', name: 'X', action: 'update', fields: [{ path: 'spec.approval', after: value }] }, NOW);
    value.require = 3;
    expect(event.data['fields']).toEqual([{ path: 'spec.approval', after: { require: 2 } }]);
  });
});
