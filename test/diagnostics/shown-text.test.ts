// Code frames print the file's text safely: invisible and direction-changing characters as <U+XXXX>,
// long lines cut to a window around the column with … marks, and the caret still under the place
// the finding points at.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { renderGithub, renderJson, renderText } from '../../src/diagnostics/render.js';
import { MAX_SHOWN_COLUMNS, visible } from '../../src/diagnostics/shown-text.js';

function at(line: number, column: number, endColumn?: number, message = 'found'): Diagnostic {
  return {
    file: 'f.yaml',
    line,
    column,
    ...(endColumn !== undefined ? { endLine: line, endColumn } : {}),
    severity: 'error',
    code: 'test-code',
    message,
    path: '',
  };
}

/** The frame's lines as printed: `> 4 | text` and the marker line below it. */
function frame(text: string, d: Diagnostic): { marked: string; marker: string; all: string[] } {
  const out = renderText({ files: 1, objects: 0, diagnostics: [d] }, () => text, false).split('\n');
  const index = out.findIndex((line) => line.startsWith('>'));
  return { marked: out[index]!, marker: out[index + 1]!, all: out };
}

/** The printed text the carets stand under, on the marked line. */
function underCarets(marked: string, marker: string): string {
  const first = marker.indexOf('^');
  return marked.slice(first, marker.lastIndexOf('^') + 1);
}

// Every character that can reorder or hide text on a terminal, as raw characters.
const RAW = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\u0007]/;

describe('invisible and direction-changing characters in code frames', () => {
  it.each([
    ['a right-to-left override', '\u202e', '<U+202E>'],
    ['a left-to-right isolate', '\u2066', '<U+2066>'],
    ['a zero-width space', '\u200b', '<U+200B>'],
    ['a zero-width joiner', '\u200d', '<U+200D>'],
    ['a byte order mark', '\ufeff', '<U+FEFF>'],
    ['a soft hyphen', '\u00ad', '<U+00AD>'],
    ['a no-break space', '\u00a0', '<U+00A0>'],
  ])('shows %s escaped, with the caret under the escape', (_what, char, shown) => {
    const text = `metadata:\n  name: Security Leads${char}\nspec: {}\n`;
    const { marked, marker, all } = frame(text, at(2, 23, 24));
    expect(marked).toBe(`> 2 |   name: Security Leads${shown}`);
    expect(underCarets(marked, marker)).toBe(shown);
    expect(all.join('\n')).not.toContain(char);
  });

  it('keeps the caret right for a finding after the escaped character on the same line', () => {
    const text = 'a: "\u202egnp.exe"\u200b: x\n';
    // Column 15 is the `:` after the zero-width space.
    const { marked, marker } = frame(text, at(1, 15));
    expect(marked).toBe('> 1 | a: "<U+202E>gnp.exe"<U+200B>: x');
    expect(underCarets(marked, marker)).toBe(':');
  });

  it('escapes the context lines and the message too, leaving tabs, accents and emoji as they are', () => {
    const text = 'x: "caf\u00e9 \u{1f600}"\nb: "\u2067ltr\u2069"\nc: "\ttab"\n';
    const { all } = frame(text, at(2, 4, undefined, 'the value "\u2067ltr\u2069" is odd'));
    const printed = all.join('\n');
    expect(printed).not.toMatch(RAW);
    expect(printed).toContain('f.yaml:2:4 error test-code the value "<U+2067>ltr<U+2069>" is odd');
    expect(printed).toContain('  1 | x: "caf\u00e9 \u{1f600}"');
    expect(printed).toContain('> 2 | b: "<U+2067>ltr<U+2069>"');
    expect(printed).toContain('  3 | c: "\ttab"');
  });

  it('escapes the message of a GitHub annotation too, and leaves JSON as data', () => {
    const d = at(2, 4, undefined, 'the value "\u202eexe.txt" is odd');
    const github = renderGithub({ files: 1, objects: 0, diagnostics: [d] }, '/');
    expect(github).not.toMatch(RAW);
    expect(github).toContain('::the value "<U+202E>exe.txt" is odd');
    expect((JSON.parse(renderJson({ files: 1, objects: 0, diagnostics: [d] })) as { diagnostics: Diagnostic[] }).diagnostics[0]!.message).toBe(d.message);
  });

  it('writes a character outside the basic plane as one escape, and a lone surrogate as its own', () => {
    expect(visible('a\u{e0041}b')).toBe('a<U+E0041>b');
    expect(visible('a\ud800b')).toBe('a<U+D800>b');
    expect(visible('plain text: no change')).toBe('plain text: no change');
  });
});

describe('long lines in code frames', () => {
  // 10,021 characters, as the nesting-depth fixture's line: a marked X at column 5,000.
  const long = `${'a'.repeat(4999)}X${'b'.repeat(5021)}`;

  it('cuts a long line to a window around the column, marked with … at both ends, with the caret on the column', () => {
    const { marked, marker, all } = frame(`k: 1\n${long}\nz: 2\n`, at(2, 5000));
    expect(marked.startsWith('> 2 | …a')).toBe(true);
    expect(marked.endsWith('b…')).toBe(true);
    expect(marked.length).toBeLessThanOrEqual('> 2 | '.length + MAX_SHOWN_COLUMNS + 2);
    expect(underCarets(marked, marker)).toBe('X');
    for (const line of all) expect(line.length).toBeLessThanOrEqual(200);
  });

  it('keeps a marked span within the window, ending on the … when it runs past it', () => {
    const { marked, marker } = frame(`${long}\n`, at(1, 5000, 9000));
    expect(underCarets(marked, marker)).toMatch(/^Xb+…$/);
    expect(marked.endsWith('…')).toBe(true);
  });

  it('cuts near the start without a leading …, and near the end without a trailing one', () => {
    const start = frame(`${long}\n`, at(1, 3));
    expect(start.marked.startsWith('> 1 | aaa')).toBe(true);
    expect(start.marked.endsWith('…')).toBe(true);
    expect(start.marker.indexOf('^')).toBe('> 1 | '.length + 2);
    const end = frame(`${long}\n`, at(1, long.length));
    expect(end.marked.startsWith('> 1 | …')).toBe(true);
    expect(end.marked.endsWith('b')).toBe(true);
    expect(underCarets(end.marked, end.marker)).toBe('b');
    expect(end.marker.indexOf('^')).toBe(end.marked.length - 1);
  });

  it('puts the caret just past the end of a long line when the finding points there', () => {
    const { marked, marker } = frame(`${long}\n`, at(1, long.length + 1));
    expect(marked.startsWith('> 1 | …b')).toBe(true);
    expect(marked.length).toBeLessThanOrEqual('> 1 | '.length + MAX_SHOWN_COLUMNS + 1);
    expect(marker.indexOf('^')).toBe(marked.length);
  });

  it('cuts the context lines to the same window, so the frame stays aligned', () => {
    const digits = Array.from({ length: 10_000 }, (_, i) => String(i % 10)).join('');
    const { all, marker } = frame(`${digits}\n${digits}\n${digits}\n`, at(2, 5001));
    const shown = all.filter((line) => / \d \| /.test(line));
    expect(shown).toHaveLength(3);
    expect(new Set(shown.map((line) => line.slice(6))).size).toBe(1);
    for (const line of shown) expect(line.slice(6)).toMatch(new RegExp(`^…\\d{${MAX_SHOWN_COLUMNS}}…$`));
    expect(marker.indexOf('^')).toBeGreaterThan(0);
    expect(shown[1]![marker.indexOf('^')]).toBe('0');
  });

  it('shows a short context line whole beside a long marked line', () => {
    const { all } = frame(`short: line above\n${long}\nz: 2\n`, at(2, 5000));
    expect(all).toContain('  1 | short: line above');
    expect(all).toContain('  3 | z: 2');
  });

  it('never cuts an escape in two, and counts escapes in the window', () => {
    const line = `${'\u200b'.repeat(3000)}X${'\u200b'.repeat(3000)}`;
    const { marked, marker } = frame(`${line}\n`, at(1, 3001));
    expect(marked).not.toMatch(RAW);
    expect(marked.slice('> 1 | '.length)).toMatch(/^…(<U\+200B>)+X(<U\+200B>)+…$/);
    expect(marked.length).toBeLessThanOrEqual('> 1 | '.length + MAX_SHOWN_COLUMNS + 2);
    expect(underCarets(marked, marker)).toBe('X');
  });
});

describe('frames of a real validation', () => {
  it('prints the nesting-depth error of a 10,021-character line and a name with U+202E safely', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accessctl-shown-text-'));
    try {
      const nested = `spec: ${'{"a": '.repeat(40)}1${'}'.repeat(40)}`;
      const deep = `${nested} # ${'c'.repeat(10_021 - nested.length - 3)}`;
      expect(deep).toHaveLength(10_021);
      writeFileSync(join(dir, 'deep.yaml'), `kind: GroupAssignment\n${deep}\n`);
      writeFileSync(join(dir, 'name.yaml'), 'apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Security Leads\u202e\nspec: {}\n');
      const config = await loadConfig('.', dir);
      expect(config.diagnostics.map((d) => d.code).sort()).toEqual(['invisible-character', 'too-deep']);
      const text = renderText(
        { files: config.files, objects: config.objects, diagnostics: config.diagnostics },
        (file) => config.sources.get(file)?.displayText,
        false,
      );
      expect(text).not.toMatch(RAW);
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(200);
      expect(text).toContain('> 4 |   name: Security Leads<U+202E>');
      const lines = text.split('\n');
      const marked = lines.find((line) => line.startsWith('> 2 | …'))!;
      const marker = lines[lines.indexOf(marked) + 1]!;
      // The 33rd level opens at the caret.
      expect(underCarets(marked, marker)).toBe('{');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
