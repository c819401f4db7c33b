// A credential in a WebhookChannel URL's query string (?api_key=..., ?sig=...) written out in git is
// refused as a literal secret at its own file:line:col, and its value is masked in every output,
// like a URL's password; a {{PLACEHOLDER}} filled from spec.secrets is the way to pass one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { isCredentialParameter, literalCredentialParameters, maskSecretTokens, maskSecretValues } from '../../src/config/secrets.js';
import { accessctl } from '../cli/in-process.js';
import { configWorkspace, lines, located } from './config-workspace.js';

const { validate } = configWorkspace('url-query-secrets');

let channels = 0;
/** A channel of its own name (Audit1, Audit2...) with this URL on line 5 (its value at column 8). */
const channel = (url: string, ...rest: string[]): string =>
  lines('apiVersion: accessctl/v1', 'kind: WebhookChannel', `metadata: {name: Audit${++channels}}`, 'spec:', `  url: ${url}`, ...rest);

describe('which query parameters carry a credential', () => {
  it.each([
    'key',
    'api_key',
    'apikey',
    'API-KEY',
    'apiKey',
    'x-api-key',
    'token',
    'access_token',
    'accessToken',
    'AUTH_TOKEN',
    'secret',
    'client_secret',
    'password',
    'passwd',
    'pwd',
    'sig',
    'signature',
    'X-Amz-Signature',
    'auth',
    'Authorization',
    'jwt',
    'session',
  ])('%s does', (name) => {
    expect(isCredentialParameter(name)).toBe(true);
  });

  it.each(['author', 'page', 'format', 'id', 'x', 'source', 'keyword', 'tokenizer', 'signed_at', 'design'])('%s does not', (name) => {
    expect(isCredentialParameter(name)).toBe(false);
  });

  it('finds each credential value written out, and not a placeholder, an empty value, a plain parameter or the fragment', () => {
    const url = 'https://h/p/{{T}}?x=1&api_key=K1&token={{T}}&sig=&Signature=K2;access_token=K3&api%5Fkey=K4#password=frag';
    const found = literalCredentialParameters(url);
    expect(found.map((p) => [p.name, url.slice(...p.span), url.slice(p.nameStart, p.span[1])])).toEqual([
      ['api_key', 'K1', 'api_key=K1'],
      ['Signature', 'K2', 'Signature=K2'],
      ['access_token', 'K3', 'access_token=K3'],
      ['api_key', 'K4', 'api%5Fkey=K4'],
    ]);
    expect(literalCredentialParameters('https://h/?token=pre{{T}}post')).toEqual([]);
    expect(literalCredentialParameters('https://h/path')).toEqual([]);
  });
});

describe('the rule', () => {
  it('refuses a literal credential query value at the parameter, telling the user to use a placeholder', async () => {
    const diagnostics = await validate({
      'w.yaml': channel('https://audit.example.com/ingest/{{TOKEN}}?api_key=LITERALKEY', '  secrets: {TOKEN: {env: AUDIT_TOKEN}}'),
    });
    expect(located(diagnostics)).toEqual(['w.yaml:5:51 error literal-secret']);
    expect(diagnostics[0]).toMatchObject({ endLine: 5, endColumn: 69, path: 'spec.url' });
    expect(diagnostics[0]!.message).toBe(
      `the URL's query parameter "api_key" carries a credential written out in git; use a placeholder such as ?api_key={{API_KEY}} with spec.secrets`,
    );
    expect(diagnostics[0]!.message).not.toContain('LITERALKEY');
  });

  it('accepts the credential as a placeholder filled from spec.secrets', async () => {
    const diagnostics = await validate({
      'w.yaml': channel('https://audit.example.com/ingest?api_key={{API_KEY}}&sig={{SIG}}', '  secrets: {API_KEY: {env: AUDIT_KEY}, SIG: {env: AUDIT_SIG}}'),
    });
    expect(diagnostics).toEqual([]);
  });

  it('reports each literal of a quoted URL at its own column, and the whole URL when escapes move it', async () => {
    const diagnostics = await validate({
      'a.yaml': channel('"https://audit.example.com/?Token=A1&sig=A2"'),
      'b.yaml': channel('"https://audit.example.com/\\u003Ftoken=B1"'),
    });
    expect(located(diagnostics)).toEqual(['a.yaml:5:36 error literal-secret', 'a.yaml:5:45 error literal-secret', 'b.yaml:5:8 error literal-secret']);
  });
});

describe('masking', () => {
  const text = lines(
    'spec:',
    '  url: https://h/x?api_key=hunter2&page=2&sig=abc',
    '  other:',
    '    url: "https://u:pw@h/?token=xyz"',
    '  description: https://h/?api_key=visible-not-a-url-key',
  );
  const expected = lines(
    'spec:',
    '  url: https://h/x?api_key=*******&page=2&sig=***',
    '  other:',
    '    url: "https://u:**@h/?token=***"',
    '  description: https://h/?api_key=visible-not-a-url-key',
  );

  it('masks credential query values (and a quoted URL password) from composed documents', () => {
    expect(maskSecretValues(text, parseAllDocuments(text) as never)).toBe(expected);
  });

  it('masks the same from the syntax tree alone, for text that cannot be composed', () => {
    expect(maskSecretTokens(text, [...new Parser().parse(text)])).toBe(expected);
  });
});

describe('a planted key in every output', () => {
  const root = mkdtempSync(join(tmpdir(), 'accessctl-url-query-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const KEY = /PLANTEDQUERYKEY/;
  const dirs = {
    valid: channel('https://audit.example.com/ingest/{{TOKEN}}?api_key=PLANTEDQUERYKEY', '  secrets: {TOKEN: {env: AUDIT_TOKEN}}'),
    // Broken documents: masked from the composed document, and from the syntax tree when nesting is too deep.
    'unknown-field': channel('https://audit.example.com/?sig=PLANTEDQUERYKEY1', '  colour: blue'),
    'too-deep': channel('https://audit.example.com/?access_token=PLANTEDQUERYKEY2', `  extra: ${'['.repeat(40)}`),
  };
  for (const [name, text] of Object.entries(dirs)) {
    mkdirSync(join(root, 'config', name), { recursive: true });
    writeFileSync(join(root, 'config', name, 'channel.yaml'), text);
  }

  it.each(['text', 'json', 'github'])('validate --format %s names the place and never prints the key', async (format) => {
    const run = await accessctl(['validate', join(root, 'config'), '--format', format]);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(KEY);
    expect(run.stderr).not.toMatch(KEY);
    expect(run.stdout).toContain(
      format === 'github' ? 'valid/channel.yaml,line=5,col=51' : format === 'json' ? '"column": 51' : 'valid/channel.yaml:5:51 error literal-secret',
    );
  });

  it('text frames show the masked value', async () => {
    const run = await accessctl(['validate', join(root, 'config')]);
    expect(run.stdout).toContain(`?api_key=${'*'.repeat('PLANTEDQUERYKEY'.length)}`);
    expect(run.stdout).toContain(`?access_token=${'*'.repeat('PLANTEDQUERYKEY2'.length)}`);
    expect(run.stdout).toContain(`?sig=${'*'.repeat('PLANTEDQUERYKEY1'.length)}`);
  });

  it.each([[[]], [['--format', 'json']]])('plan %j refuses the config without printing the key', async (extra) => {
    const run = await accessctl(['plan', join(root, 'config', 'valid'), ...extra], { JUMPCLOUD_API_URL: 'http://127.0.0.1:9', JUMPCLOUD_API_KEY: 'test-key' });
    expect(run.code).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain('literal-secret');
    expect(run.stdout).not.toMatch(KEY);
    expect(run.stderr).not.toMatch(KEY);
  });
});
