// Fixtures for the mapping tests: a live directory to resolve names against, declared objects
// parsed from real YAML (so config paths point at a real file:line:col), and protobuf JSON as the strict profile writes it.
import { stringify } from 'yaml';
import { expect } from 'vitest';
import type { Declared } from '../../src/config/desired.js';
import type { AccessRequestSettings, ApprovalFlow, GroupAssignment, WebhookChannel } from '../../src/config/kinds.generated.js';
import { parseFile } from '../../src/config/parse.js';
import { validateSchema, type Kind } from '../../src/config/schema.js';
import { DirectoryIndex, NameResolver } from '../../src/jumpcloud/directory-index.js';
import type { IdLookup } from '../../src/jumpcloud/flow-mapping.js';
import type { WireApplication, WireSystemUser, WireUserGroup } from '../../src/jumpcloud/wire.js';

export const directory: { groups: WireUserGroup[]; users: WireSystemUser[]; applications: WireApplication[] } = {
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

export const index = new DirectoryIndex(directory);

/** A resolver over `index`; `create` holds the groups the repo will create (name key -> name). */
export const resolver = (create: Record<string, string> = {}): NameResolver => new NameResolver(index, new Map(Object.entries(create)));

export const ids: IdLookup = {
  group: (name) => index.group(name)?.id ?? `missing-group:${name}`,
  user: (name) => index.user(name)?.id ?? `missing-user:${name}`,
};

let files = 0;
function declare<T extends { metadata: { name: string } }>(kind: Kind, metadata: T['metadata'], spec: unknown): Declared<T> {
  const text = stringify({ apiVersion: 'accessctl/v1', kind, metadata, spec });
  const parsed = parseFile(`test-${files++}.yaml`, new TextEncoder().encode(text));
  const source = parsed.documents[0];
  expect(source).toBeDefined();
  return { name: metadata.name, object: source!.data as unknown as T, source: source! };
}

export const flowDecl = (spec: unknown, name = 'GitHub Admin'): Declared<ApprovalFlow> => declare<ApprovalFlow>('ApprovalFlow', { name }, spec);
export const groupDecl = (spec: unknown, name = 'GitHub Admins'): Declared<GroupAssignment> => declare<GroupAssignment>('GroupAssignment', { name }, spec);
export const settingsDecl = (spec: unknown): Declared<AccessRequestSettings> =>
  declare<AccessRequestSettings>('AccessRequestSettings', { name: 'settings' }, spec);
export const channelDecl = (spec: unknown, name = 'SIEM'): Declared<WebhookChannel> => declare<WebhookChannel>('WebhookChannel', { name }, spec);

/** Schema diagnostics for a spec, as if it were written to a file (for what export produces). */
export function schemaErrors(kind: Kind, name: string, spec: unknown): string[] {
  const text = stringify({ apiVersion: 'accessctl/v1', kind, metadata: { name }, spec });
  const parsed = parseFile('export.yaml', new TextEncoder().encode(text));
  const source = parsed.documents[0];
  if (source === undefined) return ['no document'];
  return validateSchema(source, kind).map((d) => `${d.path}: ${d.message}`);
}

/**
 * A value as the strict profile writes protobuf JSON: every field at its zero value (false, 0, "",
 * [] or an enum's *_UNSPECIFIED) left out, at any depth.
 */
export function withoutZeroValues<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutZeroValues(item)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const zero =
      field === false ||
      field === 0 ||
      field === '' ||
      (Array.isArray(field) && field.length === 0) ||
      (typeof field === 'string' && field.endsWith('_UNSPECIFIED'));
    if (!zero) out[key] = withoutZeroValues(field);
  }
  return out as T;
}
