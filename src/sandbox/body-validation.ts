// Request bodies are checked against the sandbox's own OpenAPI description (components.schemas,
// served at /openapi.json) with ajv, so the description is the one source of every structural rule;
// handlers keep only the semantic checks. ajv's errors become the API's 400 details.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { badRequest, type ErrorDetail } from './api-error.js';
import { bodySchemaNames, openApiComponents, type BodySchemaName } from './openapi.js';

/** Keywords of the description that ajv does not know (annotations, and the components the refs point into), never checks. */
const annotations = ['x-hint', 'x-sandbox-extension', 'components'] as const;

let ajv: Ajv2020 | undefined;
const compiled = new Map<BodySchemaName, ValidateFunction>();

function validator(name: BodySchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate !== undefined) return validate;
  if (ajv === undefined) {
    // strictRequired off: ApprovalFlowCreate adds required fields to the properties of the schema it refers to.
    ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
    addFormats.default(ajv);
    for (const keyword of annotations) ajv.addKeyword({ keyword });
    ajv.addSchema({ $id: 'sandbox', components: openApiComponents() });
  }
  validate = ajv.getSchema(`sandbox#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`the OpenAPI description has no schema ${name}`);
  compiled.set(name, validate);
  return validate;
}

/** The JSON path of an ajv instance path, as the API names fields: approverResources[1].resourceId. */
function fieldPath(instancePath: string, data: unknown): string {
  let path = '';
  let node: unknown = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path += `[${segment}]`;
      node = node[Number(segment)];
    } else {
      path += path === '' ? segment : `.${segment}`;
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

const typeWords: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

function bounds(schema: Record<string, unknown>): string {
  const min = schema['minimum'] ?? schema['exclusiveMinimum'];
  const max = schema['maximum'] ?? schema['exclusiveMaximum'];
  const above = schema['exclusiveMinimum'] !== undefined ? `above ${String(min)}` : `at least ${String(min)}`;
  const below = schema['exclusiveMaximum'] !== undefined ? `below ${String(max)}` : `at most ${String(max)}`;
  if (min !== undefined && max !== undefined) return `must be ${above} and ${below}`;
  return min !== undefined ? `must be ${above}` : `must be ${below}`;
}

/** One ajv error in the API's words, or undefined for an error that only summarises others. */
function detail(error: ErrorObject, body: unknown): ErrorDetail | undefined {
  const path = fieldPath(error.instancePath, body);
  const params = error.params as Record<string, unknown>;
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const hint = typeof schema['x-hint'] === 'string' ? schema['x-hint'] : undefined;
  switch (error.keyword) {
    case 'required':
      return { field: join(path, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return { field: join(path, String(params['additionalProperty'])), message: 'is not a known field' };
    case 'type': {
      const types = String(params['type']).split(',');
      if (path === '' && types.includes('object')) return { field: '', message: 'must be a JSON object' };
      return { field: path, message: `must be ${types.map((t) => typeWords[t] ?? t).join(' or ')}` };
    }
    case 'minLength':
      return { field: path, message: params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters` };
    case 'maxLength':
      return { field: path, message: `must be at most ${String(params['limit'])} characters` };
    case 'minItems':
      return { field: path, message: params['limit'] === 1 ? 'must not be empty' : `must have at least ${String(params['limit'])} items` };
    case 'maxItems':
      return { field: path, message: `must have at most ${String(params['limit'])} items` };
    case 'uniqueItems':
      return { field: path, message: 'must not repeat an entry' };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => String(v)).join(', ');
      return { field: path, message: `must be one of ${allowed} (got ${JSON.stringify(error.data)})` };
    }
    case 'const':
      return { field: path, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { field: path, message: bounds(schema) };
    case 'pattern':
      return { field: path, message: hint ?? `must match ${String(params['pattern'])}` };
    case 'format':
      return { field: path, message: hint ?? `must be a valid ${String(params['format'])}` };
    case 'not':
      return { field: path, message: hint ?? 'is not allowed' };
    default:
      return { field: path, message: hint ?? 'is not valid' };
  }
}

/** Every structural problem of `body` against the named schema, one per field, in schema order. */
export function bodyProblems(name: BodySchemaName, body: unknown): ErrorDetail[] {
  const validate = validator(name);
  if (validate(body)) return [];
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const error of validate.errors ?? []) {
    const found = detail(error, body);
    if (found === undefined || seen.has(found.field)) continue;
    seen.add(found.field);
    details.push(found);
  }
  return details;
}

/** What a refused body is called, by schema. */
const refusals: Record<BodySchemaName, string> = {
  SystemUserUpdate: 'invalid system user',
  UserGroupWrite: 'invalid user group',
  MemberOperation: 'invalid graph operation',
  GroupAssociationOperation: 'invalid graph operation',
  ApplicationAssociationOperation: 'invalid graph operation',
  ApprovalFlowCreate: 'invalid approval flow',
  ApprovalFlowWrite: 'invalid approval flow',
  SettingsUpdate: 'invalid access request settings',
  WebhookChannelWrite: 'invalid webhook channel',
  EventQuery: 'invalid event query',
  AccessRequestSubmit: 'invalid access request',
  AdminDecision: 'invalid decision',
  ApproverDecision: 'invalid decision',
  ClockChange: 'invalid clock change',
  FaultConfig: 'invalid fault configuration',
  RateLimitState: 'invalid rate limit',
};

/** The body, typed, when it matches the named schema; else a 400 naming every problem. */
export function validateBody<T>(name: BodySchemaName, body: unknown): T {
  const problems = bodyProblems(name, body);
  if (problems.length === 0) return body as T;
  const notAnObject = problems.length === 1 && problems[0]?.field === '';
  throw badRequest(notAnObject ? 'the body must be a JSON object' : refusals[name], problems);
}

export { bodySchemaNames };
