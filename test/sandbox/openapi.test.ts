// The OpenAPI 3.1 description at /openapi.json: it describes exactly the routes served, its
// schemas compile, and the sandbox-defined shapes (channels, events) match real responses.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/sandbox/routes.js';
import { allEvents, approve, exampleFlows, startHarness, submit, type Harness } from './harness.js';

type Document = { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, object> } };

describe('GET /openapi.json', () => {
  let h: Harness;
  let doc: Document;
  let ajv: Ajv2020;
  beforeAll(async () => {
    h = await startHarness({ hooks: true });
    const answer = await h.call<Document>('GET', '/openapi.json', undefined, { 'x-api-key': '' });
    expect(answer.status).toBe(200);
    doc = answer.body;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'sandbox', components: doc.components });
  });
  afterAll(async () => {
    await h.close();
  });

  const check = (schema: string, value: unknown): void => {
    const validate = ajv.getSchema(`sandbox#/components/schemas/${schema}`);
    expect(validate, schema).toBeDefined();
    const valid = validate?.(value);
    expect(valid, `${schema}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
  };

  it('is OpenAPI 3.1 and needs no key', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes every route served and no other', () => {
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(described.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('marks the sandbox extensions, which --profile strict does not serve, and states what strict changes', () => {
    const marked = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => (op as Record<string, unknown>)['x-sandbox-extension'] === true)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(marked.sort()).toEqual(
      routes
        .filter((r) => r.origin === 'extension')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    const submit = doc.paths['/api/v2/approvalflowrequest']?.['post'] as { summary: string };
    expect(submit.summary).toMatch(/^Sandbox extension \(not served by --profile strict\)\. /);
    const description = (doc as unknown as { info: { description: string } }).info.description;
    for (const part of ['--profile strict', 'x-sandbox-extension answer 404', 'PUT replaces the whole record', 'base64 of their 12 bytes']) {
      expect(description).toContain(part);
    }
  });

  it('has schemas that all compile', () => {
    for (const name of Object.keys(doc.components.schemas)) {
      expect(ajv.getSchema(`sandbox#/components/schemas/${name}`), name).toBeDefined();
    }
  });

  it('matches real webhook channel, event, settings and error responses', async () => {
    const write = {
      name: 'Doc',
      url: 'https://x.example.com/{{K}}',
      sensitiveValues: { K: 'v-123' },
      headers: [{ name: 'X-T', value: 's', sensitive: true }],
    };
    check('WebhookChannelWrite', write);
    const channel = await h.call('POST', '/api/v2/notifications/webhook/channels', write);
    check('WebhookChannel', channel.body);
    check('WebhookChannelList', (await h.call('GET', '/api/v2/notifications/webhook/channels')).body);
    for (const event of await allEvents(h)) check('DirectoryEvent', event);
    check('Settings', (await h.call('GET', '/api/v2/approvalflowsettings')).body);
    check('Error', (await h.call('POST', '/api/v2/usergroups', {})).body);
    check('Error', (await h.call('GET', '/nope')).body);
    check('ClockState', (await h.call('GET', '/sandbox/v1/clock')).body);
    check('FaultConfig', (await h.call('GET', '/sandbox/v1/faults')).body);
    check('RequestCounts', (await h.call('GET', '/sandbox/v1/requests')).body);
    check('RateLimitState', (await h.call('GET', '/sandbox/v1/ratelimit')).body);
  });

  it('matches real access request, progress, mail and delivery responses', async () => {
    const flows = await exampleFlows(h);
    const submitted = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    check('AccessRequestSubmit', { approvalFlowId: flows.admin, remarks: 'for the on-call rota' });
    check('AccessRequestDetail', submitted.body);
    check('AccessRequestList', (await h.call('GET', '/api/v2/approvalflowrequest')).body);
    check('ApprovalProgress', (await h.call('GET', `/api/v2/approversprogress/${submitted.body.id}`)).body);
    check('ApproverDecision', { id: submitted.body.id, status: 'approved' });
    check('AccessRequestDetail', (await approve(h, 'dana.cto', submitted.body.id)).body);
    check('AdminDecision', { status: 'denied' });
    check('AccessRequestDetail', (await h.call('PUT', `/api/v2/approvalflowrequest/${submitted.body.id}`, { status: 'denied' })).body);
    check('MailList', (await h.call('GET', '/sandbox/v1/mail')).body);
    check('DeliveryList', (await h.call('GET', '/sandbox/v1/deliveries')).body);
  });

  it("documents JumpCloud's published statuses as the only statuses, and the sandbox's access states apart", () => {
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, { enum?: string[]; description?: string }> }>;
    const status = schemas['AccessRequest']?.properties['status'];
    expect(status?.enum).toEqual(['pending', 'approved', 'denied', 'canceled', 'expired', 'error', 'missing_data']);
    for (const label of ['Pending', 'Approved', 'Denied', 'Canceled', 'Expired', 'Error', 'Missing Data']) expect(status?.description).toContain(`(${label}`);
    const extension = schemas['SandboxRequestExtension'] as unknown as {
      'x-sandbox-extension': boolean;
      properties: Record<string, { properties?: Record<string, { enum?: string[] }> }>;
    };
    expect(extension['x-sandbox-extension']).toBe(true);
    expect(extension.properties['access']?.properties?.['state']?.enum).toEqual(['active', 'ended', 'revoked']);
  });

  it('documents the webhook body, the event nested under di_events, and what each event type means', () => {
    const webhooks = (doc as unknown as { webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }> }).webhooks;
    expect(webhooks['accessRequestEvent']?.post.requestBody.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/WebhookPayload' });
    const payload = doc.components.schemas['WebhookPayload'] as { required: string[]; properties: Record<string, { items: unknown }> };
    expect(payload.required).toEqual(['di_events']);
    expect(payload.properties['di_events']?.items).toEqual({ $ref: '#/components/schemas/DirectoryEvent' });
    const eventType = (doc.components.schemas['DirectoryEvent'] as { properties: Record<string, { description: string }> }).properties['event_type'];
    for (const type of ['access_management_access_request (a request was created', 'sandbox_access_request_update', 'never delivered as if they were']) {
      expect(eventType?.description).toContain(type);
    }
  });

  it('matches real approval flow and directory responses', async () => {
    const groups = await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups?limit=100');
    for (const group of groups.body) check('UserGroup', group);
    check('SystemUserList', (await h.call('GET', '/api/systemusers')).body);
    check('ApplicationList', (await h.call('GET', '/api/applications')).body);
    const id = (name: string) => groups.body.find((g) => g.name === name)?.id ?? '';
    const body = {
      name: 'Doc flow',
      category: 'Application',
      resourceType: 'user_group',
      resourceId: id('GitHub Users'),
      approvalType: 'automated',
      visibleTo: [id('Engineering User')],
    };
    check('ApprovalFlowWrite', body);
    const created = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', body);
    check('CreatedId', created.body);
    check('ApprovalFlow', (await h.call('GET', `/api/v2/approvalflows/${created.body.id}`)).body);
  });
});
