// Validates documents against the JSON Schemas in schemas/ and turns ajv's errors into located
// diagnostics that say what was expected, pointing at the key for unknown fields.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import { likelyMeant } from './names.js';
import { diagnosticFor, type DocPath, type SourceDocument } from './source.js';

export const KINDS = ['ApprovalFlow', 'GroupAssignment', 'AccessRequestSettings', 'WebhookChannel', 'Project', 'AccessTest', 'Fleet'] as const;
export type Kind = (typeof KINDS)[number];

export const schemaFileByKind: Record<Kind, string> = {
  ApprovalFlow: 'approval-flow.schema.json',
  GroupAssignment: 'group-assignment.schema.json',
  AccessRequestSettings: 'access-request-settings.schema.json',
  WebhookChannel: 'webhook-channel.schema.json',
  Project: 'project.schema.json',
  AccessTest: 'access-test.schema.json',
  Fleet: 'fleet.schema.json',
};

export const schemasDir = new URL('../../schemas/', import.meta.url);

type SchemaObject = Record<string, unknown>;

export function readSchema(file: string): SchemaObject {
  return JSON.parse(readFileSync(new URL(file, schemasDir), 'utf8')) as SchemaObject;
}

let schemas: Ajv2020 | undefined;
let compiled: Map<Kind, ValidateFunction> | undefined;

/** Every schema in schemas/, loaded into one ajv instance once per process. */
function loadedSchemas(): Ajv2020 {
  if (schemas) return schemas;
  schemas = new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
  // ajv-formats is CommonJS: under NodeNext its function is the module's `default`.
  addFormats.default(schemas);
  // `x-expected` is our annotation: the human phrase for what a value must look like.
  schemas.addVocabulary(['x-expected']);
  for (const file of readdirSync(schemasDir)) {
    if (file.endsWith('.schema.json')) schemas.addSchema(readSchema(file), file);
  }
  return schemas;
}

/** The compiled validator of one schema file, such as plan.schema.json. */
export function schemaValidator(file: string): ValidateFunction {
  const validate = loadedSchemas().getSchema(file);
  if (!validate) throw new Error(`schemas/${file} is not a schema accessctl ships`);
  return validate as ValidateFunction;
}

/** Compiles every kind's schema once per process. */
export function validators(): Map<Kind, ValidateFunction> {
  compiled ??= new Map(KINDS.map((kind) => [kind, schemaValidator(schemaFileByKind[kind])]));
  return compiled;
}

/** The path an ajv error's instancePath (a JSON Pointer) names: list indexes as numbers, ~1 and ~0 decoded. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

const typeNames: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
  null: 'null',
};

function expected(error: ErrorObject): string | undefined {
  const phrase = error.parentSchema?.['x-expected'];
  return typeof phrase === 'string' ? phrase : undefined;
}

function allowedFields(error: ErrorObject): string[] {
  const properties = error.parentSchema?.['properties'];
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

/** `; did you mean "X"?` when `got` is likely a typo of one of `known`, else nothing. */
function didYouMean(got: unknown, known: readonly unknown[]): string {
  if (typeof got !== 'string') return '';
  const meant = likelyMeant(
    got,
    known.filter((value): value is string => typeof value === 'string'),
  );
  return meant === undefined ? '' : `; did you mean "${meant}"?`;
}

/** The message for one ajv error, and whether it is about the key rather than the value. */
function describe(error: ErrorObject, path: DocPath): { message: string; path: DocPath; part: 'key' | 'value' } {
  const params = error.params as Record<string, unknown>;
  const field = path.length > 0 ? formatPath(path) : 'the document';
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      const allowed = allowedFields(error);
      const hint = didYouMean(name, allowed);
      const list = allowed.length > 0 ? `${hint ? ' Expected' : '; expected'} one of: ${allowed.join(', ')}` : '';
      return {
        message: `unknown field "${name}"${hint}${list}`,
        path: [...path, name],
        part: 'key',
      };
    }
    case 'required':
      return { message: `missing required field "${String(params['missingProperty'])}"`, path, part: 'key' };
    case 'enum': {
      const values = params['allowedValues'] as unknown[];
      const allowed = values.map((v) => String(v)).join(', ');
      const hint = didYouMean(error.data, values);
      // The likely value first: the list can be long (eleven event names).
      if (hint) return { message: `${field} is "${String(error.data)}"${hint} Expected one of: ${allowed}`, path, part: 'value' };
      const got = typeof error.data === 'string' ? ` (got "${error.data}")` : ` (got ${describeType(error.data)})`;
      return { message: `${field} must be one of: ${allowed}${got}`, path, part: 'value' };
    }
    case 'const':
      return { message: `${field} must be ${expected(error) ?? JSON.stringify(params['allowedValue'])}`, path, part: 'value' };
    case 'type': {
      const want = String(params['type'])
        .split(',')
        .map((t) => typeNames[t] ?? t)
        .join(' or ');
      const phrase = expected(error);
      return { message: phrase ? `${field} must be ${phrase}` : `${field} must be ${want}, not ${describeType(error.data)}`, path, part: 'value' };
    }
    case 'pattern':
    case 'format':
      return { message: `${field} must be ${expected(error) ?? `in the form ${String(params['pattern'] ?? params['format'])}`}`, path, part: 'value' };
    case 'minLength':
      return { message: `${field} must not be empty`, path, part: 'value' };
    case 'maxLength':
      return { message: `${field} must be at most ${String(params['limit'])} characters`, path, part: 'value' };
    case 'minItems':
      return { message: `${field} needs at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}`, path, part: 'value' };
    case 'maxItems':
      return { message: `${field} may have at most ${String(params['limit'])} items`, path, part: 'value' };
    case 'uniqueItems':
      return {
        message: `${field} lists the same value twice (items ${String(params['j'])} and ${String(params['i'])})`,
        path: [...path, Number(params['i'])],
        part: 'value',
      };
    case 'minProperties':
    case 'maxProperties':
      return {
        message: `${field} must have ${expected(error) ?? `${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(params['limit'])} fields`}`,
        path,
        part: 'value',
      };
    case 'minimum':
    case 'maximum':
      return { message: `${field} must be ${String(params['comparison'])} ${String(params['limit'])}`, path, part: 'value' };
    case 'anyOf':
    case 'oneOf':
      return { message: `${field} must be ${expected(error) ?? 'one of the allowed shapes'}`, path, part: 'value' };
    default:
      return { message: `${field} ${error.message ?? 'is invalid'}`, path, part: 'value' };
  }
}

const codeByKeyword: Record<string, string> = {
  additionalProperties: 'unknown-field',
  required: 'missing-field',
  enum: 'invalid-value',
  const: 'invalid-value',
  anyOf: 'invalid-value',
  oneOf: 'invalid-value',
  type: 'wrong-type',
  pattern: 'invalid-format',
  format: 'invalid-format',
  uniqueItems: 'duplicate-item',
  minProperties: 'invalid-value',
  maxProperties: 'invalid-value',
};

function isWithin(path: DocPath, prefix: DocPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/** Validates one document against its kind's schema. */
export function validateSchema(source: SourceDocument, kind: Kind): Diagnostic[] {
  const validate = validators().get(kind)!;
  if (validate(source.data)) return [];
  const errors = validate.errors ?? [];
  // A failed anyOf explains itself with its x-expected phrase; the branches' own errors are noise.
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => pointerToPath(e.instancePath));
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of errors) {
    if (error.keyword === 'propertyNames') continue; // its inner error carries the property name
    const at = pointerToPath(error.instancePath);
    if (error.keyword !== 'anyOf' && error.keyword !== 'oneOf' && unions.some((u) => isWithin(at, u))) continue;
    let described: { message: string; path: DocPath; part: 'key' | 'value' };
    if (error.propertyName !== undefined) {
      const what = expected(error);
      described = {
        message: `"${error.propertyName}" is not a valid name here${what ? `: use ${what}` : ''}`,
        path: [...at, error.propertyName],
        part: 'key' as const,
      };
    } else {
      described = describe(error, at);
    }
    const key = `${described.path.join('\u0000')}|${described.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(
      diagnosticFor(
        source,
        described.path,
        'error',
        error.propertyName !== undefined ? 'invalid-key' : (codeByKeyword[error.keyword] ?? 'out-of-range'),
        described.message,
        described.part,
      ),
    );
  }
  return diagnostics;
}
