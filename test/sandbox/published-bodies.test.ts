// Two hand-kept lists describe a published operation's request body: its schema in the sandbox's
// OpenAPI description (which validates every body) and its published shape in published-bodies.ts
// (which --profile strict checks). They must not drift: on a published operation the description
// may accept only fields JumpCloud publishes, save the ones the default profile alone tolerates.
import { describe, expect, it } from 'vitest';
import { openApiComponents } from '../../src/sandbox/openapi.js';
import type { BodyShape } from '../../src/sandbox/profile.js';
import { routes } from '../../src/sandbox/routes.js';

type Schema = { $ref?: string; items?: Schema; properties?: Record<string, Schema>; additionalProperties?: unknown; allOf?: Schema[] };
const schemas = openApiComponents().schemas as Record<string, Schema>;

/** The object schema a body or field is checked against: refs followed, array items taken, allOf merged. */
function objectSchema(schema: Schema): Schema {
  if (schema.$ref !== undefined) return objectSchema(schemas[schema.$ref.replace('#/components/schemas/', '')] ?? {});
  if (schema.items !== undefined) return objectSchema(schema.items);
  if (schema.allOf !== undefined) {
    const merged = schema.allOf.map(objectSchema);
    return { ...schema, properties: Object.assign({}, ...merged.map((s) => s.properties ?? {}), schema.properties ?? {}) };
  }
  return schema;
}

/** Fields (as paths) the description accepts where the published shape has none; open objects accept anything, on purpose. */
function unpublished(schema: Schema, shape: BodyShape, prefix = ''): string[] {
  const node = objectSchema(schema);
  const found: string[] = [];
  for (const [field, inner] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}${field}`;
    if (!Object.hasOwn(shape, field)) found.push(path);
    else if (shape[field] && objectSchema(inner).additionalProperties === false) found.push(...unpublished(inner, shape[field], `${path}.`));
  }
  return found;
}

// The default profile's lenient reading, stated in the description's profile notes: category and
// resourceType on a flow PUT are accepted (and must match the flow), where strict refuses them.
const toleratedByDefault = ['PUT /api/v2/approvalflows/{approvalFlowId} category', 'PUT /api/v2/approvalflows/{approvalFlowId} resourceType'];

const published = routes.filter((route) => route.requestBody !== undefined);

describe('the published request bodies and the sandbox description agree', () => {
  it('checks every published operation that reads a body against a schema of the description', () => {
    expect(published.length).toBeGreaterThan(0);
    for (const route of published) expect(route.bodySchema, `${route.method} ${route.path}`).toBeDefined();
  });

  it('accepts on a published operation no field JumpCloud does not publish, but the tolerated ones', () => {
    const found = published.flatMap((route) =>
      unpublished({ $ref: `#/components/schemas/${route.bodySchema}` }, route.requestBody ?? {}).map((field) => `${route.method} ${route.path} ${field}`),
    );
    expect(found.sort()).toEqual([...toleratedByDefault].sort());
  });

  it('notices a field the description gains that the published shape lacks', () => {
    const flow = schemas['ApprovalFlowWrite'] ?? {};
    const planted = { ...flow, properties: { ...flow.properties, plantedField: {} } };
    const shape = routes.find((r) => r.method === 'PUT' && r.path === '/api/v2/approvalflows/{approvalFlowId}')?.requestBody ?? {};
    expect(unpublished(planted, shape)).toContain('plantedField');
    const slack = unpublished(planted, { ...shape, slackConfig: {} });
    expect(slack).toContain('slackConfig.slackResourceId');
  });
});
