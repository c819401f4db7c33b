// Events for the sink tests: a run context, and a change, a drift and a run summary built from it (and a skip),
// with the planted secret placed where a careless builder would leak it.
import { changeApplied, changeFailed, changeSkipped, driftDetected, runCompleted, type AccessctlEvent, type RunContext } from '../../src/events/cloudevent.js';
import { secretRedactor } from '../../src/events/redaction.js';

export const PLANTED = 'PLANTED-events-secret-42';
export const NOW = new Date('2026-03-01T09:00:00.000Z');

export const attribution = {
  commit: '0123456789abcdef0123456789abcdef01234567',
  author: { name: 'Ada Admin', email: 'ada@example.com' },
  date: '2026-02-28T17:30:00+01:00',
};

export function runContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    runId: 'run-7f3a',
    configCommit: 'fedcba9876543210fedcba9876543210fedcba98',
    source: 'accessctl/reconcile',
    target: 'http://127.0.0.1:8080',
    redact: secretRedactor([PLANTED]),
    ...overrides,
  };
}

/** One event of each type, with the planted secret in values, messages and a sensitive field. */
export function sampleEvents(ctx: RunContext = runContext()): AccessctlEvent[] {
  return [
    changeApplied(
      ctx,
      {
        kind: 'WebhookChannel',
        name: 'Slack',
        action: 'update',
        id: 'ch-1',
        fields: [
          { path: 'spec.url', before: 'https://hooks.example.com/a', after: `https://hooks.example.com/b?token=${PLANTED}` },
          { path: 'spec.signingSecret', before: PLANTED, after: `${PLANTED}-new` },
          { path: 'spec.password', before: '(sensitive)', after: PLANTED, sensitive: true },
        ],
        attribution,
      },
      NOW,
    ),
    changeFailed(
      ctx,
      {
        kind: 'ApprovalFlow',
        name: 'GitHub Admins',
        action: 'create',
        fields: [{ path: 'spec.description', after: 'Admins of GitHub' }],
        error: { code: 'platform', message: `400 Bad Request: key ${PLANTED} refused`, status: 400 },
      },
      NOW,
    ),
    driftDetected(
      ctx,
      { kind: 'ApprovalFlow', name: 'Prod DB', id: 'af-9', policy: 'report', fields: [{ path: 'spec.approval.levels[0].require', before: 2, after: 1 }] },
      NOW,
    ),
    runCompleted(
      ctx,
      {
        result: 'partial',
        applied: 1,
        failed: 1,
        drifted: 1,
        durationMs: 1234,
        message: `one failure (${PLANTED})`,
        failures: [{ kind: 'ApprovalFlow', name: 'GitHub Admins', action: 'create', reason: `400 Bad Request: key ${PLANTED} refused` }],
      },
      NOW,
    ),
  ];
}

/** A change held back by a suspension, with the planted secret in a field value. */
export function skippedEvent(ctx: RunContext = runContext()): AccessctlEvent {
  return changeSkipped(
    ctx,
    {
      kind: 'ApprovalFlow',
      name: 'Prod DB',
      action: 'update',
      id: 'af-9',
      fields: [{ path: 'spec.description', before: 'a', after: `b ${PLANTED}` }],
      reason: 'suspended',
      until: '2026-03-02T00:00:00.000Z',
    },
    NOW,
  );
}
