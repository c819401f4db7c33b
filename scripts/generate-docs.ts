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
    // Several mappings (an AccessTest's case forms) read as one "mapping": the rows below tell the forms apart.
    return [...new Set((schema['anyOf'] as Schema[]).map((branch) => typeOf(resolve(branch, file).schema, file)))].join(' or ');
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

/** Fields every kind shares, by their $ref: one row points at the envelope section instead of repeating it. */
const ENVELOPE_REFS = new Set(['defs.schema.json#/$defs/apiVersion', 'defs.schema.json#/$defs/metadata']);
const ENVELOPE_LINK = 'See [the envelope](#the-envelope).';

/** A $ref as written from `file`, made absolute, so the same definition is recognised from any schema. */
function refOf(raw: Schema, file: string): string | undefined {
  const ref = raw['$ref'];
  if (typeof ref !== 'string') return undefined;
  return ref.startsWith('#') ? `${file}${ref}` : ref;
}

function row(path: string, field: Schema, file: string, def: string, description: string): string {
  const limit = limits(field);
  return `| \`${path}\` | ${escapeCell(typeOf(field, file))} | ${def} | ${escapeCell(description)}${limit ? ` (${escapeCell(limit)})` : ''} |`;
}

/** `envelopeLink`: whether the envelope's fields are a link to its section (everywhere but in it). */
function rows(
  schema: Schema,
  file: string,
  prefix: string,
  required: Set<string>,
  out: string[],
  envelopeLink = true,
  requiredAs: (name: string) => string = () => '**required**',
): void {
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  const entries = Object.entries(properties);
  // The first field of each definition: a later field of the same definition points at it.
  const firstOf = new Map<string, string>();
  const done = new Set<string>();
  for (const [name, raw] of entries) {
    if (done.has(name)) continue;
    const { schema: field, file: fieldFile } = resolve(raw, file);
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const def = 'default' in field ? `\`${JSON.stringify(field['default'])}\`` : required.has(name) ? requiredAs(name) : '';
    const ref = refOf(raw, file);
    if (envelopeLink && ref !== undefined && prefix === '' && ENVELOPE_REFS.has(ref)) {
      out.push(row(path, field, fieldFile, def, ENVELOPE_LINK).replace(/ \([^)]*\) \|$/, ' |'));
      continue;
    }
    // Siblings that are the same definition word for word (a policy per kind): one row for all of them.
    const same =
      ref === undefined || typeof raw['description'] === 'string'
        ? []
        : entries.filter(([other, r]) => other !== name && refOf(r, file) === ref && typeof r['description'] !== 'string').map(([other]) => other);
    if (same.length > 0) {
      for (const other of same) done.add(other);
      const together = `${prefix === '' ? '' : `${prefix}.`}{${[name, ...same].join(', ')}}`;
      out.push(row(together, field, fieldFile, def, String(field['description'] ?? '')));
      continue;
    }
    // A later field of a definition already shown (with its own description): its fields are not repeated.
    const shown = ref === undefined ? undefined : firstOf.get(ref);
    if (shown !== undefined && field['type'] === 'object' && field['properties']) {
      out.push(row(path, field, fieldFile, def, `${String(field['description'] ?? '')} Its fields are those of \`${shown}\`.`));
      continue;
    }
    if (ref !== undefined) firstOf.set(ref, path);
    out.push(row(path, field, fieldFile, def, String(field['description'] ?? '')));
    // A secret reference is {env: NAME}, said once in the envelope section: its env field is not a row of its own.
    if (field['title'] === 'SecretRef') continue;
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
      const requiredBy = shapes.map((shape) => new Set((shape.schema['required'] ?? []) as string[]));
      // Each form is known by the field only it requires (canRequest, cannotRequest, nobodyGets); a
      // field some forms require is "required with" those forms' fields, not required outright.
      const marks = requiredBy.map((own, i) => [...own].find((name) => requiredBy.every((other, j) => j === i || !other.has(name))));
      const requiredAs = (name: string): string => {
        const forms = requiredBy.flatMap((own, i) => (own.has(name) ? [marks[i]] : []));
        if (forms.length === shapes.length || forms.includes(undefined)) return '**required**';
        if (forms.length === 1 && forms[0] === name) {
          const all = marks.map((mark) => `\`${String(mark)}\``);
          return `**one of** ${all.slice(0, -1).join(', ')} or ${all.at(-1)}: the case's form`;
        }
        const shown = forms.map((mark) => `\`${mark}\``);
        return `**required** with ${shown.length === 1 ? shown[0] : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`}`;
      };
      for (const [i, shape] of shapes.entries()) {
        if (shape.schema['type'] === 'object' && shape.schema['properties']) {
          const lines: string[] = [];
          rows(shape.schema, shape.file, `${path}[]`, requiredBy[i]!, lines, true, requiredAs);
          // A field several shapes share, said the same way, is listed once.
          out.push(...lines.filter((line) => !out.includes(line)));
        }
      }
    }
  }
}

function lowerFirst(text: string): string {
  return `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

/** The fields every kind shares, and the secret reference several use: once, here, rather than in every table. */
function envelope(): string[] {
  const defs = load('defs.schema.json');
  const out = [
    '## The envelope',
    '',
    'Every kind but Fleet (whose metadata is its own) starts with these fields; each table below lists only `kind` and what follows.',
    '',
    '| field | type | default | description |',
    '| --- | --- | --- | --- |',
  ];
  const shared: Schema = {
    properties: {
      apiVersion: { $ref: '#/$defs/apiVersion' },
      kind: { type: 'string', description: 'The kind of object this document declares: the heading of its section below.' },
      metadata: { $ref: '#/$defs/metadata' },
    },
  };
  rows(shared, 'defs.schema.json', '', new Set(['apiVersion', 'kind', 'metadata']), out, false);
  const secretRef = (defs['$defs'] as Record<string, Schema>)['secretRef'] as Schema;
  const envName = resolve({ $ref: '#/$defs/envName' }, 'defs.schema.json').schema;
  out.push('', `**Secret references.** A field of type \`{env: NAME}\` is ${lowerFirst(String(secretRef['description']))} NAME is ${limits(envName)}.`, '');
  return out;
}

export function generateReference(): string {
  const out: string[] = [
    '<!-- Generated from schemas/ by `npm run generate:docs`. Do not edit: change the schemas and regenerate. -->',
    '# Config reference',
    '',
    'Every file is one or more YAML documents with the envelope `apiVersion: accessctl/v1`, `kind`, `metadata` and `spec`.',
    'Put `# yaml-language-server: $schema=<path to schemas/KIND.schema.json>` on the first line for completion and help in editors.',
    'Names are compared after Unicode NFC and case-folding; invisible and text-direction characters are refused.',
    "accessctl reads every `.yaml` and `.yml` file under the config folder except dot-files, dot-folders, `node_modules` and what the Project's `spec.exclude` names; an empty document (a `---` followed by nothing but comments) is skipped.",
    '',
    ...envelope(),
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
