// A change whose retried request found the first attempt had landed is applied, and its event says
// so: an operator reading the stream sees why a DELETE answered 404 without a failure.
import { describe, expect, it } from 'vitest';
import { changeApplied } from '../../src/events/cloudevent.js';
import { NOW, runContext } from './sample-events.js';

describe('accessctl.change.applied', () => {
  const change = { kind: 'ApprovalFlow', name: 'Old Flow', action: 'delete' as const, id: 'f-1', fields: [] };

  it('carries confirmedByRetry when a retry confirmed the first attempt', () => {
    const event = changeApplied(runContext(), { ...change, confirmedByRetry: true }, NOW);
    expect(event.type).toBe('accessctl.change.applied');
    expect((event.data as Record<string, unknown>)['confirmedByRetry']).toBe(true);
  });

  it('leaves it out when the first attempt answered', () => {
    const event = changeApplied(runContext(), change, NOW);
    expect(event.data).not.toHaveProperty('confirmedByRetry');
  });
});
