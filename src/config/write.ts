// Writes config objects as YAML files in the layout of examples/access: one object per file in a
// folder per kind, stable key order, a schema modeline, names instead of ids. Returns text; writes nothing.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import { readSchema, schemaFileByKind, type Kind } from './schema.js';

export interface ConfigObject {
  kind: Kind;
  name: string;
  spec: unknown;
  /** A comment written above the document, such as which environment variables to set. */
  comment?: string;
}

const folderByKind: Record<Kind, string> = {
  ApprovalFlow: 'flows',
  GroupAssignment: 'groups',
  WebhookChannel: 'channels',
  AccessRequestSettings: '',
  Project: '',
  AccessTest: 'tests',
  Fleet: '',
};

export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s === '' ? 'object' : s.slice(0, 80);
}

function fileName(object: ConfigObject): string {
  if (object.kind === 'Project') return 'accessctl.yaml';
  if (object.kind === 'AccessRequestSettings') return 'settings.yaml';
  return posix.join(folderByKind[object.kind], `${slug(object.name)}.yaml`);
}

/** Where an exported repo keeps the schemas its modelines point at: a path the repo owns. */
export const EXPORTED_SCHEMAS_DIR = 'schemas';

/**
 * File path (relative to `outDir`, with /) -> text. Clashing slugs get -2, -3, … The JSON Schemas
 * the modelines name are written beside the config, so an exported repo does not depend on where
 * accessctl happens to be installed.
 */
export function renderConfigFiles(objects: readonly ConfigObject[]): Map<string, string> {
  const files = new Map<string, string>();
  const schemas = new Set<string>(['defs.schema.json']);
  for (const object of objects) {
    let path = fileName(object);
    for (let n = 2; files.has(path); n++) path = path.replace(/(-\d+)?\.yaml$/, `-${n}.yaml`);
    const schemaFile = schemaFileByKind[object.kind];
    schemas.add(schemaFile);
    const schema = posix.relative(posix.dirname(path), posix.join(EXPORTED_SCHEMAS_DIR, schemaFile));
    const header = [`# yaml-language-server: $schema=${schema}`];
    if (object.comment) header.push(...object.comment.split('\n').map((line) => `# ${line}`));
    const document = { apiVersion: 'accessctl/v1', kind: object.kind, metadata: { name: object.name }, spec: object.spec };
    files.set(path, `${header.join('\n')}\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`);
  }
  for (const schema of [...schemas].sort()) files.set(posix.join(EXPORTED_SCHEMAS_DIR, schema), `${JSON.stringify(readSchema(schema), null, 2)}\n`);
  return files;
}
