// For the tests of the published schemas of the commands' JSON outputs: each schema compiled as
// accessctl itself loads schemas/ (every file in one strict ajv, so a $ref to another file resolves),
// checks that name ajv's complaint when a document is refused, and compile-time lists of a type's keys.
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { expect } from 'vitest';
import { schemaValidator } from '../../src/config/schema.js';

/** The validator of schemas/FILE, compiled with every schema accessctl ships. */
export function outputSchema(file: string): ValidateFunction {
  return schemaValidator(file);
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return JSON.stringify((errors ?? []).map((e) => `${e.instancePath || '/'} ${e.keyword}: ${e.message ?? ''}`));
}

/** `document` (parsed from a command's stdout) is accepted; the failure message lists ajv's complaints. */
export function expectAccepted(validate: ValidateFunction, document: unknown): void {
  expect(validate(document), explain(validate.errors)).toBe(true);
}

/**
 * `document` is refused, and refused for the reason meant: one of ajv's complaints is `keyword` at
 * `instancePath` (so a copy broken on purpose does not pass the test by being broken elsewhere too).
 */
export function expectRefused(validate: ValidateFunction, document: unknown, keyword: string, instancePath: string): void {
  expect(validate(document)).toBe(false);
  const complaints = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
  expect(complaints, explain(validate.errors)).toContain(`${instancePath} ${keyword}`);
}

/** A deep copy to break on purpose. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Every key of any member of a union. */
export type AllKeys<T> = T extends unknown ? keyof T : never;
/** The keys a member of a union must have (optional ones left out). */
// biome-ignore lint/complexity/noBannedTypes: {} is what an optional key's Pick extends
export type RequiredKeys<T> = T extends unknown ? { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T] : never;

/** `list`, which the compiler accepts only when it names each member of U at least once and nothing else. */
export function exactly<U extends PropertyKey>() {
  return <const L extends readonly U[]>(list: L & ([U] extends [L[number]] ? unknown : { missing: Exclude<U, L[number]> })): string[] =>
    [...list].map(String).sort();
}

export interface SchemaNode {
  properties?: Record<string, SchemaNode | boolean>;
  required?: string[];
  enum?: unknown[];
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
}

/** A schema file as JSON, to compare its property, required and enum lists with the types'. */
export function schemaJson(file: string): SchemaNode {
  return JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as SchemaNode;
}

/** The sorted property names and required names of an object schema. */
export function keysOf(node: SchemaNode | undefined): { properties: string[]; required: string[] } {
  return { properties: Object.keys(node?.properties ?? {}).sort(), required: [...(node?.required ?? [])].sort() };
}

/** The sorted values of an enum schema, or of the enum an anyOf holds beside null. */
export function enumOf(node: SchemaNode | boolean | undefined, root?: SchemaNode): string[] {
  if (node === undefined || typeof node === 'boolean') return [];
  if (node.enum) return node.enum.map(String).sort();
  if (node.$ref?.startsWith('#/$defs/') && root) return enumOf(root.$defs?.[node.$ref.slice('#/$defs/'.length)], root);
  for (const option of node.anyOf ?? []) {
    const values = enumOf(option, root);
    if (values.length > 0) return values;
  }
  return [];
}

/** The rule a string schema sets: its type, lengths and pattern. */
export function nameRule(node: SchemaNode | undefined): Record<string, unknown> {
  const { type, minLength, maxLength, pattern } = (node ?? {}) as Record<string, unknown>;
  return { type, minLength, maxLength, pattern };
}
