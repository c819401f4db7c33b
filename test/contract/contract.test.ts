// The contract module on its own: operations found by templated path in both descriptions, parameters
// checked by declared type, bodies checked with closed objects (allOf included) and the Swagger formats.
import { describe, expect, it } from 'vitest';
import { allowUnknownFormats, closeSchema, createContractAjv, jumpcloudContract } from './contract.js';

const contract = jumpcloudContract();

function check(method: string, path: string, options: { query?: string; body?: unknown; contentType?: string } = {}): string[] {
  return contract.checkRequest({
    method,
    path,
    query: new URLSearchParams(options.query ?? ''),
    contentType: options.contentType ?? 'application/json',
    body: options.body === undefined ? '' : JSON.stringify(options.body),
  }).problems;
}

describe('operationFor', () => {
  it('finds v2 operations by template below basePath /api/v2/, with decoded parameters', () => {
    expect(contract.operationFor('get', '/api/v2/approvalflows/abc%20d')).toEqual({
      contract: 'v2',
      method: 'GET',
      template: '/api/v2/approvalflows/{approvalFlowId}',
      operationId: 'ApprovalFlow_Get',
      params: { approvalFlowId: 'abc d' },
    });
    expect(contract.operationFor('POST', '/api/v2/usergroups/g1/associations')?.template).toBe('/api/v2/usergroups/{group_id}/associations');
  });

  it('finds v1 operations below basePath /api/', () => {
    expect(contract.operationFor('GET', '/api/systemusers/u1')).toMatchObject({ contract: 'v1', template: '/api/systemusers/{id}', params: { id: 'u1' } });
    expect(contract.operationFor('GET', '/api/applications')).toMatchObject({ contract: 'v1', template: '/api/applications' });
  });

  it('has no webhook channels, no request submission and no method the contract does not list', () => {
    expect(contract.operationFor('GET', '/api/v2/notifications/webhook/channels')).toBeUndefined();
    expect(contract.operationFor('POST', '/api/v2/approvalflowrequest')).toBeUndefined();
    expect(contract.operationFor('PATCH', '/api/v2/approvalflows/x')).toBeUndefined();
    expect(contract.operationFor('GET', '/api/v2/approvalflows/x/extra')).toBeUndefined();
    expect(contract.operationFor('GET', '/api/v2/approvalflows/')).toBeUndefined();
  });
});

describe('parameters', () => {
  it('accepts the list query the client sends', () => {
    expect(check('GET', '/api/v2/approvalflows', { query: 'limit=100&skip=0&sort=_id' })).toEqual([]);
    expect(check('GET', '/api/v2/usergroups', { query: 'limit=100&skip=0&sort=_id&filter=name:eq:a&filter=x:eq:b' })).toEqual([]);
    expect(check('GET', '/api/systemusers', { query: 'limit=100&skip=0&sort=_id' })).toEqual([]);
    expect(check('GET', '/api/v2/usergroups/g/associations', { query: 'targets=application&limit=100&skip=0' })).toEqual([]);
  });

  it('checks declared types: integers, int64 strings, base64, enums, required and undeclared names', () => {
    expect(check('GET', '/api/v2/usergroups/g/associations', { query: 'limit=ten&targets=printer&extra=1' })).toEqual([
      'query parameter extra is not declared for GET /api/v2/usergroups/{group_id}/associations',
      'query parameter targets must be one of "active_directory", "application", "g_suite", "idp_routing_policy", "ldap_server", "office_365", "password_manager_item", "radius_server", "system", "system_group"',
      'query parameter limit must be integer',
    ]);
    expect(check('GET', '/api/v2/usergroups/g/associations')).toEqual(['query parameter targets is required']);
    expect(check('GET', '/api/v2/approvalflows', { query: 'limit=1e2&skip=9223372036854775808' })).toEqual([
      'query parameter limit must match format "int64"',
      'query parameter skip must match format "int64"',
    ]);
    expect(check('GET', '/api/v2/approvalflows', { query: 'limit=9223372036854775807' })).toEqual([]);
    expect(check('GET', '/api/v2/approvalflowsettings', { query: 'organizationObjectId=not%20base64' })).toEqual([
      'query parameter organizationObjectId must match format "byte"',
    ]);
    expect(check('GET', '/api/v2/approvalflows', { query: 'limit=1&limit=2' })).toEqual(['query parameter limit is given 2 times but is not an array']);
  });
});

describe('bodies with closed objects', () => {
  it('accepts a full create and a PUT without the create-only fields', () => {
    const flow = {
      name: 'GitHub Admin',
      category: 'Application',
      resourceType: 'user_group',
      resourceId: 'g1',
      visibleTo: ['g2'],
      approvalType: 'manual',
      approverResources: [{ resourceType: 'manager', resourceOrder: 0, requireAll: false }],
      ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
      fixedDuration: 'P7D',
    };
    expect(check('POST', '/api/v2/approvalflows', { body: flow })).toEqual([]);
    const { category: _c, resourceType: _r, ...update } = flow;
    expect(check('PUT', '/api/v2/approvalflows/f1', { body: update })).toEqual([]);
  });

  it('names each property the schema does not list, at any depth', () => {
    expect(check('PUT', '/api/v2/approvalflows/f1', { body: { name: 'x', category: 'Application', resourceType: 'user_group' } })).toEqual([
      'body must NOT have property "category": the contract does not declare it',
      'body must NOT have property "resourceType": the contract does not declare it',
    ]);
    expect(check('PUT', '/api/v2/approvalflowsettings', { body: { channelEvents: [{ channelObjectId: 'AAAA', eventTypes: [], foo: 1 }] } })).toEqual([
      'body/channelEvents/0 must NOT have property "foo": the contract does not declare it',
    ]);
  });

  it('closes an allOf over the union of its members, and leaves open what says it is open', () => {
    expect(check('POST', '/api/v2/usergroups/g/associations', { body: { op: 'add', type: 'application', id: 'a1' } })).toEqual([]);
    expect(check('POST', '/api/v2/usergroups/g/associations', { body: { op: 'add', type: 'application', id: 'a1', extra: true } })).toEqual([
      'body must NOT have property "extra": the contract does not declare it',
    ]);
    // GroupAttributes-UserGroup is an allOf with GraphAttributes, which sets additionalProperties: true.
    expect(check('POST', '/api/v2/usergroups', { body: { name: 'g', attributes: { anything: 1 } } })).toEqual([]);
    expect(check('POST', '/api/v2/usergroups', { body: { name: 'g', nickname: 'x' } })).toEqual([
      'body must NOT have property "nickname": the contract does not declare it',
    ]);
  });

  it('checks base64, int32 and enums in the body', () => {
    expect(
      check('PUT', '/api/v2/approvalflowsettings', {
        body: { channelEvents: [{ channelObjectId: 'AAAA\n!!!!', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }] },
      }),
    ).toEqual(['body/channelEvents/0/channelObjectId must match format "byte"']);
    expect(check('POST', '/api/v2/approvalflows', { body: { approverResources: [{ resourceOrder: 2 ** 31 }], ttlConfig: 'FOREVER' } })).toEqual([
      'body/approverResources/0/resourceOrder must match format "int32"',
      'body/ttlConfig must be one of "TTL_CONFIG_UNSPECIFIED", "TTL_CONFIG_MULTI_SELECT_DURATIONS", "TTL_CONFIG_FIXED_DURATION"',
    ]);
  });

  it('requires a JSON body where the contract does, and refuses one where it takes none', () => {
    expect(check('PUT', '/api/v2/approvalflowsettings')).toEqual(['PUT /api/v2/approvalflowsettings requires a JSON body']);
    expect(check('DELETE', '/api/v2/approvalflows/f1', { body: { force: true } })).toEqual([
      'DELETE /api/v2/approvalflows/{approvalFlowId} takes no body, but one was sent',
    ]);
    expect(check('PUT', '/api/v2/approvalflowsettings', { body: {}, contentType: 'text/plain' })).toEqual([
      'the body was sent as text/plain, not application/json',
    ]);
    expect(contract.checkRequest({ method: 'PUT', path: '/api/v2/approvalflowsettings', contentType: 'application/json', body: '{' }).problems).toEqual([
      'the body is not JSON',
    ]);
  });
});

describe('closeSchema and formats', () => {
  it('closes a deep copy and leaves the original as it was', () => {
    const original = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } };
    const before = structuredClone(original);
    const closed = closeSchema(original, { definitions: {} });
    expect(original).toEqual(before);
    expect(closed).toEqual({
      type: 'object',
      properties: { a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: false } },
      additionalProperties: false,
    });
  });

  it('keeps an explicit additionalProperties and maps x-nullable', () => {
    expect(closeSchema({ properties: { a: {} }, additionalProperties: true }, { definitions: {} })).toEqual({
      properties: { a: {} },
      additionalProperties: true,
    });
    expect(closeSchema({ type: 'string', 'x-nullable': true }, { definitions: {} })).toEqual({ type: ['string', 'null'], 'x-nullable': true });
  });

  it('compiles a schema with a format ajv has never heard of', () => {
    const ajv = createContractAjv();
    const schema = { type: 'string', format: 'jumpcloud-object-id' };
    allowUnknownFormats(ajv, schema);
    expect(ajv.compile(schema)('anything')).toBe(true);
  });
});
