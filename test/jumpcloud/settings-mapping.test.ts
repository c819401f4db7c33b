// Specifies settings-mapping.ts: omitted booleans are false; a channel id reads the same in hex or
// base64; an event type or id the mapping does not know makes the settings unmanageable; channels
// are named by id everywhere and by name only where the target lists them; the PUT always carries
// every field, and subscriptions the repo does not manage go back exactly as read.
import { describe, expect, it } from 'vitest';
import {
  ChannelNames,
  channelIdForWrite,
  eventsForConfig,
  eventsFromDesired,
  eventsToWire,
  settingsFromDesired,
  settingsFromWire,
  settingsPutBody,
  settingsSpecForConfig,
  type SettingsRead,
} from '../../src/jumpcloud/settings-mapping.js';
import type { WireChannel, WireSettings } from '../../src/jumpcloud/wire.js';
import { ACCESS_EVENT_TYPES } from '../../src/model/events.js';
import type { SettingsModel } from '../../src/model/settings.js';
import { jumpcloudContract } from '../contract/contract.js';
import { schemaErrors, settingsDecl } from './mapping-fixtures.js';

const SIEM_HEX = '65a0000000000000000000c1';
const SIEM_BASE64 = 'ZaAAAAAAAAAAAADB';
const PAGER_HEX = '65a0000000000000000000c2';
const PAGER_BASE64 = Buffer.from(PAGER_HEX, 'hex').toString('base64');

function channel(id: string, name: string): WireChannel {
  return {
    id,
    name,
    url: `https://${name.toLowerCase()}.example.com/in`,
    enabled: true,
    verifySsl: true,
    sensitiveValues: {},
    headers: [],
    secretsFingerprint: `hmac-sha256:${'ab'.repeat(16)}:${'0'.repeat(64)}`,
  };
}

/** JumpCloud: no channel API, so no channel can be listed or named. */
const jumpcloud = (): ChannelNames => new ChannelNames(false, [], []);
/** The sandbox: SIEM and Pager live, Audit declared by the repo (a WebhookChannel it will create). */
const sandbox = (): ChannelNames => new ChannelNames(true, [channel(SIEM_HEX, 'SIEM'), channel(PAGER_BASE64, 'Pager')], ['Audit']);

const allOff: SettingsModel['spec'] = {
  resourceRequests: false,
  exposeApprovalProgress: false,
  email: { approvers: false, requestReceived: false, decision: false },
};
const defaults: SettingsModel['spec'] = {
  resourceRequests: true,
  exposeApprovalProgress: false,
  email: { approvers: true, requestReceived: true, decision: true },
};

function readOk(read: SettingsRead): Extract<SettingsRead, { ok: true }> {
  if (!read.ok) expect.fail(`settings read as unmanageable: ${read.reasons.join('; ')}`);
  return read;
}

describe('settingsFromWire: protobuf JSON', () => {
  it('reads every omitted boolean as false', () => {
    expect(readOk(settingsFromWire({}, jumpcloud(), false)).model).toEqual({ spec: allOff });
    expect(readOk(settingsFromWire({ id: 1, resourceRequest: true }, jumpcloud(), false)).model.spec).toEqual({ ...allOff, resourceRequests: true });
  });

  it('reads each boolean from its own wire field', () => {
    const wire: WireSettings = {
      resourceRequest: false,
      exposeApprovalProgress: true,
      adminApprovalEmail: false,
      userRequestEmail: true,
      userApprovalEmail: false,
    };
    expect(readOk(settingsFromWire(wire, jumpcloud(), false)).model.spec).toEqual({
      resourceRequests: false,
      exposeApprovalProgress: true,
      email: { approvers: false, requestReceived: true, decision: false },
    });
  });

  it('reads a channelObjectId in hex or in base64 as the same channel', () => {
    const events = ['ACCESS_MANAGEMENT_ACCESS_REQUEST'];
    for (const names of [jumpcloud(), sandbox()]) {
      const hex = readOk(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: events }] }, names, true));
      const base64 = readOk(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_BASE64, eventTypes: events }] }, names, true));
      const urlSafe = readOk(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_BASE64.replace(/\+/g, '-').replace(/\//g, '_') }] }, names, true));
      expect(base64.model).toEqual(hex.model);
      expect(urlSafe.model.spec.webhooks?.map((s) => s.channel)).toEqual(hex.model.spec.webhooks?.map((s) => s.channel));
    }
  });

  it('labels a channel by id where the target cannot list channels, and by name where it can', () => {
    const wire: WireSettings = { channelEvents: [{ channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] };
    expect(readOk(settingsFromWire(wire, jumpcloud(), true)).model.spec.webhooks).toEqual([
      { channel: `id:${SIEM_HEX}`, events: ['access_management_access_request'] },
    ]);
    expect(readOk(settingsFromWire(wire, sandbox(), true)).model.spec.webhooks).toEqual([{ channel: 'SIEM', events: ['access_management_access_request'] }]);
  });

  it('keeps each channel id exactly as the platform wrote it, and how it writes them', () => {
    const base64 = readOk(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_BASE64 }, { channelObjectId: PAGER_BASE64 }] }, jumpcloud(), true));
    expect(base64.rawIds).toEqual(
      new Map([
        [`id:${SIEM_HEX}`, SIEM_BASE64],
        [`id:${PAGER_HEX}`, PAGER_BASE64],
      ]),
    );
    expect(base64.encoding).toBe('base64');
    const hex = readOk(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_HEX }] }, sandbox(), true));
    expect(hex.rawIds).toEqual(new Map([['SIEM', SIEM_HEX]]));
    expect(hex.encoding).toBe('hex');
    expect(readOk(settingsFromWire({}, jumpcloud(), true)).encoding).toBeUndefined();
  });

  it('reads event types in any case as a sorted set, and omitted eventTypes as none', () => {
    const read = readOk(
      settingsFromWire(
        {
          channelEvents: [
            {
              channelObjectId: SIEM_HEX,
              eventTypes: ['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE', 'access_management_access_request', 'ACCESS_MANAGEMENT_ACCESS_REQUEST'],
            },
            { channelObjectId: PAGER_HEX },
          ],
        },
        jumpcloud(),
        true,
      ),
    );
    expect(read.model.spec.webhooks).toEqual([
      { channel: `id:${SIEM_HEX}`, events: ['access_management_access_request', 'access_management_approval_flow_create'] },
      { channel: `id:${PAGER_HEX}`, events: [] },
    ]);
  });

  it('leaves webhooks out of the model when the repo does not manage them', () => {
    const read = readOk(
      settingsFromWire(
        { resourceRequest: true, channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] },
        jumpcloud(),
        false,
      ),
    );
    expect(read.model.spec).not.toHaveProperty('webhooks');
    expect(readOk(settingsFromWire({}, jumpcloud(), true)).model.spec.webhooks).toEqual([]);
  });
});

describe('settingsFromWire: what the mapping does not know makes the settings unmanageable', () => {
  it('an event type it does not know, named with where it is', () => {
    const read = settingsFromWire(
      {
        resourceRequest: true,
        channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_SOMETHING_NEW'] }],
      },
      jumpcloud(),
      true,
    );
    expect(read).toEqual({ ok: false, reasons: ['channelEvents[0].eventTypes "ACCESS_MANAGEMENT_SOMETHING_NEW"'] });
  });

  it('a channel id it cannot decode, or none at all', () => {
    expect(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_HEX }, { channelObjectId: 'not-an-id' }] }, jumpcloud(), true)).toEqual({
      ok: false,
      reasons: ['channelEvents[1].channelObjectId "not-an-id"'],
    });
    expect(settingsFromWire({ channelEvents: [{ eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] }, jumpcloud(), true)).toEqual({
      ok: false,
      reasons: ['channelEvents[0].channelObjectId ""'],
    });
  });

  it('even when the repo does not manage webhooks: the settings record is one object', () => {
    expect(settingsFromWire({ channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['NEW_KIND'] }] }, jumpcloud(), false)).toEqual({
      ok: false,
      reasons: ['channelEvents[0].eventTypes "NEW_KIND"'],
    });
  });
});

describe('settingsFromDesired', () => {
  it('fills the documented defaults for what the config leaves out, and leaves webhooks unmanaged', () => {
    for (const spec of [{}, { email: {} }]) {
      const desired = settingsFromDesired(settingsDecl(spec), jumpcloud());
      expect(desired).toEqual({ model: { spec: defaults }, problems: [], ids: new Map() });
    }
  });

  it('subscribes a channel by id on every target', () => {
    const spec = { webhooks: [{ channel: { id: SIEM_HEX }, events: ['access_management_access_request'] }] };
    const onJumpCloud = settingsFromDesired(settingsDecl(spec), jumpcloud());
    expect(onJumpCloud.problems).toEqual([]);
    expect(onJumpCloud.model.spec.webhooks).toEqual([{ channel: `id:${SIEM_HEX}`, events: ['access_management_access_request'] }]);
    expect(onJumpCloud.ids).toEqual(new Map([[`id:${SIEM_HEX}`, SIEM_HEX]]));
    const onSandbox = settingsFromDesired(settingsDecl(spec), sandbox());
    expect(onSandbox.problems).toEqual([]);
    expect(onSandbox.model.spec.webhooks).toEqual([{ channel: 'SIEM', events: ['access_management_access_request'] }]);
    expect(onSandbox.ids).toEqual(new Map([['SIEM', SIEM_HEX]]));
  });

  it('reads an id written in base64 or in upper-case hex as the same channel', () => {
    const label = (id: string): unknown => settingsFromDesired(settingsDecl({ webhooks: [{ channel: { id }, events: [] }] }), jumpcloud()).model.spec.webhooks;
    expect(label(SIEM_BASE64)).toEqual(label(SIEM_HEX));
    expect(label(SIEM_HEX.toUpperCase())).toEqual(label(SIEM_HEX));
  });

  it('refuses a channel by name where the target cannot list channels: channel-by-name-unsupported, at its path, and compares no subscription', () => {
    const desired = settingsFromDesired(
      settingsDecl({
        webhooks: [
          { channel: { id: SIEM_HEX }, events: ['access_management_access_request'] },
          { channel: 'SIEM', events: ['access_management_access_request'] },
        ],
      }),
      jumpcloud(),
    );
    expect(desired.problems).toEqual([
      { code: 'channel-by-name-unsupported', path: ['spec', 'webhooks', 1, 'channel'], message: expect.stringContaining('{id: ...}') },
    ]);
    // The resolved one alone, compared as the whole list, would read as unsubscribing the other.
    expect(desired.model.spec.webhooks).toBeUndefined();
  });

  it('subscribes a channel by name, in any case, where the target lists channels', () => {
    const desired = settingsFromDesired(settingsDecl({ webhooks: [{ channel: 'siem', events: ['access_management_access_request'] }] }), sandbox());
    expect(desired.problems).toEqual([]);
    expect(desired.model.spec.webhooks).toEqual([{ channel: 'SIEM', events: ['access_management_access_request'] }]);
    expect(desired.ids).toEqual(new Map([['SIEM', SIEM_HEX]]));
  });

  it('accepts by name a channel the repo will create, which has no id yet', () => {
    const desired = settingsFromDesired(settingsDecl({ webhooks: [{ channel: 'audit', events: [] }] }), sandbox());
    expect(desired.problems).toEqual([]);
    expect(desired.model.spec.webhooks).toEqual([{ channel: 'Audit', events: [] }]);
    expect(desired.ids).toEqual(new Map());
  });

  it('refuses an unknown name or id on a target that lists channels: unknown-channel, at its path, and compares no subscription', () => {
    const desired = settingsFromDesired(
      settingsDecl({
        webhooks: [
          { channel: 'Nowhere', events: [] },
          { channel: { id: '65a0000000000000000000ff' }, events: [] },
          { channel: { id: PAGER_HEX }, events: [] },
        ],
      }),
      sandbox(),
    );
    expect(desired.problems.map((p) => [p.code, p.path])).toEqual([
      ['unknown-channel', ['spec', 'webhooks', 0, 'channel']],
      ['unknown-channel', ['spec', 'webhooks', 1, 'channel', 'id']],
    ]);
    expect(desired.problems.map((p) => p.message)).toEqual([
      'notification channel "Nowhere" does not exist on the platform and the repo declares no WebhookChannel of that name',
      'no notification channel has the id 65a0000000000000000000ff',
    ]);
    expect(desired.model.spec.webhooks).toBeUndefined();
  });

  it('refuses an id that is neither hex nor base64, on every target', () => {
    for (const names of [jumpcloud(), sandbox()]) {
      const desired = settingsFromDesired(settingsDecl({ webhooks: [{ channel: { id: 'SIEM-channel' }, events: [] }] }), names);
      expect(desired.problems.map((p) => [p.code, p.path])).toEqual([['unknown-channel', ['spec', 'webhooks', 0, 'channel', 'id']]]);
    }
  });

  it('expands "*" to every event and reads legacy names as approval_flow_*', () => {
    const events = (list: string[]): unknown =>
      settingsFromDesired(settingsDecl({ webhooks: [{ channel: { id: SIEM_HEX }, events: list }] }), jumpcloud()).model.spec.webhooks?.[0]?.events;
    expect(events(['*'])).toEqual([...ACCESS_EVENT_TYPES].sort());
    expect(events(['access_management_workflow_create', 'access_management_workflow_update', 'access_management_workflow_delete'])).toEqual([
      'access_management_approval_flow_create',
      'access_management_approval_flow_delete',
      'access_management_approval_flow_update',
    ]);
    expect(events(['access_management_approval_flow_create', 'access_management_workflow_create'])).toEqual(['access_management_approval_flow_create']);
    expect(eventsFromDesired(['*', 'access_management_access_request'])).toEqual([...ACCESS_EVENT_TYPES].sort());
    expect(eventsToWire(['access_management_approval_flow_create'])).toEqual(['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE']);
  });

  it('manages an empty list of webhooks: every channel unsubscribed', () => {
    expect(settingsFromDesired(settingsDecl({ webhooks: [] }), jumpcloud()).model.spec.webhooks).toEqual([]);
  });

  it('compares subscriptions as a set of channels', () => {
    const a = settingsFromDesired(
      settingsDecl({
        webhooks: [
          { channel: 'SIEM', events: [] },
          { channel: 'Pager', events: [] },
        ],
      }),
      sandbox(),
    );
    const b = settingsFromDesired(
      settingsDecl({
        webhooks: [
          { channel: 'Pager', events: [] },
          { channel: 'SIEM', events: [] },
        ],
      }),
      sandbox(),
    );
    expect(a.model).toEqual(b.model);
  });
});

describe('settingsPutBody: the PUT may replace the whole record', () => {
  const live: WireSettings = {
    id: 7,
    resourceRequest: true,
    adminApprovalEmail: true,
    channelEvents: [
      { channelObjectId: PAGER_BASE64, eventTypes: ['ACCESS_MANAGEMENT_APPROVAL_FLOW_DELETE', 'ACCESS_MANAGEMENT_ACCESS_REQUEST'] },
      { channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL'] },
    ],
  };
  const noLookup = (label: string): string => expect.fail(`no channel id should be looked up, but ${label} was`);

  it('always sends every field, false ones included', () => {
    const body = settingsPutBody(live, { spec: allOff }, noLookup);
    expect(body).toMatchObject({
      resourceRequest: false,
      exposeApprovalProgress: false,
      adminApprovalEmail: false,
      userRequestEmail: false,
      userApprovalEmail: false,
    });
    expect(Object.keys(body).sort()).toEqual([
      'adminApprovalEmail',
      'channelEvents',
      'exposeApprovalProgress',
      'resourceRequest',
      'userApprovalEmail',
      'userRequestEmail',
    ]);
    expect(jumpcloudContract().checkBody('PUT', '/api/v2/approvalflowsettings', body)).toEqual([]);
  });

  it('writes the live channelEvents back exactly as read when the repo does not manage webhooks', () => {
    const body = settingsPutBody(live, { spec: { ...defaults, exposeApprovalProgress: true } }, noLookup);
    expect(body.channelEvents).toEqual(live.channelEvents);
    expect(body).toMatchObject({ resourceRequest: true, exposeApprovalProgress: true });
    expect(jumpcloudContract().checkBody('PUT', '/api/v2/approvalflowsettings', body)).toEqual([]);
  });

  it('writes back an empty list when the live record has no channelEvents', () => {
    expect(settingsPutBody({}, { spec: defaults }, noLookup).channelEvents).toEqual([]);
  });

  it("writes the model's subscriptions, with the ids the lookup gives, when the repo manages webhooks", () => {
    const model: SettingsModel = {
      spec: { ...defaults, webhooks: [{ channel: `id:${SIEM_HEX}`, events: ['access_management_access_request', 'access_management_approval_flow_create'] }] },
    };
    const body = settingsPutBody(live, model, (label) => (label === `id:${SIEM_HEX}` ? SIEM_BASE64 : expect.fail(label)));
    expect(body.channelEvents).toEqual([
      { channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE'] },
    ]);
    expect(settingsPutBody(live, { spec: { ...defaults, webhooks: [] } }, noLookup).channelEvents).toEqual([]);
  });

  it('maps config -> model -> body -> platform read -> the same model, on either id encoding', () => {
    for (const encoding of ['hex', 'base64'] as const) {
      const desired = settingsFromDesired(
        settingsDecl({
          resourceRequests: false,
          exposeApprovalProgress: true,
          email: { approvers: false, requestReceived: true, decision: false },
          webhooks: [
            { channel: { id: SIEM_HEX }, events: ['*'] },
            { channel: { id: PAGER_BASE64 }, events: [] },
          ],
        }),
        jumpcloud(),
      );
      expect(desired.problems).toEqual([]);
      const body = settingsPutBody(live, desired.model, (label) => channelIdForWrite(desired.ids.get(label) ?? expect.fail(label), encoding));
      const read = readOk(settingsFromWire(body, jumpcloud(), true));
      expect(read.model).toEqual(desired.model);
      expect(read.encoding).toBe(encoding);
    }
  });
});

describe('channelIdForWrite', () => {
  it("keeps the platform's encoding, and writes the contract's base64 when it is not known", () => {
    expect(channelIdForWrite(SIEM_HEX, 'hex')).toBe(SIEM_HEX);
    expect(channelIdForWrite(SIEM_HEX, 'base64')).toBe(SIEM_BASE64);
    expect(channelIdForWrite(SIEM_HEX, undefined)).toBe(SIEM_BASE64);
  });
});

describe('export', () => {
  const wire: WireSettings = {
    resourceRequest: true,
    exposeApprovalProgress: true,
    channelEvents: [
      { channelObjectId: SIEM_BASE64, eventTypes: eventsToWire(ACCESS_EVENT_TYPES) },
      { channelObjectId: PAGER_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] },
    ],
  };

  it('writes channels by id where the target cannot list them, and maps back to the same model', () => {
    const live = readOk(settingsFromWire(wire, jumpcloud(), true)).model;
    const exported = settingsSpecForConfig(live, jumpcloud());
    expect(exported.webhooks).toEqual([
      { channel: { id: SIEM_HEX }, events: ['*'] },
      { channel: { id: PAGER_HEX }, events: ['access_management_access_request'] },
    ]);
    expect(schemaErrors('AccessRequestSettings', 'settings', exported)).toEqual([]);
    expect(settingsFromDesired(settingsDecl(exported), jumpcloud())).toMatchObject({ model: live, problems: [] });
  });

  it('writes channels by name where the target lists them, and maps back to the same model', () => {
    const live = readOk(settingsFromWire(wire, sandbox(), true)).model;
    const exported = settingsSpecForConfig(live, sandbox());
    expect(exported.webhooks).toEqual([
      { channel: 'Pager', events: ['access_management_access_request'] },
      { channel: 'SIEM', events: ['*'] },
    ]);
    expect(schemaErrors('AccessRequestSettings', 'settings', exported)).toEqual([]);
    expect(settingsFromDesired(settingsDecl(exported), sandbox())).toMatchObject({ model: live, problems: [] });
  });

  it('writes "*" only for the full set of events', () => {
    expect(eventsForConfig([...ACCESS_EVENT_TYPES])).toEqual(['*']);
    expect(eventsForConfig(['access_management_access_request'])).toEqual(['access_management_access_request']);
  });
});
