// The output schemas as a CI script would use them: each compiles in a fresh, strict ajv with only
// the schemas it names by $ref (plan --fleet's names plan.schema.json, no other names any), so a
// consumer can copy one file (two for plan --fleet) and pin to it.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';

const outputs: [command: string, file: string, needs: string[]][] = [
  ['test --format json', 'test-report.schema.json', []],
  ['explain --format json', 'explain.schema.json', []],
  ['doctor --format json', 'doctor.schema.json', []],
  ['fleet status --format json', 'fleet-status.schema.json', []],
  ['plan --fleet --format json', 'fleet-plan.schema.json', ['plan.schema.json']],
];

const read = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** Every $ref in a schema that leaves the file. */
function outsideRefs(node: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) for (const item of node) outsideRefs(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) found.add(value);
      else outsideRefs(value, found);
    }
  }
  return found;
}

describe('the output schemas stand alone', () => {
  it.each(outputs)('%s: %s compiles in a strict ajv with only what it names', (_command, file, needs) => {
    const schema = read(file);
    expect(schema['$id']).toBe(file);
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect([...outsideRefs(schema)]).toEqual(needs);
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats.default(ajv);
    for (const need of needs) ajv.addSchema(read(need), need);
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
