// Specifies the webhook rules: https only (http only for loopback, only when the project allows it),
// declared and used placeholders, credentials only as secret references, no reserved headers, and
// event names in their current spelling.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { loadConfig } from '../../src/config/load.js';

const root = mkdtempSync(join(tmpdir(), 'accessctl-webhook-rules-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

async function validate(files: Record<string, string>): Promise<Diagnostic[]> {
  const dir = join(root, String(cases++));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const { diagnostics } = await loadConfig('.', dir);
  return [...diagnostics].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const located = (diagnostics: readonly Diagnostic[]): string[] =>
  diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}`);

/** A webhook whose url is on line 6 (the value at column 8); `rest` starts on line 7. */
const webhook = (url: string, ...rest: string[]) =>
  lines('apiVersion: accessctl/v1', 'kind: WebhookSubscription', 'metadata:', '  name: W', 'spec:', `  url: ${url}`, ...rest);
const allEvents = '  events: ["*"]';
const allowLoopback = lines(
  'apiVersion: accessctl/v1',
  'kind: Project',
  'metadata: {name: p}',
  'spec:',
  '  policy:',
  '    allowHttpLoopbackWebhooks: true',
);

describe('webhook URLs', () => {
  it('accepts https', async () => {
    expect(await validate({ 'w.yaml': webhook('https://siem.example.com/ingest', allEvents) })).toEqual([]);
  });

  it('refuses http to a public host, at the URL', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('http://siem.example.com/ingest', allEvents), 'accessctl.yaml': allowLoopback });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    expect(diagnostics[0]!.message).toBe('webhook URLs must use https:// (http:// is allowed only for loopback hosts)');
  });

  it('refuses http to a loopback host when the project does not allow it', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('http://127.0.0.1:8080/hook', allEvents) });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    expect(diagnostics[0]!.message).toBe('http:// to a loopback host needs spec.policy.allowHttpLoopbackWebhooks: true in the Project');
  });

  it('refuses http to a loopback host when the project sets allowHttpLoopbackWebhooks: false', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('http://localhost:8080/hook', allEvents),
      'accessctl.yaml': allowLoopback.replace('true', 'false'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
  });

  it.each(['http://localhost:8080/hook', 'http://127.0.0.1/hook', 'http://127.8.9.10/hook', 'http://[::1]:9000/hook', 'http://sandbox.localhost/hook'])(
    'accepts %s when the project allows loopback http',
    async (url) => {
      expect(await validate({ 'w.yaml': webhook(url, allEvents), 'accessctl.yaml': allowLoopback })).toEqual([]);
    },
  );

  it.each(['http://localhost.example.com/hook', 'http://128.0.0.1/hook', 'http://[::2]/hook', 'http://0.0.0.0/hook'])(
    'refuses %s even when the project allows loopback http',
    async (url) => {
      const diagnostics = await validate({ 'w.yaml': webhook(url, allEvents), 'accessctl.yaml': allowLoopback });
      expect(located(diagnostics)).toEqual(['w.yaml:6:8 error insecure-url']);
    },
  );

  it('refuses a literal password in the URL', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://bob:hunter2@siem.example.com/', allEvents) });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error literal-secret']);
    expect(diagnostics[0]!.message).not.toContain('hunter2');
  });

  it('accepts a password that is a placeholder', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://bob:{{PASSWORD}}@siem.example.com/', '  secrets: {PASSWORD: {env: SIEM_PASSWORD}}', allEvents) });
    expect(diagnostics).toEqual([]);
  });
});

describe('URL placeholders and secrets', () => {
  it('refuses a placeholder that spec.secrets does not declare, at the URL', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/{{TOKEN}}/{{TENANT}}', '  secrets:', '    TOKEN: {env: SIEM_TOKEN}', allEvents),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:6:8 error undeclared-placeholder']);
    expect(diagnostics[0]!.message).toBe('the URL uses {{TENANT}} but spec.secrets does not declare TENANT');
  });

  it('warns about a secret the URL does not use, at its key', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/{{TOKEN}}', '  secrets:', '    TOKEN: {env: SIEM_TOKEN}', '    SPARE: {env: SPARE}', allEvents),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:9:5 warning unused-secret']);
    expect(diagnostics[0]!.message).toBe('secret SPARE is not used as {{SPARE}} in the URL');
    expect(diagnostics[0]!.path).toBe('spec.secrets.SPARE');
  });
});

describe('headers', () => {
  const withHeaders = (...headers: string[]) => webhook('https://siem.example.com/', '  headers:', ...headers, allEvents);

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
    ['Proxy-Authorization', 'Basic abc'],
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

  it('refuses two headers whose names differ only by case, at the second key', async () => {
    const diagnostics = await validate({ 'w.yaml': withHeaders('    X-Source: a', '    x-source: b') });
    expect(located(diagnostics)).toEqual(['w.yaml:9:5 error duplicate-header']);
    expect(diagnostics[0]!.message).toBe('header x-source repeats X-Source: header names ignore case');
  });
});

describe('events', () => {
  it('warns about each legacy workflow_* spelling, at the item, naming the current one', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/', '  events:', '    - access_management_workflow_create', '    - access_management_access_request', '    - access_management_workflow_delete'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:7 warning legacy-event', 'w.yaml:10:7 warning legacy-event']);
    expect(diagnostics[0]!.message).toBe(
      'access_management_workflow_create is the older name of access_management_approval_flow_create; it is accepted and written as access_management_approval_flow_create',
    );
  });

  it('warns when a legacy spelling repeats its current name', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/', '  events:', '    - access_management_approval_flow_update', '    - access_management_workflow_update'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:9:7 warning duplicate-event', 'w.yaml:9:7 warning legacy-event']);
    expect(diagnostics[0]!.message).toBe('access_management_workflow_update repeats access_management_approval_flow_update (item 0)');
  });

  it('warns when a current name repeats a legacy spelling listed before it', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook('https://siem.example.com/', '  events:', '    - access_management_workflow_update', '    - access_management_approval_flow_update'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:8:7 warning legacy-event', 'w.yaml:9:7 warning duplicate-event']);
    expect(diagnostics[1]!.message).toBe('access_management_approval_flow_update repeats access_management_workflow_update (item 0)');
  });

  it('warns when "*" comes with other events, at the events key', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://siem.example.com/', '  events: ["*", access_management_access_request]') });
    expect(located(diagnostics)).toEqual(['w.yaml:7:3 warning redundant-events']);
    expect(diagnostics[0]!.message).toBe('"*" already subscribes to every event; the other entries add nothing');
  });

  it('accepts every current event name together', async () => {
    const diagnostics = await validate({
      'w.yaml': webhook(
        'https://siem.example.com/',
        '  events:',
        '    - access_management_access_request',
        '    - access_management_access_request_approval',
        '    - access_management_association_change',
        '    - access_management_approval_flow_create',
        '    - access_management_approval_flow_update',
        '    - access_management_approval_flow_delete',
        '    - access_management_access_request_settings_update',
      ),
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('TLS verification', () => {
  it('warns when verifySsl is false, at the value', async () => {
    const diagnostics = await validate({ 'w.yaml': webhook('https://siem.example.com/', '  verifySsl: false', allEvents) });
    expect(located(diagnostics)).toEqual(['w.yaml:7:14 warning tls-unverified']);
  });
});
