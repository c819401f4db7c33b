// Holds the one-walk path of parse (DocumentLocations.withData) to the careful path it short-cuts:
// for every document it accepts, the same location index as DocumentLocations.of and the same data
// as doc.toJS(); and it accepts nothing the structural checks would refuse.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, type Document } from 'yaml';
import { admitKey, COMPOSE_OPTIONS, parseFile } from '../../src/config/parse.js';
import { DocumentLocations } from '../../src/config/source.js';
import { fixtureAndExampleFiles, oddShapes } from './yaml-shapes.js';

/** The composition parseFile runs. */
function compose(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, COMPOSE_OPTIONS);
  return Array.isArray(docs) ? docs : [];
}

/** Compares the one walk with the careful path for every error-free document of `text`; returns how many it accepted. */
function compare(name: string, text: string): number {
  let accepted = 0;
  for (const [index, doc] of compose(text).entries()) {
    if (doc.errors.length > 0 || doc.warnings.length > 0) continue;
    const plain = DocumentLocations.withData(doc.contents, admitKey);
    if (plain === undefined) continue;
    accepted++;
    const label = `${name} #${index}`;
    expect(plain.locations.toParts(), label).toEqual(DocumentLocations.of(doc.contents!).toParts());
    const data = doc.toJS({ maxAliasCount: 0 }) as Record<string, unknown>;
    expect(plain.data, label).toStrictEqual(data);
    // Same own keys in the same order, all the way down.
    expect(JSON.stringify(plain.data), label).toBe(JSON.stringify(data));
  }
  return accepted;
}

describe('the one-walk index and data', () => {
  it('matches the careful path on every document of the location fixtures and the examples', () => {
    const files = fixtureAndExampleFiles();
    let accepted = 0;
    for (const file of files) accepted += compare(file, readFileSync(file, 'utf8'));
    expect(accepted).toBeGreaterThan(10);
  });

  it('matches the careful path on empty values, nulls, flow style, quoted, numeric and prototype-named keys', () => {
    expect(compare('shapes.yaml', oddShapes)).toBe(3);
  });

  it('refuses, for the careful path to judge, every document holding what the structural checks refuse', () => {
    const refused = [
      'a: &x 1\nb: 2\n',
      'a: 1\nb: *x\n',
      'a: !!str 1\n',
      'a: !custom {b: 1}\n',
      '!!map\na: 1\n',
      '&root\na: 1\n',
      'a:\n  <<: {b: 1}\n',
      'a:\n  "<<": {b: 1}\n',
      '__proto__: {polluted: true}\n',
      'a:\n  constructor: x\n',
      'a: {prototype: x}\n',
      '? [a, b]\n: complex key\n',
      '? {a: b}\n: complex key\n',
      ': empty key\n',
      '~: null key\n',
      '&k a: anchored key\n',
      '!!str a: tagged key\n',
      '- a\n- b\n',
      'just a scalar\n',
      '',
    ];
    for (const text of refused) {
      for (const doc of compose(text)) expect(DocumentLocations.withData(doc.contents, admitKey), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('leaves parseFile finding what it found: refusals, positions and data of a mixed file', () => {
    const text = 'kind: A\nmetadata: {name: x}\n---\nkind: B\nspec: &a {x: 1}\n---\nkind: C\n1: one\n"1": two\n';
    const parsed = parseFile('mixed.yaml', new TextEncoder().encode(text));
    expect(parsed.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['yaml-anchor', 5, 7]]);
    expect(parsed.documents.map((d) => [d.index, d.data])).toEqual([
      [0, { kind: 'A', metadata: { name: 'x' } }],
      [2, { kind: 'C', 1: 'two' }],
    ]);
  });
});
