// Specifies the one mapping module: config -> model -> wire write body -> (the platform's read
// shape) -> model is the identity for all four kinds; defaults are filled on both sides; sets are
// compared as sets while approval levels keep their order; names resolve through the directory;
// webhook secrets are compared by fingerprint only; export produces config that maps back to the
// same model.
import { createHmac, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Declared } from '../../src/config/desired.js';
import type { AccessRequestSettings, ApprovalFlow, GroupAssignment, WebhookSubscription } from '../../src/config/kinds.generated.js';
import { parseFile } from '../../src/config/parse.js';
import { validateSchema, type Kind } from '../../src/config/schema.js';
import {
  canonicalDuration,
  DirectoryIndex,
  EVENT_TYPES,
  eventsFromDesired,
  eventsToWire,
  flowFromDesired,
  flowFromWire,
  flowSpecForConfig,
  flowToWire,
  groupFromDesired,
  groupFromWire,
  groupSpecForConfig,
  groupToWire,
  NameResolver,
  settingsFromDesired,
  settingsFromWire,
  settingsSpecForConfig,
  settingsToWire,
  webhookFromDesired,
  webhookFromWire,
  webhookSpecForConfig,
  webhookToWire,
  type IdLookup,
  type SecretSource,
} from '../../src/jumpcloud/mapping.js';
import { canonicalSecrets, type ChannelSecretValues } from '../../src/jumpcloud/secrets-fingerprint.js';
import type { WireChannel, WireChannelWrite, WireFlow, WireFlowWrite, WireSettings } from '../../src/jumpcloud/wire.js';

// ---- the live directory these tests resolve names against -------------------------------------

const directory = {
  groups: [
    { id: 'g-eng-admin', name: 'Engineering Admin' },
    { id: 'g-eng-user', name: 'Engineering User' },
    { id: 'g-gh-admins', name: 'GitHub Admins', description: 'Owners' },
    { id: 'g-sec', name: 'Security Leads' },
    { id: 'g-cafe', name: 'Caf\u00e9 Crew' },
  ],
  users: [
    { _id: 'u-alice', email: 'alice@example.com', username: 'alice' },
    { _id: 'u-grace', email: 'grace@example.com', username: 'grace.sec' },
  ],
  applications: [
    { _id: 'a-gh', name: 'github', displayLabel: 'GitHub' },
    { _id: 'a-slack', name: 'slack', displayLabel: 'Slack' },
  ],
};
const index = new DirectoryIndex(directory);
const resolver = (create: Record<string, string> = {}): NameResolver => new NameResolver(index, new Map(Object.entries(create)));

const ids: IdLookup = {
  group: (name) => index.group(name)?.id ?? `missing-group:${name}`,
  user: (name) => index.user(name)?.id ?? `missing-user:${name}`,
};

// ---- declared objects with real sources ---------------------------------------------------------

let files = 0;
function declare<T extends { metadata: { name: string } }>(kind: Kind, metadata: T['metadata'], spec: unknown): Declared<T> {
  const text = stringify({ apiVersion: 'accessctl/v1', kind, metadata, spec });
  const parsed = parseFile(`test-${files++}.yaml`, new TextEncoder().encode(text));
  const source = parsed.documents[0]!;
  return { name: metadata.name, object: source.data as unknown as T, source };
}
const flowDecl = (spec: unknown, name = 'GitHub Admin'): Declared<ApprovalFlow> => declare<ApprovalFlow>('ApprovalFlow', { name }, spec);
const groupDecl = (spec: unknown, name = 'GitHub Admins'): Declared<GroupAssignment> => declare<GroupAssignment>('GroupAssignment', { name }, spec);
const settingsDecl = (spec: unknown): Declared<AccessRequestSettings> => declare<AccessRequestSettings>('AccessRequestSettings', { name: 'settings' }, spec);
const webhookDecl = (spec: unknown, name = 'SIEM'): Declared<WebhookSubscription> => declare<WebhookSubscription>('WebhookSubscription', { name }, spec);

/** Schema diagnostics for a spec, as if it were written to a file (for what export produces). */
function schemaErrors(kind: Kind, name: string, spec: unknown): string[] {
  const text = stringify({ apiVersion: 'accessctl/v1', kind, metadata: { name }, spec });
  const parsed = parseFile('export.yaml', new TextEncoder().encode(text));
  return validateSchema(parsed.documents[0]!, kind).map((d) => `${d.path}: ${d.message}`);
}

// ---- the platform's read shape ----------------------------------------------------------------

const platformApproverName: Record<string, (id: string) => string> = {
  manager: () => 'Manager',
  admin: () => 'Administrators',
  user: (id) => directory.users.find((u) => u._id === id)?.email ?? id,
  user_group: (id) => directory.groups.find((g) => g.id === id)?.name ?? id,
};
const groupName = (id: string): string => directory.groups.find((g) => g.id === id)?.name ?? id;

/** What the platform returns for a flow written with `write`: resources[], visibleTo [{id,name}], its own order. */
function platformRead(write: WireFlowWrite, id = 'flow-1'): WireFlow {
  const read: WireFlow = {
    id,
    name: write.name,
    description: write.description,
    approvalType: write.approvalType,
    approverRequirement: write.approverRequirement,
    // The platform keeps its own order: reversed here, so only set semantics can make it equal.
    approverResources: [...write.approverResources].reverse().map((r) => ({ ...r, resourceName: platformApproverName[r.resourceType]!(r.resourceId) })),
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

describe('ApprovalFlow mapping', () => {
  it('maps a manual flow config -> model -> write body -> platform read -> the same model', () => {
    const names = resolver();
    const model = flowFromDesired(flowDecl(fullFlowSpec), names);
    expect(names.unknown).toEqual([]);
    const back = flowFromWire(platformRead(flowToWire(model, ids)), index);
    expect(back).toEqual(model);
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

  it('maps an automatic flow with a fixed duration round trip', () => {
    const model = flowFromDesired(
      flowDecl({ grantGroup: 'Engineering User', visibleTo: ['Engineering User'], approval: { type: 'automatic' }, access: { duration: 'PT720H' } }, 'GitHub User'),
      resolver(),
    );
    expect(model.spec.access).toEqual({ duration: 'P30D' });
    expect(model.spec.approval).toEqual({ type: 'automatic', nonAdminApprovers: false, levels: [] });
    const wire = flowToWire(model, ids);
    expect(wire).toMatchObject({ approvalType: 'automated', approverResources: [], timeBasedAccess: true, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'P30D' });
    expect(flowFromWire(platformRead(wire), index)).toEqual(model);
  });

  it('writes the wire names DESIGN section 1 lists', () => {
    const wire = flowToWire(flowFromDesired(flowDecl(fullFlowSpec), resolver()), ids);
    expect(wire).toEqual({
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
  });

  it('writes permanent access as timeBasedAccess false and reads it back as null', () => {
    const model = flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' } }), resolver());
    expect(model.spec.access).toBeNull();
    const wire = flowToWire(model, ids);
    expect(wire.timeBasedAccess).toBe(false);
    expect(wire.ttlConfig).toBe('TTL_CONFIG_UNSPECIFIED');
    expect(wire).not.toHaveProperty('fixedDuration');
    expect(wire).not.toHaveProperty('multiSelectDuration');
    expect(flowFromWire(platformRead(wire), index)).toEqual(model);
  });

  it('fills the config defaults: enabled, application, no description, any, nonAdminApprovers off, no display', () => {
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
      display: {},
    });
    const wire = flowToWire(model, ids);
    expect(wire).toMatchObject({ status: 'active', category: 'Application', approverRequirement: 'any', nonAdminApproval: false, description: '' });
    expect(wire).not.toHaveProperty('iconColor');
    expect(wire).not.toHaveProperty('iconUrl');
  });

  it('fills the wire defaults when the platform leaves fields out', () => {
    const model = flowFromWire({ id: 'f', name: 'Bare' }, index);
    expect(model).toEqual({
      name: 'Bare',
      spec: {
        description: '',
        enabled: true,
        category: 'application',
        grantGroup: '',
        visibleTo: [],
        approval: { type: 'manual', nonAdminApprovers: false, levels: [] },
        access: null,
        display: {},
      },
    });
  });

  it('reads status inactive, DeviceAdmin, automated and requireAll in config terms', () => {
    const model = flowFromWire(
      {
        id: 'f',
        name: 'F',
        status: 'inactive',
        category: 'DeviceAdmin',
        approvalType: 'automated',
        approverResources: [{ resourceType: 'manager', resourceId: '', resourceOrder: 0, requireAll: true }],
      },
      index,
    );
    expect(model.spec.enabled).toBe(false);
    expect(model.spec.category).toBe('device-admin');
    expect(model.spec.approval).toEqual({ type: 'automatic', nonAdminApprovers: false, levels: [] });
    const manual = flowFromWire(
      {
        id: 'f',
        name: 'F',
        approvalType: 'manual',
        approverResources: [
          { resourceType: 'user_group', resourceId: 'g-sec', resourceOrder: 1, requireAll: false },
          { resourceType: 'manager', resourceId: '', resourceOrder: 0, requireAll: true },
        ],
      },
      index,
    );
    expect(manual.spec.approval.levels).toEqual([
      { require: 'all', approvers: [{ manager: true }] },
      { require: 'any', approvers: [{ group: 'Security Leads' }] },
    ]);
  });

  it('treats the time-based fields only when timeBasedAccess is on', () => {
    const model = flowFromWire({ id: 'f', name: 'F', timeBasedAccess: false, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'P1D' }, index);
    expect(model.spec.access).toBeNull();
  });

  it('compares visibleTo and the approvers of a level as sets', () => {
    const a = flowFromDesired(flowDecl({ ...fullFlowSpec, visibleTo: ['Engineering Admin', 'Security Leads'] }), resolver());
    const b = flowFromDesired(
      flowDecl({
        ...fullFlowSpec,
        visibleTo: ['Security Leads', 'Engineering Admin'],
        approval: {
          ...fullFlowSpec.approval,
          levels: [{ require: 'all', approvers: [{ admins: true }, { group: 'Security Leads' }, { manager: true }, { user: 'grace.sec' }] }, fullFlowSpec.approval.levels[1]],
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
    expect(swapped.spec.approval.levels[0]!.approvers).toEqual([{ user: 'alice@example.com' }]);
    expect(flowToWire(swapped, ids).approverResources.filter((r) => r.resourceOrder === 0).map((r) => r.resourceId)).toEqual(['u-alice']);
  });

  it('compares durations by length: PT24H is P1D, P1W is P7D, and duplicates collapse', () => {
    expect(canonicalDuration('PT24H')).toBe('P1D');
    expect(canonicalDuration('P1D')).toBe('P1D');
    expect(canonicalDuration('P1W')).toBe('P7D');
    expect(canonicalDuration('PT90M')).toBe('PT1H30M');
    expect(canonicalDuration('P1DT36H')).toBe('P2DT12H');
    const fixed = (duration: string) => flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' }, access: { duration } }), resolver());
    expect(fixed('PT24H')).toEqual(fixed('P1D'));
    const multi = flowFromDesired(flowDecl({ grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'automatic' }, access: { durations: ['P1D', 'PT24H', 'PT8H'] } }), resolver());
    expect(multi.spec.access).toEqual({ durations: ['PT8H', 'P1D'] });
    const fromWire = flowFromWire({ id: 'f', name: 'F', timeBasedAccess: true, ttlConfig: 'TTL_CONFIG_FIXED_DURATION', fixedDuration: 'PT24H' }, index);
    expect(fromWire.spec.access).toEqual({ duration: 'P1D' });
  });

  it('ignores the case of the icon colour on both sides', () => {
    const lower = flowFromDesired(flowDecl({ ...fullFlowSpec, display: { color: '#00ff00' } }), resolver());
    const upper = flowFromDesired(flowDecl({ ...fullFlowSpec, display: { color: '#00FF00' } }), resolver());
    expect(lower).toEqual(upper);
    expect(flowFromWire({ id: 'f', name: 'F', iconColor: '#00ff00' }, index).spec.display).toEqual({ color: '#00FF00' });
    expect(flowFromWire({ id: 'f', name: 'F', iconColor: '' }, index).spec.display).toEqual({});
  });

  it('resolves a user approver named by username, or by email in any case, to the email', () => {
    const approvers = (user: string) =>
      flowFromDesired(flowDecl({ ...fullFlowSpec, approval: { type: 'manual', levels: [{ approvers: [{ user }] }] } }), resolver()).spec.approval.levels[0]!.approvers;
    expect(approvers('alice')).toEqual([{ user: 'alice@example.com' }]);
    expect(approvers('ALICE@Example.com')).toEqual([{ user: 'alice@example.com' }]);
    expect(approvers('grace.sec')).toEqual([{ user: 'grace@example.com' }]);
    const wire = flowFromWire({ id: 'f', name: 'F', approvalType: 'manual', approverResources: [{ resourceType: 'user', resourceId: 'u-grace', resourceOrder: 0, requireAll: false }] }, index);
    expect(wire.spec.approval.levels[0]!.approvers).toEqual([{ user: 'grace@example.com' }]);
  });

  it('resolves group names by NFC and case-folded name to the live spelling', () => {
    const names = resolver();
    const model = flowFromDesired(flowDecl({ ...fullFlowSpec, grantGroup: 'github admins', visibleTo: ['Cafe\u0301 crew'] }), names);
    expect(names.unknown).toEqual([]);
    expect(model.spec.grantGroup).toBe('GitHub Admins');
    expect(model.spec.visibleTo).toEqual(['Caf\u00e9 Crew']);
    expect(flowToWire(model, ids).visibleTo).toEqual(['g-cafe']);
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

  it('falls back to the platform names of approvers and groups the directory does not list', () => {
    const model = flowFromWire(
      {
        id: 'f',
        name: 'F',
        approvalType: 'manual',
        approverResources: [
          { resourceType: 'user', resourceId: 'u-gone', resourceName: 'gone@example.com', resourceOrder: 0, requireAll: false },
          { resourceType: 'user_group', resourceId: 'g-gone', resourceOrder: 0, requireAll: false },
        ],
        resources: [{ resourceId: 'g-x', resourceName: 'Old Group', resourceType: 'user_group' }],
        visibleTo: [{ id: 'g-y', name: 'Other Group' }, { id: 'g-z' }],
      },
      index,
    );
    expect(model.spec.grantGroup).toBe('Old Group');
    expect(model.spec.visibleTo).toEqual(['g-z', 'Other Group']);
    expect(model.spec.approval.levels[0]!.approvers).toEqual([{ user: 'gone@example.com' }, { group: 'g-gone' }]);
  });

  it('exports a flow as config that is schema-valid and maps back to the same model', () => {
    for (const spec of [
      fullFlowSpec,
      { grantGroup: 'Engineering User', visibleTo: ['Engineering User'], approval: { type: 'automatic' }, access: { duration: 'P30D' } },
      { grantGroup: 'GitHub Admins', visibleTo: [], approval: { type: 'manual', levels: [{ approvers: [{ admins: true }] }] } },
    ]) {
      const live = flowFromWire(platformRead(flowToWire(flowFromDesired(flowDecl(spec), resolver()), ids)), index);
      const exported = flowSpecForConfig(live);
      expect(schemaErrors('ApprovalFlow', live.name, exported)).toEqual([]);
      const names = resolver();
      expect(flowFromDesired(flowDecl(exported, live.name), names)).toEqual(live);
      expect(names.unknown).toEqual([]);
    }
  });
});

describe('GroupAssignment mapping', () => {
  it('maps a group config -> model -> write body -> platform read -> the same model', () => {
    const names = resolver();
    const model = groupFromDesired(groupDecl({ description: 'Owners of GitHub', create: true, applications: ['Slack', 'github'] }), names);
    expect(names.unknown).toEqual([]);
    expect(model).toEqual({ name: 'GitHub Admins', spec: { description: 'Owners of GitHub', applications: ['GitHub', 'Slack'] } });
    expect(groupToWire(model)).toEqual({ name: 'GitHub Admins', description: 'Owners of GitHub' });
    const read = { id: 'g-gh-admins', ...groupToWire(model), type: 'user_group' as const };
    expect(groupFromWire(read, ['a-slack', 'a-gh'], index, model.spec)).toEqual(model);
  });

  it('compares applications as a set, resolving both the label and the name', () => {
    const a = groupFromDesired(groupDecl({ applications: ['GitHub', 'Slack'] }), resolver());
    const b = groupFromDesired(groupDecl({ applications: ['slack', 'github'] }), resolver());
    expect(b).toEqual(a);
  });

  it('leaves description and applications unmanaged when the config omits them', () => {
    const model = groupFromDesired(groupDecl({}), resolver());
    expect(model).toEqual({ name: 'GitHub Admins', spec: {} });
    expect(groupToWire(model)).toEqual({ name: 'GitHub Admins' });
    expect(groupFromWire({ id: 'g-gh-admins', name: 'GitHub Admins', description: 'Owners' }, ['a-gh'], index, model.spec)).toEqual(model);
  });

  it('reads a missing live description as empty when the description is managed', () => {
    expect(groupFromWire({ id: 'g', name: 'G' }, [], index, { description: 'x' }).spec).toEqual({ description: '' });
  });

  it('manages an empty application set: an empty list means no associations', () => {
    const model = groupFromDesired(groupDecl({ applications: [] }), resolver());
    expect(model.spec.applications).toEqual([]);
    expect(groupFromWire({ id: 'g-gh-admins', name: 'GitHub Admins' }, ['a-gh'], index, model.spec).spec.applications).toEqual(['GitHub']);
  });

  it('collects unknown applications with their config path', () => {
    const names = resolver();
    groupFromDesired(groupDecl({ applications: ['GitHub', 'Jira'] }), names);
    expect(names.unknown).toEqual([{ what: 'application', name: 'Jira', path: ['spec', 'applications', 1] }]);
  });

  it('exports a group as config that maps back to the same model', () => {
    const live = groupFromWire({ id: 'g-gh-admins', name: 'GitHub Admins', description: 'Owners' }, ['a-gh'], index, { description: '', applications: [] });
    const exported = groupSpecForConfig(live);
    expect(exported).toEqual({ description: 'Owners', applications: ['GitHub'] });
    expect(schemaErrors('GroupAssignment', live.name, exported)).toEqual([]);
    expect(groupFromDesired(groupDecl(exported), resolver())).toEqual(live);
  });
});

describe('AccessRequestSettings mapping', () => {
  const full = { resourceRequests: false, exposeApprovalProgress: true, email: { approvers: false, requestReceived: true, decision: false } };

  it('maps settings config -> model -> write body -> platform read -> the same model', () => {
    const model = settingsFromDesired(settingsDecl(full));
    expect(model).toEqual({ spec: full });
    const channelEvents = [{ channelObjectId: 'c1', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }];
    const wire = settingsToWire(model, channelEvents);
    expect(wire).toEqual({
      resourceRequest: false,
      exposeApprovalProgress: true,
      adminApprovalEmail: false,
      userRequestEmail: true,
      userApprovalEmail: false,
      channelEvents,
    });
    expect(settingsFromWire(wire)).toEqual(model);
  });

  it('fills the same defaults for an empty config and an empty platform record', () => {
    const defaults = { spec: { resourceRequests: true, exposeApprovalProgress: false, email: { approvers: true, requestReceived: true, decision: true } } };
    expect(settingsFromDesired(settingsDecl({}))).toEqual(defaults);
    expect(settingsFromDesired(settingsDecl({ email: {} }))).toEqual(defaults);
    expect(settingsFromWire({})).toEqual(defaults);
  });

  it('exports settings as config that maps back to the same model', () => {
    const wire: WireSettings = { resourceRequest: true, exposeApprovalProgress: true, adminApprovalEmail: false };
    const live = settingsFromWire(wire);
    const exported = settingsSpecForConfig(live);
    expect(schemaErrors('AccessRequestSettings', 'settings', exported)).toEqual([]);
    expect(settingsFromDesired(settingsDecl(exported))).toEqual(live);
  });
});

// ---- webhooks -----------------------------------------------------------------------------------

/** The fingerprint the platform returns, built the way secrets-fingerprint.ts documents it. */
function fingerprint(values: ChannelSecretValues, salt = randomBytes(16).toString('hex')): string {
  const canonical = JSON.stringify([
    Object.entries(values.sensitiveValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    Object.entries(values.headers)
      .map(([name, value]) => [name.toLowerCase(), value])
      .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
    values.signingSecret ?? null,
  ]);
  return `hmac-sha256:${salt}:${createHmac('sha256', Buffer.from(salt, 'hex')).update(canonical).digest('hex')}`;
}

const env: Record<string, string> = {
  SIEM_TOKEN: 'tok-123',
  SIEM_AUTH: 'Bearer abc',
  SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0',
};
const fromEnv =
  (values: Record<string, string>): SecretSource =>
  (name) =>
    values[name];

const webhookSpec = {
  url: 'https://siem.example.com/ingest/{{TOKEN}}',
  secrets: { TOKEN: { env: 'SIEM_TOKEN' } },
  headers: { 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTH' } },
  signingSecret: { env: 'SIEM_SIGNING_SECRET' },
  events: ['access_management_access_request', 'access_management_workflow_create'],
};
const liveValues: ChannelSecretValues = { sensitiveValues: { TOKEN: 'tok-123' }, headers: { authorization: 'Bearer abc' }, signingSecret: 'whsec_c2VjcmV0' };

/** What the platform returns for a channel written with `write`: secrets masked, a fingerprint. */
function channelRead(write: WireChannelWrite, id = 'ch-1'): WireChannel {
  const read: WireChannel = {
    id,
    name: write.name,
    url: write.url,
    enabled: write.enabled,
    verifySsl: write.verifySsl,
    sensitiveValues: Object.fromEntries(Object.keys(write.sensitiveValues).map((k) => [k, '********'])),
    headers: write.headers.map((h) => (h.sensitive ? { ...h, value: '********' } : h)),
    secretsFingerprint: fingerprint({
      sensitiveValues: write.sensitiveValues,
      headers: Object.fromEntries(write.headers.filter((h) => h.sensitive).map((h) => [h.name, h.value])),
      signingSecret: write.signingSecret,
    }),
  };
  if (write.signingSecret !== undefined) read.signingSecret = '********';
  return read;
}

/** A live channel with nothing set: the base of the export cases. */
const bare: WireChannel = {
  id: 'ch-9',
  name: 'Audit',
  url: 'https://audit.example.com/in',
  enabled: true,
  verifySsl: true,
  sensitiveValues: {},
  headers: [],
  secretsFingerprint: fingerprint({ sensitiveValues: {}, headers: {} }),
};

describe('WebhookSubscription mapping', () => {
  it('maps a webhook config -> model -> write body -> platform read -> the same model', () => {
    const desired = webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), undefined);
    expect(desired.missing).toEqual([]);
    expect(desired.model).toEqual({
      name: 'SIEM',
      spec: {
        url: 'https://siem.example.com/ingest/{{TOKEN}}',
        enabled: true,
        verifySsl: true,
        headers: { authorization: { secret: true }, 'x-source': 'accessctl' },
        placeholders: ['TOKEN'],
        signed: true,
        events: ['access_management_access_request', 'access_management_approval_flow_create'],
      },
      secrets: 'new',
    });
    expect(desired.values).toEqual({ sensitiveValues: { TOKEN: 'tok-123' }, headers: { Authorization: 'Bearer abc' }, signingSecret: 'whsec_c2VjcmV0' });
    const read = channelRead(webhookToWire(webhookDecl(webhookSpec), desired.values!));
    const live = webhookFromWire(read, eventsToWire(desired.model.spec.events));
    const again = webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), read);
    expect(again.model.secrets).toBe('live');
    expect(live).toEqual(again.model);
  });

  it('marks secret headers sensitive in the write body and carries the secret values there only', () => {
    const wire = webhookToWire(webhookDecl({ ...webhookSpec, enabled: false, verifySsl: false }), { ...liveValues, headers: { Authorization: 'Bearer abc' } });
    expect(wire).toEqual({
      name: 'SIEM',
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: false,
      verifySsl: false,
      sensitiveValues: { TOKEN: 'tok-123' },
      headers: [
        { name: 'X-Source', value: 'accessctl', sensitive: false },
        { name: 'Authorization', value: 'Bearer abc', sensitive: true },
      ],
      signingSecret: 'whsec_c2VjcmV0',
    });
  });

  it("says the secrets are 'live' when the platform's HMAC matches ours", () => {
    const live = { ...channelRead(webhookToWire(webhookDecl(webhookSpec), liveValues)), secretsFingerprint: fingerprint(liveValues) };
    expect(webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), live).model.secrets).toBe('live');
  });

  it("says the secrets are 'changed' when any one value differs", () => {
    for (const changed of ['SIEM_TOKEN', 'SIEM_AUTH', 'SIEM_SIGNING_SECRET']) {
      const live = { ...channelRead(webhookToWire(webhookDecl(webhookSpec), liveValues)), secretsFingerprint: fingerprint(liveValues) };
      const prepared = webhookFromDesired(webhookDecl(webhookSpec), fromEnv({ ...env, [changed]: 'something-else' }), live);
      expect(prepared.model.secrets, changed).toBe('changed');
      expect(prepared.values).toBeDefined();
    }
  });

  it("says 'changed' for a fingerprint it cannot parse", () => {
    const live = { ...channelRead(webhookToWire(webhookDecl(webhookSpec), liveValues)), secretsFingerprint: 'garbage' };
    expect(webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), live).model.secrets).toBe('changed');
  });

  it("says 'unknown' when an environment variable is missing, and names where it is referenced", () => {
    const live = channelRead(webhookToWire(webhookDecl(webhookSpec), liveValues));
    const { SIEM_AUTH: _auth, ...partial } = env;
    const prepared = webhookFromDesired(webhookDecl(webhookSpec), fromEnv({ ...partial, SIEM_TOKEN: '' }), live);
    expect(prepared.model.secrets).toBe('unknown');
    expect(prepared.values).toBeUndefined();
    expect(prepared.missing).toEqual([
      { env: 'SIEM_TOKEN', path: ['spec', 'secrets', 'TOKEN'] },
      { env: 'SIEM_AUTH', path: ['spec', 'headers', 'Authorization'] },
    ]);
  });

  it("says 'new' when there is no live channel, with or without the values", () => {
    expect(webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), undefined).model.secrets).toBe('new');
    expect(webhookFromDesired(webhookDecl(webhookSpec), fromEnv({}), undefined).model.secrets).toBe('new');
  });

  it('fills enabled and verifySsl with true on the config side', () => {
    const prepared = webhookFromDesired(webhookDecl({ url: 'https://h.example.com/x', events: ['access_management_access_request'] }), fromEnv({}), undefined);
    expect(prepared.model.spec).toMatchObject({ enabled: true, verifySsl: true, headers: {}, placeholders: [], signed: false });
    expect(prepared.values).toEqual({ sensitiveValues: {}, headers: {} });
  });

  it('reads legacy event names as approval_flow_* and "*" as every event', () => {
    expect(eventsFromDesired(['access_management_workflow_create', 'access_management_workflow_update', 'access_management_workflow_delete'])).toEqual([
      'access_management_approval_flow_create',
      'access_management_approval_flow_delete',
      'access_management_approval_flow_update',
    ]);
    expect(eventsFromDesired(['*'])).toEqual([...EVENT_TYPES].sort());
    expect(eventsFromDesired(['access_management_approval_flow_create', 'access_management_workflow_create'])).toEqual(['access_management_approval_flow_create']);
    expect(eventsToWire(['access_management_approval_flow_create'])).toEqual(['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE']);
  });

  it('compares events as a set, whatever order and case the platform keeps them in', () => {
    const channel = channelRead(webhookToWire(webhookDecl(webhookSpec), liveValues));
    const a = webhookFromWire(channel, ['ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE', 'ACCESS_MANAGEMENT_ACCESS_REQUEST']);
    const b = webhookFromWire(channel, ['access_management_access_request', 'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE', 'SOMETHING_ELSE']);
    expect(a).toEqual(b);
    expect(a.spec.events).toEqual(webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), undefined).model.spec.events);
  });

  it('compares header names without case', () => {
    const upper = webhookFromDesired(webhookDecl({ ...webhookSpec, headers: { 'X-SOURCE': 'accessctl', AUTHORIZATION: { env: 'SIEM_AUTH' } } }), fromEnv(env), undefined);
    const lower = webhookFromDesired(webhookDecl(webhookSpec), fromEnv(env), undefined);
    expect(upper.model).toEqual(lower.model);
    expect(canonicalSecrets(upper.values!)).toBe(canonicalSecrets(lower.values!));
  });

  it('exports a channel with no event subscriptions as an empty, schema-valid events list', () => {
    const exported = webhookSpecForConfig(bare, []);
    expect(exported.events).toEqual([]);
    expect(schemaErrors('WebhookSubscription', 'Audit', exported)).toEqual([]);
    expect(webhookFromDesired(webhookDecl(exported, 'Audit'), fromEnv({}), bare).model).toEqual(webhookFromWire(bare, []));
  });

  it('exports a channel as config with secret references that maps back to the same model', () => {
    const write = webhookToWire(webhookDecl({ ...webhookSpec, events: ['*'] }), { ...liveValues, headers: { Authorization: 'Bearer abc' } });
    const channel = channelRead(write);
    const events = eventsToWire([...EVENT_TYPES]);
    const exported = webhookSpecForConfig(channel, events);
    expect(exported.events).toEqual(['*']);
    expect(exported.secrets).toEqual({ TOKEN: { env: 'SIEM_TOKEN' } });
    expect(exported.headers).toEqual({ 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTHORIZATION' } });
    expect(exported.signingSecret).toEqual({ env: 'SIEM_SIGNING_SECRET' });
    expect(JSON.stringify(exported)).not.toContain('********');
    expect(schemaErrors('WebhookSubscription', 'SIEM', exported)).toEqual([]);
    const reimported = webhookFromDesired(
      webhookDecl(exported),
      fromEnv({ SIEM_TOKEN: 'tok-123', SIEM_AUTHORIZATION: 'Bearer abc', SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0' }),
      channel,
    );
    expect(reimported.model).toEqual(webhookFromWire(channel, events));
  });
});

describe('credential headers the platform holds unmasked', () => {
  it('exports a credential header the platform holds unmasked as a secret reference, never as its value', () => {
    const channel = { ...bare, headers: [{ name: 'Authorization', value: 'Bearer live-credential', sensitive: false }] };
    const exported = webhookSpecForConfig(channel, eventsToWire(['access_management_access_request']));
    expect(JSON.stringify(exported)).not.toContain('live-credential');
    expect(exported.headers).toEqual({ Authorization: { env: 'AUDIT_AUTHORIZATION' } });
  });
});
