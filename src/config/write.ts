// Writes config objects as YAML files in the layout of examples/access: one object per file in a
// folder per kind, stable key order, a schema modeline, names instead of ids. Pure: returns text.
import { posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { schemaFileByKind, schemasDir, type Kind } from './schema.js';

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

/** File path (relative to `outDir`, with /) -> YAML text. Clashing slugs get -2, -3, … */
export function renderConfigFiles(objects: readonly ConfigObject[], outDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const schemaRoot = fileURLToPath(schemasDir);
  for (const object of objects) {
    let path = fileName(object);
    for (let n = 2; files.has(path); n++) path = path.replace(/(-\d+)?\.yaml$/, `-${n}.yaml`);
    const fileDir = posix.dirname(path) === '.' ? outDir : `${outDir}${sep}${posix.dirname(path)}`;
    const schema = relative(fileDir, `${schemaRoot}${schemaFileByKind[object.kind]}`).split(sep).join('/');
    const header = [`# yaml-language-server: $schema=${schema}`];
    if (object.comment) header.push(...object.comment.split('\n').map((line) => `# ${line}`));
    const document = { apiVersion: 'accessctl/v1', kind: object.kind, metadata: { name: object.name }, spec: object.spec };
    files.set(path, `${header.join('\n')}\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`);
  }
  return files;
}
