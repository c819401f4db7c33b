// Specifies the JSON Schemas: their shape (closed objects, capped strings and lists, a description on
// every property, closed enums) and what validation says, and where, when a document breaks them.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('schema');

// ---------------------------------------------------------------------------------------------
// The schema files themselves

const schemasDir = new URL('../../schemas/', import.meta.url);
type Node = Record<string, unknown>;
// The config format's schemas: one per kind plus the shared definitions (other schemas in schemas/
// describe command output or the sandbox, not files users write).
const schemaFiles = [
  'access-request-settings.schema.json',
  'approval-flow.schema.json',
  'defs.schema.json',
  'group-assignment.schema.json',
  'project.schema.json',
  'webhook-channel.schema.json',
];
const schemas = new Map<string, Node>(schemaFiles.map((f) => [f, JSON.parse(readFileSync(new URL(f, schemasDir), 'utf8')) as Node]));

/** Every subschema of every schema file, with a readable location. */
function walk(): { at: string; node: Node }[] {
  const found: { at: string; node: Node }[] = [];
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) visit(item, `${at}/${i}`);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const schema = node as Node;
    found.push({ at, node: schema });
    for (const [key, value] of Object.entries(schema)) {
      // Keywords whose values are schemas or maps/lists of schemas; enum and const hold data.
      if (key === 'properties' || key === '$defs') {
        for (const [name, sub] of Object.entries(value as Node)) visit(sub, `${at}/${key}/${name}`);
      } else if (['items', 'additionalProperties', 'propertyNames', 'anyOf', 'oneOf', 'allOf', 'not'].includes(key)) {
        visit(value, `${at}/${key}`);
      }
    }
  };
  for (const [file, schema] of schemas) visit(schema, file);
  return found;
}

function resolveRef(ref: string, from: string): Node | undefined {
  const [file, pointer = ''] = ref.split('#');
  const schema = schemas.get(file === '' ? from.split('/')[0]! : file!);
  let node: unknown = schema;
  for (const segment of pointer.split('/').filter(Boolean)) node = (node as Node | undefined)?.[segment];
  return node as Node | undefined;
}

const typeOf = (node: Node): string[] => (Array.isArray(node['type']) ? (node['type'] as string[]) : node['type'] ? [String(node['type'])] : []);

describe('the schema files', () => {
  it('include one schema per kind plus the shared definitions', () => {
    expect(readdirSync(schemasDir)).toEqual(expect.arrayContaining(schemaFiles));
    for (const [file, schema] of schemas) {
      expect(schema['$schema'], file).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema['$id'], file).toBe(file);
    }
  });

  it('close every object with additionalProperties: false (maps of secrets and headers cap their keys instead)', () => {
    const objects = walk().filter(({ node }) => typeOf(node).includes('object'));
    expect(objects.length).toBeGreaterThan(15);
    const maps: string[] = [];
    for (const { at, node } of objects) {
      if (node['additionalProperties'] === false) continue;
      // A map: any key, but keys are constrained and counted, and each value has a closed schema.
      expect(node['additionalProperties'], at).toEqual(expect.objectContaining({ $ref: expect.any(String) }));
      expect(node['propertyNames'], at).toEqual(expect.objectContaining({ maxLength: expect.any(Number), pattern: expect.any(String) }));
      expect(node['maxProperties'], at).toEqual(expect.any(Number));
      maps.push(at);
    }
    expect(maps).toEqual(['webhook-channel.schema.json/$defs/spec/properties/secrets', 'webhook-channel.schema.json/$defs/spec/properties/headers']);
  });

  it('cap the length of every string', () => {
    const strings = walk().filter(({ node }) => typeOf(node).includes('string'));
    expect(strings.length).toBeGreaterThan(10);
    for (const { at, node } of strings) expect(node['maxLength'], at).toEqual(expect.any(Number));
  });

  it('cap the length of every list', () => {
    const arrays = walk().filter(({ node }) => typeOf(node).includes('array'));
    expect(arrays.length).toBeGreaterThan(8);
    for (const { at, node } of arrays) expect(node['maxItems'], at).toEqual(expect.any(Number));
  });

  it('describe every property, directly or through the definition it refers to', () => {
    let properties = 0;
    for (const { at, node } of walk()) {
      for (const [name, property] of Object.entries((node['properties'] ?? {}) as Record<string, Node>)) {
        properties++;
        const target = typeof property['$ref'] === 'string' ? resolveRef(property['$ref'], at) : undefined;
        const description = property['description'] ?? target?.['description'];
        expect(typeof description === 'string' && description.length > 10, `${at}/properties/${name}`).toBe(true);
      }
    }
    expect(properties).toBeGreaterThan(50);
  });

  it('resolve every $ref', () => {
    for (const { at, node } of walk()) {
      if (typeof node['$ref'] === 'string') expect(resolveRef(node['$ref'], at), `${at} -> ${node['$ref']}`).toBeDefined();
    }
  });

  it('keep enums closed: an enum is the only way to satisfy its node, and no union reopens it', () => {
    const ajv = new Ajv2020({ strict: false });
    const enums = walk().filter(({ node }) => Array.isArray(node['enum']));
    expect(enums.length).toBeGreaterThanOrEqual(5);
    for (const { at, node } of enums) {
      const values = node['enum'] as unknown[];
      expect(new Set(values).size, at).toBe(values.length);
      const check = ajv.compile({ enum: values, ...(node['type'] ? { type: node['type'] } : {}) });
      expect(check('not-an-allowed-value'), at).toBe(false);
      expect(check(values[0]), at).toBe(true);
    }
    for (const { at, node } of walk()) {
      for (const union of ['anyOf', 'oneOf'] as const) {
        const branches = (node[union] ?? []) as Node[];
        if (!branches.some((b) => 'enum' in b || 'const' in b)) continue;
        for (const branch of branches) {
          const open = typeOf(branch).includes('string') && !('enum' in branch) && !('const' in branch) && !('pattern' in branch);
          expect(open, `${at}/${union}`).toBe(false);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Validating documents

const flowHead = (name = 'F') => [
  'apiVersion: accessctl/v1', // 1
  'kind: ApprovalFlow', // 2
  'metadata:', // 3
  `  name: ${name}`, // 4
  'spec:', // 5
  '  grantGroup: G', // 6
  '  visibleTo: [G]', // 7
];
const groupG = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}');
const webhookHead = ['apiVersion: accessctl/v1', 'kind: WebhookChannel', 'metadata:', '  name: W', 'spec:'];
/** Settings whose spec.webhooks items start on line 6. */
const settingsWithWebhooks = (...items: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec:', '  webhooks:', ...items);

describe('a minimal valid document', () => {
  it('passes for an ApprovalFlow', async () => {
    expect(await validate({ 'f.yaml': lines(...flowHead(), '  approval:', '    type: automatic'), 'g.yaml': groupG })).toEqual([]);
  });

  it('passes for a GroupAssignment', async () => {
    expect(await validate({ 'g.yaml': groupG })).toEqual([]);
  });

  it('passes for an AccessRequestSettings with an empty spec', async () => {
    expect(await validate({ 's.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec: {}') })).toEqual(
      [],
    );
  });

  it('passes for a WebhookChannel', async () => {
    expect(await validate({ 'w.yaml': lines(...webhookHead, '  url: https://siem.example.com/ingest') })).toEqual([]);
  });

  it('passes for an AccessRequestSettings subscribing channels by name and by id', async () => {
    const diagnostics = await validate({
      's.yaml': settingsWithWebhooks(
        '    - {channel: SIEM, events: ["*"]}',
        '    - {channel: {id: 65a0000000000000000000c1}, events: []}',
        '    - {channel: {id: ZaAAAAAAAAAAAADC}, events: []}',
      ),
    });
    expect(diagnostics).toEqual([]);
  });

  it('passes for a Project without a spec', async () => {
    expect(await validate({ 'accessctl.yaml': lines('apiVersion: accessctl/v1', 'kind: Project', 'metadata: {name: p}') })).toEqual([]);
  });
});

describe('durations', () => {
  const flowWith = (duration: string) => lines(...flowHead(), '  approval: {type: automatic}', '  access:', `    duration: "${duration}"`);

  it.each(['PT8H', 'P1D', 'P2W', 'PT90M', 'P1DT12H', 'PT30S'])('accepts %s', async (duration) => {
    expect(await validate({ 'f.yaml': flowWith(duration), 'g.yaml': groupG })).toEqual([]);
  });

  it.each(['P0D', 'PT0H', 'P', 'PT', 'P1Y', 'P1M', '-P1D', '1D', 'P1.5D', 'P1DT', 'pt8h', ''])('refuses "%s" at the value', async (duration) => {
    const diagnostics = await validate({ 'f.yaml': flowWith(duration), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:10:15 error invalid-format']);
    expect(diagnostics[0]!.message).toBe('spec.access.duration must be a positive ISO 8601 duration such as PT8H, P1D or P2W (no years or months)');
  });

  it('refuses a bad duration inside a list at that item', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(...flowHead(), '  approval: {type: automatic}', '  access:', '    durations: [PT8H, P1Y, P7D]'),
      'g.yaml': groupG,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:10:23 error invalid-format']);
    expect(diagnostics[0]!.path).toBe('spec.access.durations[1]');
  });
});

describe('schema errors', () => {
  it('point an unknown field at its key and list the allowed fields', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(...flowHead(), '  approval:', '    type: automatic', '    escalate: true', '  owner: alice'),
      'g.yaml': groupG,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:10:5 error unknown-field', 'f.yaml:11:3 error unknown-field']);
    expect(diagnostics[0]!.message).toBe('unknown field "escalate"; expected one of: type, nonAdminApprovers, levels');
    expect(diagnostics[0]!.path).toBe('spec.approval.escalate');
    expect(diagnostics[1]!.message).toContain('unknown field "owner"; expected one of: description, enabled, category, grantGroup');
  });

  it('point an unknown top-level field at its key', async () => {
    const diagnostics = await validate({
      'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}', 'status: {}'),
    });
    expect(located(diagnostics)).toEqual(['g.yaml:5:1 error unknown-field']);
    expect(diagnostics[0]!.message).toBe('unknown field "status"; expected one of: apiVersion, kind, metadata, spec');
  });

  it('name the allowed values and the value it got for an enum', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead(), '  approval:', '    type: sometimes'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('spec.approval.type must be one of: manual, automatic (got "sometimes")');
  });

  it('describe a non-string value given to an enum by its type', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead(), '  category: 3', '  approval: {type: automatic}'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:8:13 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('spec.category must be one of: application, device-admin (got an integer)');
  });

  it('refuse a drift policy outside correct and report', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': lines('apiVersion: accessctl/v1', 'kind: Project', 'metadata: {name: p}', 'spec:', '  drift:', '    ApprovalFlow: fix'),
    });
    expect(located(diagnostics)).toEqual(['accessctl.yaml:6:19 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('spec.drift.ApprovalFlow must be one of: correct, report (got "fix")');
  });

  it('point a missing required field at the key of the mapping that lacks it', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead(), '  approval:', '    nonAdminApprovers: true'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:8:3 error missing-field']);
    expect(diagnostics[0]!.message).toBe('missing required field "type"');
    expect(diagnostics[0]!.path).toBe('spec.approval');
  });

  it('point a missing spec field at the spec key', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead()), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:5:1 error missing-field']);
    expect(diagnostics[0]!.message).toBe('missing required field "approval"');
  });

  it('point a missing metadata.name at the metadata key', async () => {
    const diagnostics = await validate({
      'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  previousNames: [Old]', 'spec: {}'),
    });
    expect(located(diagnostics)).toEqual(['g.yaml:3:1 error missing-field']);
    expect(diagnostics[0]!.message).toBe('missing required field "name"');
  });

  it('point a missing top-level field at the start of the document', async () => {
    const diagnostics = await validate({ 'g.yaml': lines('# a group', 'apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}') });
    expect(located(diagnostics)).toEqual(['g.yaml:2:1 error missing-field']);
    expect(diagnostics[0]!.message).toBe('missing required field "spec"');
  });

  it('refuse a wrong type, naming what was expected and what was given', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead(), '  enabled: yes', '  approval: {type: automatic}'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:8:12 error wrong-type']);
    // YAML 1.2: `yes` is a string, not a boolean.
    expect(diagnostics[0]!.message).toBe('spec.enabled must be true or false, not a string');
  });

  it('refuse a scalar where a list or a mapping belongs', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: F}',
        'spec:',
        '  grantGroup: G',
        '  visibleTo: G',
        '  approval: automatic',
      ),
      'g.yaml': groupG,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:6:14 error wrong-type', 'f.yaml:7:13 error wrong-type']);
    expect(diagnostics.map((d) => d.message)).toEqual(['spec.visibleTo must be a list, not a string', 'spec.approval must be a mapping, not a string']);
  });

  it('refuse the wrong apiVersion, saying which one is expected', async () => {
    const diagnostics = await validate({ 'g.yaml': lines('apiVersion: accessctl/v2', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}') });
    expect(located(diagnostics)).toEqual(['g.yaml:1:13 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('apiVersion must be accessctl/v1');
  });

  it('refuse an unknown kind, listing the kinds', async () => {
    const diagnostics = await validate({ 'x.yaml': lines('apiVersion: accessctl/v1', 'kind: Flow', 'metadata: {name: x}') });
    expect(located(diagnostics)).toEqual(['x.yaml:2:7 error unknown-kind']);
    expect(diagnostics[0]!.message).toBe(
      'unknown kind "Flow"; expected one of: ApprovalFlow, GroupAssignment, AccessRequestSettings, WebhookChannel, Project, AccessTest',
    );
  });

  it('refuse a document without a kind at its start, listing the kinds', async () => {
    const diagnostics = await validate({ 'x.yaml': lines('# no kind', 'apiVersion: accessctl/v1', 'metadata: {name: x}', 'spec: {}') });
    expect(located(diagnostics)).toEqual(['x.yaml:2:1 error missing-field']);
    expect(diagnostics[0]!.message).toBe(
      'missing required field "kind"; expected one of: ApprovalFlow, GroupAssignment, AccessRequestSettings, WebhookChannel, Project, AccessTest',
    );
  });

  it('refuse a name over 100 characters', async () => {
    const diagnostics = await validate({
      'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', `metadata: {name: ${'a'.repeat(101)}}`, 'spec: {}'),
    });
    expect(located(diagnostics)).toEqual(['g.yaml:3:18 error out-of-range']);
    expect(diagnostics[0]!.message).toBe('metadata.name must be at most 100 characters');
  });

  it('refuse a name with surrounding spaces', async () => {
    const diagnostics = await validate({ 'g.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: " G"}', 'spec: {}') });
    expect(located(diagnostics)).toEqual(['g.yaml:3:18 error invalid-format']);
    expect(diagnostics[0]!.message).toContain('without control characters or surrounding spaces');
  });

  it('refuse an empty access mapping, saying what it should hold', async () => {
    const diagnostics = await validate({ 'f.yaml': lines(...flowHead(), '  approval: {type: automatic}', '  access: {}'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:9:11 error invalid-value']);
    expect(diagnostics[0]!.message).toContain('duration: P7D or durations: [PT8H, P1D]');
  });

  it('refuse numbers outside their range', async () => {
    const diagnostics = await validate({
      'accessctl.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: Project',
        'metadata: {name: p}',
        'spec:',
        '  guards:',
        '    maxDeletions: -1',
        '    maxDeletionPercent: 101',
      ),
    });
    expect(located(diagnostics)).toEqual(['accessctl.yaml:6:19 error out-of-range', 'accessctl.yaml:7:25 error out-of-range']);
    expect(diagnostics.map((d) => d.message)).toEqual(['spec.guards.maxDeletions must be >= 0', 'spec.guards.maxDeletionPercent must be <= 100']);
  });

  it('refuse the same group twice in visibleTo, at the repeat', async () => {
    const diagnostics = await validate({
      'f.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: ApprovalFlow',
        'metadata: {name: F}',
        'spec:',
        '  grantGroup: G',
        '  visibleTo: [G, H, G]',
        '  approval: {type: automatic}',
      ),
      'g.yaml': groupG,
    });
    expect(located(diagnostics)).toEqual(['f.yaml:6:21 error duplicate-item']);
  });
});

describe('approvers', () => {
  const flowWithApprovers = (...approvers: string[]) =>
    lines(...flowHead(), '  approval:', '    type: manual', '    nonAdminApprovers: true', '    levels:', '      - approvers:', ...approvers);

  it('refuse an approver with two keys, at the approver', async () => {
    const diagnostics = await validate({ 'f.yaml': flowWithApprovers('          - manager: true', '            admins: true'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:13:13 error invalid-value']);
    expect(diagnostics[0]!.message).toBe(
      'spec.approval.levels[0].approvers[0] must have exactly one of manager: true, user: EMAIL, group: NAME or admins: true',
    );
  });

  it('refuse an approver with no keys, at the approver', async () => {
    const diagnostics = await validate({ 'f.yaml': flowWithApprovers('          - admins: true', '          - {}'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:14:13 error invalid-value']);
    expect(diagnostics[0]!.message).toContain('exactly one of manager: true, user: EMAIL, group: NAME or admins: true');
  });

  it('refuse manager: false, since only true means anything', async () => {
    const diagnostics = await validate({ 'f.yaml': flowWithApprovers('          - manager: false'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:13:22 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('spec.approval.levels[0].approvers[0].manager must be true');
  });

  it('refuse an unknown approver key at the key', async () => {
    const diagnostics = await validate({ 'f.yaml': flowWithApprovers('          - role: lead'), 'g.yaml': groupG });
    expect(located(diagnostics)).toEqual(['f.yaml:13:13 error unknown-field']);
    expect(diagnostics[0]!.message).toBe('unknown field "role"; expected one of: manager, user, group, admins');
  });
});

describe('webhook channels and subscriptions', () => {
  it('refuse a literal URL secret, saying it must be a secret reference', async () => {
    const diagnostics = await validate({
      'w.yaml': lines(...webhookHead, '  url: https://x.example.com/{{TOKEN}}', '  secrets:', '    TOKEN: abc123'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:12 error wrong-type']);
    expect(diagnostics[0]!.message).toBe('spec.secrets.TOKEN must be a secret reference such as {env: SIEM_TOKEN}, never a literal value');
  });

  it('refuse a literal signing secret, saying it must be a secret reference', async () => {
    const diagnostics = await validate({ 'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  signingSecret: whsec_abc') });
    expect(located(diagnostics)).toEqual(['w.yaml:7:18 error wrong-type']);
    expect(diagnostics[0]!.message).toContain('secret reference');
  });

  it('refuse a secret reference to an invalid environment variable name', async () => {
    const diagnostics = await validate({ 'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  signingSecret: {env: 1BAD}') });
    expect(located(diagnostics)).toEqual(['w.yaml:7:24 error invalid-format']);
    expect(diagnostics[0]!.message).toBe('spec.signingSecret.env must be an environment variable name such as SIEM_TOKEN');
  });

  it('refuse a header value that is neither text nor a secret reference', async () => {
    const diagnostics = await validate({
      'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  headers:', '    X-Source: {value: accessctl}'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:15 error invalid-value']);
    expect(diagnostics[0]!.message).toBe('spec.headers.X-Source must be a header value (one line of text) or a secret reference such as {env: SIEM_AUTH}');
  });

  it('refuse a header name with a space, at the key', async () => {
    const diagnostics = await validate({
      'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  headers:', '    X Source: accessctl'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:5 error invalid-key']);
    expect(diagnostics[0]!.message).toContain('"X Source" is not a valid name here');
    expect(diagnostics[0]!.path).toBe('spec.headers["X Source"]');
  });

  it('refuse a secret name that cannot be a placeholder, at the key', async () => {
    const diagnostics = await validate({
      'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  secrets:', '    my-token: {env: T}'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:5 error invalid-key']);
  });

  it('refuse an event name outside the enum, at the item, listing the expected values', async () => {
    const diagnostics = await validate({
      's.yaml': settingsWithWebhooks(
        '    - channel: SIEM',
        '      events:',
        '        - access_management_access_request',
        '        - access_management_everything',
      ),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:9:11 error invalid-value']);
    expect(diagnostics[0]!.message).toBe(
      'spec.webhooks[0].events[1] must be one of: *, access_management_access_request, access_management_access_request_approval, ' +
        'access_management_association_change, access_management_approval_flow_create, access_management_approval_flow_update, ' +
        'access_management_approval_flow_delete, access_management_access_request_settings_update, access_management_workflow_create, ' +
        'access_management_workflow_update, access_management_workflow_delete (got "access_management_everything")',
    );
  });

  it('accept an empty events list: the channel stays listed but subscribed to nothing', async () => {
    const diagnostics = await validate({ 's.yaml': settingsWithWebhooks('    - {channel: SIEM, events: []}') });
    expect(located(diagnostics)).toEqual([]);
  });

  it('accept an empty webhooks list: it unsubscribes every channel', async () => {
    const diagnostics = await validate({
      's.yaml': lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec:', '  webhooks: []'),
    });
    expect(located(diagnostics)).toEqual([]);
  });

  it('refuse a subscription without events, at the item', async () => {
    const diagnostics = await validate({ 's.yaml': settingsWithWebhooks('    - channel: SIEM') });
    expect(located(diagnostics)).toEqual(['s.yaml:6:7 error missing-field']);
    expect(diagnostics[0]!.path).toBe('spec.webhooks[0]');
  });

  it('refuse events on a WebhookChannel: they belong to its subscription in AccessRequestSettings', async () => {
    const diagnostics = await validate({ 'w.yaml': lines(...webhookHead, '  url: https://x.example.com/', '  events: ["*"]') });
    expect(located(diagnostics)).toEqual(['w.yaml:7:3 error unknown-field']);
    expect(diagnostics[0]!.message).toBe('unknown field "events"; expected one of: url, enabled, verifySsl, secrets, headers, signingSecret');
  });

  it('refuse a URL that is not http(s)', async () => {
    const diagnostics = await validate({ 'w.yaml': lines(...webhookHead, '  url: ftp://x.example.com/') });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error invalid-format']);
    expect(diagnostics[0]!.message).toBe('spec.url must be an https:// URL');
  });
});
