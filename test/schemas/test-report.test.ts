// schemas/test-report.schema.json against what `accessctl test --format json` really prints: every
// case passing against a sandbox read over HTTP; failing, erring and skipped cases and an unknown name
// from a snapshot; a repo with no cases. Copies broken on purpose are refused, and the schema's lists
// of fields and values are the types' (src/impact/access-test.ts, src/pipeline/access-context.ts).
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceLocation } from '../../src/errors.js';
import type { CaseResult, CaseStatus } from '../../src/impact/access-test.js';
import type { UnknownName } from '../../src/pipeline/access-context.js';
import { accessctl } from '../cli/in-process.js';
import { exampleSeedPath, startHarness, type Harness } from '../sandbox/harness.js';
import { copy, enumOf, exactly, expectAccepted, expectRefused, keysOf, outputSchema, schemaJson, type RequiredKeys } from './output-schema.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const validate = outputSchema('test-report.schema.json');

interface Report {
  ok: boolean;
  directory: string | null;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  cases: CaseResult[];
  warnings: UnknownName[];
}

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'accessctl-test-report-schema-'));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/** A copy of examples/access with `files` (relative path to YAML) added. */
async function repoWith(name: string, files: Record<string, string>): Promise<string> {
  const repo = join(dir, name);
  await cp(examples, repo, { recursive: true });
  for (const [path, yaml] of Object.entries(files)) await writeFile(join(repo, path), yaml);
  return repo;
}

async function testJson(args: string[], env: Record<string, string> = {}): Promise<{ code: number; report: Report }> {
  const run = await accessctl(['test', ...args, '--format', 'json'], env);
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

const extraTest = `apiVersion: accessctl/v1
kind: AccessTest
metadata:
  name: Extra
spec:
  cases:
    - user: bob@example.com
      canRequest: GitHub Admin
    - user: nobody@example.com
      cannotRequest: GitHub Admin
    - user: alice@example.com
      canRequest: GitHub User
`;
// A flow visible to a group the directory does not have: its members are taken as none, with a warning.
const ghostFlow = `apiVersion: accessctl/v1
kind: ApprovalFlow
metadata:
  name: Ghost Access
spec:
  grantGroup: GitHub Users
  visibleTo: [Ghost Team]
  approval:
    type: automatic
  access:
    duration: P1D
`;

describe('schemas/test-report.schema.json', () => {
  it("accepts every case passing against the sandbox's directory, read over HTTP", async () => {
    const { code, report } = await testJson([examples, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, directory: h.sandbox.url, passed: 6, failed: 0, errors: 0, skipped: 0, warnings: [] });
    expectAccepted(validate, report);

    // Broken on purpose: a required field gone, a status no case has, a verdict that contradicts the counts.
    const { cases: _cases, ...withoutCases } = copy(report);
    expectRefused(validate, withoutCases, 'required', '');
    const passed = copy(report);
    passed.cases[0]!.status = 'passed' as CaseStatus;
    expectRefused(validate, passed, 'enum', '/cases/0/status');
    const contradicted = { ...copy(report), failed: 1 };
    expectRefused(validate, contradicted, 'const', '/failed');
  });

  it('accepts failing, erring and skipped cases and an unknown name, from a snapshot file', async () => {
    const repo = await repoWith('failing', { 'tests/extra.yaml': extraTest, 'flows/ghost.yaml': ghostFlow });
    const { code, report } = await testJson([repo, '--directory', exampleSeedPath, '--run', 'Extra/|GitHub access/nobody']);
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, directory: exampleSeedPath, passed: 3, failed: 1, errors: 1, skipped: 4 });
    expect(report.cases.map((c) => c.status).sort()).toEqual(['error', 'fail', 'pass', 'pass', 'pass']);
    expect(report.warnings).toEqual([{ what: 'group', name: 'Ghost Team', source: expect.objectContaining({ file: expect.stringContaining('ghost.yaml') }) }]);
    expectAccepted(validate, report);

    const planted = copy(report);
    (planted.cases[0] as CaseResult & { planted?: boolean }).planted = true;
    expectRefused(validate, planted, 'additionalProperties', '/cases/0');
    const what = copy(report);
    what.warnings[0]!.what = 'channel' as UnknownName['what'];
    expectRefused(validate, what, 'enum', '/warnings/0/what');
    const cleared = { ...copy(report), failed: 0, errors: 0 };
    expectRefused(validate, cleared, 'anyOf', '');
    const line = copy(report);
    line.cases[0]!.source.line = 0;
    expectRefused(validate, line, 'minimum', '/cases/0/source/line');
  });

  it('accepts the report of a repo that declares no case, which reads no directory', async () => {
    const repo = join(dir, 'no-tests');
    await cp(examples, repo, { recursive: true });
    await rm(join(repo, 'tests'), { recursive: true });
    const { code, report } = await testJson([repo, '--directory', join(dir, 'no-such-directory.yaml')]);
    expect(code).toBe(0);
    expect(report.directory).toBeNull();
    expectAccepted(validate, report);
    expectRefused(validate, { ...report, directory: 42 }, 'type', '/directory');
  });

  it('is not what an invalid config prints: that is a validate-result, as for plan', async () => {
    const repo = await repoWith('invalid', {
      'tests/extra.yaml': extraTest.replace('canRequest: GitHub User', 'canRequest: GitHub User\n      cannotRequest: GitHub User'),
    });
    const run = await accessctl(['test', repo, '--directory', exampleSeedPath, '--format', 'json']);
    expect(run.code).toBe(1);
    const printed = JSON.parse(run.stdout) as unknown;
    expectAccepted(outputSchema('validate-result.schema.json'), printed);
    expectRefused(validate, printed, 'required', '');
  });

  it('lists the fields, required fields and values of the types', () => {
    const schema = schemaJson('test-report.schema.json');
    const defs = schema.$defs ?? {};
    expect(keysOf(defs['case'])).toEqual({
      properties: exactly<keyof CaseResult>()(['test', 'case', 'source', 'status', 'expected', 'actual']),
      required: exactly<RequiredKeys<CaseResult>>()(['test', 'case', 'source', 'status', 'expected', 'actual']),
    });
    expect(keysOf(defs['unknownName'])).toEqual({
      properties: exactly<keyof UnknownName>()(['what', 'name', 'source']),
      required: exactly<RequiredKeys<UnknownName>>()(['what', 'name', 'source']),
    });
    expect(keysOf(defs['location'])).toEqual({
      properties: exactly<keyof SourceLocation>()(['file', 'line', 'column']),
      required: exactly<RequiredKeys<SourceLocation>>()(['file', 'line', 'column']),
    });
    expect(enumOf(defs['case']?.properties?.['status'])).toEqual(exactly<CaseStatus>()(['pass', 'fail', 'error']));
    expect(enumOf(defs['unknownName']?.properties?.['what'])).toEqual(exactly<UnknownName['what']>()(['group', 'user']));
  });
});
