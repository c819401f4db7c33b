// Checks each request against GitHub's official OpenAPI description (@octokit/openapi): finds the
// operation by method and path template, then validates path parameters, query and JSON body with ajv;
// and checks an answer the fake gives against the operation's documented response.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type Description = 'api.github.com' | 'ghes-3.19';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: object }> } | { $ref: string };
  responses?: Record<string, { content?: Record<string, { schema?: object }> } | { $ref: string }>;
}

interface Spec {
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, object>;
    parameters: Record<string, Parameter>;
    requestBodies?: Record<string, unknown>;
    responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
  };
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  literals: number;
  operation: Operation;
  shared: (Parameter | { $ref: string })[];
}

export interface CheckedRequest {
  method: string;
  /** The path below the API base (no /api/v3 prefix), still percent-encoded. */
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

export interface Verdict {
  operationId: string | undefined;
  problems: string[];
}

const SCHEMA_ID = 'github-openapi';

function descriptionFile(name: Description): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@octokit/openapi/package.json')), 'generated', `${name}.json`);
}

/** Points local $refs (#/components/...) at the registered components document. */
function retarget(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(retarget);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      out[key] = key === '$ref' && typeof inner === 'string' && inner.startsWith('#/') ? `${SCHEMA_ID}${inner}` : retarget(inner);
    return out;
  }
  return value;
}

function isRef(value: unknown): value is { $ref: string } {
  return value !== null && typeof value === 'object' && typeof (value as { $ref?: unknown }).$ref === 'string';
}

export class OpenApiValidator {
  private readonly routes: Route[] = [];
  private readonly strict: Ajv;
  private readonly coercing: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly spec: Spec;

  constructor(readonly description: Description) {
    this.spec = JSON.parse(readFileSync(descriptionFile(description), 'utf8')) as Spec;
    const components = { $id: SCHEMA_ID, components: { schemas: this.spec.components.schemas } };
    this.strict = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    this.coercing = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes: true });
    for (const ajv of [this.strict, this.coercing]) {
      addFormats.default(ajv);
      ajv.addSchema(components);
    }
    for (const [template, item] of Object.entries(this.spec.paths)) {
      const names: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const literals = template.split('/').filter((segment) => segment !== '' && !segment.includes('{')).length;
      const shared = (item['parameters'] as Route['shared'] | undefined) ?? [];
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const operation = item[method] as Operation | undefined;
        if (operation) this.routes.push({ method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), names, literals, operation, shared });
      }
    }
  }

  private parameter(value: Parameter | { $ref: string }): Parameter {
    if (!isRef(value)) return value;
    const name = value.$ref.replace('#/components/parameters/', '');
    const found = this.spec.components.parameters[name];
    if (!found) throw new Error(`unresolved parameter ${value.$ref}`);
    return found;
  }

  private validator(key: string, schema: object, coerce: boolean): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = (coerce ? this.coercing : this.strict).compile(retarget(schema) as object);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private check(problems: string[], key: string, schema: object | undefined, value: unknown, coerce: boolean, what: string): void {
    if (schema === undefined) return;
    const holder = { value };
    const fn = this.validator(key, { type: 'object', properties: { value: schema } }, coerce);
    if (!fn(holder)) {
      for (const e of fn.errors ?? [])
        problems.push(`${what}${e.instancePath.replace(/^\/value/, '')} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);
    }
  }

  validate(request: CheckedRequest): Verdict {
    const candidates = this.routes.filter((r) => r.method === request.method && r.pattern.test(request.path)).sort((a, b) => b.literals - a.literals);
    const route = candidates[0];
    if (!route) return { operationId: undefined, problems: [`${request.method} ${request.path} is not an operation of ${this.description}`] };
    const { operation } = route;
    const id = operation.operationId;
    const problems: string[] = [];
    const match = route.pattern.exec(request.path);
    const parameters = [...route.shared, ...(operation.parameters ?? [])].map((p) => this.parameter(p));
    route.names.forEach((name, index) => {
      const declared = parameters.find((p) => p.in === 'path' && p.name === name);
      const raw = decodeURIComponent(match?.[index + 1] ?? '');
      if (!declared) problems.push(`path parameter ${name} is not declared`);
      else this.check(problems, `${id}:path:${name}`, declared.schema, raw, true, `path parameter ${name}`);
    });
    const queryNames = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of new Set(request.query.keys())) {
      if (!queryNames.has(name)) problems.push(`query parameter ${name} is not declared for ${id}`);
    }
    for (const p of parameters.filter((q) => q.in === 'query')) {
      const raw = request.query.get(p.name);
      if (raw === null) {
        if (p.required) problems.push(`query parameter ${p.name} is required`);
        continue;
      }
      this.check(problems, `${id}:query:${p.name}`, p.schema, raw, true, `query parameter ${p.name}`);
    }
    const bodySpec = isRef(operation.requestBody) ? undefined : operation.requestBody;
    if (isRef(operation.requestBody)) problems.push(`request body $ref ${operation.requestBody.$ref} is not supported by this validator`);
    const schema = bodySpec?.content?.['application/json']?.schema;
    if (request.body === '') {
      if (bodySpec?.required) problems.push(`${id} requires a JSON body`);
    } else if (schema === undefined) {
      problems.push(`${id} takes no JSON body, but one was sent`);
    } else if (!/^application\/json\b/.test(request.contentType ?? '')) {
      problems.push(`the body was sent as ${request.contentType ?? 'no content type'}, not application/json`);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(request.body);
      } catch {
        problems.push('the body is not JSON');
        return { operationId: id, problems };
      }
      this.check(problems, `${id}:body`, schema, parsed, false, 'body');
    }
    return { operationId: id, problems };
  }

  /**
   * How an answer breaks the operation's documented response for its status: the fake's own
   * answers are checked, so code written against them holds against GitHub's real shapes.
   */
  validateResponse(operationId: string, status: number, body: unknown): string[] {
    const route = this.routes.find((r) => r.operation.operationId === operationId);
    if (!route) return [`${operationId} is not an operation of ${this.description}`];
    let response = route.operation.responses?.[String(status)];
    if (isRef(response)) response = this.spec.components.responses?.[response.$ref.replace('#/components/responses/', '')];
    if (response === undefined) return [`${operationId} documents no ${status} answer`];
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) return [`${operationId} documents no JSON body for ${status}`];
    const problems: string[] = [];
    this.check(problems, `${operationId}:response:${status}`, schema, body, false, `the ${status} answer`);
    return problems;
  }
}

const cache = new Map<Description, OpenApiValidator>();

/** One validator per description per test process: the descriptions are large. */
export function openApiValidator(description: Description): OpenApiValidator {
  let validator = cache.get(description);
  if (!validator) {
    validator = new OpenApiValidator(description);
    cache.set(description, validator);
  }
  return validator;
}
