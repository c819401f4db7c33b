// YAML the location tests read: the files of the location fixtures and the examples, and one text of
// odd but valid shapes (empty values, nulls, flow style, quoted, numeric and prototype-named keys,
// deep and wide collections, several documents).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Every YAML file of test/fixtures/locations and examples/. */
export function fixtureAndExampleFiles(): string[] {
  return [...yamlFiles(join(ROOT, 'test/fixtures/locations')), ...yamlFiles(join(ROOT, 'examples'))];
}

/** Three documents of odd but valid shapes, each error-free. */
export const oddShapes = [
  'apiVersion: accessctl/v1',
  'kind: ApprovalFlow',
  'metadata:',
  '  name: "Quoted name"',
  "  'single': x",
  '  1: numeric key',
  '  "1": the same name as a string',
  '  0x10: hex key',
  '  1.50: float key',
  '  true: boolean key',
  '  toString: a name Object.prototype has',
  '  hasOwnProperty: another',
  '  "<<<": not a merge key',
  '  empty:',
  '  tilde: ~',
  '  nul: null',
  '  nan: .nan',
  '  inf: -.inf',
  '  octal: 0o17',
  'spec:',
  '  visibleTo: [a, "b", {c: d}, [e], ]',
  '  list:',
  '  -',
  '  - one',
  '  - {}',
  '  - []',
  '  levels:',
  '    - require: any',
  '      approvers:',
  '        - manager: true',
  '        - group:',
  '  last:',
  '---',
  '# a second document, after a comment',
  'a: {b: {c: [1, 2, {d: }]}}',
  'e: |',
  '  block',
  '  text',
  'f: >-',
  '  folded',
  '---',
  `deep: ${'['.repeat(20)}1${']'.repeat(20)}`,
  'pairs: [b: c, d: {e: f}]',
  `wide: [${Array.from({ length: 600 }, (_, i) => `{k${i}: v${i}}`).join(', ')}]`,
  '',
].join('\n');
