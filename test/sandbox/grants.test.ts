// Granting and taking back: 30-day expiry of pending requests, deleting a flow cancels what is
// pending and keeps what was granted, and timers kept in SQLite survive a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { allEvents, approve, exampleFlows, memberNames, startHarness, submit, type Harness, type RequestShape } from './harness.js';

const day = 24 * 3600 * 1000;
const dir = mkdtempSync(join(tmpdir(), 'accessctl-grants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('granting and taking back access', () => {
  let h: Harness;
  let flows: { user: string; admin: string };
  beforeEach(async () => {
    h = await startHarness();
    flows = await exampleFlows(h);
  });
  afterEach(async () => {
    await h.close();
  });

  const status = async (id: string): Promise<string> => (await h.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${id}`)).body.status;

  it('expires a request still pending after 30 days', async () => {
    const { body } = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    h.sandbox.clock.advance(30 * day - 1);
    expect(await status(body.id)).toBe('pending');
    h.sandbox.clock.advance(1);
    expect(await status(body.id)).toBe('expired');
    expect((await approve(h, 'dana.cto', body.id)).status).toBe(409);
    const event = (await allEvents(h)).at(-1);
    expect(event).toMatchObject({ event_type: 'sandbox_access_request_update', initiated_by: { type: 'system' } });
    expect(event?.changes).toEqual([
      { field: 'status', from: 'pending', to: 'expired' },
      { field: 'reason', from: null, to: 'not decided within 30 days' },
    ]);
  });

  it('cancels pending requests when their flow is deleted and keeps access already granted', async () => {
    const granted = await submit(h, 'alice', { approvalFlowId: flows.user });
    const pending = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect((await h.call('DELETE', `/api/v2/approvalflows/${flows.user}`)).status).toBe(200);
    expect((await h.call('DELETE', `/api/v2/approvalflows/${flows.admin}`)).status).toBe(200);
    expect(await status(pending.body.id)).toBe('canceled');
    expect(await status(granted.body.id)).toBe('approved');
    expect(await memberNames(h, 'GitHub Users')).toEqual(['alice']);
    // The expiry timer went with the pending request.
    h.sandbox.clock.advance(31 * day);
    expect(await status(pending.body.id)).toBe('canceled');
  });

  it('revokes access an administrator ends early: the request stays Approved, its access revoked', async () => {
    const { body } = await submit(h, 'alice', { approvalFlowId: flows.user });
    const revoked = await h.call<RequestShape>('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'revoked' });
    expect(revoked.body.status).toBe('approved');
    expect(revoked.body.sandbox?.access).toMatchObject({ state: 'revoked' });
    expect(await memberNames(h, 'GitHub Users')).toEqual([]);
    const again = await h.call<{ message: string }>('PUT', `/api/v2/approvalflowrequest/${body.id}`, { status: 'revoked' });
    expect(again.status).toBe(409);
    const events = (await allEvents(h)).slice(-2);
    expect(events.map((e) => [e.event_type, e.association?.op ?? e.changes?.[0]?.to, e.initiated_by.type])).toEqual([
      ['access_management_association_change', 'remove', 'admin'],
      ['sandbox_access_request_update', 'revoked', 'admin'],
    ]);
  });
});

describe('timers across a restart', () => {
  it('revokes and expires on the sandbox clock after a restart on the same database', async () => {
    const dbPath = join(dir, 'timers.db');
    const start = Date.parse('2026-03-01T09:00:00Z');
    const first = await startHarness({ dbPath, clock: new SandboxClock({ frozenAt: start }) });
    const flows = await exampleFlows(first);
    const granted = await submit(first, 'erin.em', { approvalFlowId: flows.admin });
    await approve(first, 'dana.cto', granted.body.id);
    await approve(first, 'grace.sec', granted.body.id);
    const pending = await submit(first, 'frank.em', { approvalFlowId: flows.admin });
    await first.close();

    // Eight days later by the sandbox clock: the 7-day grant has ended while the sandbox was down.
    const second = await startHarness({ dbPath, clock: new SandboxClock({ frozenAt: start + 8 * day }) });
    try {
      expect(await memberNames(second, 'GitHub Admins')).toEqual([]);
      const ended = (await second.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${granted.body.id}`)).body;
      expect([ended.status, ended.sandbox?.access?.state]).toEqual(['approved', 'ended']);
      expect((await second.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${pending.body.id}`)).body.status).toBe('pending');
      second.sandbox.clock.advance(22 * day);
      expect((await second.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${pending.body.id}`)).body.status).toBe('expired');
    } finally {
      await second.close();
    }
  });
});
