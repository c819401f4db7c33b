// Text diagnostics cost what they print: each file's lines are indexed once, a code frame is cut
// from its own three lines only, and at most MAX_PRINTED_PER_FILE diagnostics of a file are printed,
// with a line saying how many were left out. The frames are the ones code-frame gives for the whole file.
import { codeFrameColumns } from '@babel/code-frame';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { MAX_PRINTED_PER_FILE, renderGithub, renderJson, renderText } from '../../src/diagnostics/render.js';
import { loadConfig } from '../../src/config/load.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Counts what code-frame is handed, while it still draws every frame.
vi.mock('@babel/code-frame', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@babel/code-frame')>();
  return { ...actual, codeFrameColumns: vi.fn(actual.codeFrameColumns) };
});
const frames = vi.mocked(codeFrameColumns);

beforeEach(() => {
  frames.mockClear();
});

function diagnostic(file: string, line: number, column: number, end?: { line: number; column: number }): Diagnostic {
  return {
    file,
    line,
    column,
    ...(end ? { endLine: end.line, endColumn: end.column } : {}),
    severity: 'error',
    code: 'test-code',
    message: `at ${line}:${column}`,
    path: '',
  };
}

/** What the renderer printed before it indexed lines: code-frame over the whole text, per diagnostic. */
function wholeFileFrame(d: Diagnostic, text: string): string {
  const end = d.endLine === d.line && d.endColumn !== undefined && d.endColumn > d.column ? { line: d.line, column: d.endColumn } : undefined;
  return codeFrameColumns(text, { start: { line: d.line, column: d.column }, ...(end ? { end } : {}) }, { highlightCode: false, linesAbove: 1, linesBelow: 1 });
}

describe('code frames cut from indexed lines', () => {
  const texts: Record<string, string> = {
    lf: 'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata:\n  name: x\nspec:\n  grantGroup: G\n',
    crlf: 'a: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n',
    'lone cr and separators': 'a: 1\rb: 2\u2028c: 3\u2029d: 4\ne: 5',
    'no final break': 'one\ntwo\nthree',
    'blank lines': '\n\n\nx: 1\n\n\n',
    'ten lines': Array.from({ length: 10 }, (_, i) => `line${i + 1}: ${'v'.repeat(i)}`).join('\n'),
    'hundred and two lines': Array.from({ length: 102 }, (_, i) => `k${i + 1}: v`).join('\n'),
  };

  it.each(Object.entries(texts))('prints the same frames as code-frame over the whole file (%s)', (_name, text) => {
    const count = text.split(/\r\n|[\n\r\u2028\u2029]/).length;
    const diagnostics: Diagnostic[] = [];
    for (let line = 1; line <= count; line++) {
      diagnostics.push(
        diagnostic('f.yaml', line, 1),
        diagnostic('f.yaml', line, 3, { line, column: 6 }),
        diagnostic('f.yaml', line, 2, { line: line + 1, column: 1 }),
      );
    }
    for (const d of diagnostics) {
      const rendered = renderText({ files: 1, objects: 0, diagnostics: [d] }, () => text, false);
      const expected = [`${d.file}:${d.line}:${d.column} error test-code ${d.message}`, wholeFileFrame(d, text), '', '1 file, 0 objects: 1 error, 0 warnings'];
      expect(rendered, `${d.line}:${d.column}`).toBe(`${expected.join('\n')}\n`);
    }
  });

  it('hands code-frame only the lines a frame shows, not the whole file', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `key${i}: value`).join('\n');
    const diagnostics = Array.from({ length: 40 }, (_, i) => diagnostic('big.yaml', 100 * i + 7, 2));
    renderText({ files: 1, objects: 0, diagnostics }, () => text, false);
    expect(frames).toHaveBeenCalledTimes(40);
    for (const [given] of frames.mock.calls) expect(given.split('\n').length).toBeLessThanOrEqual(3);
  });
});

// An empty document is skipped (test/config/empty-documents.test.ts); one that says `~` is refused.
describe('a file of 40,000 null documents', () => {
  it('prints 50 diagnostics with frames and says how many more there are; JSON keeps them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessctl-render-'));
    try {
      writeFileSync(join(dir, 'empty.yaml'), '--- ~\n'.repeat(40_000));
      const config = await loadConfig(join(dir, 'empty.yaml'), dir);
      expect(config.diagnostics).toHaveLength(40_000);
      const report = { files: config.files, objects: config.objects, diagnostics: config.diagnostics };
      const source = (file: string): string | undefined => config.sources.get(file)?.displayText;

      const text = renderText(report, source, false);
      expect(text.match(/^> /gm)).toHaveLength(MAX_PRINTED_PER_FILE);
      expect(text.match(/^empty\.yaml:\d+:\d+ error /gm)).toHaveLength(MAX_PRINTED_PER_FILE);
      expect(text).toContain(`... and 39950 more diagnostics in empty.yaml not shown (--format json lists them all)\n`);
      expect(text.trimEnd().split('\n').at(-1)).toBe('1 file, 0 objects: 40000 errors, 0 warnings');
      // Frames were cut from a few lines each, never from the 256 KiB file.
      const handed = frames.mock.calls.reduce((sum, [given]) => sum + given.length, 0);
      expect(handed).toBeLessThan(MAX_PRINTED_PER_FILE * 3 * 8);

      const github = renderGithub(report);
      expect(github.match(/^::error /gm)).toHaveLength(MAX_PRINTED_PER_FILE);
      expect(github).toContain('... and 39950 more diagnostics in empty.yaml not shown');

      expect((JSON.parse(renderJson(report)) as { diagnostics: unknown[] }).diagnostics).toHaveLength(40_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('caps each file on its own, wherever its diagnostics sit in the list', () => {
    const diagnostics = [
      ...Array.from({ length: 60 }, (_, i) => diagnostic('a.yaml', i + 1, 1)),
      diagnostic('b.yaml', 1, 1),
      ...Array.from({ length: 3 }, (_, i) => diagnostic('a.yaml', 100 + i, 1)),
    ];
    const text = renderText({ files: 2, objects: 0, diagnostics }, () => undefined, false);
    expect(text.match(/^a\.yaml:/gm)).toHaveLength(MAX_PRINTED_PER_FILE);
    expect(text).toContain('b.yaml:1:1 error');
    expect(text).toContain('... and 13 more diagnostics in a.yaml not shown');
    expect(text).not.toContain('more diagnostics in b.yaml');
  });
});

describe('a file name from a pull request', () => {
  // A file may be named anything git allows: a line feed, a workflow command, an escape, a bidi override.
  const hostile = 'x\n::warning file=INJECTED::pwned via file name\n\x1b[31mred\u202e.yaml';
  const many = Array.from({ length: MAX_PRINTED_PER_FILE + 10 }, (_, i) => diagnostic(hostile, i + 1, 1));

  it('starts no workflow command of its own in the GitHub format, even in the line saying how many are left out', () => {
    const github = renderGithub({ files: 1, objects: 0, diagnostics: many }, '/');
    const lines = github.split('\n');
    expect(lines.filter((line) => line.startsWith('::')).every((line) => line.startsWith('::error file='))).toBe(true);
    // The annotation's file= is the path as it is (escaped as a property), so GitHub finds the file; every other line shows it escaped.
    const plain = lines.filter((line) => !line.startsWith('::error file='));
    expect(plain.join('\n')).not.toMatch(/[\x1b\u202e]/);
    expect(github).toContain(
      '... and 10 more diagnostics in x<U+000A>::warning file=INJECTED::pwned via file name<U+000A><U+001B>[31mred<U+202E>.yaml not shown',
    );
  });

  it('stays on its line in the text format, with its escape and bidi characters shown, not obeyed', () => {
    const text = renderText({ files: 1, objects: 0, diagnostics: many }, () => undefined, false);
    expect(text.split('\n').some((line) => line.startsWith('::warning'))).toBe(false);
    expect(text).not.toContain('\x1b');
    expect(text).not.toContain('\u202e');
  });
});
