// Generates docs/config-reference.md from schemas/: every field of every kind with its type,
// default, limits and description. `npm run generate:docs` writes it; a test fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, unknown>;

const schemasDir = new URL('../schemas/', import.meta.url);
export const referenceFile = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));

/** A kind's example: a file of examples/access, or (for a kind the worked example does not use) YAML shown inline. */
type Example = { file: string } | { inline: string; note: string };

/**
 * A WebhookChannel, shown inline: examples/access subscribes a console-made channel by id so that
 * it runs on JumpCloud itself, which has no channel API. A test validates this text as config.
 */
export const channelExample = `apiVersion: accessctl/v1
kind: WebhookChannel
metadata:
  name: Audit
spec:
  url: https://audit.example.com/ingest/{{TOKEN}}
  secrets:
    TOKEN: { env: AUDIT_TOKEN }
  headers:
    X-Source: accessctl
    Authorization: { env: AUDIT_AUTH }
  signingSecret: { env: AUDIT_SIGNING_SECRET }
`;
/** How the docs subscribe that channel: one line of AccessRequestSettings.spec, validated by the same test. */
export const subscriptionExample = 'webhooks: [{channel: Audit, events: [access_management_access_request]}]';

const kinds: { file: string; example: Example }[] = [
  { file: 'approval-flow.schema.json', example: { file: 'examples/access/flows/github-admin.yaml' } },
  { file: 'group-assignment.schema.json', example: { file: 'examples/access/groups/github-admins.yaml' } },
  { file: 'access-request-settings.schema.json', example: { file: 'examples/access/settings.yaml' } },
  {
    file: 'webhook-channel.schema.json',
    example: {
      inline: channelExample,
      note: `Subscribe it to events in the settings: \`${subscriptionExample}\` in \`AccessRequestSettings.spec\`.`,
    },
  },
  { file: 'project.schema.json', example: { file: 'examples/access/accessctl.yaml' } },
  { file: 'access-test.schema.json', example: { file: 'examples/access/tests/github.yaml' } },
  { file: 'fleet.schema.json', example: { file: 'examples/fleet/fleet.yaml' } },
];

function load(file: string): Schema {
  return JSON.parse(readFileSync(new URL(file, schemasDir), 'utf8')) as Schema;
}

/** Follows a $ref (local or into another schema file), keeping the referring node's own description. */
function resolve(node: Schema, current: string): { schema: Schema; file: string } {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return { schema: node, file: current };
  const [filePart, pointer = ''] = ref.split('#');
  const file = filePart === '' || filePart === undefined ? current : filePart;
  let target: unknown = load(file);
  for (const segment of pointer.split('/').filter(Boolean)) target = (target as Schema)[segment];
  const resolved = resolve(target as Schema, file);
  const merged: Schema = { ...resolved.schema };
  if (typeof node['description'] === 'string') merged['description'] = node['description'];
  return { schema: merged, file: resolved.file };
}

function typeOf(schema: Schema, file: string): string {
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
  if (Array.isArray(schema['anyOf'])) {
    return (schema['anyOf'] as Schema[]).map((branch) => typeOf(resolve(branch, file).schema, file)).join(' or ');
  }
  const type = schema['type'];
  if (type === 'array') {
    const items = resolve((schema['items'] ?? {}) as Schema, file).schema;
    return `list of ${typeOf(items, file)}`;
  }
  if (type === 'object' && schema['additionalProperties'] && typeof schema['additionalProperties'] === 'object') {
    const values = resolve(schema['additionalProperties'] as Schema, file).schema;
    return `map of ${typeOf(values, file)}`;
  }
  if (type === 'object' && schema['title'] === 'SecretRef') return '`{env: NAME}`';
  if (type === 'object') return 'mapping';
  return String(type ?? 'any');
}

function limits(schema: Schema): string {
  const parts: string[] = [];
  if (typeof schema['x-expected'] === 'string' && schema['type'] === 'string') parts.push(String(schema['x-expected']));
  if (typeof schema['maxLength'] === 'number') parts.push(`at most ${schema['maxLength']} characters`);
  if (typeof schema['minItems'] === 'number') parts.push(`at least ${schema['minItems']}`);
  if (typeof schema['maxItems'] === 'number') parts.push(`at most ${schema['maxItems']} items`);
  if (typeof schema['maxProperties'] === 'number') parts.push(`at most ${schema['maxProperties']} entries`);
  if (typeof schema['minimum'] === 'number' && typeof schema['maximum'] === 'number') parts.push(`${schema['minimum']} to ${schema['maximum']}`);
  return parts.join('; ');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(schema: Schema, file: string, prefix: string, required: Set<string>, out: string[]): void {
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  for (const [name, raw] of Object.entries(properties)) {
    const { schema: field, file: fieldFile } = resolve(raw, file);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const def = 'default' in field ? `\`${JSON.stringify(field['default'])}\`` : required.has(name) ? '**required**' : '';
    const description = escapeCell(String(field['description'] ?? ''));
    const limit = limits(field);
    out.push(`| \`${path}\` | ${escapeCell(typeOf(field, fieldFile))} | ${def} | ${description}${limit ? ` (${escapeCell(limit)})` : ''} |`);
    if (field['type'] === 'object' && field['properties']) {
      rows(field, fieldFile, path, new Set((field['required'] ?? []) as string[]), out);
    } else if (Array.isArray(field['anyOf'])) {
      // A field that is text or a mapping (a channel by name or {id}): the mapping's fields too.
      for (const branch of field['anyOf'] as Schema[]) {
        const { schema: option, file: optionFile } = resolve(branch, fieldFile);
        if (option['type'] === 'object' && option['properties'] && option['title'] !== 'SecretRef') {
          rows(option, optionFile, path, new Set((option['required'] ?? []) as string[]), out);
        }
      }
    } else if (field['type'] === 'array') {
      const items = resolve((field['items'] ?? {}) as Schema, fieldFile);
      // Items of several shapes (an AccessTest's cases): each shape's fields, under the same path.
      const shapes = Array.isArray(items.schema['anyOf']) ? (items.schema['anyOf'] as Schema[]).map((branch) => resolve(branch, items.file)) : [items];
      for (const shape of shapes) {
        if (shape.schema['type'] === 'object' && shape.schema['properties']) {
          const lines: string[] = [];
          rows(shape.schema, shape.file, `${path}[]`, new Set((shape.schema['required'] ?? []) as string[]), lines);
          // A field several shapes share, said the same way, is listed once.
          out.push(...lines.filter((line) => !out.includes(line)));
        }
      }
    }
  }
}

export function generateReference(): string {
  const out: string[] = [
    '<!-- Generated from schemas/ by `npm run generate:docs`. Do not edit: change the schemas and regenerate. -->',
    '# Config reference',
    '',
    'Every file is one or more YAML documents with the envelope `apiVersion: accessctl/v1`, `kind`, `metadata` and `spec`.',
    'Put `# yaml-language-server: $schema=<path to schemas/KIND.schema.json>` on the first line for completion and help in editors.',
    'Names are compared after Unicode NFC and case-folding; invisible and text-direction characters are refused.',
    '',
  ];
  for (const { file, example } of kinds) {
    const schema = load(file);
    const schemaLink = `Schema: [\`schemas/${file}\`](../schemas/${file}).`;
    out.push(`## ${String(schema['title'])}`, '', String(schema['description']), '');
    if ('file' in example) {
      out.push(`${schemaLink} Example: [\`${example.file}\`](../${example.file}).`, '');
    } else {
      out.push(`${schemaLink} Example:`, '', '```yaml', example.inline.trimEnd(), '```', '', example.note, '');
    }
    out.push('| field | type | default | description |', '| --- | --- | --- | --- |');
    rows(schema, file, '', new Set((schema['required'] ?? []) as string[]), out);
    out.push('');
  }
  return `${out.join('\n')}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(referenceFile, generateReference());
  console.log(`wrote ${referenceFile}`);
}
