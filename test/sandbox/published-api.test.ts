// What routes.ts claims JumpCloud publishes, checked against the contract files themselves: the
// published routes, which of them are protobuf services, their request body shapes, and the byte id
// fields the strict profile encodes.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { byteIdFields, type BodyShape } from '../../src/sandbox/profile.js';
import { routes } from '../../src/sandbox/routes.js';

// The project's copy of the contracts, else the shared one it is copied from.
const contractsDir = [
  fileURLToPath(new URL('../../contracts/jumpcloud/', import.meta.url)),
  fileURLToPath(new URL('../../../shared/contracts/', import.meta.url)),
].find((dir) => existsSync(`${dir}jumpcloud-v2-subset.json`));
if (contractsDir === undefined) console.log('published API tests skipped: neither contracts/jumpcloud/ nor ../shared/contracts/ is present');

type Schema = Record<string, unknown>;
interface Operation {
  parameters?: { in: string; schema?: Schema }[];
  'x-dynamic-gateway'?: boolean;
}
interface Contract {
  basePath: string;
  definitions: Record<string, Schema>;
  paths: Record<string, Record<string, Operation | unknown>>;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'];
const insights = 'POST /insights/directory/v1/events';

function load(file: string): Contract {
  return JSON.parse(readFileSync(`${contractsDir}${file}`, 'utf8')) as Contract;
}

/** Every operation of both contract files, by "METHOD /sandbox/path" (base path included). */
function contractOperations(): Map<string, { op: Operation; contract: Contract }> {
  const operations = new Map<string, { op: Operation; contract: Contract }>();
  for (const file of ['jumpcloud-v1-subset.json', 'jumpcloud-v2-subset.json']) {
    const contract = load(file);
    const base = contract.basePath.replace(/\/$/, '');
    for (const [path, item] of Object.entries(contract.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (methods.includes(method)) operations.set(`${method.toUpperCase()} ${base}${path}`, { op: op as Operation, contract });
      }
    }
  }
  return operations;
}

function resolve(schema: Schema, contract: Contract): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  return resolve(contract.definitions[ref.replace('#/definitions/', '')] ?? {}, contract);
}

/**
 * The fields an object of the schema may carry (the rule profile.ts's BodyShape states): a closed
 * object maps its properties; arrays take their items' shape; scalars and open objects are null.
 */
function shapeOf(input: Schema, contract: Contract): BodyShape | null {
  const schema = resolve(input, contract);
  if (schema['type'] === 'array') return shapeOf((schema['items'] as Schema | undefined) ?? {}, contract);
  const parts = [schema, ...((schema['allOf'] as Schema[] | undefined) ?? []).map((part) => resolve(part, contract))];
  if (parts.some((part) => part['additionalProperties'] === true)) return null;
  const properties = Object.assign({}, ...parts.map((part) => (part['properties'] as Record<string, Schema> | undefined) ?? {})) as Record<string, Schema>;
  if (Object.keys(properties).length === 0) return null;
  return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, shapeOf(property, contract)]));
}

const key = (route: { method: string; path: string }): string => `${route.method} ${route.path}`;

describe.skipIf(contractsDir === undefined)("routes.ts against JumpCloud's published API description", () => {
  const operations = contractOperations();

  it('marks as published exactly the contract operations the sandbox implements, plus the Directory Insights query', () => {
    const implemented = routes.filter((route) => operations.has(key(route))).map(key);
    const published = routes.filter((route) => route.origin === 'published').map(key);
    expect(published.filter((k) => k !== insights).sort()).toEqual(implemented.sort());
    expect(published).toContain(insights);
    // Everything else is the sandbox's: extensions, test hooks and its own description.
    for (const route of routes.filter((r) => r.origin !== 'published')) expect(operations.has(key(route)), key(route)).toBe(false);
    expect(
      routes
        .filter((r) => r.origin === 'extension')
        .map(key)
        .sort(),
    ).toEqual([
      'DELETE /api/v2/notifications/webhook/channels/{id}',
      'GET /api/v2/notifications/webhook/channels',
      'GET /api/v2/notifications/webhook/channels/{id}',
      'POST /api/v2/approvalflowrequest',
      'POST /api/v2/notifications/webhook/channels',
      'PUT /api/v2/notifications/webhook/channels/{id}',
    ]);
  });

  it('marks as protobuf exactly the operations of the dynamic gateway (jumpcloud.ingresso)', () => {
    for (const route of routes.filter((r) => operations.has(key(r)))) {
      expect(route.protobuf, key(route)).toBe(operations.get(key(route))?.op['x-dynamic-gateway'] === true);
    }
    expect(routes.filter((r) => !operations.has(key(r))).every((r) => !r.protobuf)).toBe(true);
  });

  it("gives every published route with a body the contract's body shape, and no other route one", () => {
    for (const route of routes) {
      const entry = operations.get(key(route));
      const schema = entry?.op.parameters?.find((p) => p.in === 'body')?.schema;
      const expected = schema === undefined || entry === undefined ? undefined : shapeOf(schema, entry.contract);
      expect(route.requestBody, key(route)).toEqual(expected ?? undefined);
    }
    const flowSet = routes.find((r) => key(r) === 'PUT /api/v2/approvalflows/{approvalFlowId}')?.requestBody ?? {};
    const flowCreate = routes.find((r) => key(r) === 'POST /api/v2/approvalflows')?.requestBody ?? {};
    expect(Object.keys(flowCreate).filter((field) => !Object.hasOwn(flowSet, field))).toEqual(['category', 'resourceType']);
  });

  it('encodes as base64 exactly the ObjectId fields the ingresso messages declare format: byte', () => {
    const found = new Set<string>();
    const visit = (schema: unknown): void => {
      if (typeof schema !== 'object' || schema === null) return;
      for (const [name, property] of Object.entries((schema as Schema)['properties'] ?? {})) {
        if ((property as Schema)['format'] === 'byte') found.add(name);
        visit(property);
      }
    };
    const v2 = load('jumpcloud-v2-subset.json');
    for (const [name, definition] of Object.entries(v2.definitions)) if (name.startsWith('jumpcloud.ingresso.')) visit(definition);
    for (const item of Object.values(v2.paths)) {
      for (const op of Object.values(item)) for (const p of (op as Operation).parameters ?? []) if (p.schema !== undefined) visit(p.schema);
    }
    // metadata and wfMetadata are opaque bytes, not ObjectIds; the sandbox never sends them.
    expect([...found].filter((name) => !['metadata', 'wfMetadata'].includes(name)).sort()).toEqual([...byteIdFields].sort());
  });
});
