// A seed file's schema errors as a person reads them: where (file:line:col and the path), and what,
// naming the property: `seed.yaml:4:56: /organizations/0/users/0: unknown property "colour"`, never
// ajv's bare `/ must NOT have additional properties`.
import type { ErrorObject } from 'ajv';
import { isMap, isScalar, type Document, type LineCounter, type Node } from 'yaml';

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The YAML path of a JSON pointer: numeric segments index sequences. */
function yamlPath(segments: readonly string[]): (string | number)[] {
  return segments.map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** `file:line:col` of the node at `segments` (or of its key `property`), when the document has it. */
function locate(file: string, document: Document, lines: LineCounter, segments: readonly string[], property?: string): string {
  let node = (segments.length === 0 ? document.contents : document.getIn(yamlPath(segments), true)) as Node | null | undefined;
  if (property !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === property);
    if (pair && isScalar(pair.key)) node = pair.key;
  }
  const offset = node?.range?.[0];
  if (offset === undefined) return file;
  const { line, col } = lines.linePos(offset);
  return `${file}:${line}:${col}`;
}

/** The properties a schema object allows, for "expected one of". */
function allowed(parentSchema: unknown): string[] {
  const properties = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties === undefined ? [] : Object.keys(properties);
}

function describe(error: ErrorObject): { what: string; property?: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const property = String(params['additionalProperty']);
      const expected = allowed(error.parentSchema);
      return { what: `unknown property "${property}"${expected.length > 0 ? `; expected one of: ${expected.join(', ')}` : ''}`, property };
    }
    case 'required':
      return { what: `missing required property "${String(params['missingProperty'])}"` };
    case 'enum':
      return { what: `must be one of: ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { what: `must be ${JSON.stringify(params['allowedValue'])}` };
    default:
      return { what: error.message ?? 'is invalid' };
  }
}

/**
 * One line per schema error: where, the path (`/` for the whole file) and what. Errors ajv reports
 * twice (once per branch of a combinator) are said once. Needs errors compiled with `verbose: true`
 * to list the properties a place allows.
 */
export function describeSeedErrors(file: string, errors: readonly ErrorObject[], document: Document, lines: LineCounter): string[] {
  const out = new Set<string>();
  for (const error of errors) {
    const segments = pointerSegments(error.instancePath);
    const { what, property } = describe(error);
    out.add(`${locate(file, document, lines, segments, property)}: ${error.instancePath || '/'}: ${what}`);
  }
  return [...out];
}
