// Literal secrets planted in a notification channel must never reach the output: not in text code
// frames, JSON or GitHub annotations, whether the document is otherwise valid or broken in a way
// that stops it being parsed (a syntax error, nesting too deep, bytes that are not UTF-8).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskSecretTokens, maskSecretValues, urlPasswordSpan } from '../../src/config/secrets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl.js');
const HANG_GUARD_MS = 30_000;

const root = mkdtempSync(join(tmpdir(), 'accessctl-secrets-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PLANTED = /PLANTED/;
const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/**
 * A channel whose only faults are its planted literal secrets; `extra` lines go right after the
 * signing secret, so the code frame of an error they cause shows that (masked) line above it.
 */
const planted = (...extra: string[]): string =>
  lines(
    'apiVersion: accessctl/v1',
    'kind: WebhookChannel',
    'metadata:',
    '  name: SIEM',
    'spec:',
    '  url: https://u:PLANTEDPW@siem.example.com/ingest/{{TOKEN}}',
    '  secrets:',
    '    TOKEN: PLANTEDTOKEN0123456789',
    '  headers:',
    '    X-Source: accessctl',
    '    Authorization: Bearer PLANTEDBEARER0123456789',
    '    X-Api-Key: "PLANTEDAPIKEY"',
    '  signingSecret: whsec_PLANTEDSIGNING0123456789',
    ...extra,
  );

/** Secrets that are references, so the schema passes and the semantic rules judge the literals left. */
const semantic = lines(
  'apiVersion: accessctl/v1',
  'kind: WebhookChannel',
  'metadata:',
  '  name: Semantic',
  'spec:',
  '  url: https://u:PLANTEDPW@siem.example.com/ingest/{{TOKEN}}',
  '  secrets: {TOKEN: {env: SIEM_TOKEN}}',
  '  headers:',
  '    Authorization: Bearer PLANTEDBEARER0123456789',
  '  signingSecret: {env: SIEM_SIGNING}',
);

const [beforeBadByte, afterBadByte] = planted('  description: caf@@').split('@@') as [string, string];

const CASES: Record<string, string | Buffer> = {
  'otherwise-valid.yaml': planted(),
  'semantic.yaml': semantic,
  'unknown-field.yaml': planted('  colour: blue'),
  'syntax-error.yaml': planted('  enabled: yes: no'),
  'tab-indentation.yaml': planted('\tenabled: true'),
  'duplicate-key.yaml': planted('  signingSecret: whsec_PLANTEDAGAIN'),
  'alias.yaml': planted('  enabled: *on'),
  'too-deep.yaml': planted(`  extra: ${'['.repeat(40)}`),
  'not-utf8.yaml': Buffer.concat([Buffer.from(beforeBadByte), Buffer.from([0xe9]), Buffer.from(afterBadByte)]),
  // The replaced kind is refused at its kind, written last here so that its frame shows a secret above it.
  'replaced-kind.yaml': lines(
    'apiVersion: accessctl/v1',
    'metadata: {name: Old}',
    'spec:',
    '  url: https://u:PLANTEDOLDPW@siem.example.com/{{TOKEN}}',
    '  secrets: {TOKEN: PLANTEDOLDTOKEN}',
    '  headers: {Authorization: Bearer PLANTEDOLDBEARER}',
    '  events: ["*"]',
    '  signingSecret: whsec_PLANTEDOLDSIGNING',
    'kind: WebhookSubscription',
  ),
  'block-scalar.yaml': lines(
    'apiVersion: accessctl/v1',
    'kind: WebhookChannel',
    'metadata: {name: Block}',
    'spec:',
    '  url: https://siem.example.com/',
    '  headers: {Cookie: "session=PLANTEDCOOKIE", Proxy-Authorization: PLANTEDPROXY}',
    '  signingSecret: |',
    '    whsec_PLANTEDBLOCK1',
    '    whsec_PLANTEDBLOCK2',
    `  deep: ${'{a: '.repeat(40)}`,
  ),
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runValidate(dir: string, format: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['FORCE_COLOR'];
    const child = spawn(process.execPath, [BIN, 'validate', dir, '--format', format], { cwd: ROOT, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS); // a hang guard, not a timing assertion
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(guard);
      resolvePromise({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The text output cut into one block per diagnostic: its header line and its code frame. */
function blocksFor(stdout: string, file: string): string[] {
  return stdout.split(/\n(?=\S+:\d+:\d+ )/).filter((block) => block.startsWith(`${file}:`));
}

describe('planted secrets', () => {
  const dir = join(root, 'config');
  const runs: Record<string, Run> = {};

  beforeAll(async () => {
    for (const [name, content] of Object.entries(CASES)) {
      mkdirSync(join(dir, name.replace(/\.yaml$/, '')), { recursive: true });
      writeFileSync(join(dir, name.replace(/\.yaml$/, ''), name), content);
    }
    const formats = ['text', 'json', 'github'] as const;
    const results = await Promise.all(formats.map((format) => runValidate(dir, format)));
    for (const [i, format] of formats.entries()) runs[format] = results[i]!;
  }, 90_000);

  it('never prints a planted value in text, json or github output', () => {
    for (const run of Object.values(runs)) {
      expect(run.status).toBe(1);
      expect(run.stdout).not.toMatch(PLANTED);
      expect(run.stderr).toBe('');
    }
  });

  it.each(Object.keys(CASES))('shows %s in a code frame with its secrets masked', (name) => {
    const file = `${join(dir, name.replace(/\.yaml$/, ''), name)}`;
    const blocks = blocksFor(runs['text']!.stdout, file);
    expect(blocks.length, `diagnostics for ${name}`).toBeGreaterThan(0);
    // At least one frame shows a masked line, so "never printed" is not true merely for want of frames.
    expect(blocks.join('\n')).toMatch(/^ *(?:>| ) *\d+ \|.*\*{6,}/m);
    expect(blocks.join('\n')).not.toMatch(PLANTED);
    const json = JSON.parse(runs['json']!.stdout) as { diagnostics: { file: string }[] };
    expect(json.diagnostics.some((d) => d.file === file)).toBe(true);
  });

  it('reports each planted literal and masks it to its own length in the frame', () => {
    const text = runs['text']!.stdout;
    expect(text).toContain(`TOKEN: ${'*'.repeat('PLANTEDTOKEN0123456789'.length)}`);
    expect(text).toContain(`signingSecret: ${'*'.repeat('whsec_PLANTEDSIGNING0123456789'.length)}`);
    expect(text).toContain(`Authorization: ${'*'.repeat('Bearer PLANTEDBEARER0123456789'.length)}`);
    expect(text).toContain(`https://u:${'*'.repeat('PLANTEDPW'.length)}@siem.example.com`);
    const semanticFile = join(dir, 'semantic', 'semantic.yaml');
    const codes = blocksFor(text, semanticFile).map((block) => /^\S+ error (\S+)/.exec(block)?.[1]);
    expect(codes).toEqual(['literal-secret', 'literal-secret']);
  });
});

describe('masking', () => {
  const text = lines(
    'spec:',
    '  url: https://user:hunter2@host/',
    '  secrets: {A: one, B: {env: B}}',
    '  headers:',
    '    Authorization: two',
    '    X-Source: visible',
    '  signingSecret: "three"',
    '  description: visible too',
  );
  const expected = lines(
    'spec:',
    '  url: https://user:*******@host/',
    '  secrets: {A: ***, B: {env: B}}',
    '  headers:',
    '    Authorization: ***',
    '    X-Source: visible',
    '  signingSecret: *******',
    '  description: visible too',
  );

  it('masks secret values from composed documents, keeping every length and line', () => {
    expect(maskSecretValues(text, parseAllDocuments(text) as never)).toBe(expected);
  });

  it('masks the same values from the syntax tree alone, for text that cannot be composed', () => {
    expect(maskSecretTokens(text, [...new Parser().parse(text)])).toBe(expected);
  });

  it('finds the password of a URL and nothing in a URL without one', () => {
    const url = 'https://user:pa:ss@host/path';
    const span = urlPasswordSpan(url)!;
    expect(url.slice(...span)).toBe('pa:ss');
    expect(urlPasswordSpan('https://user@host/')).toBeUndefined();
    expect(urlPasswordSpan('https://host/a@b')).toBeUndefined();
  });
});
