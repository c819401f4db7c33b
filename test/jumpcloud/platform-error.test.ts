// A platform refusal's field-level details reach every place that shows its message (apply's
// output, the reconciler's events, the console): a few, cut short and printable. What was sent as a
// secret (the key, a signing secret, a sensitive header or URL value) never comes back out, even
// when the platform repeats it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { maxInlineDetailLength, maxInlineDetails, PlatformError, printableText, secretsIn } from '../../src/jumpcloud/platform-error.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { accessctl } from '../cli/in-process.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { json, startLocalServer } from './local-server.js';

// Planted fake secrets: none of them may come back out.
const apiKey = 'planted-api-key-93b1e0';
const token = 'planted-url-token-7f3a9c';
const auth = 'Bearer planted-header-secret-51d2';
// 8 bytes: too short for the platform, which answers 400 with a detail on signingSecret.
const shortSigning = `whsec_${Buffer.from('plant3d!').toString('base64')}`;

const channelBody = {
  name: 'Audit',
  url: 'https://audit.example.com/ingest/{{TOKEN}}',
  sensitiveValues: { TOKEN: token },
  headers: [
    { name: 'X-Source', value: 'accessctl' },
    { name: 'Authorization', value: auth, sensitive: true },
  ],
  signingSecret: shortSigning,
};

function shownOf(error: PlatformError): string {
  return [error.message, error.report, JSON.stringify(error.details), error.summary].join('\n');
}

function expectNoSecret(text: string): void {
  for (const secret of [apiKey, token, auth, 'planted-header-secret', shortSigning, shortSigning.slice(6)]) expect(text).not.toContain(secret);
}

async function refusal(work: Promise<unknown>): Promise<PlatformError> {
  const error = await work.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

describe('the message of a platform refusal', () => {
  it("carries each detail as `field: message` after the platform's own message", () => {
    const error = new PlatformError({
      method: 'POST',
      route: routes.channels,
      status: 400,
      message: 'invalid webhook channel',
      details: [
        { field: 'url', message: 'must use http or https' },
        { field: 'headers[0].name', message: 'repeats a header' },
      ],
    });
    expect(error.message).toBe(
      'POST /api/v2/notifications/webhook/channels answered 400: invalid webhook channel (url: must use http or https; headers[0].name: repeats a header)',
    );
    expect(error.summary).toBe('POST /api/v2/notifications/webhook/channels answered 400: invalid webhook channel');
    expect(error.report).toBe(`${error.summary}\n  url: must use http or https\n  headers[0].name: repeats a header`);
  });

  it('shows at most a handful of details, each cut short and stripped of control characters, and counts the rest', () => {
    const details = [
      { field: 'name', message: 'is \u001b[31mred\u001b[0m\r\nand\u202eevil' },
      { field: 'description', message: 'x'.repeat(5000) },
      ...Array.from({ length: 30 }, (_, i) => ({ field: `levels[${i}]`, message: 'is wrong' })),
    ];
    const error = new PlatformError({ method: 'PUT', route: routes.flow, status: 400, message: 'invalid approval flow', details });
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    const inline = /\((.*)\)$/.exec(error.message)?.[1]?.split('; ') ?? [];
    expect(inline).toHaveLength(maxInlineDetails + 1);
    expect(inline[0]).toBe('name: is [31mred [0m and evil');
    expect(inline[1]).toHaveLength(maxInlineDetailLength);
    expect(inline.at(-1)).toBe(`… and ${details.length - maxInlineDetails} more`);
  });

  it('is the bare summary when the platform sent no details', () => {
    const error = new PlatformError({ method: 'GET', route: routes.settings, status: 500, message: 'oops', details: [] });
    expect(error.message).toBe('GET /api/v2/approvalflowsettings answered 500: oops');
  });

  it('finds the secrets of a request body: secret-named fields at any depth, and values marked sensitive', () => {
    expect(secretsIn(channelBody).sort()).toEqual([auth, shortSigning, token].sort());
    expect(secretsIn({ name: 'x', nested: [{ apiKey: 'a1b2' }, { value: 'plain', sensitive: false }] })).toEqual(['a1b2']);
    expect(secretsIn(undefined)).toEqual([]);
  });
});

describe('a platform that repeats the secrets it was sent', () => {
  it('leaves the key and every secret of the body out of the message, the report and the details', async () => {
    const server = await startLocalServer((request, response) =>
      json(response, 400, {
        message: `invalid webhook channel: ${request.body}`,
        details: [
          { field: 'signingSecret', message: `"${shortSigning.slice(0, 12)}" is too short (got ${shortSigning})` },
          { field: 'headers[1].value', message: `must not be '${auth.slice(0, 14)}…'` },
          { field: 'sensitiveValues.TOKEN', message: `${token} is not allowed`, echo: apiKey },
          { field: 'x-api-key', message: `key ${apiKey} is not valid here` },
        ],
      }),
    );
    const client = new JumpCloudClient({ baseUrl: server.url, apiKey, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterCapMs: 1 } });
    try {
      const error = await refusal(client.create(routes.channels, {}, channelBody, async () => undefined));
      expect(error.status).toBe(400);
      // The details are still there, with what they say about the secrets taken out.
      expect(error.message).toContain("(signingSecret: [redacted] is too short (got [redacted]); headers[1].value: must not be '[redacted]…';");
      expect(error.message).toContain('sensitiveValues.TOKEN: [redacted] is not allowed');
      expectNoSecret(shownOf(error));
      expect(server.seen[0]?.body).toContain(token);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('field-level details from the sandbox', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it("a 400 for a channel's signing secret names the field and why, without the secret", async () => {
    const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
    try {
      const error = await refusal(client.create(routes.channels, {}, channelBody, async () => undefined));
      expect(error.status).toBe(400);
      expect(error.message).toBe(
        'POST /api/v2/notifications/webhook/channels answered 400: invalid webhook channel (signingSecret: must be a Standard Webhooks secret: whsec_ followed by 24 to 64 base64 bytes)',
      );
      expectNoSecret(shownOf(error));
    } finally {
      await client.close();
    }
  });

  it("apply prints the platform's reason for a refused settings change, field by field, and not the key", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-details-'));
    try {
      // A channel id the plan cannot check (ids are the platform's) and the sandbox does not know.
      await writeFile(
        join(dir, 'settings.yaml'),
        [
          'apiVersion: accessctl/v1',
          'kind: AccessRequestSettings',
          'metadata: {name: settings}',
          'spec:',
          '  webhooks:',
          '    - channel: {id: 65a0000000000000000000ff}',
          '      events: [access_management_access_request]',
          '',
        ].join('\n'),
      );
      const run = await accessctl(['apply', dir, '--auto-approve', '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
      const printed = run.stdout + run.stderr;
      expect(run.code, printed).toBe(1);
      expect(printed).toMatch(/update AccessRequestSettings.*answered 400: .*\(channelEvents\[0\]\.channelObjectId: webhook channel .* does not exist\)/);
      expect(printed).not.toContain(h.sandbox.adminKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the platform's text as printed", () => {
  it('loses every control, line-breaking, bidi and invisible character, so it stays one line that reads as it is', () => {
    const hostile = 'flow\u001b[2J \u2028two\u2029 \u202eevil\u202c \u2066iso\u2069 \u061carabic \u200bzero\u2060joiner \ufeffbom\r\nend';
    expect(printableText(hostile)).toBe('flow [2J two evil iso arabic zero joiner bom end');
  });
});
