// End to end: runs the real `accessctl validate` binary (bin/accessctl.js over dist/, so build first)
// and checks what a user or a CI job sees: output formats, exit codes and usage errors.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessctl, type Finished } from '../e2e/binary.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(repo, 'examples', 'access');
const root = mkdtempSync(join(tmpdir(), 'accessctl-cli-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The real binary in `cwd` (the test's own directory unless given). */
const run = (args: string[], cwd: string = root): Promise<Finished> => accessctl(args, {}, cwd);

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const group = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata: {name: G}', 'spec: {}');

/** A flow whose approval type is outside the enum (line 9, column 11), with a valid group next to it. */
const invalid = join(root, 'invalid');
/** A valid config whose only finding is a warning (an undeclared group at line 7, column 15). */
const warnOnly = join(root, 'warn-only');

beforeAll(() => {
  expect(existsSync(join(repo, 'dist', 'cli', 'main.js')), 'run `npm run build` before these tests').toBe(true);
  mkdirSync(join(invalid, 'flows'), { recursive: true });
  writeFileSync(
    join(invalid, 'flows', 'admin.yaml'),
    lines(
      'apiVersion: accessctl/v1',
      'kind: ApprovalFlow',
      'metadata:',
      '  name: Admin',
      'spec:',
      '  grantGroup: G',
      '  visibleTo: [G]',
      '  approval:',
      '    type: sometimes',
    ),
  );
  writeFileSync(join(invalid, 'group.yaml'), group);
  mkdirSync(warnOnly);
  writeFileSync(
    join(warnOnly, 'flow.yaml'),
    lines(
      'apiVersion: accessctl/v1',
      'kind: ApprovalFlow',
      'metadata:',
      '  name: Admin',
      'spec:',
      '  grantGroup: G',
      '  visibleTo: [Nobody]',
      '  approval:',
      '    type: automatic',
    ),
  );
  writeFileSync(join(warnOnly, 'group.yaml'), group);
});

const stackFrame = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('accessctl validate, text format', () => {
  it('exits 0 on the examples with the summary line', async () => {
    const { code, stdout, stderr } = await run(['validate', examples]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').at(-1)).toBe('11 files, 11 objects: 0 errors, 0 warnings');
    expect(stderr).toBe('');
  });

  it('exits 1 on an invalid config, printing file:line:col severity code message, a code frame with a caret, and the summary', async () => {
    const { code, stdout } = await run(['validate', 'invalid']);
    expect(code).toBe(1);
    const out = stdout.split('\n');
    expect(out[0]).toBe('invalid/flows/admin.yaml:9:11 error invalid-value spec.approval.type must be one of: manual, automatic (got "sometimes")');
    const frameLine = out.findIndex((l) => /^>\s*9 \|/.test(l));
    expect(out[frameLine]).toMatch(/^>\s*9 \| {5}type: sometimes$/);
    // The caret sits under the value and spans it, whatever the gutter width.
    const caret = out[frameLine + 1]!;
    expect(caret).toMatch(/^\s+\| +\^{9}$/);
    expect(caret.indexOf('^') - caret.indexOf('|')).toBe(out[frameLine]!.indexOf('sometimes') - out[frameLine]!.indexOf('|'));
    expect(out.filter((l) => l !== '').at(-1)).toBe('2 files, 2 objects: 1 error, 0 warnings');
    // No colour escapes when NO_COLOR is set and stdout is not a terminal.
    expect(stdout).not.toContain('\u001b[');
  });
});

describe('accessctl validate on a repo from before kind WebhookChannel', () => {
  it('exits 1 at the kind of a WebhookSubscription, saying where its channel and events now go, without a stack trace', async () => {
    const old = join(root, 'old');
    mkdirSync(join(old, 'webhooks'), { recursive: true });
    writeFileSync(
      join(old, 'webhooks', 'siem.yaml'),
      lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookSubscription',
        'metadata: {name: SIEM}',
        'spec:',
        '  url: https://siem.example.com/ingest',
        '  events: ["*"]',
      ),
    );
    const { code, stdout, stderr } = await run(['validate', 'old']);
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toBe(
      'old/webhooks/siem.yaml:2:7 error replaced-kind kind WebhookSubscription was split in two: subscribe a channel with AccessRequestSettings.spec.webhooks [{channel, events}], and (on targets with a channel API, such as the sandbox) keep the channel itself as kind WebhookChannel',
    );
    expect(stdout.trim().split('\n').at(-1)).toBe('1 file, 1 object: 1 error, 0 warnings');
    expect(stdout + stderr).not.toMatch(stackFrame);
  });
});

describe('accessctl validate, other formats', () => {
  it('prints one JSON object that matches schemas/validate-result.schema.json', async () => {
    const schemaFile = join(repo, 'schemas', 'validate-result.schema.json');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const check = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
    const { code, stdout } = await run(['validate', '--format', 'json', 'invalid']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(check(report), JSON.stringify(check.errors)).toBe(true);
    expect(report).toMatchObject({ ok: false, files: 2, objects: 2, errors: 1, warnings: 0 });
    expect(report['diagnostics']).toEqual([
      {
        file: 'invalid/flows/admin.yaml',
        line: 9,
        column: 11,
        endLine: 9,
        endColumn: 20,
        severity: 'error',
        code: 'invalid-value',
        message: 'spec.approval.type must be one of: manual, automatic (got "sometimes")',
        path: 'spec.approval.type',
      },
    ]);
  });

  it('prints GitHub workflow commands, one per diagnostic', async () => {
    const { code, stdout } = await run(['validate', '--format', 'github', '.'], warnOnly);
    expect(code).toBe(0);
    const out = stdout.trim().split('\n');
    expect(out[0]).toMatch(/^::warning file=flow\.yaml,line=7,col=15,.*::group "Nobody" is not declared by a GroupAssignment/);
    expect(out.at(-1)).toBe('2 files, 2 objects: 0 errors, 1 warning');
  });

  it('names annotated files from the repository root (GITHUB_WORKSPACE), so a job with working-directory still points at them', async () => {
    const workspace = join(root, '..');
    const { stdout } = await accessctl(['validate', '--format=github', 'invalid'], { GITHUB_WORKSPACE: workspace }, root);
    const shown = join(root.slice(workspace.length + 1), 'invalid', 'flows', 'admin.yaml');
    expect(stdout.split('\n')[0]).toContain(`::error file=${shown},line=9,col=11,`);
  });

  it('prints ::error commands for errors', async () => {
    const { code, stdout } = await run(['validate', '--format=github', 'invalid']);
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toMatch(/^::error file=invalid\/flows\/admin\.yaml,line=9,col=11,.*::spec\.approval\.type must be one of/);
  });
});

describe('accessctl validate exit codes', () => {
  it('exits 0 when there are only warnings', async () => {
    const { code, stdout } = await run(['validate'], warnOnly);
    expect(code).toBe(0);
    expect(stdout).toContain('flow.yaml:7:15 warning undeclared-group');
  });

  it('exits 1 with --strict when there is a warning, counting it as an error', async () => {
    const { code, stdout } = await run(['validate', '--strict', '.'], warnOnly);
    expect(code).toBe(1);
    expect(stdout).toContain('flow.yaml:7:15 error undeclared-group');
    expect(stdout.trim().split('\n').at(-1)).toBe('2 files, 2 objects: 1 error, 0 warnings');
  });

  it('exits 1 naming the path when the directory does not exist', async () => {
    const { code, stdout, stderr } = await run(['validate', 'no-such-dir']);
    expect(code).toBe(1);
    expect(stdout).toContain('no-such-dir:1:1 error not-found no-such-dir: no such file or directory');
    expect(stderr).not.toMatch(stackFrame);
  });
});

describe('accessctl validate usage errors', () => {
  it('exits non-zero with usage text and no stack trace on an unknown flag', async () => {
    const { code, stdout, stderr } = await run(['validate', '--no-such-flag', '.']);
    expect(code).not.toBe(0);
    expect(stderr).toContain("unknown option '--no-such-flag'");
    expect(stdout + stderr).toMatch(/Usage: accessctl validate/);
    expect(stdout + stderr).not.toMatch(stackFrame);
  });

  it('exits non-zero listing the formats and no stack trace on a bad --format value', async () => {
    const { code, stdout, stderr } = await run(['validate', '--format', 'xml', '.']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('text, json, github');
    expect(stdout + stderr).toMatch(/Usage: accessctl validate/);
    expect(stdout + stderr).not.toMatch(stackFrame);
  });
});
