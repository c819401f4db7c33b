// The hostile-input corpus: every file in test/fixtures/hostile/ (and a few cases that are generated
// here because they are big, or are links, FIFOs and file floods) must be refused with a located,
// coded error, by loadConfig and by the real binary, without a crash, a stack trace or a hang.
import { spawn, spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { displayPath, MAX_FILE_BYTES, MAX_FILES } from '../../src/config/discover.js';
import { loadConfig } from '../../src/config/load.js';
import { MAX_PRINTED_PER_FILE } from '../../src/diagnostics/render.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOSTILE = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl.js');
const HANG_GUARD_MS = 30_000;
// Room for several runs of the binary on a busy two-core machine; not a timing assertion.
const SLOW_TEST_MS = 90_000;

interface Expected {
  code: string;
  line: number;
  column: number;
}

/** Each committed case, with the error it must produce and where that error must point. */
const CORPUS: Record<string, Expected> = {
  'alias.yaml': { code: 'yaml-alias', line: 7, column: 15 },
  'anchor.yaml': { code: 'yaml-anchor', line: 4, column: 9 },
  'bidi-override-name.yaml': { code: 'invisible-character', line: 4, column: 15 },
  'billion-laughs.yaml': { code: 'yaml-anchor', line: 5, column: 6 },
  'complex-key.yaml': { code: 'yaml-complex-key', line: 6, column: 5 },
  'constructor-key.yaml': { code: 'forbidden-key', line: 7, column: 3 },
  'control-char-name.yaml': { code: 'invalid-format', line: 4, column: 9 },
  'control-char-raw-name.yaml': { code: 'control-character', line: 4, column: 20 },
  'crlf-error.yaml': { code: 'unknown-field', line: 7, column: 3 },
  'deep-nesting-block.yaml': { code: 'too-deep', line: 35, column: 65 },
  'deep-nesting-flow-map.yaml': { code: 'too-deep', line: 1, column: 253 },
  'deep-nesting-flow.yaml': { code: 'too-deep', line: 3, column: 38 },
  'document-end-garbage.yaml': { code: 'yaml-syntax', line: 9, column: 1 },
  'duplicate-keys-quoted.yaml': { code: 'yaml-syntax', line: 3, column: 1 },
  'duplicate-keys.yaml': { code: 'yaml-syntax', line: 7, column: 3 },
  'empty-flow-key.yaml': { code: 'yaml-empty-key', line: 1, column: 62 },
  'empty-key.yaml': { code: 'yaml-empty-key', line: 6, column: 3 },
  'huge-string.yaml': { code: 'out-of-range', line: 6, column: 16 },
  'invalid-utf8-overlong.yaml': { code: 'encoding', line: 2, column: 7 },
  'invalid-utf8-surrogate.yaml': { code: 'encoding', line: 4, column: 10 },
  'invalid-utf8.yaml': { code: 'encoding', line: 6, column: 19 },
  'kind-not-string.yaml': { code: 'unknown-kind', line: 2, column: 7 },
  'line-separator-name.yaml': { code: 'invisible-character', line: 4, column: 9 },
  'long-implicit-key.yaml': { code: 'yaml-syntax', line: 6, column: 3 },
  'long-line.yaml': { code: 'yaml-tag', line: 7, column: 43917 },
  'merge-key.yaml': { code: 'yaml-merge-key', line: 6, column: 3 },
  'missing-kind.yaml': { code: 'missing-field', line: 1, column: 1 },
  'multi-document-one-bad.yaml': { code: 'wrong-type', line: 13, column: 11 },
  'name-not-string.yaml': { code: 'wrong-type', line: 4, column: 9 },
  'norway-boolean.yaml': { code: 'wrong-type', line: 6, column: 11 },
  'nul-byte.yaml': { code: 'control-character', line: 6, column: 22 },
  'proto-key-escaped.yaml': { code: 'forbidden-key', line: 6, column: 3 },
  'proto-key-json.yaml': { code: 'forbidden-key', line: 1, column: 95 },
  'proto-key.yaml': { code: 'forbidden-key', line: 6, column: 3 },
  'prototype-key-quoted.yaml': { code: 'forbidden-key', line: 6, column: 3 },
  'root-scalar.yaml': { code: 'root-not-mapping', line: 1, column: 1 },
  'root-sequence.yaml': { code: 'root-not-mapping', line: 1, column: 1 },
  'tab-indentation.yaml': { code: 'yaml-syntax', line: 6, column: 1 },
  'tag-binary.yaml': { code: 'yaml-tag', line: 6, column: 16 },
  'tag-directive.yaml': { code: 'yaml-directive', line: 1, column: 1 },
  'tag-explicit.yaml': { code: 'yaml-tag', line: 4, column: 9 },
  'tag-local.yaml': { code: 'yaml-tag', line: 5, column: 7 },
  'unclosed-flow.yaml': { code: 'yaml-syntax', line: 7, column: 1 },
  'unknown-field-key.yaml': { code: 'unknown-field', line: 7, column: 3 },
  'unknown-kind.yaml': { code: 'unknown-kind', line: 2, column: 7 },
  'unterminated-quote.yaml': { code: 'yaml-syntax', line: 7, column: 1 },
  'utf16-bom.yaml': { code: 'encoding', line: 1, column: 1 },
  'yaml-directive.yaml': { code: 'yaml-directive', line: 1, column: 1 },
  'zero-width-name.yaml': { code: 'invisible-character', line: 4, column: 13 },
};

function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

/** Every error names a file that exists and a position inside it, with a code. */
function expectLocated(diagnostics: readonly Diagnostic[], cwd: string): void {
  const errors = errorsOf(diagnostics);
  expect(errors.length).toBeGreaterThan(0);
  for (const d of errors) {
    expect(lstatSync(resolve(cwd, d.file), { throwIfNoEntry: false }), `${d.file} exists`).toBeDefined();
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  return env;
}

function runValidate(dir: string, format: 'text' | 'json' | 'github', cwd: string = ROOT): Run {
  const result = spawnSync(process.execPath, [BIN, 'validate', dir, '--format', format], {
    cwd,
    env: childEnv(),
    encoding: 'utf8',
    timeout: HANG_GUARD_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(result.error, 'the binary finished (hang guard)').toBeUndefined();
  expect(result.signal).toBeNull();
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking, so several runs can share the machine's cores. */
function runValidateAsync(dir: string, format: 'text' | 'json' | 'github', cwd: string = ROOT): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'validate', dir, '--format', format], { cwd, env: childEnv() });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A hang guard, not a timing assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      expect(signal, 'the binary finished (hang guard)').toBeNull();
      resolvePromise({ status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

const FRAME_LINE = /^(?:>| ) *\d* \|/;
const DIAGNOSTIC_LINE = /^(\S(?:.*\S)?):(\d+):(\d+) (error|warning) ([a-z][a-z0-9-]*) \S/;
const SUMMARY_LINE = /^\d+ files?, \d+ objects?: \d+ errors?, \d+ warnings?$/;
// Printed after a file's first MAX_PRINTED_PER_FILE diagnostics (billion-laughs.yaml has more).
const LEFT_OUT_LINE = /^\.\.\. and \d+ more diagnostics? in \S+ not shown/;

/** Exit 1, nothing that looks like a crash, and every text diagnostic line led by file:line:col. */
function expectCleanRefusal(run: Run): void {
  expect(run.status).toBe(1);
  const all = `${run.stdout}\n${run.stderr}`;
  expect(all).not.toMatch(/^ {4}at /m);
  expect(all).not.toMatch(/\b(?:Type|Range|Reference|Syntax|YAML\w*)?Error:/);
  expect(all).not.toContain('internal error');
}

function textDiagnosticLines(stdout: string): string[] {
  const lines = stdout.split('\n').filter((line) => line !== '' && !FRAME_LINE.test(line) && !SUMMARY_LINE.test(line) && !LEFT_OUT_LINE.test(line));
  for (const line of lines) expect(line.slice(0, 200)).toMatch(DIAGNOSTIC_LINE);
  return lines;
}

describe('the committed hostile corpus', () => {
  it('holds at least 35 cases and an expectation for each of them', () => {
    const files = readdirSync(HOSTILE).sort();
    expect(files.length).toBeGreaterThanOrEqual(35);
    expect(files).toEqual(Object.keys(CORPUS).sort());
  });

  it.each(Object.entries(CORPUS))('refuses %s with its code at its line and column', async (name, expected) => {
    const result = await loadConfig(join(HOSTILE, name), ROOT);
    expectLocated(result.diagnostics, ROOT);
    for (const d of errorsOf(result.diagnostics)) expect(d.file).toBe(`test/fixtures/hostile/${name}`);
    expect(errorsOf(result.diagnostics)).toContainEqual(expect.objectContaining(expected));
    // The position is inside the file.
    const lines = readFileSync(join(HOSTILE, name), 'latin1').split('\n');
    for (const d of result.diagnostics) expect(d.line).toBeLessThanOrEqual(lines.length);
  });

  it('refuses the billion-laughs bomb without expanding it', async () => {
    const result = await loadConfig(join(HOSTILE, 'billion-laughs.yaml'), ROOT);
    expect(result.objects).toBe(0);
    const codes = new Set(result.diagnostics.map((d) => d.code));
    expect([...codes].sort()).toEqual(['yaml-alias', 'yaml-anchor']);
  });

  it('keeps the good documents of a multi-document file and refuses only the bad one', async () => {
    const result = await loadConfig(join(HOSTILE, 'multi-document-one-bad.yaml'), ROOT);
    expect(result.objects).toBe(3);
    expect(result.desired.groups.map((g) => g.name)).toEqual(['Engineering', 'Sales']);
    expect(errorsOf(result.diagnostics)).toHaveLength(1);
  });

  it('never lets a prototype key reach the data', async () => {
    for (const name of ['proto-key.yaml', 'proto-key-json.yaml', 'proto-key-escaped.yaml', 'constructor-key.yaml', 'prototype-key-quoted.yaml']) {
      const result = await loadConfig(join(HOSTILE, name), ROOT);
      expect(result.objects, name).toBe(0);
    }
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports the explicit tag of an unresolvable local tag where the tag is written', async () => {
    const result = await loadConfig(join(HOSTILE, 'tag-local.yaml'), ROOT);
    expect(result.diagnostics.map((d) => [d.code, d.line, d.column, d.endColumn])).toContainEqual(['yaml-tag', 5, 7, 12]);
  });

  it(
    'refuses every case through the real binary, in all three formats, with located lines and no stack trace',
    async () => {
      const [text, json, github] = await Promise.all([
        runValidateAsync('test/fixtures/hostile', 'text'),
        runValidateAsync('test/fixtures/hostile', 'json'),
        runValidateAsync('test/fixtures/hostile', 'github'),
      ]);
      expectCleanRefusal(text);
      const lines = textDiagnosticLines(text.stdout);
      const named = new Set(lines.map((line) => DIAGNOSTIC_LINE.exec(line)![1]));
      expect([...named].sort()).toEqual(
        Object.keys(CORPUS)
          .map((name) => `test/fixtures/hostile/${name}`)
          .sort(),
      );
      expect(text.stdout).toMatch(new RegExp(`^${Object.keys(CORPUS).length} files, \\d+ objects: \\d+ errors, \\d+ warnings?$`, 'm'));

      expectCleanRefusal(json);
      const report = JSON.parse(json.stdout) as { ok: boolean; files: number; diagnostics: Diagnostic[] };
      expect(report.ok).toBe(false);
      expect(report.files).toBe(Object.keys(CORPUS).length);
      for (const [name, expected] of Object.entries(CORPUS)) {
        expect(report.diagnostics).toContainEqual(expect.objectContaining({ file: `test/fixtures/hostile/${name}`, ...expected }));
      }

      expectCleanRefusal(github);
      const annotations = github.stdout.split('\n').filter((line) => line.startsWith('::'));
      const perFile = new Map<string, number>();
      for (const d of report.diagnostics) perFile.set(d.file, (perFile.get(d.file) ?? 0) + 1);
      expect(annotations.length).toBe([...perFile.values()].reduce((sum, n) => sum + Math.min(n, MAX_PRINTED_PER_FILE), 0));
      for (const line of annotations) expect(line).toMatch(/^::(error|warning) file=[^,]+,line=[1-9]\d*,col=[1-9]\d*[,:]/);
    },
    SLOW_TEST_MS,
  );
});

describe('generated hostile cases', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'accessctl-hostile-'));
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  function caseDir(name: string): string {
    const dir = join(tmp, name);
    mkdirSync(dir);
    return dir;
  }

  const display = (path: string): string => displayPath(path, ROOT);

  it(
    'refuses a file one byte over 256 KiB at 1:1, in loadConfig and the binary',
    async () => {
      const dir = caseDir('too-large');
      const file = join(dir, 'big.yaml');
      const line = `# ${'x'.repeat(77)}\n`;
      const body = line.repeat(Math.ceil(MAX_FILE_BYTES / line.length) + 1).slice(0, MAX_FILE_BYTES + 1);
      writeFileSync(file, body);
      expect(Buffer.byteLength(body)).toBe(MAX_FILE_BYTES + 1);
      const result = await loadConfig(dir, ROOT);
      expectLocated(result.diagnostics, ROOT);
      expect(result.diagnostics).toEqual([expect.objectContaining({ file: display(file), code: 'file-too-large', line: 1, column: 1 })]);

      const run = runValidate(dir, 'text');
      expectCleanRefusal(run);
      expect(textDiagnosticLines(run.stdout)).toEqual([expect.stringMatching(/big\.yaml:1:1 error file-too-large /)]);
    },
    SLOW_TEST_MS,
  );

  it('accepts a file of exactly 256 KiB as far as size goes', async () => {
    const dir = caseDir('at-limit');
    const file = join(dir, 'edge.yaml');
    const head = 'apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Edge\nspec:\n  description: at the limit\n';
    writeFileSync(file, head + '#'.repeat(MAX_FILE_BYTES - head.length));
    const result = await loadConfig(dir, ROOT);
    expect(result.diagnostics).toEqual([]);
    expect(result.objects).toBe(1);
  });

  it(
    'walks a directory holding a link to itself once, and refuses a loop of file links at 1:1',
    async () => {
      const dir = caseDir('symlink-loop');
      symlinkSync('.', join(dir, 'self'), 'dir');
      symlinkSync('..', join(dir, 'parent'), 'dir');
      symlinkSync('b.yaml', join(dir, 'a.yaml'));
      symlinkSync('a.yaml', join(dir, 'b.yaml'));
      writeFileSync(join(dir, 'root.yaml'), 'just a scalar\n');
      const result = await loadConfig(dir, ROOT);
      expectLocated(result.diagnostics, ROOT);
      expect(result.files).toBe(3);
      expect(result.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([
        [display(join(dir, 'a.yaml')), 'unreadable-file', 1, 1],
        [display(join(dir, 'b.yaml')), 'unreadable-file', 1, 1],
        [display(join(dir, 'root.yaml')), 'root-not-mapping', 1, 1],
      ]);

      const run = runValidate(dir, 'text');
      expectCleanRefusal(run);
      expect(textDiagnosticLines(run.stdout)).toHaveLength(3);
    },
    SLOW_TEST_MS,
  );

  it(
    'refuses a FIFO named x.yaml without opening it (no hang)',
    async () => {
      const dir = caseDir('fifo');
      const made = spawnSync('mkfifo', [join(dir, 'x.yaml')]);
      expect(made.status).toBe(0);
      const result = await loadConfig(dir, ROOT);
      expectLocated(result.diagnostics, ROOT);
      expect(result.diagnostics).toEqual([expect.objectContaining({ file: display(join(dir, 'x.yaml')), code: 'unreadable-file', line: 1, column: 1 })]);

      const run = runValidate(dir, 'json');
      expectCleanRefusal(run);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'unreadable-file', line: 1, column: 1 }] });
    },
    SLOW_TEST_MS,
  );

  it(
    `refuses more than ${MAX_FILES} files, naming the first file past the limit`,
    async () => {
      const dir = caseDir('too-many');
      // Spread over folders of 1,000 so no one directory listing is huge; names sort in creation order.
      // Hard links to one tiny file: writing 20,001 files is slow on some file systems.
      const tiny = join(tmp, 'tiny.source');
      writeFileSync(tiny, 'x: 1\n');
      for (let i = 0; i <= MAX_FILES; i++) {
        const folder = join(dir, `d${String(Math.floor(i / 1000)).padStart(2, '0')}`);
        if (i % 1000 === 0) mkdirSync(folder);
        linkSync(tiny, join(folder, `f${String(i).padStart(5, '0')}.yaml`));
      }
      const result = await loadConfig(dir, ROOT);
      expectLocated(result.diagnostics, ROOT);
      expect(result.diagnostics).toEqual([
        expect.objectContaining({ file: display(join(dir, 'd20', 'f20000.yaml')), code: 'too-many-files', line: 1, column: 1 }),
      ]);

      const run = runValidate(dir, 'github');
      expectCleanRefusal(run);
      expect(run.stdout).toMatch(/^::error file=[^,]*f20000\.yaml,line=1,col=1,.*too-many-files/m);
    },
    SLOW_TEST_MS,
  );
});
