// Specifies parseFile: bytes in, YAML documents with source positions out, and a located refusal
// for everything a config file has no business containing.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { MAX_DEPTH, parseFile } from '../../src/config/parse.js';
import { findSpan, locationAt } from '../../src/config/source.js';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const parse = (text: string | Uint8Array) => parseFile('conf/x.yaml', typeof text === 'string' ? new TextEncoder().encode(text) : text);
const located = (diagnostics: readonly Diagnostic[]): string[] => diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);

const group = (name: string) => lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', `  name: ${name}`, 'spec: {}');

describe('parseFile', () => {
  it('turns a clean file into one document with its data and no diagnostics', () => {
    const parsed = parse(group('Engineering'));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents).toHaveLength(1);
    expect(parsed.documents[0]!.data).toEqual({ apiVersion: 'accessctl/v1', kind: 'GroupAssignment', metadata: { name: 'Engineering' }, spec: {} });
    expect(parsed.file.path).toBe('conf/x.yaml');
  });

  it('keeps each document of a multi-document file with positions in the whole file', () => {
    const parsed = parse(`${group('First')}---\n${group('Second')}---\n${group('Third')}`);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 1, 2]);
    const names = parsed.documents.map((d) => {
      const span = findSpan(d.doc, ['metadata', 'name'])!;
      return [d.data['metadata'], locationAt(d.file, span.start)];
    });
    expect(names).toEqual([
      [{ name: 'First' }, { file: 'conf/x.yaml', line: 4, column: 9 }],
      [{ name: 'Second' }, { file: 'conf/x.yaml', line: 10, column: 9 }],
      [{ name: 'Third' }, { file: 'conf/x.yaml', line: 16, column: 9 }],
    ]);
  });

  it('drops only the broken document of a multi-document file and locates its error in the whole file', () => {
    const parsed = parse(`${group('First')}---\n${group('Second: bad')}---\n${group('Third')}`);
    expect(parsed.documents.map((d) => (d.data['metadata'] as { name: string }).name)).toEqual(['First', 'Third']);
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 2]);
    expect(located(parsed.diagnostics)).toEqual(['10:9 yaml-syntax']);
  });

  it('ignores an empty document and a comment-only file', () => {
    expect(parse('# nothing here\n')).toMatchObject({ documents: [], diagnostics: [] });
    expect(parse('')).toMatchObject({ documents: [], diagnostics: [] });
    expect(parse(`---\n---\n${group('Only')}`).documents).toHaveLength(1);
  });

  it('reads the core schema of YAML 1.2: yes, no and on stay strings, 010 is ten', () => {
    const parsed = parse(lines('a: yes', 'b: no', 'c: on', 'd: 010', 'e: 0x1F', 'f: ~', 'g: 2024-01-01'));
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents[0]!.data).toEqual({ a: 'yes', b: 'no', c: 'on', d: 10, e: 31, f: null, g: '2024-01-01' });
  });

  it('builds data without prototype links that a key could reach', () => {
    const parsed = parse(lines('toString: x', 'hasOwnProperty: y', 'valueOf: z'));
    expect(parsed.diagnostics).toEqual([]);
    const data = parsed.documents[0]!.data;
    expect(Object.keys(data)).toEqual(['toString', 'hasOwnProperty', 'valueOf']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  it('refuses an alias with its position', () => {
    expect(located(parse(lines('a: &x 1', 'b: *x')).diagnostics)).toEqual(['1:4 yaml-anchor', '2:4 yaml-alias']);
  });

  it('refuses an anchor where the anchor is written, not where its value starts', () => {
    const parsed = parse(lines('spec: &s', '  a: 1'));
    expect(parsed.diagnostics).toEqual([expect.objectContaining({ code: 'yaml-anchor', line: 1, column: 7, endLine: 1, endColumn: 9 })]);
  });

  it('refuses a merge key, but accepts a quoted "<<" as an ordinary key', () => {
    expect(located(parse(lines('a: {b: 1}', 'c:', '  <<: {b: 2}')).diagnostics)).toEqual(['3:3 yaml-merge-key']);
    expect(parse(lines('"<<": 1')).diagnostics).toEqual([]);
  });

  it('refuses an explicit tag where the tag is written', () => {
    expect(located(parse(lines('a: !!int "1"')).diagnostics)).toEqual(['1:4 yaml-tag']);
    expect(located(parse(lines('a:', '  - !!map {}', '  - ok')).diagnostics)).toEqual(['2:5 yaml-tag']);
  });

  it('refuses %YAML and %TAG directives', () => {
    expect(located(parse(lines('%YAML 1.2', '---', 'a: 1')).diagnostics)).toEqual(['1:1 yaml-directive']);
    expect(located(parse(lines('%TAG ! tag:example.com,2000:', '---', 'a: 1')).diagnostics)).toEqual(['1:1 yaml-directive']);
  });

  it(`accepts ${MAX_DEPTH} levels of nesting and refuses the next one where it opens`, () => {
    const flow = (depth: number) => `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`;
    // The root mapping is level 1.
    expect(parse(`a: ${flow(MAX_DEPTH)}\n`).diagnostics).toEqual([]);
    expect(located(parse(`a: ${flow(MAX_DEPTH + 1)}\n`).diagnostics)).toEqual([`1:${4 + MAX_DEPTH - 1} too-deep`]);
  });

  it('refuses 20,000 levels of flow mappings without exhausting the stack', () => {
    const parsed = parse(`a: ${'{b: '.repeat(20_000)}\n`);
    expect(parsed.documents).toEqual([]);
    expect(located(parsed.diagnostics)).toEqual([`1:${4 + 4 * (MAX_DEPTH - 1)} too-deep`]);
  });

  it.each(['__proto__', 'constructor', 'prototype', '"__proto__"', "'constructor'"])('refuses the key %s with its position', (key) => {
    const parsed = parse(lines('spec:', '  ok: 1', `  ${key}: {}`));
    expect(parsed.documents).toEqual([]);
    expect(located(parsed.diagnostics)).toEqual(['3:3 forbidden-key']);
  });

  it('refuses bytes that are not UTF-8, pointing at the first bad byte', () => {
    const bytes = Uint8Array.from([...new TextEncoder().encode('a: 1\nb: ok\u00e9 '), 0xff, 0x41, 0x0a]);
    const parsed = parse(bytes);
    expect(parsed.documents).toEqual([]);
    expect(parsed.diagnostics).toEqual([expect.objectContaining({ code: 'encoding', line: 2, column: 8, message: expect.stringContaining('0xff') })]);
  });

  it('refuses a multi-byte character cut short, pointing at its first byte', () => {
    const bytes = Uint8Array.from([...new TextEncoder().encode('name: caf'), 0xe2, 0x82, 0x0a]);
    expect(parse(bytes).diagnostics).toEqual([expect.objectContaining({ code: 'encoding', line: 1, column: 10, message: expect.stringContaining('0xe2') })]);
  });

  it('accepts a UTF-8 byte order mark', () => {
    const parsed = parse(`\ufeff${group('Bom')}`);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents).toHaveLength(1);
  });

  it('refuses a raw control character with its position, but accepts an escaped one', () => {
    expect(located(parse(lines('a: x', 'b: y\u0001z')).diagnostics)).toEqual(['2:5 control-character']);
    expect(parse(lines('a: "bell \\u0007"')).diagnostics).toEqual([]);
  });

  it('accepts tabs inside values and CRLF line endings', () => {
    expect(parse('a: "x\ty"\r\nb: 2\r\n').diagnostics).toEqual([]);
  });

  it.each([
    ['a scalar', 'hello\n', '1:1'],
    ['a sequence', '- a\n- b\n', '1:1'],
    ['a null written out', '---\nnull\n', '2:1'],
  ])('refuses a document root that is %s', (_what, text, at) => {
    const parsed = parse(text);
    expect(parsed.documents).toEqual([]);
    expect(located(parsed.diagnostics)).toEqual([`${at} root-not-mapping`]);
  });

  it('refuses duplicate keys, pointing at the second one', () => {
    expect(located(parse(lines('a: 1', 'b: 2', 'a: 3')).diagnostics)).toEqual(['3:1 yaml-syntax']);
  });

  it('counts parser warnings as errors', () => {
    const parsed = parse(lines('a: !custom x'));
    expect(parsed.diagnostics.every((d) => d.severity === 'error')).toBe(true);
    expect(parsed.diagnostics.map((d) => d.code)).toContain('yaml-warning');
  });

  it('refuses complex and empty keys', () => {
    expect(located(parse(lines('? [a]', ': 1')).diagnostics)).toEqual(['1:3 yaml-complex-key']);
    expect(located(parse(lines('a: 1', ': 2')).diagnostics)).toEqual(['2:1 yaml-empty-key']);
  });

  it('keeps columns right on CRLF lines', () => {
    const parsed = parse('a: 1\r\nb: &x 2\r\n');
    expect(located(parsed.diagnostics)).toEqual(['2:4 yaml-anchor']);
  });

  it('gives every diagnostic an end on or after its start', () => {
    const parsed = parse(lines('a: &x [1, 2]', 'b: *x', 'c: !!str d', '__proto__: 1'));
    expect(parsed.diagnostics.length).toBe(4);
    for (const d of parsed.diagnostics) {
      expect(d.endLine).toBeGreaterThanOrEqual(d.line);
      if (d.endLine === d.line) expect(d.endColumn).toBeGreaterThan(d.column);
    }
  });

  it('makes the line index of a file from its masked text only when a location is first asked for', () => {
    const parsed = parse(lines('kind: WebhookChannel', 'spec:', '  signingSecret: hunter2hunter2', '  url: https://example.com/hook'));
    // Not a value made with the file: a getter, which makes it on first use.
    expect(Object.getOwnPropertyDescriptor(parsed.file, 'lineCounter')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(parsed.file), 'lineCounter')?.get).toBeTypeOf('function');
    expect(parsed.file.displayText).not.toContain('hunter2');
    expect(locationAt(parsed.file, parsed.file.displayText.indexOf('url'))).toEqual({ file: 'conf/x.yaml', line: 4, column: 3 });
    expect(parsed.file.lineCounter).toBe(parsed.file.lineCounter);
    expect(parsed.file.lineCounter.lineStarts).toEqual([0, 21, 27, 59, 91]);
  });
});
