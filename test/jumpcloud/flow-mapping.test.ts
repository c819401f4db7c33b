// Specifies flow-mapping.ts: config -> model -> create body -> the platform's read -> the same model;
// a live value the mapping does not know makes the flow unmanageable (never a default); omitted zero
// values read as zero; the PUT body is ApprovalFlow_Set over the flow as last read.
import { describe, expect, it } from 'vitest';
import { flowCreateBody, flowFromDesired, flowFromWire, flowSetBody, flowSpecForConfig } from '../../src/jumpcloud/flow-mapping.js';
import { canonicalDuration } from '../../src/jumpcloud/model-order.js';
import type { WireFlow, WireFlowCreate } from '../../src/jumpcloud/wire.js';
import type { FlowModel } from '../../src/model/flow.js';
import { jumpcloudContract } from '../contract/contract.js';
import { directory, flowDecl, ids, index, resolver, schemaErrors, withoutZeroValues } from './mapping-fixtures.js';

const platformApproverName: Record<string, (id: string) => string> = {
  manager: () => 'Manager',
  admin: () => 'Administrators',
  user: (id) => directory.users.find((u) => u._id === id)?.email ?? id,
  user_group: (id) => directory.groups.find((g) => g.id === id)?.name ?? id,
};
const groupName = (id: string): string => directory.groups.find((g) => g.id === id)?.name ?? id;

/** What the platform returns for a flow created with `write`: resources[], visibleTo [{id,name}], its own order. */
function platformRead(write: WireFlowCreate, id = 'flow-1'): WireFlow {
  const read: WireFlow = {
    id,
    name: write.name,
    description: write.description,
    approvalType: write.approvalType,
    approverRequirement: write.approverRequirement,
    // The platform keeps its own order: reversed here, so only set semantics can make it equal.
    approverResources: [...write.approverResources]
      .reverse()
      .map((r) => ({ ...r, resourceName: platformApproverName[r.resourceType ?? '']?.(r.resourceId ?? '') ?? '' })),
    category: write.category,
    nonAdminApproval: write.nonAdminApproval,
    resources: [{ resourceId: write.resourceId, resourceName: groupName(write.resourceId), resourceType: write.resourceType }],
    status: write.status,
    timeBasedAccess: write.timeBasedAccess,
    ttlConfig: write.ttlConfig,
    visibleTo: [...write.visibleTo].reverse().map((gid) => ({ id: gid, name: groupName(gid) })),
  };
  if (write.fixedDuration !== undefined) read.fixedDuration = write.fixedDuration;
  if (write.multiSelectDuration !== undefined) read.multiSelectDuration = [...write.multiSelectDuration].reverse();
  if (write.iconColor !== undefined) read.iconColor = write.iconColor.toLowerCase();
  if (write.iconUrl !== undefined) read.iconUrl = write.iconUrl;
  return read;
}

/** The model of a live flow that the mapping can read; fails the test with the reasons otherwise. */
function readModel(wire: WireFlow, managesDisplay = true): FlowModel {
  const read = flowFromWire(wire, index, managesDisplay);
  if (!read.ok) expect.fail(`flow "${wire.name}" read as unmanageable: ${read.reasons.join('; ')}`);
  return read.model;
}

const fullFlowSpec = {
  description: 'Owner access to GitHub',
  enabled: false,
  category: 'device-admin',
  grantGroup: 'GitHub Admins',
  visibleTo: ['Security Leads', 'Engineering Admin'],
  approval: {
    type: 'manual',
    nonAdminApprovers: true,
    levels: [
      { require: 'all', approvers: [{ user: 'grace.sec' }, { manager: true }, { group: 'Security Leads' }, { admins: true }] },
      { require: 'any', approvers: [{ user: 'alice@example.com' }] },
    ],
  },
  access: { durations: ['P7D', 'PT8H', 'PT24H'] },
  display: { color: '#006cac', iconUrl: 'https://example.com/icon.png' },
};

/** The smallest live flow the mapping can manage: every zero value left out. */
const bareLive: WireFlow = {
  id: 'f-bare',
  name: 'Bare',
  status: 'active',
  approvalType: 'manual',
  category: 'Application',
  resources: [{ resourceId: 'g-gh-admins', resourceName: 'GitHub Admins', resourceType: 'user_group' }],
};

describe('ApprovalFlow round trip: config -> model -> create body -> platform read -> model', () => {
  it('maps a manual flow and back to the same model', () => {
    const names = resolver();
    const model = flowFromDesired(flowDecl(fullFlowSpec), names);
    expect(names.unknown).toEqual([]);
    expect(readModel(platformRead(flowCreateBody(model, ids)))).toEqual(model);
    expect(model).toEqual({
      name: 'GitHub Admin',
      spec: {
        description: 'Owner access to GitHub',
        enabled: false,
        category: 'device-admin',
        grantGroup: 'GitHub Admins',
        visibleTo: ['Engineering Admin', 'Security Leads'],
        approval: {
          type: 'manual',
          nonAdminApprovers: true,
          levels: [
            { require: 'all', approvers: [{ manager: true }, { admins: true }, { user: 'grace@example.com' }, { group: 'Security Leads' }] },
            { require: 'any', approvers: [{ user: 'alice@example.com' }] },
          ],
        },
        access: { durations: ['PT8H', 'P1D', 'P7D'] },
        display: { color: '#006CAC', iconUrl: 'https://example.com/icon.png' },
      },
    });
  });

  it('maps an automatic flow with a fixed duration and back', () => {
    const model = flowFromDesired(
      flowDecl(
        { grantGroup: 'Engineering User', visibleTo: ['Engineering User'], approval: { type: 'automatic' }, access: { duration: 'PT720H' } },
        'GitHub User',
      ),
      resolver(),
    );
    expect(model.spec.access).toEqual({ duration: 'P30D' });
    expect(model.spec.approval).toEqual({ type: 'automatic', nonAdminApprovers: false, levels: [] });
    const wire = flowCreateBody(model, ids);
    expect(wire).toMatchObject({
      approvalType: 'automated',
      approverResources: [],
      timeBasedAccess: true,
      ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
      fixedDuration: 'P30D',
    });
    expect(wire).not.toHaveProperty('multiSelectDuration');
    expect(readModel(platformRead(wire), false)).toEqual(model);
  });

  it('maps back to the same model when the platform leaves out every zero value', () => {
    for (const spec of [
      fullFlowSpec,
      { grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' } },
      {
        grantGroup: 'GitHub Admins',
        visibleTo: ['Engineering Admin'],
        approval: { type: 'manual', levels: [{ approvers: [{ manager: true }] }] },
        access: { duration: 'P1D' },
      },
    ]) {
      const model = flowFromDesired(flowDecl(spec), resolver());
      const strict = withoutZeroValues(platformRead(flowCreateBody(model, ids)));
      expect(readModel(strict, 'display' in spec)).toEqual(model);
    }
  });

  it('writes permanent access as timeBasedAccess false and reads it back as null', () => {
    const model = flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' } }), resolver());
    expect(model.spec.access).toBeNull();
    const wire = flowCreateBody(model, ids);
    expect(wire.timeBasedAccess).toBe(false);
    expect(wire.ttlConfig).toBe('TTL_CONFIG_UNSPECIFIED');
    expect(wire).not.toHaveProperty('fixedDuration');
    expect(wire).not.toHaveProperty('multiSelectDuration');
    expect(readModel(platformRead(wire), false)).toEqual(model);
  });

  it('exports a flow as config that is schema-valid and maps back to the same model', () => {
    for (const spec of [
      fullFlowSpec,
      { grantGroup: 'Engineering User', visibleTo: ['Engineering User'], approval: { type: 'automatic' }, access: { duration: 'P30D' } },
      { grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'manual', levels: [{ approvers: [{ admins: true }] }] } },
    ]) {
      const manages = 'display' in spec;
      const live = readModel(platformRead(flowCreateBody(flowFromDesired(flowDecl(spec), resolver()), ids)), manages);
      const exported = flowSpecForConfig(live);
      expect(schemaErrors('ApprovalFlow', live.name, exported)).toEqual([]);
      const names = resolver();
      expect(flowFromDesired(flowDecl(exported, live.name), names)).toEqual(live);
      expect(names.unknown).toEqual([]);
    }
  });
});

describe('flowFromDesired', () => {
  it('fills the config defaults: enabled, application, no description, any, nonAdminApprovers off, display unmanaged', () => {
    const model = flowFromDesired(
      flowDecl({ grantGroup: 'GitHub Admins', visibleTo: ['Engineering Admin'], approval: { type: 'manual', levels: [{ approvers: [{ manager: true }] }] } }),
      resolver(),
    );
    expect(model.spec).toEqual({
      description: '',
      enabled: true,
      category: 'application',
      grantGroup: 'GitHub Admins',
      visibleTo: ['Engineering Admin'],
      approval: { type: 'manual', nonAdminApprovers: false, levels: [{ require: 'any', approvers: [{ manager: true }] }] },
      access: null,
    });
    expect(model.spec).not.toHaveProperty('display');
    const wire = flowCreateBody(model, ids);
    expect(wire).toMatchObject({ status: 'active', category: 'Application', approverRequirement: 'any', nonAdminApproval: false, description: '' });
    expect(wire).not.toHaveProperty('iconColor');
    expect(wire).not.toHaveProperty('iconUrl');
  });

  it('compares visibleTo and the approvers of a level as sets', () => {
    const a = flowFromDesired(flowDecl({ ...fullFlowSpec, visibleTo: ['Engineering Admin', 'Security Leads'] }), resolver());
    const b = flowFromDesired(
      flowDecl({
        ...fullFlowSpec,
        visibleTo: ['Security Leads', 'Engineering Admin'],
        approval: {
          ...fullFlowSpec.approval,
          levels: [
            { require: 'all', approvers: [{ admins: true }, { group: 'Security Leads' }, { manager: true }, { user: 'grace.sec' }] },
            fullFlowSpec.approval.levels[1],
          ],
        },
      }),
      resolver(),
    );
    expect(b).toEqual(a);
  });

  it('keeps approval levels in order', () => {
    const a = flowFromDesired(flowDecl(fullFlowSpec), resolver());
    const swapped = flowFromDesired(
      flowDecl({ ...fullFlowSpec, approval: { ...fullFlowSpec.approval, levels: [...fullFlowSpec.approval.levels].reverse() } }),
      resolver(),
    );
    expect(swapped).not.toEqual(a);
    expect(swapped.spec.approval.levels[0]?.approvers).toEqual([{ user: 'alice@example.com' }]);
    expect(
      flowCreateBody(swapped, ids)
        .approverResources.filter((r) => r.resourceOrder === 0)
        .map((r) => r.resourceId),
    ).toEqual(['u-alice']);
  });

  it('compares durations by length: PT24H is P1D, P1W is P7D, and duplicates collapse', () => {
    expect(canonicalDuration('PT24H')).toBe('P1D');
    expect(canonicalDuration('P1D')).toBe('P1D');
    expect(canonicalDuration('P1W')).toBe('P7D');
    expect(canonicalDuration('PT90M')).toBe('PT1H30M');
    expect(canonicalDuration('P1DT36H')).toBe('P2DT12H');
    const fixed = (duration: string): FlowModel =>
      flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' }, access: { duration } }), resolver());
    expect(fixed('PT24H')).toEqual(fixed('P1D'));
    const multi = flowFromDesired(
      flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' }, access: { durations: ['P1D', 'PT24H', 'PT8H'] } }),
      resolver(),
    );
    expect(multi.spec.access).toEqual({ durations: ['PT8H', 'P1D'] });
    expect(readModel({ ...bareLive, timeBasedAccess: true, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'PT24H' }).spec.access).toEqual({
      duration: 'P1D',
    });
  });

  it('ignores the case of the icon colour', () => {
    const lower = flowFromDesired(flowDecl({ ...fullFlowSpec, display: { color: '#00ff00' } }), resolver());
    const upper = flowFromDesired(flowDecl({ ...fullFlowSpec, display: { color: '#00FF00' } }), resolver());
    expect(lower).toEqual(upper);
  });

  it('resolves a user approver named by username, or by email in any case, to the email', () => {
    const approvers = (user: string): unknown =>
      flowFromDesired(flowDecl({ ...fullFlowSpec, approval: { type: 'manual', levels: [{ approvers: [{ user }] }] } }), resolver()).spec.approval.levels[0]
        ?.approvers;
    expect(approvers('alice')).toEqual([{ user: 'alice@example.com' }]);
    expect(approvers('ALICE@Example.com')).toEqual([{ user: 'alice@example.com' }]);
    expect(approvers('grace.sec')).toEqual([{ user: 'grace@example.com' }]);
  });

  it('resolves group names by NFC and case-folded name to the live spelling', () => {
    const names = resolver();
    const model = flowFromDesired(flowDecl({ ...fullFlowSpec, grantGroup: 'github admins', visibleTo: ['Cafe\u0301 crew'] }), names);
    expect(names.unknown).toEqual([]);
    expect(model.spec.grantGroup).toBe('GitHub Admins');
    expect(model.spec.visibleTo).toEqual(['Caf\u00e9 Crew']);
    expect(flowCreateBody(model, ids).visibleTo).toEqual(['g-cafe']);
  });

  it('collects unknown group and user references with the config path that wrote them', () => {
    const names = resolver();
    flowFromDesired(
      flowDecl({
        ...fullFlowSpec,
        grantGroup: 'Nobody Group',
        visibleTo: ['Engineering Admin', 'Ghosts'],
        approval: { type: 'manual', levels: [{ approvers: [{ manager: true }] }, { approvers: [{ user: 'mallory' }, { group: 'Phantoms' }] }] },
      }),
      names,
    );
    expect(names.unknown).toEqual([
      { what: 'user', name: 'mallory', path: ['spec', 'approval', 'levels', 1, 'approvers', 0, 'user'] },
      { what: 'group', name: 'Phantoms', path: ['spec', 'approval', 'levels', 1, 'approvers', 1, 'group'] },
      { what: 'group', name: 'Nobody Group', path: ['spec', 'grantGroup'] },
      { what: 'group', name: 'Ghosts', path: ['spec', 'visibleTo', 1] },
    ]);
  });

  it('accepts a group the repo will create, under the name it is written with', () => {
    const names = resolver({ 'new team': 'New Team' });
    const model = flowFromDesired(flowDecl({ ...fullFlowSpec, grantGroup: 'new TEAM', visibleTo: ['New Team'] }), names);
    expect(names.unknown).toEqual([]);
    expect(model.spec.grantGroup).toBe('New Team');
    expect(model.spec.visibleTo).toEqual(['New Team']);
  });
});

describe('flowFromWire: protobuf JSON leaves zero values out', () => {
  it('reads no nonAdminApproval, ttlConfig, approverResources, timeBasedAccess, description or visibleTo as false, UNSPECIFIED, [] and ""', () => {
    expect(readModel(bareLive, false)).toEqual({
      name: 'Bare',
      spec: {
        description: '',
        enabled: true,
        category: 'application',
        grantGroup: 'GitHub Admins',
        visibleTo: [],
        approval: { type: 'manual', nonAdminApprovers: false, levels: [] },
        access: null,
      },
    });
  });

  it('reads an omitted resourceOrder and requireAll as the first level, require any', () => {
    const model = readModel({
      ...bareLive,
      approverResources: [{ resourceType: 'manager' }, { resourceType: 'user_group', resourceId: 'g-sec', resourceOrder: 1 }],
    });
    expect(model.spec.approval.levels).toEqual([
      { require: 'any', approvers: [{ manager: true }] },
      { require: 'any', approvers: [{ group: 'Security Leads' }] },
    ]);
  });

  it('reads status inactive, DeviceAdmin, automated and requireAll in config terms', () => {
    const automatic = readModel({
      ...bareLive,
      status: 'inactive',
      category: 'DeviceAdmin',
      approvalType: 'automated',
      approverResources: [{ resourceType: 'manager', resourceId: '', resourceOrder: 0, requireAll: true }],
    });
    expect(automatic.spec.enabled).toBe(false);
    expect(automatic.spec.category).toBe('device-admin');
    expect(automatic.spec.approval).toEqual({ type: 'automatic', nonAdminApprovers: false, levels: [] });
    const manual = readModel({
      ...bareLive,
      approverResources: [
        { resourceType: 'user_group', resourceId: 'g-sec', resourceOrder: 1, requireAll: false },
        { resourceType: 'manager', resourceId: '', resourceOrder: 0, requireAll: true },
      ],
    });
    expect(manual.spec.approval.levels).toEqual([
      { require: 'all', approvers: [{ manager: true }] },
      { require: 'any', approvers: [{ group: 'Security Leads' }] },
    ]);
  });

  it('reads the time-based fields only when timeBasedAccess is on', () => {
    expect(readModel({ ...bareLive, timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'P1D' }).spec.access).toBeNull();
  });

  it('resolves a user approver by id to the email the config uses', () => {
    const model = readModel({ ...bareLive, approverResources: [{ resourceType: 'user', resourceId: 'u-grace', resourceOrder: 0, requireAll: false }] });
    expect(model.spec.approval.levels[0]?.approvers).toEqual([{ user: 'grace@example.com' }]);
  });

  it('falls back to the platform names of approvers and groups the directory does not list', () => {
    const model = readModel({
      ...bareLive,
      approverResources: [
        { resourceType: 'user', resourceId: 'u-gone', resourceName: 'gone@example.com', resourceOrder: 0, requireAll: false },
        { resourceType: 'user_group', resourceId: 'g-gone', resourceOrder: 0, requireAll: false },
      ],
      resources: [{ resourceId: 'g-x', resourceName: 'Old Group', resourceType: 'user_group' }],
      visibleTo: [{ id: 'g-y', name: 'Other Group' }, { id: 'g-z' }],
    });
    expect(model.spec.grantGroup).toBe('Old Group');
    expect(model.spec.visibleTo).toEqual(['g-z', 'Other Group']);
    expect(model.spec.approval.levels[0]?.approvers).toEqual([{ user: 'gone@example.com' }, { group: 'g-gone' }]);
  });
});

describe('flowFromWire: a value the mapping does not know makes the flow unmanageable', () => {
  const cases: [string, { [K in keyof WireFlow]?: WireFlow[K] | undefined }, string][] = [
    ['an unknown status', { status: 'archived' }, 'status "archived"'],
    ['no status at all', { status: undefined }, 'status ""'],
    ['an unknown approvalType', { approvalType: 'quorum' }, 'approvalType "quorum"'],
    ['an unknown category', { category: 'Device' }, 'category "Device"'],
    ['an unknown ttlConfig', { ttlConfig: 'TTL_CONFIG_UNTIL_REVOKED' as WireFlow['ttlConfig'] }, 'ttlConfig "TTL_CONFIG_UNTIL_REVOKED"'],
    ['an unknown approverRequirement', { approverRequirement: 'majority' }, 'approverRequirement "majority"'],
    [
      'an unknown approver resourceType',
      {
        approverResources: [
          { resourceType: 'manager', resourceOrder: 0 },
          { resourceType: 'role', resourceId: 'r-1', resourceName: 'Auditors', resourceOrder: 0 },
        ],
      },
      'approverResources[1].resourceType "role"',
    ],
    ['an approver with no resourceType', { approverResources: [{ resourceId: 'g-sec', resourceOrder: 0 }] }, 'approverResources[0].resourceType ""'],
    [
      'an unknown grant resourceType',
      { resources: [{ resourceId: 'a-gh', resourceName: 'GitHub', resourceType: 'application' }] },
      'resources[0].resourceType "application"',
    ],
    ['no granted resource', { resources: undefined }, '0 granted resources (accessctl manages flows that grant one user group)'],
    [
      'two granted resources',
      {
        resources: [
          { resourceId: 'g-gh-admins', resourceType: 'user_group' },
          { resourceId: 'g-sec', resourceType: 'user_group' },
        ],
      },
      '2 granted resources (accessctl manages flows that grant one user group)',
    ],
    ['time-based access with no ttlConfig', { timeBasedAccess: true }, 'timeBasedAccess with ttlConfig "TTL_CONFIG_UNSPECIFIED" and no duration'],
    [
      'a fixed duration that is empty',
      { timeBasedAccess: true, ttlConfig: 'TTL_CONFIG_FIXED_DURATION' },
      'timeBasedAccess with ttlConfig "TTL_CONFIG_FIXED_DURATION" and no duration',
    ],
  ];

  it.each(cases)('%s: unmanageable, with the value named', (_what, change, reason) => {
    // An undefined value stands for a field the platform left out.
    const wire = Object.fromEntries(Object.entries({ ...bareLive, ...change }).filter(([, value]) => value !== undefined)) as unknown as WireFlow;
    expect(flowFromWire(wire, index, false)).toEqual({ ok: false, reasons: [reason] });
  });

  it('names every value it does not know, not only the first', () => {
    const read = flowFromWire(
      { ...bareLive, status: 'paused', category: 'Database', approverResources: [{ resourceType: 'bot', resourceOrder: 0 }] },
      index,
      false,
    );
    expect(read).toEqual({ ok: false, reasons: ['status "paused"', 'category "Database"', 'approverResources[0].resourceType "bot"'] });
  });

  it('reads an empty record as unmanageable, not as an enabled application flow', () => {
    const read = flowFromWire({ id: 'f', name: 'Empty' }, index, false);
    expect(read).toEqual({
      ok: false,
      reasons: ['status ""', 'approvalType ""', 'category ""', '0 granted resources (accessctl manages flows that grant one user group)'],
    });
  });
});

describe('flowFromWire: the icon', () => {
  const withIcon: WireFlow = { ...bareLive, iconColor: '#00ff00', iconUrl: 'https://console.example.com/icon.png' };

  it('is compared only when the repo manages display', () => {
    expect(readModel(withIcon, false).spec).not.toHaveProperty('display');
    expect(readModel(withIcon, true).spec.display).toEqual({ color: '#00FF00', iconUrl: 'https://console.example.com/icon.png' });
  });

  it('is no drift when the repo leaves display out', () => {
    const desired = flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'manual' } }, 'Bare'), resolver());
    expect(readModel(withIcon, false)).toEqual(desired);
  });

  it('reads an omitted or empty colour as no colour', () => {
    expect(readModel({ ...bareLive, iconColor: '' }).spec.display).toEqual({});
    expect(readModel(bareLive).spec.display).toEqual({});
  });
});

describe('write bodies', () => {
  const model = flowFromDesired(flowDecl(fullFlowSpec), resolver());
  const { display: _display, ...specWithoutDisplay } = model.spec;
  const modelWithoutDisplay: FlowModel = { name: model.name, spec: specWithoutDisplay };
  const live: WireFlow = {
    ...platformRead(flowCreateBody(model, ids), 'f-live'),
    description: 'changed in the console',
    iconColor: '#ff0000',
    iconUrl: 'https://console.example.com/icon.png',
    slackEnabled: true,
    slackConfig: [{ slackResourceId: 'C0123ABCD' }],
    organizationId: 'ZWEAAAAAAAAAAAAAAAAAAA==',
  };

  it('flowCreateBody writes the wire names and carries category and resourceType', () => {
    const body = flowCreateBody(model, ids);
    expect(body).toEqual({
      name: 'GitHub Admin',
      description: 'Owner access to GitHub',
      approvalType: 'manual',
      approverRequirement: 'all',
      approverResources: [
        { resourceType: 'manager', resourceId: '', resourceOrder: 0, requireAll: true },
        { resourceType: 'admin', resourceId: '', resourceOrder: 0, requireAll: true },
        { resourceType: 'user', resourceId: 'u-grace', resourceName: 'grace@example.com', resourceOrder: 0, requireAll: true },
        { resourceType: 'user_group', resourceId: 'g-sec', resourceName: 'Security Leads', resourceOrder: 0, requireAll: true },
        { resourceType: 'user', resourceId: 'u-alice', resourceName: 'alice@example.com', resourceOrder: 1, requireAll: false },
      ],
      category: 'DeviceAdmin',
      nonAdminApproval: true,
      resourceId: 'g-gh-admins',
      resourceType: 'user_group',
      status: 'inactive',
      timeBasedAccess: true,
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      multiSelectDuration: ['PT8H', 'P1D', 'P7D'],
      visibleTo: ['g-eng-admin', 'g-sec'],
      iconColor: '#006CAC',
      iconUrl: 'https://example.com/icon.png',
    });
    expect(jumpcloudContract().checkBody('POST', '/api/v2/approvalflows', body)).toEqual([]);
  });

  it('flowSetBody sends no category and no resourceType: ApprovalFlow_Set defines neither', () => {
    const body = flowSetBody(live, model, ids);
    expect(body).not.toHaveProperty('category');
    expect(body).not.toHaveProperty('resourceType');
    expect(jumpcloudContract().checkBody('PUT', '/api/v2/approvalflows/f-live', body)).toEqual([]);
  });

  it('flowSetBody writes the managed fields from the model, not from the live flow', () => {
    const body = flowSetBody(live, model, ids);
    const { category: _category, resourceType: _resourceType, ...managed } = flowCreateBody(model, ids);
    expect(body).toEqual({ ...managed, slackEnabled: true, slackConfig: [{ slackResourceId: 'C0123ABCD' }] });
    expect(body.description).toBe('Owner access to GitHub');
  });

  it('flowSetBody keeps the live slackEnabled and slackConfig', () => {
    expect(flowSetBody(live, model, ids)).toMatchObject({ slackEnabled: true, slackConfig: [{ slackResourceId: 'C0123ABCD' }] });
    expect(flowSetBody({ ...live, slackEnabled: false, slackConfig: [] }, model, ids)).toMatchObject({ slackEnabled: false, slackConfig: [] });
    // Nothing to keep: nothing is invented.
    const { slackEnabled: _enabled, slackConfig: _config, ...noSlack } = live;
    const body = flowSetBody(noSlack, model, ids);
    expect(body).not.toHaveProperty('slackEnabled');
    expect(body).not.toHaveProperty('slackConfig');
  });

  it('flowSetBody keeps the live icon when the model does not set display', () => {
    const body = flowSetBody(live, modelWithoutDisplay, ids);
    expect(body).toMatchObject({ iconColor: '#ff0000', iconUrl: 'https://console.example.com/icon.png' });
    expect(jumpcloudContract().checkBody('PUT', '/api/v2/approvalflows/f-live', body)).toEqual([]);
  });

  it('flowSetBody writes the icon the model sets, and only that', () => {
    expect(flowSetBody(live, model, ids)).toMatchObject({ iconColor: '#006CAC', iconUrl: 'https://example.com/icon.png' });
    const colourOnly: FlowModel = { name: model.name, spec: { ...model.spec, display: { color: '#00FF00' } } };
    const body = flowSetBody(live, colourOnly, ids);
    expect(body.iconColor).toBe('#00FF00');
    expect(body).not.toHaveProperty('iconUrl');
  });

  it('flowSetBody sends no fixedDuration or multiSelectDuration for permanent access, even where the live flow had them', () => {
    const permanent: FlowModel = { name: model.name, spec: { ...model.spec, access: null } };
    const body = flowSetBody({ ...live, fixedDuration: 'P1D', multiSelectDuration: ['PT8H'] }, permanent, ids);
    expect(body).toMatchObject({ timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_UNSPECIFIED' });
    expect(body).not.toHaveProperty('fixedDuration');
    expect(body).not.toHaveProperty('multiSelectDuration');
  });

  it('flowSetBody sends only the duration form the model uses', () => {
    const fixed: FlowModel = { name: model.name, spec: { ...model.spec, access: { duration: 'P1D' } } };
    const body = flowSetBody(live, fixed, ids);
    expect(body).toMatchObject({ timeBasedAccess: true, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'P1D' });
    expect(body).not.toHaveProperty('multiSelectDuration');
  });
});
