// Validating and planning for a pull request against a real sandbox: a plan for a valid config, none
// for an invalid one, and the platform's refusal kept as a message to show rather than thrown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assess, deletes, verdict, type AssessOptions } from '../../src/github/outcome.js';
import type { ClientOptions } from '../../src/jumpcloud/client.js';
import { withClientScope } from '../../src/pipeline/make-plan.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { deleteFlow, invalid, plan, valid } from './outcomes.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** assess with a client made for the sandbox and closed afterwards, as the command does. */
function assessOn(dir: string, env: NodeJS.ProcessEnv, clientOptions?: Partial<ClientOptions>): ReturnType<typeof assess> {
  return withClientScope({ target: h.sandbox.url, env, ...(clientOptions ? { clientOptions } : {}) }, (clients) =>
    assess({ dir, env, client: clients.for } satisfies AssessOptions),
  );
}

describe('assess', () => {
  it('plans a valid config against the platform', async () => {
    const outcome = await assessOn('examples/access', { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(outcome.plan?.changes.length).toBeGreaterThan(0);
    expect(verdict(outcome)).toBe('changes');
    expect(deletes(outcome)).toBe(false);
  });

  it('does not plan an invalid config', async () => {
    const outcome = await assessOn('test/fixtures/locations/type-sometimes.yaml', {});
    expect(outcome.plan).toBeUndefined();
    expect(verdict(outcome)).toBe('invalid');
    expect(deletes(outcome)).toBeUndefined();
  });

  it('keeps the platform’s refusal as a message for the pull request', async () => {
    const outcome = await assessOn(
      'examples/access',
      { JUMPCLOUD_API_KEY: 'wrong-key' },
      { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } },
    );
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

  it('calls a plan whose deletions a guard blocked destructive too, so the destroy label still warns reviewers', () => {
    const blocked = {
      ...plan(),
      blocked: [{ kind: 'ApprovalFlow' as const, name: 'GitHub Admin', id: 'f-1', reason: 'matches the protected pattern "GitHub Admin*"' }],
    };
    expect(deletes(valid(blocked))).toBe(true);
    expect(verdict(valid(blocked))).toBe('unplannable');
  });
});
