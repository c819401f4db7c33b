// Specifies prepareDiffInput(desired, live, secrets): both sides in the model diff compares, with
// unknown references as problems located at the file:line:col that wrote them, missing secrets as
// warnings, and a failed live list making exactly the kinds that depend on it unknown.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/config/desired.js';
import { loadConfig } from '../../src/config/load.js';
import type { Known, LiveWire } from '../../src/jumpcloud/live.js';
import { eventsToWire, flowToWire, settingsToWire, webhookToWire, type SecretSource } from '../../src/jumpcloud/mapping.js';
import { canonicalSecrets } from '../../src/jumpcloud/secrets-fingerprint.js';
import type { WireApplication, WireChannel, WireFlow, WireFlowWrite, WireSettings, WireSystemUser, WireUserGroup } from '../../src/jumpcloud/wire.js';
import { diff } from '../../src/plan/diff.js';
import { fingerprintOf } from '../../src/plan/fingerprint.js';
import { prepareDiffInput, SETTINGS_ID } from '../../src/plan/inputs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'accessctl-inputs-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

async function load(files: Record<string, string>): Promise<DesiredState> {
  const dir = join(root, String(cases++));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const { desired, diagnostics } = await loadConfig('.', dir);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return desired;
}

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const ok = <T>(value: T): Known<T> => ({ status: 'ok', value });
const failed = (reason = 'HTTP 503'): { status: 'unknown'; reason: string } => ({ status: 'unknown', reason });
const noSecrets: SecretSource = () => undefined;

const groups: WireUserGroup[] = [
  { id: 'g-admins', name: 'GitHub Admins', description: 'Owners' },
  { id: 'g-eng', name: 'Engineering Admin' },
  { id: 'g-sec', name: 'Security Leads' },
];
const users: WireSystemUser[] = [{ _id: 'u-alice', email: 'alice@example.com', username: 'alice' }];
const applications: WireApplication[] = [{ _id: 'a-gh', name: 'github', displayLabel: 'GitHub' }];

function liveWire(overrides: Partial<LiveWire> = {}): LiveWire {
  return {
    target: 'https://sandbox.test',
    groups: ok(groups),
    users: ok(users),
    applications: ok(applications),
    flows: ok([]),
    channels: ok([]),
    settings: ok({}),
    associations: new Map(),
    ...overrides,
  };
}

/** A flow whose references are on known lines: grantGroup 7:15, visibleTo[1] 8:34, user 14:19, group 15:20. */
const flowFile = lines(
  'apiVersion: accessctl/v1',
  'kind: ApprovalFlow',
  'metadata:',
  '  name: GitHub Admin',
  '  previousNames: [Github Admins]',
  'spec:',
  '  grantGroup: Ghost Group',
  '  visibleTo: [Engineering Admin, Phantoms]',
  '  approval:',
  '    type: manual',
  '    nonAdminApprovers: true',
  '    levels:',
  '      - approvers:',
  '          - user: mallory',
  '          - group: Nobody',
  '          - user: alice',
);

/** Applications on line 8: [GitHub, Jira]; Jira at 8:26. */
const groupFile = lines(
  'apiVersion: accessctl/v1',
  'kind: GroupAssignment',
  'metadata:',
  '  name: GitHub Admins',
  'spec:',
  '  description: Owners',
  '  create: true',
  '  applications: [GitHub, Jira]',
);

/** Secret references: TOKEN 9:18, Authorization 12:20, signingSecret 13:18. */
const webhookFile = lines(
  'apiVersion: accessctl/v1',
  'kind: WebhookSubscription',
  'metadata:',
  '  name: SIEM',
  'spec:',
  '  url: https://siem.example.com/ingest/{{TOKEN}}',
  '  enabled: true',
  '  secrets:',
  '    TOKEN: {env: SIEM_TOKEN}',
  '  headers:',
  '    X-Source: accessctl',
  '    Authorization: {env: SIEM_AUTH}',
  '  signingSecret: {env: SIEM_SIGNING_SECRET}',
  '  events: [access_management_access_request]',
);

describe('unknown references', () => {
  it('reports each unknown group, user and application at the file:line:col that names it', async () => {
    const desired = await load({ 'flows/admin.yaml': flowFile, 'groups/admins.yaml': groupFile });
    const input = prepareDiffInput(desired, liveWire({ associations: new Map([['g-admins', ok(['a-gh'])]]) }), noSecrets);
    expect(input.problems.map((p) => `${p.source!.file}:${p.source!.line}:${p.source!.column} ${p.code} ${p.kind} ${p.name}`)).toEqual([
      'groups/admins.yaml:8:26 unknown-application GroupAssignment GitHub Admins',
      'flows/admin.yaml:14:19 unknown-user ApprovalFlow GitHub Admin',
      'flows/admin.yaml:15:20 unknown-group ApprovalFlow GitHub Admin',
      'flows/admin.yaml:7:15 unknown-group ApprovalFlow GitHub Admin',
      'flows/admin.yaml:8:34 unknown-group ApprovalFlow GitHub Admin',
    ]);
    expect(input.problems.map((p) => p.message)).toEqual([
      'application "Jira" does not exist on the platform',
      'user "mallory" does not exist on the platform',
      'group "Nobody" does not exist on the platform',
      'group "Ghost Group" does not exist on the platform',
      'group "Phantoms" does not exist on the platform',
    ]);
    // The problems survive into the plan and stop it.
    const plan = diff(input);
    expect(plan.problems.filter((p) => p.code.startsWith('unknown-'))).toHaveLength(5);
  });

  it('accepts a group that another file creates, even though it is not live yet', async () => {
    const desired = await load({
      'flows/admin.yaml': flowFile.replace('Ghost Group', 'New Team').replace('Phantoms', 'New Team').replace('group: Nobody', 'group: new team').replace('user: mallory', 'user: alice@example.com'),
      'groups/new.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: New Team}', 'spec: {create: true}'),
    });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.problems).toEqual([]);
    expect(input.groups.creatable).toEqual(new Set(['new team']));
    expect(input.flows.desired[0]!.model.spec.grantGroup).toBe('New Team');
  });

  it('locates each desired object at its metadata.name and keeps its previous names', async () => {
    const desired = await load({ 'flows/admin.yaml': flowFile });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.flows.desired[0]).toMatchObject({ name: 'GitHub Admin', previousNames: ['Github Admins'], source: { file: 'flows/admin.yaml', line: 4, column: 9 } });
  });
});

describe('secrets', () => {
  const live: WireChannel = {
    id: 'ch-1',
    name: 'SIEM',
    url: 'https://siem.example.com/ingest/{{TOKEN}}',
    enabled: true,
    verifySsl: true,
    sensitiveValues: { TOKEN: '********' },
    headers: [
      { name: 'X-Source', value: 'accessctl', sensitive: false },
      { name: 'Authorization', value: '********', sensitive: true },
    ],
    signingSecret: '********',
    secretsFingerprint: `hmac-sha256:${'ab'.repeat(16)}:${'0'.repeat(64)}`,
  };

  it('warns, at the reference, about a missing environment variable of a live channel, and compares nothing', async () => {
    const desired = await load({ 'webhooks/siem.yaml': webhookFile });
    const input = prepareDiffInput(desired, liveWire({ channels: ok([live]) }), (name) => (name === 'SIEM_TOKEN' ? 'tok' : undefined));
    expect(input.problems).toEqual([]);
    expect(input.warnings.map((w) => `${w.source!.file}:${w.source!.line}:${w.source!.column} ${w.code}`)).toEqual([
      'webhooks/siem.yaml:12:20 missing-secret',
      'webhooks/siem.yaml:13:18 missing-secret',
    ]);
    expect(input.warnings[0]!.message).toBe("environment variable SIEM_AUTH is not set; the channel's secrets were not compared");
    expect(input.webhooks.desired[0]!.model.secrets).toBe('unknown');
  });

  it('warns that apply needs the value when the channel is new', async () => {
    const desired = await load({ 'webhooks/siem.yaml': webhookFile });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.warnings.map((w) => w.message)).toEqual([
      'environment variable SIEM_TOKEN is not set; apply needs it to create the channel',
      'environment variable SIEM_AUTH is not set; apply needs it to create the channel',
      'environment variable SIEM_SIGNING_SECRET is not set; apply needs it to create the channel',
    ]);
    expect(input.warnings[0]!.source).toEqual({ file: 'webhooks/siem.yaml', line: 9, column: 12 });
  });
});

describe('unknown live lists', () => {
  async function unknownKinds(overrides: Partial<LiveWire>): Promise<string[]> {
    const desired = await load({
      'groups/admins.yaml': groupFile.replace(', Jira', ''),
      'flows/admin.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: GitHub Admin}',
        'spec:',
        '  grantGroup: GitHub Admins',
        '  visibleTo: [Engineering Admin]',
        '  approval: {type: automatic}',
      ),
      'webhooks/siem.yaml': webhookFile,
      'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {resourceRequests: true}'),
    });
    const input = prepareDiffInput(desired, liveWire({ associations: new Map([['g-admins', ok(['a-gh'])]]), ...overrides }), noSecrets);
    const plan = diff(input);
    expect(plan.problems.some((p) => p.code === 'live-unknown')).toBe(Object.keys(overrides).length > 0);
    return [...plan.unknown].sort();
  }

  it('knows every kind when every list was read', async () => {
    expect(await unknownKinds({})).toEqual([]);
  });

  it('makes flows unknown when the flow list failed', async () => {
    expect(await unknownKinds({ flows: failed() })).toEqual(['ApprovalFlow']);
  });

  it('makes groups and flows unknown when a directory list failed', async () => {
    expect(await unknownKinds({ groups: failed() })).toEqual(['ApprovalFlow', 'GroupAssignment']);
    expect(await unknownKinds({ users: failed() })).toEqual(['ApprovalFlow', 'GroupAssignment']);
    expect(await unknownKinds({ applications: failed() })).toEqual(['ApprovalFlow', 'GroupAssignment']);
  });

  it('makes webhooks unknown when the channel list failed', async () => {
    expect(await unknownKinds({ channels: failed() })).toEqual(['WebhookSubscription']);
  });

  it('makes settings and webhooks unknown when the settings failed, since channel events live there', async () => {
    expect(await unknownKinds({ settings: failed() })).toEqual(['AccessRequestSettings', 'WebhookSubscription']);
  });

  it('makes groups unknown when a managed group’s associations could not be read', async () => {
    expect(await unknownKinds({ associations: new Map([['g-admins', failed()]]) })).toEqual(['GroupAssignment']);
    expect(await unknownKinds({ associations: new Map() })).toEqual(['GroupAssignment']);
  });

  it('names the list that failed and why', async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const input = prepareDiffInput(desired, liveWire({ flows: failed('HTTP 503: try later') }), noSecrets);
    expect(input.problems).toEqual([{ code: 'live-unknown', message: 'could not read the live approval flows: HTTP 503: try later' }]);
  });
});

describe('live objects', () => {
  it('compares only the live groups the repo declares, under their current or previous names', async () => {
    const desired = await load({
      'groups/admins.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: Owners, previousNames: [GitHub Admins]}', 'spec: {description: Owners}'),
    });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.groups.live).toEqual([
      { id: 'g-admins', name: 'GitHub Admins', model: { name: 'GitHub Admins', spec: { description: 'Owners' } }, fingerprint: fingerprintOf({ group: groups[0], applicationIds: null }) },
    ]);
    expect(diff(input).changes).toMatchObject([{ kind: 'GroupAssignment', action: 'update', name: 'Owners', renamedFrom: 'GitHub Admins' }]);
  });

  it('fingerprints each live flow and the settings as read', async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const wire: WireFlow = { id: 'f1', name: 'Old', approvalType: 'automated' };
    const settings: WireSettings = { resourceRequest: false };
    const input = prepareDiffInput(desired, liveWire({ flows: ok([wire]), settings: ok(settings) }), noSecrets);
    expect(input.flows.live).toMatchObject([{ id: 'f1', name: 'Old', fingerprint: fingerprintOf(wire) }]);
    expect(input.settings.live).toMatchObject({ id: SETTINGS_ID, name: 'settings', fingerprint: fingerprintOf(settings) });
  });
});

// ---- the whole example config against an org that already matches it --------------------------

const exampleEnv: Record<string, string> = { SIEM_TOKEN: 'tok-123', SIEM_AUTH: 'Bearer abc', SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0' };

describe('examples/access against a matching org', () => {
  let desired: DesiredState;
  let matching: LiveWire;
  beforeAll(async () => {
    const loaded = await loadConfig('examples/access', ROOT);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    desired = loaded.desired;
    const directoryGroups: WireUserGroup[] = desired.groups.map((g, i) => ({ id: `g${i}`, name: g.name, ...(g.object.spec.description ? { description: g.object.spec.description } : {}) }));
    const directory = liveWire({ groups: ok(directoryGroups), associations: new Map(directoryGroups.map((g) => [g.id, ok(['a-gh'])])) });
    const first = prepareDiffInput(desired, directory, (name) => exampleEnv[name]);
    const groupId = (name: string): string => directoryGroups.find((g) => g.name === name)!.id;
    const flows: WireFlow[] = first.flows.desired.map((d, i) => platformRead(flowToWire(d.model, { group: groupId, user: () => 'u-alice' }), `f${i}`, groupId));
    const siem = desired.webhooks[0]!;
    const values = { sensitiveValues: { TOKEN: 'tok-123' }, headers: { Authorization: 'Bearer abc' }, signingSecret: 'whsec_c2VjcmV0' };
    const write = webhookToWire(siem, values);
    const salt = 'cd'.repeat(16);
    const channel: WireChannel = {
      id: 'ch-1',
      ...write,
      sensitiveValues: { TOKEN: '********' },
      headers: write.headers.map((h) => (h.sensitive ? { ...h, value: '********' } : h)),
      signingSecret: '********',
      secretsFingerprint: `hmac-sha256:${salt}:${createHmac('sha256', Buffer.from(salt, 'hex')).update(canonicalSecrets(values)).digest('hex')}`,
    };
    const events = eventsToWire(first.webhooks.desired[0]!.model.spec.events);
    const settings = settingsToWire(first.settings.desired!.model, [{ channelObjectId: 'ch-1', eventTypes: events }]);
    matching = { ...directory, flows: ok(flows), channels: ok([channel]), settings: ok(settings) };
  });

  /** The platform's read shape: resources[] and visibleTo [{id, name}]. */
  function platformRead(write: WireFlowWrite, id: string, groupId: (name: string) => string): WireFlow {
    const name = (gid: string): string => desired.groups.find((g) => groupId(g.name) === gid)?.name ?? gid;
    const { resourceId, resourceType, visibleTo, ...rest } = write;
    return { id, ...rest, resources: [{ resourceId, resourceType, resourceName: name(resourceId) }], visibleTo: visibleTo.map((v) => ({ id: v, name: name(v) })) };
  }

  it('plans no changes', () => {
    const plan = diff(prepareDiffInput(desired, matching, (name) => exampleEnv[name]));
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.noop).toEqual({ GroupAssignment: 6, ApprovalFlow: 2, AccessRequestSettings: 1, WebhookSubscription: 1 });
  });

  it('plans exactly the field changed on the platform', () => {
    const flows = (matching.flows as { value: WireFlow[] }).value.map((f) => (f.name === 'GitHub Admin' ? { ...f, nonAdminApproval: false } : f));
    const plan = diff(prepareDiffInput(desired, { ...matching, flows: ok(flows) }, (name) => exampleEnv[name]));
    expect(plan.changes.map((c) => [c.action, c.name, c.fields])).toEqual([['update', 'GitHub Admin', [{ path: 'spec.approval.nonAdminApprovers', before: false, after: true }]]]);
  });

  it('plans a sensitive update when a secret differs from the live one', () => {
    const plan = diff(prepareDiffInput(desired, matching, (name) => ({ ...exampleEnv, SIEM_AUTH: 'Bearer rotated' })[name]));
    expect(plan.changes).toMatchObject([{ kind: 'WebhookSubscription', action: 'update', name: 'SIEM', fields: [{ path: 'spec.secrets', sensitive: true }] }]);
  });
});
