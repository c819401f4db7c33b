// The sandbox's own description is the source of body validation: every route that reads a body
// names its schema in /openapi.json, and for every constraint of those schemas a body that breaks
// it (and only it) is refused by an independent ajv over the served description and by the sandbox.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/sandbox/routes.js';
import { githubAdminFlow, startHarness, type Harness } from './harness.js';

type Schema = Record<string, unknown>;
type Document = { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };

const anyId = 'ffffffffffffffffffffffff';

/** A body each schema accepts, so that a mutation breaks exactly one constraint. */
async function validBodies(h: Harness): Promise<Record<string, Record<string, unknown>>> {
  const flow = await githubAdminFlow(h, { slackConfig: [{ slackResourceId: 'C0123' }] });
  return {
    SystemUserUpdate: { department: 'Security', manager: anyId },
    UserGroupWrite: { name: 'Schema Group', memberQueryExemptions: [{}] },
    MemberOperation: { op: 'add', type: 'user', id: anyId },
    GroupAssociationOperation: { op: 'add', type: 'application', id: anyId },
    ApplicationAssociationOperation: { op: 'add', type: 'user_group', id: anyId },
    ApprovalFlowCreate: flow,
    ApprovalFlowWrite: { ...flow, category: undefined, resourceType: undefined },
    SettingsUpdate: {
      resourceRequest: true,
      channelEvents: [{ channelObjectId: '65a0000000000000000000c1', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    },
    WebhookChannelWrite: { name: 'Schema', url: 'https://hooks.example.com/x', headers: [{ name: 'X-A', value: 'b' }] },
    EventQuery: { service: ['all'], start_time: '2026-01-01T00:00:00Z', search_after: [1, 2] },
    AccessRequestSubmit: { approvalFlowId: anyId, remarks: 'for the schema' },
    AdminDecision: { status: 'denied' },
    ApproverDecision: { id: anyId, status: 'approved' },
    ClockChange: { frozen: true },
    FaultConfig: { rules: [{ route: '*' }] },
    RateLimitState: { rateLimit: { capacity: 1, refillPerSecond: 1 } },
  };
}

interface Mutation {
  what: string;
  /** The field the refusal must name (or a prefix of it). */
  field: string;
  body: unknown;
}

function resolve(schema: Schema, doc: Document): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  const target = doc.components.schemas[ref.replace('#/components/schemas/', '')] ?? {};
  const { $ref: _ref, ...rest } = schema;
  return { ...resolve(target, doc), ...rest, required: [...((target['required'] as string[]) ?? []), ...((rest['required'] as string[]) ?? [])] };
}

const wrongType: Record<string, unknown> = { string: 12345, boolean: 'yes', integer: 1.5, number: 'x', array: 'x', object: [1], null: 'x' };

/** One body per constraint of `schema`, each breaking that constraint alone, at `path` of `base`. */
function mutations(schema: Schema, base: Record<string, unknown>, doc: Document, prefix = ''): Mutation[] {
  const at = (field: string): string => (prefix === '' ? field : `${prefix}.${field}`);
  const found: Mutation[] = [];
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  if (schema['additionalProperties'] === false) found.push({ what: 'an unknown field', field: at('unexpectedField'), body: { ...base, unexpectedField: 1 } });
  for (const required of (schema['required'] as string[] | undefined) ?? []) {
    const { [required]: _gone, ...rest } = base;
    found.push({ what: `${required} left out`, field: at(required), body: rest });
  }
  for (const [name, raw] of Object.entries(properties)) {
    const property = resolve(raw, doc);
    const set = (value: unknown): Record<string, unknown> => ({ ...base, [name]: value });
    const types = ([] as unknown[]).concat(property['type'] ?? []).map(String);
    if (types.length > 0 && !types.includes('string'))
      found.push({ what: `${name} of the wrong type`, field: at(name), body: set(wrongType[types[0] ?? 'string']) });
    if (types.includes('string')) found.push({ what: `${name} not a string`, field: at(name), body: set(12345) });
    if (Array.isArray(property['enum']))
      found.push({ what: `${name} outside its enum`, field: at(name), body: set(types.includes('integer') ? 999 : 'not-one-of-them') });
    if (typeof property['maxLength'] === 'number') found.push({ what: `${name} too long`, field: at(name), body: set('x'.repeat(property['maxLength'] + 1)) });
    if (typeof property['minLength'] === 'number' && property['minLength'] > 0) found.push({ what: `${name} empty`, field: at(name), body: set('') });
    if (typeof property['pattern'] === 'string') found.push({ what: `${name} against its pattern`, field: at(name), body: set('\n!') });
    if (typeof property['minimum'] === 'number') found.push({ what: `${name} below its minimum`, field: at(name), body: set(property['minimum'] - 1) });
    if (typeof property['maximum'] === 'number') found.push({ what: `${name} above its maximum`, field: at(name), body: set(property['maximum'] + 1) });
    if (typeof property['maxItems'] === 'number') {
      const item = Array.isArray(base[name]) ? (base[name] as unknown[])[0] : 'x';
      found.push({ what: `${name} with too many items`, field: at(name), body: set(Array.from({ length: property['maxItems'] + 1 }, () => item)) });
    }
    if (typeof property['minItems'] === 'number' && property['minItems'] > 0)
      found.push({ what: `${name} with too few items`, field: at(name), body: set([]) });
    if (property['uniqueItems'] === true && Array.isArray(base[name]) && (base[name] as unknown[]).length > 0) {
      const item = (base[name] as unknown[])[0];
      found.push({ what: `${name} repeating an item`, field: at(name), body: set([item, item]) });
    }
    // One level down: the properties of an object inside the body, or of the first item of a list.
    const value = base[name];
    const items = property['items'] === undefined ? undefined : resolve(property['items'] as Schema, doc);
    if (Array.isArray(value) && items?.['type'] === 'object' && typeof value[0] === 'object' && value[0] !== null) {
      for (const inner of mutations(items, value[0] as Record<string, unknown>, doc, `${at(name)}[0]`)) {
        found.push({ ...inner, body: set([inner.body, ...value.slice(1)]) });
      }
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && types.includes('object')) {
      for (const inner of mutations(property, value as Record<string, unknown>, doc, at(name))) found.push({ ...inner, body: set(inner.body) });
    }
  }
  return found;
}

describe('the OpenAPI description is the source of body validation', () => {
  let h: Harness;
  let doc: Document;
  let ajv: Ajv2020;
  let bases: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    h = await startHarness({ hooks: true });
    doc = (await h.call<Document>('GET', '/openapi.json', undefined, { 'x-api-key': '' })).body;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'served', components: doc.components });
    bases = await validBodies(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const bodyRoutes = routes.filter((route) => route.body);

  it('names a schema for every route that reads a body, the one its operation in /openapi.json names', () => {
    for (const route of bodyRoutes) {
      expect(route.bodySchema, `${route.method} ${route.path}`).toBeDefined();
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()] as { requestBody?: { content: Record<string, { schema: Schema }> } };
      expect(operation.requestBody?.content['application/json']?.schema, `${route.method} ${route.path}`).toEqual({
        $ref: `#/components/schemas/${route.bodySchema ?? ''}`,
      });
    }
  });

  it('caps what the hand-written checks used to cap alone: visibleTo at 100 entries and iconUrl at 2,048 characters', () => {
    const flow = doc.components.schemas['ApprovalFlowWrite'] as { properties: Record<string, Schema> };
    expect(flow.properties['visibleTo']?.['maxItems']).toBe(100);
    expect(flow.properties['iconUrl']?.['maxLength']).toBe(2048);
  });

  it('has a valid example body for every schema a route names', () => {
    for (const name of new Set(bodyRoutes.map((route) => route.bodySchema ?? ''))) {
      const validate = ajv.getSchema(`served#/components/schemas/${name}`);
      const body = JSON.parse(JSON.stringify(bases[name] ?? null)) as unknown;
      expect(validate?.(body), `${name}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
    }
  });

  it('refuses with 400, naming the field, every body that breaks one constraint of its schema', async () => {
    let checked = 0;
    for (const route of bodyRoutes) {
      const name = route.bodySchema ?? '';
      const schema = resolve({ $ref: `#/components/schemas/${name}` }, doc);
      const validate = ajv.getSchema(`served#/components/schemas/${name}`);
      const path = route.path.replace(/\{[^}]+\}/g, anyId);
      for (const mutation of mutations(schema, JSON.parse(JSON.stringify(bases[name])) as Record<string, unknown>, doc)) {
        const label = `${route.method} ${route.path} with ${mutation.what}`;
        expect(validate?.(mutation.body), `${label}: the served schema accepts it`).toBe(false);
        const answer = await h.call<{ details?: { field: string }[] }>(route.method, path, mutation.body);
        expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBe(400);
        expect(
          answer.body.details?.some((d) => d.field === mutation.field || d.field.startsWith(`${mutation.field}.`) || d.field.startsWith(`${mutation.field}[`)),
          `${label}: ${JSON.stringify(answer.body)}`,
        ).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
