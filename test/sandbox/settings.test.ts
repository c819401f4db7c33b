// Access Requests settings: one record per org from the start, PUT changes the named fields,
// channelEvents must name existing channels with the contract's EventType values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEvents, startHarness, type Harness } from './harness.js';

describe('approval flow settings', () => {
  let h: Harness;
  let channelId: string;
  beforeAll(async () => {
    h = await startHarness();
    const channel = await h.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', {
      name: 'Audit',
      url: 'https://audit.example.com/hook',
    });
    channelId = channel.body.id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('exists for a fresh org with defaults', async () => {
    const answer = await h.call('GET', '/api/v2/approvalflowsettings');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: 1,
      resourceRequest: false,
      exposeApprovalProgress: false,
      adminApprovalEmail: true,
      userRequestEmail: true,
      userApprovalEmail: true,
      channelEvents: [],
      createdBy: 'sandbox',
      updatedBy: 'sandbox',
    });
  });

  it('changes the fields a PUT names, keeps the others, and records the changes', async () => {
    const answer = await h.call('PUT', '/api/v2/approvalflowsettings', {
      resourceRequest: true,
      channelEvents: [{ channelObjectId: channelId, eventTypes: ['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE', 'ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: 1, resourceRequest: true, adminApprovalEmail: true, updatedBy: 'admin@example.com' });
    const read = await h.call('GET', '/api/v2/approvalflowsettings');
    expect(read.body).toEqual(answer.body);
    const event = (await allEvents(h)).find((e) => e.event_type === 'access_management_access_request_settings_update');
    expect(event?.resource).toEqual({ id: '1', type: 'access_request_settings', name: 'settings' });
    expect(event?.changes).toEqual([
      { field: 'resourceRequest', from: false, to: true },
      {
        field: 'channelEvents',
        from: [],
        to: [{ channelObjectId: channelId, eventTypes: ['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE', 'ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      },
    ]);
  });

  it.each([
    [
      'an unknown channel',
      [{ channelObjectId: 'ffffffffffffffffffffffff', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
      'channelEvents[0].channelObjectId',
    ],
    ['a lower-case event type', [{ channelObjectId: 'CHANNEL', eventTypes: ['access_management_access_request'] }], 'channelEvents[0].eventTypes[0]'],
    [
      'the unspecified event type',
      [{ channelObjectId: 'CHANNEL', eventTypes: ['ACCESS_MANAGEMENT_EVENT_TYPE_UNSPECIFIED'] }],
      'channelEvents[0].eventTypes[0]',
    ],
    [
      'a channel listed twice',
      [
        { channelObjectId: 'CHANNEL', eventTypes: [] },
        { channelObjectId: 'CHANNEL', eventTypes: [] },
      ],
      'channelEvents[1].channelObjectId',
    ],
  ])('refuses %s in channelEvents with 400', async (_what, entries, field) => {
    const channelEvents = JSON.parse(JSON.stringify(entries).replaceAll('CHANNEL', channelId)) as unknown;
    const answer = await h.call<{ details: { field: string }[] }>('PUT', '/api/v2/approvalflowsettings', { channelEvents });
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d) => d.field)).toContain(field);
  });

  it("refuses an organizationObjectId other than the request's organization", async () => {
    const answer = await h.call('PUT', '/api/v2/approvalflowsettings', { organizationObjectId: 'ffffffffffffffffffffffff' });
    expect(answer.status).toBe(400);
  });

  it('refuses unknown fields and non-boolean flags', async () => {
    const answer = await h.call<{ details: { field: string }[] }>('PUT', '/api/v2/approvalflowsettings', {
      resourceRequest: 'yes',
      extra: 1,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d) => d.field).sort()).toEqual(['extra', 'resourceRequest']);
  });
});
