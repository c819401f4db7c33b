// The validating proxy in front of a real sandbox over HTTP: conforming traffic passes unchanged, body
// violations are recorded by field, strict mode answers undocumented paths itself, keys never leak.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubAdminFlow, startHarness, type Harness } from '../sandbox/harness.js';
import { assertNoViolations, MAX_BODY_BYTES, sandboxExtensions, startContractProxy, type ContractProxy } from './validating-proxy.js';

interface Raw {
  status: number;
  headers: Headers;
  text: string;
}

let h: Harness;
const proxies: ContractProxy[] = [];

beforeAll(async () => {
  h = await startHarness({ hooks: true });
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await h.close();
});

async function proxy(strict: boolean, extraPaths?: { method: string; path: string }[]): Promise<ContractProxy> {
  const started = await startContractProxy({ upstream: h.sandbox.url, strict, ...(extraPaths === undefined ? {} : { extraPaths }) });
  proxies.push(started);
  return started;
}

/** One request as the client sends it (admin key, JSON), to a base URL: the proxy or the sandbox itself. */
async function send(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': h.sandbox.adminKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function upstreamCounts(): Promise<Record<string, number>> {
  const answer = await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests');
  return answer.body.counts;
}

async function createFlow(overrides: Record<string, unknown> = {}): Promise<{ id: string; body: Record<string, unknown> }> {
  const body = await githubAdminFlow(h, overrides);
  const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', body);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return { id: created.body.id, body };
}

describe('the validating proxy', () => {
  it('passes a contract-conforming exchange through unchanged, query, headers and body included', async () => {
    const p = await proxy(true);
    const first = await createFlow({ name: 'Proxy One' });
    await createFlow({ name: 'Proxy Two' });
    const viaProxy = await send(p.url, 'GET', '/api/v2/approvalflows?limit=1&skip=1&sort=_id');
    const direct = await send(h.sandbox.url, 'GET', '/api/v2/approvalflows?limit=1&skip=1&sort=_id');
    expect(viaProxy.status).toBe(200);
    expect(viaProxy.text).toBe(direct.text);
    expect(viaProxy.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect((JSON.parse(viaProxy.text) as { results: unknown[]; totalCount: number }).results).toHaveLength(1);

    const { category: _c, resourceType: _r, ...update } = first.body;
    const put = await send(p.url, 'PUT', `/api/v2/approvalflows/${first.id}`, { ...update, description: 'changed through the proxy' });
    expect(put.status, put.text).toBe(200);
    const read = await h.call<{ description: string }>('GET', `/api/v2/approvalflows/${first.id}`);
    expect(read.body.description).toBe('changed through the proxy');

    // The sandbox's own refusal (a wrong key) comes back as it was given.
    const refused = await send(p.url, 'GET', '/api/v2/approvalflowsettings', undefined, { 'x-api-key': 'wrong' });
    const refusedDirect = await send(h.sandbox.url, 'GET', '/api/v2/approvalflowsettings', undefined, { 'x-api-key': 'wrong' });
    expect([refused.status, refused.text]).toEqual([refusedDirect.status, refusedDirect.text]);

    expect(p.violations()).toEqual([]);
    expect(() => assertNoViolations(p)).not.toThrow();
    expect(p.requests()).toEqual([
      { method: 'GET', path: '/api/v2/approvalflows', status: 200 },
      { method: 'PUT', path: `/api/v2/approvalflows/${first.id}`, status: 200 },
      { method: 'GET', path: '/api/v2/approvalflowsettings', status: refusedDirect.status },
    ]);
    await h.call('DELETE', `/api/v2/approvalflows/${first.id}`);
  });

  it('records a flow PUT that sends category or resourceType, naming each field', async () => {
    const p = await proxy(false, [...sandboxExtensions]);
    const flow = await createFlow({ name: 'Proxy Update' });
    await send(p.url, 'PUT', `/api/v2/approvalflows/${flow.id}`, { ...flow.body, description: 'sent whole' });
    expect(p.violations()).toEqual([
      {
        method: 'PUT',
        path: `/api/v2/approvalflows/${flow.id}`,
        operation: '/api/v2/approvalflows/{approvalFlowId}',
        reason: 'body must NOT have property "category": the contract does not declare it',
      },
      {
        method: 'PUT',
        path: `/api/v2/approvalflows/${flow.id}`,
        operation: '/api/v2/approvalflows/{approvalFlowId}',
        reason: 'body must NOT have property "resourceType": the contract does not declare it',
      },
    ]);
    expect(() => assertNoViolations(p)).toThrow(/2 request\(s\) broke the JumpCloud contract:\n- PUT .*"category".*\n- PUT .*"resourceType"/);
    await h.call('DELETE', `/api/v2/approvalflows/${flow.id}`);
  });

  it('records an unknown property inside a nested object', async () => {
    const p = await proxy(false, [...sandboxExtensions]);
    await send(p.url, 'PUT', '/api/v2/approvalflowsettings', {
      resourceRequest: true,
      channelEvents: [{ channelObjectId: 'AAAAAAAAAAAAAAAAAAAAAAAA', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'], foo: 1 }],
    });
    expect(p.violations().map((v) => v.reason)).toEqual(['body/channelEvents/0 must NOT have property "foo": the contract does not declare it']);
  });

  it('records a channelObjectId that is not base64', async () => {
    const p = await proxy(false, [...sandboxExtensions]);
    await send(p.url, 'PUT', '/api/v2/approvalflowsettings', {
      channelEvents: [{ channelObjectId: 'channel #1!', eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST'] }],
    });
    expect(p.violations()).toEqual([
      {
        method: 'PUT',
        path: '/api/v2/approvalflowsettings',
        operation: '/api/v2/approvalflowsettings',
        reason: 'body/channelEvents/0/channelObjectId must match format "byte"',
      },
    ]);
  });

  it('in strict mode answers an undocumented path with 404 itself and never forwards it', async () => {
    const p = await proxy(true);
    await h.call('DELETE', '/sandbox/v1/requests');
    const channels = await send(p.url, 'GET', '/api/v2/notifications/webhook/channels');
    expect(channels.status).toBe(404);
    expect(JSON.parse(channels.text)).toEqual({
      code: 'NOT_FOUND',
      message: 'GET /api/v2/notifications/webhook/channels is not an operation of the JumpCloud API',
      status: 404,
    });
    const flows = await send(p.url, 'GET', '/api/v2/approvalflows');
    expect(flows.status).toBe(200);
    expect(await upstreamCounts()).toEqual({ 'GET /api/v2/approvalflows': 1, 'GET /sandbox/v1/requests': 1 });
    expect(p.violations()).toEqual([
      {
        method: 'GET',
        path: '/api/v2/notifications/webhook/channels',
        operation: undefined,
        reason: 'GET /api/v2/notifications/webhook/channels is not an operation of the JumpCloud contract',
      },
    ]);
    expect(p.requests()).toEqual([
      { method: 'GET', path: '/api/v2/notifications/webhook/channels', status: 404 },
      { method: 'GET', path: '/api/v2/approvalflows', status: 200 },
    ]);
  });

  it('forwards undocumented paths when not strict, recording only those outside extraPaths', async () => {
    const allowed = await proxy(false, [...sandboxExtensions]);
    const bare = await proxy(false);
    await h.call('DELETE', '/sandbox/v1/requests');
    expect((await send(allowed.url, 'GET', '/api/v2/notifications/webhook/channels')).status).toBe(200);
    expect((await send(bare.url, 'GET', '/api/v2/notifications/webhook/channels')).status).toBe(200);
    expect(await upstreamCounts()).toEqual({ 'GET /api/v2/notifications/webhook/channels': 2, 'GET /sandbox/v1/requests': 1 });
    expect(allowed.violations()).toEqual([]);
    expect(bare.violations().map((v) => v.reason)).toEqual(['GET /api/v2/notifications/webhook/channels is not an operation of the JumpCloud contract']);
    // An extra path is documented for the strict proxy too.
    const strictWithExtras = await proxy(true, [...sandboxExtensions]);
    expect((await send(strictWithExtras.url, 'GET', '/api/v2/notifications/webhook/channels')).status).toBe(200);
    expect(strictWithExtras.violations()).toEqual([]);
  });

  it('never puts the x-api-key in a violation, even when the key is sent where values are', async () => {
    const p = await proxy(true);
    const key = h.sandbox.adminKey;
    await send(p.url, 'PUT', '/api/v2/approvalflowsettings', { resourceRequest: key, [key]: key, channelEvents: [{ channelObjectId: key, secret: key }] });
    await send(p.url, 'GET', `/api/v2/approvalflows?limit=${encodeURIComponent(key)}&apiKey=${encodeURIComponent(key)}`);
    await send(p.url, 'GET', `/api/v2/notifications/${encodeURIComponent(key)}`);
    const violations = p.violations();
    // The key was a property name, a value, a query name and value and a path segment: all recorded, none shown.
    expect(violations.map((v) => v.reason)).toEqual([
      'body must NOT have property "<x-api-key>": the contract does not declare it',
      'body/channelEvents/0 must NOT have property "secret": the contract does not declare it',
      'body/channelEvents/0/channelObjectId must match format "byte"',
      'body/resourceRequest must be boolean',
      'query parameter apiKey is not declared for GET /api/v2/approvalflows',
      'query parameter limit must match format "int64"',
      'GET /api/v2/notifications/<x-api-key> is not an operation of the JumpCloud contract',
    ]);
    expect(JSON.stringify(violations)).not.toContain(key);
    expect(JSON.stringify(p.requests())).not.toContain(key);
    let message = '';
    try {
      assertNoViolations(p);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/request\(s\) broke the JumpCloud contract/);
    expect(message).not.toContain(key);
  });

  it('refuses a body over 1 MiB without forwarding it', async () => {
    const p = await proxy(false);
    await h.call('DELETE', '/sandbox/v1/requests');
    const answer = await send(p.url, 'PUT', '/api/v2/approvalflowsettings', { description: 'x'.repeat(MAX_BODY_BYTES) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(await upstreamCounts()).toEqual({ 'GET /sandbox/v1/requests': 1 });
    expect(p.violations().map((v) => v.reason)).toEqual([`the body is larger than ${MAX_BODY_BYTES} bytes`]);
  });

  it('answers 502 when the upstream gives no answer', async () => {
    const dead = await startContractProxy({ upstream: h.sandbox.url, strict: false });
    const deadUrl = dead.url;
    await dead.close();
    const p = await startContractProxy({ upstream: deadUrl, strict: false });
    proxies.push(p);
    const answer = await send(p.url, 'GET', '/api/v2/approvalflows');
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'BAD_GATEWAY', status: 502 });
  });
});
