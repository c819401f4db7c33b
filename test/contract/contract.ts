// JumpCloud's vendored Swagger 2.0 descriptions (contracts/jumpcloud/), loaded once: finds the operation
// for a method and path, and checks path and query parameters and the JSON body with ajv. Bodies are
// checked with closed objects, because JumpCloud rejects or silently drops fields it does not declare.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const contractsDir = fileURLToPath(new URL('../../contracts/jumpcloud/', import.meta.url));

export type ContractName = 'v1' | 'v2';

const contractFiles: Record<ContractName, string> = { v1: 'jumpcloud-v1-subset.json', v2: 'jumpcloud-v2-subset.json' };

/** An operation of the contract that a request addressed. */
export interface Operation {
  contract: ContractName;
  method: string;
  /** The full path template, basePath included: /api/v2/approvalflows/{approvalFlowId}. */
  template: string;
  operationId: string | undefined;
  /** Path parameter values, percent-decoded. */
  params: Record<string, string>;
}

export interface RequestToCheck {
  method: string;
  /** The path as sent (percent-encoded), without the query. */
  path: string;
  query?: URLSearchParams;
  contentType?: string | undefined;
  /** The raw body text; '' or absent for none. */
  body?: string;
}

export interface ContractVerdict {
  /** Undefined when method and path are no operation of the contract. */
  operation: Operation | undefined;
  /** Readable reasons, each naming the parameter or the body location (never a value sent). */
  problems: string[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'body' | 'formData';
  required?: boolean;
  schema?: unknown;
  type?: string;
  items?: unknown;
  collectionFormat?: string;
}

type ParameterOrRef = Parameter | { $ref: string };

interface SwaggerOperation {
  operationId?: string;
  parameters?: ParameterOrRef[];
}

interface Swagger {
  swagger: string;
  basePath: string;
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, unknown>;
  parameters?: Record<string, Parameter>;
}

interface Route {
  contract: ContractName;
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  literals: number;
  operation: SwaggerOperation;
  parameters: Parameter[];
}

type Schema = Record<string, unknown>;

function isRecord(value: unknown): value is Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isRef(value: unknown): value is { $ref: string } {
  return isRecord(value) && typeof value['$ref'] === 'string';
}

/** A path template as a regular expression over the sent (still percent-encoded) path. */
export function templatePattern(template: string): { pattern: RegExp; names: string[]; literals: number } {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1] !== undefined) {
        names.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
    })
    .join('/');
  const literals = template.split('/').filter((segment) => segment !== '' && !segment.includes('{')).length;
  return { pattern: new RegExp(`^${source}$`), names, literals };
}

// --- formats ---------------------------------------------------------------------------------

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

function integerString(range: { min: bigint; max: bigint }): (value: string) => boolean {
  return (value) => {
    if (!/^-?(0|[1-9]\d*)$/.test(value)) return false;
    const n = BigInt(value);
    return n >= range.min && n <= range.max;
  };
}

/** Strict base64 (ajv-formats' own "byte" test is multi-line, so "!!\nAAAA" would pass). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Swagger puts int32/int64 on strings too (JumpCloud's v2 limit and skip are strings of format
 * int64). An ajv format applies to one JSON type, so string ones are renamed to these.
 */
const stringFormatSuffix = '-string';

/** An Ajv with the Swagger 2.0 formats: byte is base64, int32/int64 on numbers and on strings. */
export function createContractAjv(options: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: options.coerceTypes ?? false });
  addFormats.default(ajv);
  ajv.addFormat('byte', BASE64);
  ajv.addFormat(`int32${stringFormatSuffix}`, { type: 'string', validate: integerString(INT32) });
  ajv.addFormat(`int64${stringFormatSuffix}`, { type: 'string', validate: integerString(INT64) });
  return ajv;
}

/** Registers every format a schema names that ajv does not know as "anything goes", so it cannot throw. */
export function allowUnknownFormats(ajv: Ajv, schema: unknown): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isRecord(node)) {
      const format = node['format'];
      if (typeof format === 'string' && ajv.formats[format] === undefined) ajv.addFormat(format, true);
      Object.values(node).forEach(visit);
    }
  };
  visit(schema);
}

// --- closed objects --------------------------------------------------------------------------

export interface CloseOptions {
  /** The document's definitions, for allOf members that are $refs. */
  definitions: Record<string, unknown>;
  /** Rewrites a local $ref (#/definitions/X) to where the compiled definitions live. */
  retarget?: (ref: string) => string;
}

function resolveLocal(ref: string, definitions: Record<string, unknown>): unknown {
  const prefix = '#/definitions/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  const name = ref.slice(prefix.length).replace(/~1/g, '/').replace(/~0/g, '~');
  const found = definitions[name];
  if (found === undefined) throw new Error(`unresolved $ref ${ref}`);
  return found;
}

/** The property names an allOf member declares, and whether it says it takes others too. */
function declared(member: unknown, options: CloseOptions, seen: Set<string>): { names: Set<string>; open: boolean } {
  const names = new Set<string>();
  let open = false;
  const visit = (node: unknown): void => {
    if (isRef(node)) {
      if (seen.has(node.$ref)) return;
      seen.add(node.$ref);
      visit(resolveLocal(node.$ref, options.definitions));
      return;
    }
    if (!isRecord(node)) {
      if (node === true) open = true;
      return;
    }
    if (node['additionalProperties'] !== undefined && node['additionalProperties'] !== false) open = true;
    if (isRecord(node['properties'])) for (const name of Object.keys(node['properties'])) names.add(name);
    if (Array.isArray(node['allOf'])) node['allOf'].forEach(visit);
  };
  visit(member);
  return { names, open };
}

function closeNode(node: unknown, options: CloseOptions, openHere: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => closeNode(item, options, false));
  if (!isRecord(node)) return node;
  // Swagger 2.0 ignores siblings of $ref.
  if (isRef(node)) return { $ref: options.retarget ? options.retarget(node.$ref) : node.$ref };
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isRecord(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, closeNode(inner, options, false)]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && (isRecord(value) || Array.isArray(value))) {
      out[key] = closeNode(value, options, false);
    } else if (key === 'anyOf' || key === 'oneOf') {
      out[key] = closeNode(value, options, false);
    } else if (key === 'allOf' && Array.isArray(value)) {
      // Members are opened at their own top level: closing each alone would reject the others' fields.
      out[key] = value.map((member) => closeNode(isRef(member) ? resolveLocal(member.$ref, options.definitions) : member, options, true));
    } else {
      out[key] = structuredClone(value);
    }
  }
  if (!openHere && node['additionalProperties'] === undefined) {
    if (Array.isArray(node['allOf'])) {
      const seen = new Set<string>();
      const all = [node, ...node['allOf']].map((member, index) =>
        index === 0 ? { names: new Set(isRecord(node['properties']) ? Object.keys(node['properties']) : []), open: false } : declared(member, options, seen),
      );
      if (!all.some((member) => member.open)) {
        const names = new Set(all.flatMap((member) => [...member.names]));
        const own = isRecord(out['properties']) ? out['properties'] : {};
        out['properties'] = { ...Object.fromEntries([...names].map((name) => [name, true])), ...own };
        out['additionalProperties'] = false;
      }
    } else if (isRecord(node['properties'])) {
      out['additionalProperties'] = false;
    }
  }
  // Swagger 2.0 extensions and draft-4 spellings, in JSON Schema draft-07 terms.
  if (node['x-nullable'] === true) {
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
  }
  const type = out['type'];
  const format = out['format'];
  if ((type === 'string' || (Array.isArray(type) && type.includes('string'))) && (format === 'int32' || format === 'int64')) {
    out['format'] = `${format}${stringFormatSuffix}`;
  }
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[exclusive] === 'boolean') {
      if (out[exclusive] === true && typeof out[bound] === 'number') {
        out[exclusive] = out[bound];
        delete out[bound];
      } else delete out[exclusive];
    }
  }
  return out;
}

/**
 * A deep copy of a Swagger 2.0 schema with closed objects: wherever a schema lists `properties` and
 * does not set `additionalProperties`, no other property is accepted (an allOf closes over the union
 * of its members' properties). Also maps x-nullable, string int32/int64 and draft-4 exclusive bounds.
 */
export function closeSchema(schema: unknown, options: CloseOptions): unknown {
  return closeNode(schema, options, false);
}

// --- the contract ----------------------------------------------------------------------------

function describe(where: string, error: ErrorObject): string {
  const at = `${where}${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at} must NOT have property "${String(params['additionalProperty'])}": the contract does not declare it`;
    case 'required':
      return `${at} must have required property "${String(params['missingProperty'])}"`;
    case 'format':
      return `${at} must match format "${String(params['format']).replace(stringFormatSuffix, '')}"`;
    case 'enum':
      return `${at} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${at} must be ${String(params['type'])}`;
    default:
      return `${at} ${error.message ?? 'is invalid'}`;
  }
}

const parameterSchemaKeys = [
  'type',
  'format',
  'items',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
  'x-nullable',
];

const separators: Record<string, string> = { csv: ',', ssv: ' ', tsv: '\t', pipes: '|' };

export class JumpCloudContract {
  private readonly routes: Route[] = [];
  /** Bodies: no coercion, so "5" is not an integer. */
  private readonly bodies = createContractAjv();
  /** Path and query values arrive as text: coerced to the declared type before checking. */
  private readonly texts = createContractAjv({ coerceTypes: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly documents = new Map<ContractName, Swagger>();

  constructor(dir: string = contractsDir) {
    for (const name of Object.keys(contractFiles) as ContractName[]) {
      const doc = JSON.parse(readFileSync(`${dir}${contractFiles[name]}`, 'utf8')) as Swagger;
      if (doc.swagger !== '2.0') throw new Error(`${contractFiles[name]} is not a Swagger 2.0 description`);
      this.documents.set(name, doc);
      const id = `jumpcloud-${name}`;
      const retarget = (ref: string): string => `${id}${ref}`;
      const definitions = Object.fromEntries(
        Object.entries(doc.definitions).map(([key, schema]) => [key, closeSchema(schema, { definitions: doc.definitions, retarget })]),
      );
      allowUnknownFormats(this.bodies, definitions);
      this.bodies.addSchema({ $id: id, definitions });
      const base = doc.basePath.replace(/\/+$/, '');
      for (const [path, item] of Object.entries(doc.paths)) {
        const template = `${base}${path}`;
        const { pattern, names, literals } = templatePattern(template);
        const shared = (item['parameters'] as ParameterOrRef[] | undefined) ?? [];
        for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
          const operation = item[method] as SwaggerOperation | undefined;
          if (operation === undefined) continue;
          const parameters = new Map<string, Parameter>();
          for (const p of [...shared, ...(operation.parameters ?? [])].map((q) => this.parameter(doc, q))) parameters.set(`${p.in}:${p.name}`, p);
          this.routes.push({
            contract: name,
            method: method.toUpperCase(),
            template,
            pattern,
            names,
            literals,
            operation,
            parameters: [...parameters.values()],
          });
        }
      }
    }
  }

  private parameter(doc: Swagger, value: ParameterOrRef): Parameter {
    if (!isRef(value)) return value;
    const name = value.$ref.replace('#/parameters/', '');
    const found = doc.parameters?.[name];
    if (found === undefined) throw new Error(`unresolved parameter ${value.$ref}`);
    return found;
  }

  /** Every operation of both descriptions, as method and full path template. */
  operations(): { method: string; template: string }[] {
    return this.routes.map((r) => ({ method: r.method, template: r.template }));
  }

  private route(method: string, path: string): { route: Route; match: RegExpExecArray } | undefined {
    const upper = method.toUpperCase();
    let best: { route: Route; match: RegExpExecArray } | undefined;
    for (const route of this.routes) {
      if (route.method !== upper) continue;
      const match = route.pattern.exec(path);
      if (match && (best === undefined || route.literals > best.route.literals)) best = { route, match };
    }
    return best;
  }

  /** The operation a method and path (percent-encoded, basePath included) address, if the contract has it. */
  operationFor(method: string, path: string): Operation | undefined {
    const found = this.route(method, path);
    if (found === undefined) return undefined;
    const params: Record<string, string> = {};
    found.route.names.forEach((name, index) => {
      const raw = found.match[index + 1] ?? '';
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
      }
    });
    return {
      contract: found.route.contract,
      method: found.route.method,
      template: found.route.template,
      operationId: found.route.operation.operationId,
      params,
    };
  }

  private validator(ajv: Ajv, key: string, schema: unknown): ValidateFunction {
    let fn = this.compiled.get(key);
    if (fn === undefined) {
      allowUnknownFormats(ajv, schema);
      fn = ajv.compile(schema as Schema);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private checkText(problems: string[], route: Route, p: Parameter, value: unknown, where: string): void {
    const schema = closeSchema(Object.fromEntries(parameterSchemaKeys.filter((k) => k in p).map((k) => [k, (p as unknown as Schema)[k]])), {
      definitions: {},
    });
    const fn = this.validator(this.texts, `${route.method} ${route.template} ${p.in}:${p.name}`, {
      type: 'object',
      properties: { value: schema },
    });
    if (!fn({ value })) for (const e of fn.errors ?? []) problems.push(describe(where, { ...e, instancePath: e.instancePath.replace(/^\/value/, '') }));
  }

  /** Checks one JSON body (already parsed) against the body parameter of the operation. */
  checkBody(method: string, path: string, body: unknown): string[] {
    const found = this.route(method, path);
    if (found === undefined) return [`${method.toUpperCase()} ${path} is not an operation of the JumpCloud contract`];
    return this.bodyProblems(found.route, body);
  }

  private bodyProblems(route: Route, body: unknown): string[] {
    const param = route.parameters.find((p) => p.in === 'body');
    if (param === undefined) return [`${route.method} ${route.template} takes no body`];
    if (param.schema === undefined) return [];
    const doc = this.documents.get(route.contract);
    const id = `jumpcloud-${route.contract}`;
    const schema = closeSchema(param.schema, { definitions: doc?.definitions ?? {}, retarget: (ref) => `${id}${ref}` });
    const fn = this.validator(this.bodies, `${route.method} ${route.template} body`, schema);
    if (fn(body)) return [];
    return [...new Set((fn.errors ?? []).map((e) => describe('body', e)))];
  }

  /** Checks a request as sent: operation, path parameters, query parameters and JSON body. */
  checkRequest(request: RequestToCheck): ContractVerdict {
    const method = request.method.toUpperCase();
    const found = this.route(method, request.path);
    if (found === undefined) {
      return { operation: undefined, problems: [`${method} ${request.path} is not an operation of the JumpCloud contract`] };
    }
    const { route, match } = found;
    const operation = this.operationFor(method, request.path);
    const problems: string[] = [];
    route.names.forEach((name, index) => {
      const declaredParam = route.parameters.find((p) => p.in === 'path' && p.name === name);
      let value: string;
      try {
        value = decodeURIComponent(match[index + 1] ?? '');
      } catch {
        problems.push(`path parameter ${name} is not valid percent-encoding`);
        return;
      }
      if (declaredParam === undefined) problems.push(`path parameter ${name} is not declared`);
      else this.checkText(problems, route, declaredParam, value, `path parameter ${name}`);
    });
    const query = request.query ?? new URLSearchParams();
    const queryParams = route.parameters.filter((p) => p.in === 'query');
    for (const name of new Set(query.keys())) {
      if (!queryParams.some((p) => p.name === name)) problems.push(`query parameter ${name} is not declared for ${route.method} ${route.template}`);
    }
    for (const p of queryParams) {
      const values = query.getAll(p.name);
      if (values.length === 0) {
        if (p.required === true) problems.push(`query parameter ${p.name} is required`);
        continue;
      }
      if (p.type === 'array') {
        const separator = separators[p.collectionFormat ?? 'csv'];
        const items = separator === undefined ? values : values.flatMap((v) => v.split(separator));
        this.checkText(problems, route, p, items, `query parameter ${p.name}`);
      } else if (values.length > 1) {
        problems.push(`query parameter ${p.name} is given ${values.length} times but is not an array`);
      } else {
        this.checkText(problems, route, p, values[0], `query parameter ${p.name}`);
      }
    }
    const bodyParam = route.parameters.find((p) => p.in === 'body');
    const text = request.body ?? '';
    if (text === '') {
      if (bodyParam?.required === true) problems.push(`${route.method} ${route.template} requires a JSON body`);
    } else if (bodyParam === undefined) {
      problems.push(`${route.method} ${route.template} takes no body, but one was sent`);
    } else if (!/^application\/json\b/i.test(request.contentType ?? '')) {
      problems.push(`the body was sent as ${request.contentType ?? 'no content type'}, not application/json`);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        problems.push('the body is not JSON');
        return { operation, problems };
      }
      problems.push(...this.bodyProblems(route, parsed));
    }
    return { operation, problems };
  }
}

let loaded: JumpCloudContract | undefined;

/** The vendored contract, loaded once per test process. */
export function jumpcloudContract(): JumpCloudContract {
  loaded ??= new JumpCloudContract();
  return loaded;
}
