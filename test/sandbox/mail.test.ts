// The mail outbox: a confirmation to the requester, a notice to each approver of the current
// level, the decision to the requester, each behind its settings switch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approve, exampleFlows, startHarness, submit, type Harness } from './harness.js';

type MailShape = { results: { kind: string; to: string; subject: string; requestId?: string }[]; totalCount: number };

describe('the mail outbox', () => {
  let h: Harness;
  let flows: { user: string; admin: string };
  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    flows = await exampleFlows(h);
  });
  afterEach(async () => {
    await h.close();
  });

  const mail = async (query = ''): Promise<MailShape['results']> => (await h.call<MailShape>('GET', `/sandbox/v1/mail?limit=100${query}`)).body.results;

  it('mails the requester, then each approver of the current level, then the decision', async () => {
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect((await mail()).map((m) => [m.kind, m.to])).toEqual([
      ['request_received', 'erin@example.com'],
      ['approval_needed', 'dana@example.com'],
    ]);
    await approve(h, 'dana.cto', body.id);
    expect((await mail()).slice(2).map((m) => [m.kind, m.to])).toEqual([
      ['approval_needed', 'grace@example.com'],
      ['approval_needed', 'heidi@example.com'],
    ]);
    await approve(h, 'heidi.sec', body.id);
    const decision = (await mail('&kind=decision')).map((m) => [m.to, m.subject, m.requestId]);
    expect(decision).toEqual([['erin@example.com', 'Access granted: GitHub Admin', body.id]]);
  });

  it('sends nothing the settings switch off', async () => {
    await h.call('PUT', '/api/v2/approvalflowsettings', { userRequestEmail: false, adminApprovalEmail: false, userApprovalEmail: false });
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    await approve(h, 'dana.cto', body.id, 'denied');
    expect(await mail()).toEqual([]);
  });

  it('is served only with test hooks', async () => {
    const plain = await startHarness();
    try {
      expect((await plain.call('GET', '/sandbox/v1/mail')).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
