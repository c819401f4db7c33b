// Specifies the webhook rules. A WebhookChannel: https only (http only for loopback, when the project
// allows it), declared and used placeholders, credentials only as secret references, no reserved or
// hop-by-hop headers, sendable header values. A subscription in AccessRequestSettings.spec.webhooks:
// each channel once, event names in their current spelling. And the old kind is refused by name.
import { describe, expect, it } from 'vitest';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('webhook-rules');

/** A channel whose url is on line 6 (the value at column 8); `rest` starts on line 7. */
const webhook = (url: string, ...rest: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: WebhookChannel', 'metadata:', '  name: W', 'spec:', `  url: ${url}`, ...rest);
/** Settings whose spec.webhooks items start on line 6. */
const subscriptions = (...items: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: AccessRequestSettings', 'metadata: {name: settings}', 'spec:', '  webhooks:', ...items);
const allowLoopback = lines('apiVersion: accessctl/v1', 'kind: Project', 'metadata: {name: p}', 'spec:', '  policy:', '    allowHttpLoopbackWebhooks: true');

describe('webhook URLs', () => {
  it('accepts https', async () => {
    expect(await validate({ 'w.yaml': webhook('https://siem.example.com/ingest') })).toEqual([]);
  });

  it('refuses http to a public host, at the URL', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('http://siem.example.com/ingest'), 'accessctl.yaml': allowLoopback });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    expect(diagnostics[0]!.message).toBe('webhook URLs must use https:// (http:// is allowed only for loopback hosts)');
  });

  it('refuses http to a loopback host when the project does not allow it', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('http://127.0.0.1:8080/hook') });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    expect(diagnostics[0]!.message).toBe('http:// to a loopback host needs spec.policy.allowHttpLoopbackWebhooks: true in the Project');
  });

  it('refuses http to a loopback host when the project sets allowHttpLoopbackWebhooks: false', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('http://localhost:8080/hook'),
      'accessctl.yaml': allowLoopback.replace('true', 'false'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
  });

  it.each(['http://localhost:8080/hook', 'http://127.0.0.1/hook', 'http://127.8.9.10/hook', 'http://[::1]:9000/hook', 'http://sandbox.localhost/hook'])(
    'accepts %s when the project allows loopback http',
    async (url) => {
      expect(await validate({ 'w.yaml': webhook(url), 'accessctl.yaml': allowLoopback })).toEqual([]);
    },
  );

  it.each(['http://localhost.example.com/hook', 'http://128.0.0.1/hook', 'http://[::2]/hook', 'http://0.0.0.0/hook'])(
    'refuses %s even when the project allows loopback http',
    async (url) => {
      const diagnostics = await validate({ 'w.yaml': webhook(url), 'accessctl.yaml': allowLoopback });
      expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    },
  );

  it('refuses a literal password in the URL', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://bob:hunter2@siem.example.com/') });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error literal-secret']);
    expect(diagnostics[0]!.message).not.toContain('hunter2');
  });

  it('accepts a password that is a placeholder', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://bob:{{PASSWORD}}@siem.example.com/', '  secrets: {PASSWORD: {env: SIEM_PASSWORD}}') });
    expect(diagnostics).toEqual([]);
  });
});

describe('URL placeholders and secrets', () => {
  it('refuses a placeholder that spec.secrets does not declare, at the URL', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/{{TOKEN}}/{{TENANT}}', '  secrets:', '    TOKEN: {env: SIEM_TOKEN}'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error undeclared-placeholder']);
    expect(diagnostics[0]!.message).toBe('the URL uses {{TENANT}} but spec.secrets does not declare TENANT');
  });

  it('warns about a secret the URL does not use, at its key', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/{{TOKEN}}', '  secrets:', '    TOKEN: {env: SIEM_TOKEN}', '    SPARE: {env: SPARE}'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:9:5 warning unused-secret']);
    expect(diagnostics[0]!.message).toBe('secret SPARE is not used as {{SPARE}} in the URL');
    expect(diagnostics[0]!.path).toBe('spec.secrets.SPARE');
  });
});

describe('headers', () => {
  const withHeaders = (...headers: string[]) => webhook('https://siem.example.com/', '  headers:', ...headers);

  it('accepts a plain header and credential headers given as secret references', async () => {
    const diagnostics = await validate({
      'w.yaml': withHeaders('    X-Source: accessctl', '    Authorization: {env: SIEM_AUTH}', '    Cookie: {env: SIEM_COOKIE}', '    X-Api-Key: {env: KEY}'),
    });
    expect(diagnostics).toEqual([]);
  });

  it.each([
    ['Authorization', 'Bearer abc'],
    ['authorization', 'Basic Ym9iOmh1bnRlcjI='],
    ['Cookie', 'session=abc'],
    ['X-Api-Key', 'k-123'],
    ['X-Auth-User', 'bob'],
    ['X-My-Token', 't-123'],
    ['X-Client-Secret', 's-123'],
    ['APIKEY', 'k-123'],
  ])('refuses header %s with a literal value, at the value, without repeating it', async (name, value) => {
    const diagnostics = await validate({ 'w.yaml': withHeaders(`    ${name}: ${value}`) });
    expect(located(diagnostics)).toEqual([`w.yaml:8:${name.length + 7} error literal-secret`]);
    expect(diagnostics[0]!.message).toContain(`header ${name} carries a credential, so its value must be a secret reference`);
    expect(diagnostics[0]!.message).not.toContain(value);
  });

  it.each(['Content-Type', 'content-length', 'Host', 'Webhook-Id', 'webhook-timestamp', 'webhook-signature'])(
    'refuses the reserved header %s, at the key',
    async (name) => {
      const diagnostics = await validate({ 'w.yaml': withHeaders('    X-Source: accessctl', `    ${name}: x`) });
      expect(located(diagnostics)).toEqual(['w.yaml:9:5 error reserved-header']);
      expect(diagnostics[0]!.message).toBe(`header ${name} is set by the platform on every delivery and cannot be overridden`);
    },
  );

  // Hop-by-hop headers describe one connection, not the delivery: not even a secret may set them.
  it.each(['Transfer-Encoding', 'Connection', 'Upgrade', 'keep-alive', 'TE', 'Trailer', 'Proxy-Connection'])(
    'refuses the hop-by-hop header %s, at the key, whether its value is literal or a secret',
    async (name) => {
      const literal = await validate({ 'w.yaml': withHeaders('    X-Source: accessctl', `    ${name}: chunked`) });
      expect(located(literal)).toEqual(['w.yaml:9:5 error reserved-header']);
      expect(literal[0]!.path).toBe(`spec.headers.${name}`);
      const secret = await validate({ 'w.yaml': withHeaders('    X-Source: accessctl', `    ${name}: {env: HOP}`) });
      expect(located(secret)).toEqual(['w.yaml:9:5 error reserved-header']);
    },
  );

  it.each(['Proxy-Authorization', 'Proxy-Authenticate'])('refuses %s as hop-by-hop, and a literal value in it as a credential', async (name) => {
    const diagnostics = await validate({ 'w.yaml': withHeaders(`    ${name}: Basic abc`) });
    expect(located(diagnostics)).toEqual(['w.yaml:8:5 error reserved-header', `w.yaml:8:${name.length + 7} error literal-secret`]);
    expect(diagnostics[1]!.message).not.toContain('Basic abc');
    const secret = await validate({ 'w.yaml': withHeaders(`    ${name}: {env: PROXY_AUTH}`) });
    expect(located(secret)).toEqual(['w.yaml:8:5 error reserved-header']);
  });

  it('refuses two headers whose names differ only by case, at the second key', async () => {
    const diagnostics = await validate({ 'w.yaml': withHeaders('    X-Source: a', '    x-source: b') });
    expect(located(diagnostics)).toEqual(['w.yaml:9:5 error duplicate-header']);
    expect(diagnostics[0]!.message).toBe('header x-source repeats X-Source: header names ignore case');
  });

  it.each([
    ['a euro sign, outside Latin-1', '"Zürich €"'],
    ['a C0 control character', '"a\\u0001b"'],
    ['DEL', '"a\\x7fb"'],
    ['an escape sequence', '"\\e[31mred"'],
  ])('refuses a header value holding %s, at the value', async (_what, value) => {
    const diagnostics = await validate({ 'w.yaml': withHeaders('    X-Source: accessctl', `    X-Site: ${value}`) });
    expect(located(diagnostics)).toEqual(['w.yaml:9:13 error invalid-header-value']);
    expect(diagnostics[0]!.message).toBe('header X-Site must be Latin-1 text without control characters; such a value can never be sent');
    expect(diagnostics[0]!.path).toBe('spec.headers.X-Site');
  });

  it('accepts Latin-1 text beyond ASCII and a tab in a header value', async () => {
    const diagnostics = await validate({ 'w.yaml': withHeaders('    X-Site: "Zürich\\tGenève ©"') });
    expect(diagnostics).toEqual([]);
  });
});

describe('TLS verification', () => {
  it('warns when verifySsl is false, at the value', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://siem.example.com/', '  verifySsl: false') });
    expect(located(diagnostics)).toEqual(['w.yaml:7:14 warning tls-unverified']);
  });
});

describe('the replaced kind WebhookSubscription', () => {
  it('is refused at its kind, saying where the channel and its events now go, and nothing else is reported', async () => {
    const diagnostics = await validate({
      'w.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookSubscription',
        'metadata: {name: SIEM}',
        'spec:',
        '  url: http://siem.example.com/{{TOKEN}}',
        '  headers: {Authorization: Bearer abc}',
        '  events: [access_management_workflow_create]',
      ),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:2:7 error replaced-kind']);
    expect(diagnostics[0]).toMatchObject({ path: 'kind', endLine: 2, endColumn: 26 });
    expect(diagnostics[0]!.message).toBe(
      'kind WebhookSubscription was split in two: subscribe a channel with AccessRequestSettings.spec.webhooks [{channel, events}], and (on targets with a channel API, such as the sandbox) keep the channel itself as kind WebhookChannel',
    );
  });

  it("is refused in any document of a file, at that document's kind", async () => {
    const channel = webhook('https://siem.example.com/');
    const diagnostics = await validate({
      'w.yaml': `${channel}---\n${channel.replace('WebhookChannel', 'WebhookSubscription').replace('name: W', 'name: V')}`,
    });
    expect(located(diagnostics)).toEqual(['w.yaml:9:7 error replaced-kind']);
  });
});

describe('subscriptions: each channel once', () => {
  const HEX = '65a0000000000000000000c1';
  const BASE64 = Buffer.from(HEX, 'hex').toString('base64');

  it('accepts channels named and channels given by id, each once', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - {channel: SIEM, events: ["*"]}',
        `    - {channel: {id: ${HEX}}, events: [access_management_access_request]}`,
        '    - {channel: {id: ZaAAAAAAAAAAAADC}, events: []}',
      ),
    });
    expect(diagnostics).toEqual([]);
  });

  it('refuses a channel named twice, ignoring case, at the second channel', async () => {
    const diagnostics = await validate({ 's.yaml': subscriptions('    - {channel: SIEM, events: ["*"]}', '    - {channel: siem, events: []}') });
    expect(located(diagnostics)).toEqual(['s.yaml:7:17 error duplicate-channel']);
    expect(diagnostics[0]!.message).toBe('this channel is already subscribed at spec.webhooks[0]; list each channel once');
    expect(diagnostics[0]!.path).toBe('spec.webhooks[1].channel');
  });

  it('refuses a channel id given twice, in upper and lower case hex, at the second', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        `    - {channel: {id: ${HEX}}, events: ["*"]}`,
        '    - {channel: SIEM, events: ["*"]}',
        `    - {channel: {id: ${HEX.toUpperCase()}}, events: []}`,
      ),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:8:17 error duplicate-channel']);
    expect(diagnostics[0]!.message).toBe('this channel is already subscribed at spec.webhooks[0]; list each channel once');
  });

  it('refuses the same channel id written once as hex and once as base64', async () => {
    expect(BASE64).toBe('ZaAAAAAAAAAAAADB');
    const diagnostics = await validate({
      's.yaml': subscriptions(`    - {channel: {id: ${BASE64}}, events: ["*"]}`, `    - {channel: {id: ${HEX}}, events: []}`),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:7:17 error duplicate-channel']);
  });

  it('tells apart base64 ids that differ only in case: they are different channels', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions('    - {channel: {id: ZaAAAAAAAAAAAADB}, events: ["*"]}', '    - {channel: {id: zAaaaaaaaaaaaadb}, events: ["*"]}'),
    });
    expect(diagnostics).toEqual([]);
  });

  it.each([
    ['too short for hex', '65a0000000000000000000c'],
    ['not hex at 24 characters', '65a0000000000000000000cz'],
    ['URL-safe base64', 'ZaAAAAAAAAAAAA-_'],
    ['padded base64', 'ZaAAAAAAAAAAAADB=='],
    ['empty', '""'],
  ])('refuses an id that is neither 24 hex nor 16 base64 characters (%s), a schema error at the channel', async (_what, id) => {
    const diagnostics = await validate({ 's.yaml': subscriptions(`    - {channel: {id: ${id}}, events: ["*"]}`) });
    expect(located(diagnostics)).toEqual(['s.yaml:6:17 error invalid-value']);
    // The span covers the whole {id: ...} mapping, up to its closing brace.
    expect(diagnostics[0]).toMatchObject({ path: 'spec.webhooks[0].channel', endLine: 6, endColumn: 17 + `{id: ${id}}`.length });
    expect(diagnostics[0]!.message).toBe('spec.webhooks[0].channel must be a channel name, or {id: <24 hex characters>}');
  });
});

describe('subscriptions: events', () => {
  it('warns about each legacy workflow_* spelling, at the item, naming the current one', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - channel: SIEM',
        '      events: ["*"]',
        '    - channel: Audit',
        '      events:',
        '        - access_management_workflow_create',
        '        - access_management_access_request',
        '        - access_management_workflow_delete',
      ),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:10:11 warning legacy-event', 's.yaml:12:11 warning legacy-event']);
    expect(diagnostics.map((d) => d.path)).toEqual(['spec.webhooks[1].events[0]', 'spec.webhooks[1].events[2]']);
    expect(diagnostics[0]!.message).toBe(
      'access_management_workflow_create is the older name of access_management_approval_flow_create; it is accepted and written as access_management_approval_flow_create',
    );
  });

  it('warns when a legacy spelling repeats its current name', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - channel: SIEM',
        '      events:',
        '        - access_management_approval_flow_update',
        '        - access_management_workflow_update',
      ),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:9:11 warning duplicate-event', 's.yaml:9:11 warning legacy-event']);
    expect(diagnostics[0]!.message).toBe('access_management_workflow_update repeats access_management_approval_flow_update (item 0)');
  });

  it('warns when a current name repeats a legacy spelling listed before it', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - channel: SIEM',
        '      events:',
        '        - access_management_workflow_update',
        '        - access_management_approval_flow_update',
      ),
    });
    expect(located(diagnostics)).toEqual(['s.yaml:8:11 warning legacy-event', 's.yaml:9:11 warning duplicate-event']);
    expect(diagnostics[1]!.message).toBe('access_management_approval_flow_update repeats access_management_workflow_update (item 0)');
  });

  it('compares the events of each subscription on their own', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - {channel: SIEM, events: [access_management_approval_flow_update]}',
        '    - {channel: Audit, events: [access_management_approval_flow_update]}',
      ),
    });
    expect(diagnostics).toEqual([]);
  });

  it('warns when "*" comes with other events, at the events key', async () => {
    const diagnostics = await validate({ 's.yaml': subscriptions('    - channel: SIEM', '      events: ["*", access_management_access_request]') });
    expect(located(diagnostics)).toEqual(['s.yaml:7:7 warning redundant-events']);
    expect(diagnostics[0]!.message).toBe('"*" already subscribes to every event; the other entries add nothing');
  });

  it('accepts every current event name together', async () => {
    const diagnostics = await validate({
      's.yaml': subscriptions(
        '    - channel: SIEM',
        '      events:',
        '        - access_management_access_request',
        '        - access_management_access_request_approval',
        '        - access_management_association_change',
        '        - access_management_approval_flow_create',
        '        - access_management_approval_flow_update',
        '        - access_management_approval_flow_delete',
        '        - access_management_access_request_settings_update',
      ),
    });
    expect(diagnostics).toEqual([]);
  });
});
