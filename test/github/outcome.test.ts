// Validating and planning for a pull request against a real sandbox: a plan for a valid config, none
// for an invalid one, and the platform's refusal kept as a message to show rather than thrown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assess, deletes, verdict } from '../../src/github/outcome.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { deleteFlow, invalid, plan, valid } from './outcomes.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('assess', () => {
  it('plans a valid config against the platform', async () => {
    const outcome = await assess({ dir: 'examples/access', target: h.sandbox.url, env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey } });
    expect(outcome.plan?.changes.length).toBeGreaterThan(0);
    expect(verdict(outcome)).toBe('changes');
    expect(deletes(outcome)).toBe(false);
  });

  it('does not plan an invalid config', async () => {
    const outcome = await assess({ dir: 'test/fixtures/locations/type-sometimes.yaml', target: h.sandbox.url, env: {} });
    expect(outcome.plan).toBeUndefined();
    expect(verdict(outcome)).toBe('invalid');
    expect(deletes(outcome)).toBeUndefined();
  });

  it('keeps the platform’s refusal as a message for the pull request', async () => {
    const outcome = await assess({ dir: 'examples/access', target: h.sandbox.url, env: { JUMPCLOUD_API_KEY: 'wrong-key' }, clientOptions: { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } } });
    expect(outcome.planError).toMatch(/401/);
    expect(outcome.planError).not.toContain('wrong-key');
    expect(verdict(outcome)).toBe('unplannable');
  });
});

describe('verdict and deletes', () => {
  it('call a plan with deletions destructive and an empty plan unchanged', () => {
    expect(deletes(valid(plan([deleteFlow('Old')])))).toBe(true);
    expect(verdict(valid(plan()))).toBe('no-changes');
    expect(verdict(invalid(1))).toBe('invalid');
  });
});
