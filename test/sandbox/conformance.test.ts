// Conformance: every JumpCloud operation the sandbox implements, exercised over real HTTP, with each
// request checked against the vendored contract (contracts/jumpcloud/, closed objects) and each
// response body validated against that operation's schema there.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/sandbox/routes.js';
import { contractsDir, jumpcloudContract } from '../contract/contract.js';
import { as, exampleFlows, githubAdminFlow, startHarness, submit, type Harness } from './harness.js';

interface Contract {
  basePath: string;
  definitions: Record<string, unknown>;
  paths: Record<string, Record<string, { parameters?: { in: string; schema?: object; $ref?: string }[]; responses: Record<string, { schema?: object }> }>>;
}

function loadContract(file: string): Contract {
  return JSON.parse(readFileSync(`${contractsDir}${file}`, 'utf8')) as Contract;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);

const covered = new Set<string>();

/** Validators for one operation, addressed by the sandbox path (e.g. GET /api/v2/approvalflows). */
function operation(method: string, sandboxPath: string): { request: ValidateFunction | undefined; response: (status: number) => ValidateFunction | undefined } {
  const contract = loadContract(sandboxPath.startsWith('/api/v2/') ? 'jumpcloud-v2-subset.json' : 'jumpcloud-v1-subset.json');
  const base = contract.basePath.replace(/\/$/, '');
  const path = sandboxPath.slice(base.length);
  const op = contract.paths[path]?.[method.toLowerCase()];
  if (op === undefined) throw new Error(`the contract has no ${method} ${path}`);
  covered.add(`${method} ${sandboxPath}`);
  const compile = (schema: object): ValidateFunction => ajv.compile({ ...schema, definitions: contract.definitions });
  const bodyParam = (op.parameters ?? []).find((p) => p.in === 'body');
  return {
    request: bodyParam?.schema === undefined ? undefined : compile(bodyParam.schema),
    response: (status) => {
      const schema = op.responses[String(status)]?.schema;
      return schema === undefined ? undefined : compile(schema);
    },
  };
}

function expectValid(validate: ValidateFunction | undefined, value: unknown, what: string): void {
  if (validate === undefined) return;
  const valid = validate(value);
  expect(valid, `${what}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

/** Sends a request, checking the request body and the response body against the contract. */
async function conform<T = unknown>(h: Harness, method: string, path: string, contractPath: string, expected: number, body?: unknown): Promise<T> {
  const validators = operation(method, contractPath);
  if (body !== undefined) expectValid(validators.request, body, `${method} ${contractPath} request`);
  const url = new URL(path, 'http://sandbox.invalid');
  const verdict = jumpcloudContract().checkRequest({
    method,
    path: url.pathname,
    query: url.searchParams,
    contentType: 'application/json',
    body: body === undefined ? '' : JSON.stringify(body),
  });
  expect(verdict.operation?.template, `${method} ${path} is addressed as ${contractPath}`).toBe(contractPath);
  expect(verdict.problems, `${method} ${path} request`).toEqual([]);
  const answer = await h.call<T>(method, path, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(expected);
  const schema = validators.response(expected);
  if (expected !== 204) expect(schema, `the contract describes ${method} ${contractPath} ${expected}`).toBeDefined();
  expectValid(schema, answer.body, `${method} ${contractPath} response`);
  return answer.body;
}

describe('conformance with the JumpCloud contracts', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves v1 system users and applications in the contract shape', async () => {
    const users = await conform<{ results: { _id: string; manager?: string }[]; totalCount: number }>(
      h,
      'GET',
      '/api/systemusers?limit=100',
      '/api/systemusers',
      200,
    );
    expect(users.totalCount).toBeGreaterThanOrEqual(13);
    const withManager = users.results.find((u) => u.manager !== undefined);
    await conform(h, 'GET', `/api/systemusers/${withManager?._id}`, '/api/systemusers/{id}', 200);
    await conform(h, 'PUT', `/api/systemusers/${withManager?._id}`, '/api/systemusers/{id}', 200, { jobTitle: 'Principal Engineer' });
    const apps = await conform<{ results: { _id: string }[] }>(h, 'GET', '/api/applications', '/api/applications', 200);
    await conform(h, 'GET', `/api/applications/${apps.results[0]?._id}`, '/api/applications/{id}', 200);
  });

  it('serves v2 user groups, members and associations in the contract shape', async () => {
    await conform(h, 'GET', '/api/v2/usergroups?limit=100', '/api/v2/usergroups', 200);
    const group = await conform<{ id: string }>(h, 'POST', '/api/v2/usergroups', '/api/v2/usergroups', 201, {
      name: 'Conformance Group',
      description: 'made by a test',
    });
    await conform(h, 'GET', `/api/v2/usergroups/${group.id}`, '/api/v2/usergroups/{id}', 200);
    await conform(h, 'PUT', `/api/v2/usergroups/${group.id}`, '/api/v2/usergroups/{id}', 200, {
      name: 'Conformance Group',
      description: 'changed',
    });
    const alice = await h.userId('alice');
    await conform(h, 'POST', `/api/v2/usergroups/${group.id}/members`, '/api/v2/usergroups/{group_id}/members', 204, {
      op: 'add',
      type: 'user',
      id: alice,
    });
    const members = await conform<unknown[]>(h, 'GET', `/api/v2/usergroups/${group.id}/members`, '/api/v2/usergroups/{group_id}/members', 200);
    expect(members).toEqual([{ to: { id: alice, type: 'user' } }]);
    const apps = (await h.call<{ results: { _id: string }[] }>('GET', '/api/applications')).body.results;
    const appId = apps[0]?._id ?? '';
    await conform(h, 'POST', `/api/v2/usergroups/${group.id}/associations`, '/api/v2/usergroups/{group_id}/associations', 204, {
      op: 'add',
      type: 'application',
      id: appId,
    });
    const associations = await conform<{ to: { id: string } }[]>(
      h,
      'GET',
      `/api/v2/usergroups/${group.id}/associations?targets=application`,
      '/api/v2/usergroups/{group_id}/associations',
      200,
    );
    expect(associations.map((a) => a.to.id)).toEqual([appId]);
    const bound = await conform<{ id: string }[]>(h, 'GET', `/api/v2/usergroups/${group.id}/applications`, '/api/v2/usergroups/{group_id}/applications', 200);
    expect(bound.map((b) => b.id)).toEqual([appId]);
    await conform(h, 'POST', `/api/v2/applications/${appId}/associations`, '/api/v2/applications/{application_id}/associations', 204, {
      op: 'remove',
      type: 'user_group',
      id: group.id,
    });
    const appAssociations = await conform<{ to: { id: string } }[]>(
      h,
      'GET',
      `/api/v2/applications/${appId}/associations?targets=user_group`,
      '/api/v2/applications/{application_id}/associations',
      200,
    );
    expect(appAssociations.map((a) => a.to.id)).not.toContain(group.id);
    await conform(h, 'DELETE', `/api/v2/usergroups/${group.id}`, '/api/v2/usergroups/{id}', 200);
  });

  it('serves approval flows in the contract shape, from create to delete', async () => {
    const empty = await conform<{ results: unknown[]; totalCount: number }>(h, 'GET', '/api/v2/approvalflows', '/api/v2/approvalflows', 200);
    expect(empty).toEqual({ results: [], totalCount: 0 });
    const body = await githubAdminFlow(h);
    const created = await conform<{ id: string }>(h, 'POST', '/api/v2/approvalflows', '/api/v2/approvalflows', 200, body);
    const read = await conform<Record<string, unknown>>(h, 'GET', `/api/v2/approvalflows/${created.id}`, '/api/v2/approvalflows/{approvalFlowId}', 200);
    expect(read['resources']).toEqual([{ resourceId: body['resourceId'], resourceName: 'GitHub Admins', resourceType: 'user_group' }]);
    expect(read['visibleTo']).toEqual([{ id: (body['visibleTo'] as string[])[0], name: 'Engineering Admin' }]);
    const { category: _c, resourceType: _r, ...update } = body;
    await conform(h, 'PUT', `/api/v2/approvalflows/${created.id}`, '/api/v2/approvalflows/{approvalFlowId}', 200, {
      ...update,
      description: 'changed',
    });
    const list = await conform<{ totalCount: number }>(h, 'GET', '/api/v2/approvalflows', '/api/v2/approvalflows', 200);
    expect(list.totalCount).toBe(1);
    await conform(h, 'DELETE', `/api/v2/approvalflows/${created.id}`, '/api/v2/approvalflows/{approvalFlowId}', 200);
  });

  it('serves approval flow settings in the contract shape', async () => {
    await conform(h, 'GET', '/api/v2/approvalflowsettings', '/api/v2/approvalflowsettings', 200);
    await conform(h, 'PUT', '/api/v2/approvalflowsettings', '/api/v2/approvalflowsettings', 200, {
      resourceRequest: true,
      exposeApprovalProgress: true,
      adminApprovalEmail: true,
      userRequestEmail: false,
      userApprovalEmail: true,
      channelEvents: [],
    });
  });

  it('serves access requests, approvals and approval progress in the contract shape', async () => {
    const flows = await exampleFlows(h);
    const submitted = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = submitted.body.id;
    await conform(h, 'GET', '/api/v2/approvalflowrequest?filter=status:eq:pending', '/api/v2/approvalflowrequest', 200);
    const read = await conform<Record<string, unknown>>(h, 'GET', `/api/v2/approvalflowrequest/${id}`, '/api/v2/approvalflowrequest/{id}', 200);
    expect(read['approvers']).toHaveLength(2);
    await conform(h, 'GET', `/api/v2/approversprogress/${id}`, '/api/v2/approversprogress/{id}', 200);
    const validators = operation('POST', '/api/v2/userapprovalrequest');
    const decision = { id, status: 'approved', remarks: 'ok' };
    expectValid(validators.request, decision, 'POST /api/v2/userapprovalrequest request');
    expect(jumpcloudContract().checkBody('POST', '/api/v2/userapprovalrequest', decision)).toEqual([]);
    const approved = await h.call('POST', '/api/v2/userapprovalrequest', decision, as('dana.cto'));
    expect(approved.status).toBe(200);
    expectValid(validators.response(200), approved.body, 'POST /api/v2/userapprovalrequest response');
    await conform(h, 'PUT', `/api/v2/approvalflowrequest/${id}`, '/api/v2/approvalflowrequest/{id}', 200, {
      status: 'approved',
      remarks: 'admin',
    });
  });

  it('covers every JumpCloud operation the sandbox serves', () => {
    // Webhook channels and submitting a request are the sandbox's own shapes (see openapi.test.ts), not JumpCloud's.
    const implemented = routes
      .filter((r) => r.path.startsWith('/api/') && !r.path.startsWith('/api/v2/notifications/'))
      .filter((r) => !(r.method === 'POST' && r.path === '/api/v2/approvalflowrequest'))
      .map((r) => `${r.method} ${r.path}`);
    expect([...covered].sort()).toEqual([...implemented].sort());
  });
});
