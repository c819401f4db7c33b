// Specifies prepareDiffInput(desired, live, secrets): both sides in the model the diff compares, with
// unknown references as problems located at the file:line:col that wrote them, missing secrets as
// warnings, a failed live list making exactly the kinds that depend on it unknown, a kind the target
// lacks reported once as unsupported, unmanageable live objects kept apart, and channel ids as the platform writes them.
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/config/desired.js';
import { loadConfig } from '../../src/config/load.js';
import type { SecretSource } from '../../src/jumpcloud/channel-mapping.js';
import { prepareDiffInput, SETTINGS_ID } from '../../src/jumpcloud/diff-input.js';
import { flowFingerprint, groupFingerprint, settingsFingerprint } from '../../src/jumpcloud/fingerprint.js';
import { flowCreateBody } from '../../src/jumpcloud/flow-mapping.js';
import { DirectoryIndex } from '../../src/jumpcloud/directory-index.js';
import { FlowPageMapper } from '../../src/jumpcloud/live-flows.js';
import type { Known, LiveWire } from '../../src/jumpcloud/live.js';
import { iconsManaged } from '../../src/pipeline/make-plan.js';
import { canonicalSecrets } from '../../src/jumpcloud/secrets-fingerprint.js';
import { channelIdForWrite, settingsPutBody } from '../../src/jumpcloud/settings-mapping.js';
import type { WireApplication, WireChannel, WireFlow, WireFlowCreate, WireSettings, WireSystemUser, WireUserGroup } from '../../src/jumpcloud/wire.js';
import { channelIdOfLabel } from '../../src/model/settings.js';
import { diff } from '../../src/plan/diff.js';
import { withoutZeroValues } from './mapping-fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'accessctl-diff-input-test-'));
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
const noChannelApi = { status: 'unsupported', reason: 'the target has no /api/v2/notifications/webhook/channels (it answered 404)' } as const;
const noSecrets: SecretSource = () => undefined;
const at = (p: { source?: { file: string; line: number; column: number } | undefined }): string =>
  p.source ? `${p.source.file}:${p.source.line}:${p.source.column}` : '(nowhere)';

const SIEM_HEX = '65a0000000000000000000c1';
const SIEM_BASE64 = Buffer.from(SIEM_HEX, 'hex').toString('base64');
const PAGER_HEX = '65a0000000000000000000c2';

const groups: WireUserGroup[] = [
  { id: 'g-admins', name: 'GitHub Admins', description: 'Owners' },
  { id: 'g-eng', name: 'Engineering Admin' },
  { id: 'g-sec', name: 'Security Leads' },
];
const users: WireSystemUser[] = [{ _id: 'u-alice', email: 'alice@example.com', username: 'alice' }];
const applications: WireApplication[] = [{ _id: 'a-gh', name: 'github', displayLabel: 'GitHub' }];

/** `live` with these live flows, mapped as readLive maps a page of them: with its directory, comparing the icons `desired` sets. */
function withFlows(live: LiveWire, wires: WireFlow[], desired?: DesiredState): LiveWire {
  const known = <T>(list: Known<T[]>): T[] => (list.status === 'ok' ? list.value : expect.fail('a test directory list is unknown'));
  const index = new DirectoryIndex({ groups: known(live.groups), users: known(live.users), applications: known(live.applications) });
  const mapper = new FlowPageMapper(desired ? iconsManaged(desired) : () => false);
  mapper.add({ items: wires, first: 0, bytes: Buffer.from(JSON.stringify({ results: wires })) }, index, true);
  return { ...live, flows: ok(mapper.finish(index)) };
}

function liveWire(overrides: Partial<LiveWire> = {}): LiveWire {
  return {
    target: 'https://sandbox.test',
    groups: ok(groups),
    users: ok(users),
    applications: ok(applications),
    flows: ok({ mapped: true, entries: [], unmanageable: [], pages: [] }),
    channels: ok([]),
    settings: ok({}),
    associations: new Map(),
    ...overrides,
  };
}

/** A live flow the mapping can manage. */
const manageableFlow: WireFlow = {
  id: 'f1',
  name: 'Old',
  status: 'active',
  approvalType: 'automated',
  category: 'Application',
  resources: [{ resourceId: 'g-admins', resourceName: 'GitHub Admins', resourceType: 'user_group' }],
};

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

const simpleFlowFile = lines(
  'apiVersion: accessctl/v1',
  'kind: ApprovalFlow',
  'metadata: {name: GitHub Admin}',
  'spec:',
  '  grantGroup: GitHub Admins',
  '  visibleTo: [Engineering Admin]',
  '  approval: {type: automatic}',
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

/** Secret references: TOKEN 9:12, Authorization 12:20, signingSecret 13:18. metadata.name at 4:9. */
const channelFile = lines(
  'apiVersion: accessctl/v1',
  'kind: WebhookChannel',
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
);

/** Settings subscribing channels: the first webhook's channel at 8:16, the second's at 10:16. */
const settingsFile = (first: string, second?: string): string =>
  lines(
    'apiVersion: accessctl/v1',
    'kind: AccessRequestSettings',
    'metadata: {name: settings}',
    'spec:',
    '  resourceRequests: true',
    '  exposeApprovalProgress: false',
    '  webhooks:',
    `    - channel: ${first}`,
    '      events: [access_management_access_request]',
    ...(second === undefined ? [] : [`    - channel: ${second}`, '      events: ["*"]']),
  );

const siemValues = { sensitiveValues: { TOKEN: 'tok-123' }, headers: { Authorization: 'Bearer abc' }, signingSecret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' };
const exampleEnv: Record<string, string> = { SIEM_TOKEN: 'tok-123', SIEM_AUTH: 'Bearer abc', SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' };

/** The live SIEM channel as the sandbox returns it: secrets masked, fingerprinted under a salt. */
function siemChannel(id = SIEM_HEX, values = siemValues): WireChannel {
  const salt = 'cd'.repeat(16);
  return {
    id,
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
    secretsFingerprint: `hmac-sha256:${salt}:${createHmac('sha256', Buffer.from(salt, 'hex')).update(canonicalSecrets(values)).digest('hex')}`,
  };
}

describe('unknown references', () => {
  it('reports each unknown group, user and application at the file:line:col that names it', async () => {
    const desired = await load({ 'flows/admin.yaml': flowFile, 'groups/admins.yaml': groupFile });
    const input = prepareDiffInput(desired, liveWire({ associations: new Map([['g-admins', ok(['a-gh'])]]) }), noSecrets);
    expect(input.problems.map((p) => `${at(p)} ${p.code} ${p.kind} ${p.name}`)).toEqual([
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
    expect(diff(input).problems.filter((p) => p.code.startsWith('unknown-'))).toHaveLength(5);
  });

  it('suggests the existing name a typo was meant to be, and nothing for a name far from any', async () => {
    const flow = lines(
      'apiVersion: accessctl/v1',
      'kind: ApprovalFlow',
      'metadata: { name: Typos }',
      'spec:',
      '  grantGroup: GitHub Admin',
      '  visibleTo: [Engineering Admins, Totally Different]',
      '  approval:',
      '    type: manual',
      '    nonAdminApprovers: true',
      '    levels:',
      '      - approvers: [{ user: alice@exampel.com }]',
    );
    const input = prepareDiffInput(await load({ 'flows/typos.yaml': flow }), liveWire(), noSecrets);
    expect(input.problems.map((p) => p.message).sort()).toEqual([
      'group "Engineering Admins" does not exist on the platform; did you mean "Engineering Admin"?',
      'group "GitHub Admin" does not exist on the platform; did you mean "GitHub Admins"?',
      'group "Totally Different" does not exist on the platform',
      'user "alice@exampel.com" does not exist on the platform; did you mean "alice@example.com"?',
    ]);
  });

  it('warns, at the line that names them, about an approver the directory marks suspended', async () => {
    const flow = lines(
      'apiVersion: accessctl/v1',
      'kind: ApprovalFlow',
      'metadata: { name: Suspended }',
      'spec:',
      '  grantGroup: GitHub Admins',
      '  visibleTo: [Engineering Admin]',
      '  approval:',
      '    type: manual',
      '    nonAdminApprovers: true',
      '    levels:',
      '      - approvers: [{ user: oscar }]',
    );
    const withOscar = [...users, { _id: 'u-oscar', email: 'oscar@example.com', username: 'oscar', state: 'SUSPENDED' }];
    const input = prepareDiffInput(await load({ 'flows/suspended.yaml': flow }), liveWire({ users: ok(withOscar) }), noSecrets);
    expect(input.problems).toEqual([]);
    expect(input.warnings.map((w) => `${at(w)} ${w.code} ${w.message}`)).toEqual([
      'flows/suspended.yaml:11:29 suspended-approver approver oscar@example.com is suspended in the directory and can approve nothing',
    ]);
  });

  it('accepts a group that another file creates, even though it is not live yet', async () => {
    const desired = await load({
      'flows/admin.yaml': flowFile
        .replace('Ghost Group', 'New Team')
        .replace('Phantoms', 'New Team')
        .replace('group: Nobody', 'group: new team')
        .replace('user: mallory', 'user: alice@example.com'),
      'groups/new.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: New Team}', 'spec: {create: true}'),
    });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.problems).toEqual([]);
    expect(input.groups.creatable).toEqual(new Set(['new team']));
    expect(input.flows.desired[0]?.model.spec.grantGroup).toBe('New Team');
  });

  it('locates each desired object at its metadata.name and keeps its previous names', async () => {
    const desired = await load({ 'flows/admin.yaml': flowFile });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.flows.desired[0]).toMatchObject({
      name: 'GitHub Admin',
      previousNames: ['Github Admins'],
      source: { file: 'flows/admin.yaml', line: 4, column: 9 },
    });
  });

  it('collects the live id of every name it resolved, for apply', async () => {
    const desired = await load({
      'flows/admin.yaml': flowFile
        .replace('Ghost Group', 'GitHub Admins')
        .replace(', Phantoms', '')
        .replace('          - user: mallory\n', '')
        .replace('          - group: Nobody\n', ''),
    });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.problems).toEqual([]);
    expect(input.references).toMatchObject({
      groups: { 'GitHub Admins': 'g-admins', 'Engineering Admin': 'g-eng' },
      users: { 'alice@example.com': 'u-alice' },
    });
  });
});

describe('channel secrets', () => {
  it('warns, at the reference, about a missing environment variable of a live channel, and compares nothing', async () => {
    const desired = await load({ 'channels/siem.yaml': channelFile });
    const input = prepareDiffInput(desired, liveWire({ channels: ok([siemChannel()]) }), (name) => (name === 'SIEM_TOKEN' ? 'tok-123' : undefined));
    expect(input.problems).toEqual([]);
    expect(input.warnings.map((w) => `${at(w)} ${w.code}`)).toEqual(['channels/siem.yaml:12:20 missing-secret', 'channels/siem.yaml:13:18 missing-secret']);
    expect(input.warnings[0]?.message).toBe("environment variable SIEM_AUTH is not set; the channel's secrets were not compared");
    expect(input.channels.desired[0]?.model.secrets).toBe('unknown');
  });

  it('refuses, at the reference, a signing secret that is no Standard Webhooks secret, without quoting it', async () => {
    const desired = await load({ 'channels/siem.yaml': channelFile });
    const planted = 'whsec_UExBTlRFRC1zaG9ydA==';
    const values: Record<string, string> = { SIEM_TOKEN: 'tok-123', SIEM_AUTH: 'Bearer x', SIEM_SIGNING_SECRET: planted };
    const input = prepareDiffInput(desired, liveWire(), (name) => values[name]);
    expect(input.problems.map((p) => `${at(p)} ${p.code}`)).toEqual(['channels/siem.yaml:13:18 invalid-secret']);
    expect(input.problems[0]?.message).toBe(
      'environment variable SIEM_SIGNING_SECRET decodes to 13 bytes; a signing secret is whsec_ followed by the base64 of 24 to 64 random bytes',
    );
    expect(JSON.stringify(input)).not.toContain(planted);
    values['SIEM_SIGNING_SECRET'] = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(prepareDiffInput(desired, liveWire(), (name) => values[name]).problems).toEqual([]);
  });

  it('warns that apply needs the value when the channel is new', async () => {
    const desired = await load({ 'channels/siem.yaml': channelFile });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.warnings.map((w) => w.message)).toEqual([
      'environment variable SIEM_TOKEN is not set; apply needs it to create the channel',
      'environment variable SIEM_AUTH is not set; apply needs it to create the channel',
      'environment variable SIEM_SIGNING_SECRET is not set; apply needs it to create the channel',
    ]);
    expect(input.warnings[0]?.source).toEqual({ file: 'channels/siem.yaml', line: 9, column: 12 });
  });

  it('plans a sensitive update when a secret differs from the live one, and keeps the config for apply', async () => {
    const desired = await load({ 'channels/siem.yaml': channelFile });
    const input = prepareDiffInput(desired, liveWire({ channels: ok([siemChannel()]) }), (name) => ({ ...exampleEnv, SIEM_AUTH: 'Bearer rotated' })[name]);
    expect(input.channels.configs.get('SIEM')).toEqual(desired.channels[0]?.object.spec);
    expect(diff(input).changes).toMatchObject([
      { kind: 'WebhookChannel', action: 'update', name: 'SIEM', fields: [{ path: 'spec.secrets', sensitive: true }] },
    ]);
    expect(diff(prepareDiffInput(desired, liveWire({ channels: ok([siemChannel()]) }), (name) => exampleEnv[name])).changes).toEqual([]);
  });
});

describe('unknown live lists', () => {
  async function unknownKinds(overrides: Partial<LiveWire>): Promise<string[]> {
    const desired = await load({
      'groups/admins.yaml': groupFile.replace(', Jira', ''),
      'flows/admin.yaml': simpleFlowFile,
      'channels/siem.yaml': channelFile,
      'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`),
    });
    const input = prepareDiffInput(
      desired,
      liveWire({ associations: new Map([['g-admins', ok(['a-gh'])]]), channels: ok([siemChannel()]), ...overrides }),
      (name) => exampleEnv[name],
    );
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

  it('makes channels unknown when the channel list failed', async () => {
    expect(await unknownKinds({ channels: failed() })).toEqual(['WebhookChannel']);
  });

  it('makes only the settings unknown when the settings failed: the subscriptions live there', async () => {
    expect(await unknownKinds({ settings: failed() })).toEqual(['AccessRequestSettings']);
  });

  it('makes groups unknown when a managed group’s associations could not be read', async () => {
    expect(await unknownKinds({ associations: new Map([['g-admins', failed()]]) })).toEqual(['GroupAssignment']);
    expect(await unknownKinds({ associations: new Map() })).toEqual(['GroupAssignment']);
  });

  it('makes the settings unknown, not a config error, when they name a channel and the channel list failed', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`, 'SIEM') });
    const live: WireSettings = { channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] };
    const input = prepareDiffInput(desired, liveWire({ channels: failed(), settings: ok(live) }), noSecrets);
    expect(input.problems.map((p) => p.code)).toEqual(['live-unknown']);
    expect(input.settings.live).toBe('unknown');
    const plan = diff(input);
    expect([...plan.unknown].sort()).toEqual(['AccessRequestSettings', 'WebhookChannel']);
    expect(plan.changes).toEqual([]);
  });

  it('names the list that failed and why', async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const input = prepareDiffInput(desired, liveWire({ flows: failed('HTTP 503: try later') }), noSecrets);
    expect(input.problems).toEqual([{ code: 'live-unknown', message: 'could not read the live approval flows: HTTP 503: try later' }]);
  });

  it("tells a list accessctl's own stop cut short (live-stopped) from one that failed (live-unknown)", async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const stopped = { status: 'unknown', reason: 'not finished: accessctl is stopping', stopped: true } as const;
    const input = prepareDiffInput(desired, liveWire({ flows: stopped, settings: failed('HTTP 500') }), noSecrets);
    expect(input.problems).toEqual([
      { code: 'live-stopped', message: 'did not finish reading the live approval flows: not finished: accessctl is stopping' },
      { code: 'live-unknown', message: 'could not read the live settings: HTTP 500' },
    ]);
  });
});

describe('a target without the channel API (JumpCloud)', () => {
  it("reports WebhookChannel once as unsupported, with channels.live 'unsupported', and blocks no other kind", async () => {
    const desired = await load({ 'flows/admin.yaml': simpleFlowFile, 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`) });
    const input = prepareDiffInput(desired, liveWire({ channels: noChannelApi }), noSecrets);
    expect(input.unsupported).toEqual([{ kind: 'WebhookChannel', reason: noChannelApi.reason }]);
    expect(input.channels.live).toBe('unsupported');
    expect(input.problems).toEqual([]);
    const plan = diff(input);
    expect(plan.problems).toEqual([]);
    expect(plan.unknown).toEqual([]);
    expect(plan.unsupported).toEqual([{ kind: 'WebhookChannel', reason: noChannelApi.reason }]);
    expect(plan.changes.map((c) => `${c.action} ${c.kind}`).sort()).toEqual(['create ApprovalFlow', 'update AccessRequestSettings']);
  });

  it('makes a WebhookChannel in the repo a plan error at its file:line:col', async () => {
    const desired = await load({ 'channels/siem.yaml': channelFile });
    const plan = diff(prepareDiffInput(desired, liveWire({ channels: noChannelApi }), (name) => exampleEnv[name]));
    expect(plan.problems.map((p) => `${at(p)} ${p.code} ${p.kind} ${p.name}`)).toEqual(['channels/siem.yaml:4:9 unsupported-kind WebhookChannel SIEM']);
  });

  it('makes a channel named by name a channel-by-name-unsupported problem at its file:line:col, and shows no subscription removed', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`, 'SIEM') });
    // Subscribed in the console to the channel the repo names by id, and to the one it names by name.
    const subscribed = {
      channelEvents: [
        { channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] },
        { channelObjectId: Buffer.from(PAGER_HEX, 'hex').toString('base64'), eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] },
      ],
    };
    const input = prepareDiffInput(desired, liveWire({ channels: noChannelApi, settings: ok(subscribed) }), noSecrets);
    expect(input.problems.map((p) => `${at(p)} ${p.code} ${p.kind} ${p.name}`)).toEqual([
      'settings.yaml:10:16 channel-by-name-unsupported AccessRequestSettings settings',
    ]);
    // Neither side's subscriptions are compared: the plan is blocked by the problem, not by an unsubscribe it would show.
    expect(input.settings.desired?.model.spec.webhooks).toBeUndefined();
    const changes = diff(input).changes.filter((c) => c.kind === 'AccessRequestSettings');
    expect(changes.flatMap((c) => c.fields ?? []).filter((f) => f.path.startsWith('spec.webhooks'))).toEqual([]);
  });

  it('reads no channel API at all when the repo does not need one', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`) });
    const input = prepareDiffInput(desired, liveWire({ channels: { status: 'not-read' } }), noSecrets);
    expect(input.unsupported).toEqual([]);
    expect(input.problems).toEqual([]);
    expect(input.channels.live).toEqual([]);
    expect(input.settings.desired?.model.spec.webhooks).toEqual([{ channel: `id:${SIEM_HEX}`, events: ['access_management_access_request'] }]);
  });
});

describe('unmanageable live objects', () => {
  it('keeps a flow holding a value the mapping does not know apart, with the value, and never plans a change to it', async () => {
    const desired = await load({ 'flows/admin.yaml': simpleFlowFile });
    const strange: WireFlow = { ...manageableFlow, id: 'f-strange', name: 'GitHub Admin', status: 'archived' };
    const input = prepareDiffInput(desired, withFlows(liveWire(), [strange, manageableFlow]), noSecrets);
    expect(input.flows.unmanageable).toEqual([{ id: 'f-strange', name: 'GitHub Admin', reasons: ['status "archived"'] }]);
    expect(input.flows.live).toMatchObject([{ id: 'f1', name: 'Old' }]);
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toMatchObject([{ kind: 'ApprovalFlow', id: 'f-strange', reasons: ['status "archived"'] }]);
  });

  it('keeps settings holding an event type the mapping does not know apart, with the value', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`) });
    const live: WireSettings = { channelEvents: [{ channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_SOMETHING_NEW'] }] };
    const input = prepareDiffInput(desired, liveWire({ settings: ok(live), channels: noChannelApi }), noSecrets);
    expect(input.settings.live).toEqual([{ id: SETTINGS_ID, name: 'settings', reasons: ['channelEvents[0].eventTypes "ACCESS_MANAGEMENT_SOMETHING_NEW"'] }]);
    expect(diff(input).changes).toEqual([]);
  });
});

describe('channel ids for apply', () => {
  it('holds the live raw id of each subscribed channel, exactly as the platform wrote it', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`) });
    const live: WireSettings = { channelEvents: [{ channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] };
    const input = prepareDiffInput(desired, liveWire({ settings: ok(live), channels: noChannelApi }), noSecrets);
    expect(input.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_BASE64 });
    expect(input.references.channelIdEncoding).toBe('base64');
  });

  it('holds live subscriptions the repo does not manage too, and does not compare them', async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const live: WireSettings = {
      resourceRequest: true,
      adminApprovalEmail: true,
      userRequestEmail: true,
      userApprovalEmail: true,
      channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    };
    const input = prepareDiffInput(desired, liveWire({ settings: ok(live), channels: noChannelApi }), noSecrets);
    expect(input.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_HEX });
    expect(input.settings.desired?.model.spec).not.toHaveProperty('webhooks');
    expect(input.settings.live).toMatchObject({ model: { spec: { resourceRequests: true } } });
    expect(input.settings.live).not.toHaveProperty('model.spec.webhooks');
    expect(diff(input).changes).toEqual([]);
  });

  it('writes a newly subscribed channel id in the encoding the live settings use', async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`, `{id: ${PAGER_HEX}}`) });
    const hexLive: WireSettings = { channelEvents: [{ channelObjectId: SIEM_HEX, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] };
    const hex = prepareDiffInput(desired, liveWire({ settings: ok(hexLive), channels: noChannelApi }), noSecrets);
    expect(hex.references.channelIdEncoding).toBe('hex');
    expect(hex.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_HEX, [`id:${PAGER_HEX}`]: PAGER_HEX });
    const base64Live: WireSettings = { channelEvents: [{ channelObjectId: SIEM_BASE64, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] };
    const base64 = prepareDiffInput(desired, liveWire({ settings: ok(base64Live), channels: noChannelApi }), noSecrets);
    expect(base64.references.channelIdEncoding).toBe('base64');
    expect(base64.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_BASE64, [`id:${PAGER_HEX}`]: channelIdForWrite(PAGER_HEX, 'base64') });
  });

  it("writes the contract's base64 when the live settings hold no channel id to learn from", async () => {
    const desired = await load({ 'settings.yaml': settingsFile(`{id: ${SIEM_HEX}}`) });
    const input = prepareDiffInput(desired, liveWire({ channels: noChannelApi }), noSecrets);
    expect(input.references.channelIdEncoding).toBe('base64');
    expect(input.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_BASE64 });
  });

  it('names a channel by its name where the target lists channels, with its id as the platform writes it', async () => {
    const desired = await load({ 'settings.yaml': settingsFile('SIEM') });
    const input = prepareDiffInput(desired, liveWire({ channels: ok([siemChannel(SIEM_BASE64)]) }), noSecrets);
    expect(input.problems).toEqual([]);
    expect(input.settings.desired?.model.spec.webhooks).toEqual([{ channel: 'SIEM', events: ['access_management_access_request'] }]);
    expect(input.references.channels).toEqual({ SIEM: SIEM_BASE64 });
  });

  it('reports a channel name the target does not have as unknown-channel at its file:line:col', async () => {
    const desired = await load({ 'settings.yaml': settingsFile('Nowhere') });
    const input = prepareDiffInput(desired, liveWire({ channels: ok([siemChannel()]) }), noSecrets);
    expect(input.problems.map((p) => `${at(p)} ${p.code}`)).toEqual(['settings.yaml:8:16 unknown-channel']);
  });
});

describe('live objects', () => {
  it('compares only the live groups the repo declares, under their current or previous names', async () => {
    const desired = await load({
      'groups/admins.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: GroupAssignment',
        'metadata: {name: Owners, previousNames: [GitHub Admins]}',
        'spec: {description: Owners}',
      ),
    });
    const input = prepareDiffInput(desired, liveWire(), noSecrets);
    expect(input.groups.live).toMatchObject([
      {
        id: 'g-admins',
        name: 'GitHub Admins',
        model: { name: 'GitHub Admins', spec: { description: 'Owners' } },
        fingerprint: groupFingerprint(groups[0], undefined),
      },
    ]);
    expect(diff(input).changes).toMatchObject([{ kind: 'GroupAssignment', action: 'update', name: 'Owners', renamedFrom: 'GitHub Admins' }]);
  });

  it('fingerprints each live flow and the settings as read', async () => {
    const desired = await load({ 'settings.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') });
    const settings: WireSettings = { resourceRequest: false };
    const input = prepareDiffInput(desired, withFlows(liveWire({ settings: ok(settings) }), [manageableFlow]), noSecrets);
    expect(input.flows.live).toMatchObject([{ id: 'f1', name: 'Old', fingerprint: flowFingerprint(manageableFlow) }]);
    expect(input.settings.live).toMatchObject({ id: SETTINGS_ID, name: 'settings', fingerprint: settingsFingerprint(settings) });
  });

  it('compares the live icon of a flow only when the repo sets display', async () => {
    const desired = await load({ 'flows/admin.yaml': simpleFlowFile });
    const live: WireFlow = { ...manageableFlow, name: 'GitHub Admin', visibleTo: [{ id: 'g-eng', name: 'Engineering Admin' }], iconColor: '#ff0000' };
    expect(diff(prepareDiffInput(desired, withFlows(liveWire(), [live], desired), noSecrets)).changes).toEqual([]);
    const withDisplay = await load({ 'flows/admin.yaml': `${simpleFlowFile}  display: {color: "#00FF00"}\n` });
    expect(diff(prepareDiffInput(withDisplay, withFlows(liveWire(), [live], withDisplay), noSecrets)).changes).toMatchObject([
      { action: 'update', fields: [{ path: 'spec.display.color', before: '#FF0000', after: '#00FF00' }] },
    ]);
  });

  it('converges when the platform leaves out every zero value of the settings', async () => {
    const desired = await load({
      'settings.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: AccessRequestSettings',
        'metadata: {name: settings}',
        'spec:',
        '  resourceRequests: false',
        '  exposeApprovalProgress: false',
        '  email: {approvers: true, requestReceived: false, decision: false}',
        `  webhooks: [{channel: {id: ${SIEM_HEX}}, events: []}]`,
      ),
    });
    const first = prepareDiffInput(desired, liveWire({ channels: noChannelApi }), noSecrets);
    const model = first.settings.desired?.model ?? expect.fail('no desired settings');
    const written = settingsPutBody({}, model, (label) => channelIdForWrite(channelIdOfLabel(label) ?? expect.fail(label), 'base64'));
    const strict = withoutZeroValues(written);
    expect(strict).toEqual({ adminApprovalEmail: true, channelEvents: [{ channelObjectId: SIEM_BASE64 }] });
    const plan = diff(prepareDiffInput(desired, liveWire({ settings: ok(strict), channels: noChannelApi }), noSecrets));
    expect(plan.changes).toEqual([]);
    expect(plan.noop.AccessRequestSettings).toBe(1);
  });
});

// ---- the whole example config against an org that already matches it --------------------------

describe('examples/access against a matching JumpCloud org', () => {
  let desired: DesiredState;
  let matching: LiveWire;
  let matchingFlows: WireFlow[];
  beforeAll(async () => {
    const loaded = await loadConfig('examples/access', ROOT);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    desired = loaded.desired;
    const directoryGroups: WireUserGroup[] = desired.groups.map((g, i) => ({
      id: `g${i}`,
      name: g.name,
      ...(g.object.spec.description ? { description: g.object.spec.description } : {}),
    }));
    const directory = liveWire({
      groups: ok(directoryGroups),
      associations: new Map(directoryGroups.map((g) => [g.id, ok(['a-gh'])])),
      channels: noChannelApi,
    });
    const first = prepareDiffInput(desired, directory, noSecrets);
    const groupId = (name: string): string => directoryGroups.find((g) => g.name === name)?.id ?? expect.fail(`no group ${name}`);
    const groupName = (id: string): string => directoryGroups.find((g) => g.id === id)?.name ?? id;
    /** The platform's read shape, with zero values left out as the strict profile does. */
    const platformRead = (write: WireFlowCreate, id: string): WireFlow => {
      const { resourceId, resourceType, visibleTo, ...rest } = write;
      return withoutZeroValues({
        id,
        ...rest,
        resources: [{ resourceId, resourceType, resourceName: groupName(resourceId) }],
        visibleTo: visibleTo.map((v) => ({ id: v, name: groupName(v) })),
      });
    };
    const flows = first.flows.desired.map((d, i) => platformRead(flowCreateBody(d.model, { group: groupId, user: () => 'u-alice' }), `f${i}`));
    const settingsModel = first.settings.desired?.model ?? expect.fail('the example declares settings');
    const settings = settingsPutBody({}, settingsModel, (label) => channelIdForWrite(channelIdOfLabel(label) ?? expect.fail(label), 'base64'));
    matchingFlows = flows;
    matching = withFlows({ ...directory, settings: ok(withoutZeroValues(settings)) }, flows, desired);
  });

  it('plans no changes, and says the channel API is not there', () => {
    const plan = diff(prepareDiffInput(desired, matching, noSecrets));
    expect(plan.problems).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toEqual([]);
    expect(plan.noop).toEqual({ GroupAssignment: 6, ApprovalFlow: 2, AccessRequestSettings: 1, WebhookChannel: 0 });
    expect(plan.unsupported.map((u) => u.kind)).toEqual(['WebhookChannel']);
  });

  it('plans exactly the field changed on the platform', () => {
    const flows = matchingFlows.map((f) => (f.name === 'GitHub Admin' ? { ...f, nonAdminApproval: false } : f));
    const plan = diff(prepareDiffInput(desired, withFlows(matching, flows, desired), noSecrets));
    expect(plan.changes.map((c) => [c.action, c.name, c.fields])).toEqual([
      ['update', 'GitHub Admin', [{ path: 'spec.approval.nonAdminApprovers', before: false, after: true }]],
    ]);
  });

  it('plans the subscription change when a channel event was turned off in the console', () => {
    const settings = (matching.settings as { value: WireSettings }).value;
    const changed: WireSettings = {
      ...settings,
      channelEvents: (settings.channelEvents ?? []).map((e) => ({ ...e, eventTypes: (e.eventTypes ?? []).slice(0, 1) })),
    };
    const plan = diff(prepareDiffInput(desired, { ...matching, settings: ok(changed) }, noSecrets));
    expect(plan.changes).toMatchObject([{ kind: 'AccessRequestSettings', action: 'update' }]);
    expect(plan.references.channels).toEqual({ [`id:${SIEM_HEX}`]: SIEM_BASE64 });
  });
});
