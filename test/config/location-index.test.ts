// Holds the compact location index to the syntax tree it replaces: for every node of every document
// in the location fixtures, the examples and a set of awkward shapes, with the key or the value asked
// for, and for paths that lead nowhere, it answers the span the tree answered.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import { COMPOSE_OPTIONS, parseFile } from '../../src/config/parse.js';
import { findSpan, nearestSpan, type DocPath, type Span } from '../../src/config/source.js';
import { fixtureAndExampleFiles, oddShapes } from './yaml-shapes.js';

/** How accessctl located a path while it kept the syntax tree: the reference the index must match. */
function treeSpan(doc: Document.Parsed, path: DocPath, part: 'key' | 'value'): Span | undefined {
  let node: Node | null | undefined = doc.contents;
  let keyNode: Node | null | undefined;
  for (const segment of path) {
    keyNode = undefined;
    if (isMap(node) && typeof segment === 'string') {
      const pair: Pair<unknown, unknown> | undefined = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
      if (node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])) node = keyNode;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment] as Node | undefined;
    } else {
      return undefined;
    }
    if (!node) return undefined;
  }
  const target = part === 'key' && keyNode ? keyNode : node;
  if (!target?.range) return undefined;
  return { start: target.range[0], end: target.range[1] };
}

function treeNearest(doc: Document.Parsed, path: DocPath, part: 'key' | 'value'): Span {
  for (let length = path.length; length > 0; length--) {
    const span = treeSpan(doc, path.slice(0, length), length === path.length ? part : 'key');
    if (span) return span;
  }
  const range = doc.contents?.range ?? doc.range;
  return { start: range[0], end: range[0] };
}

/** Every path to a node, and beside each collection a key or an index that is not there. */
function pathsOf(node: unknown, path: DocPath = [], into: DocPath[] = []): DocPath[] {
  into.push(path);
  if (isMap(node)) {
    for (const pair of node.items) if (isScalar(pair.key)) pathsOf(pair.value, [...path, String(pair.key.value)], into);
    into.push([...path, 'not-there'], [...path, 0]);
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) pathsOf(item, [...path, i], into);
    into.push([...path, node.items.length], [...path, -1], [...path, 'name']);
  } else {
    into.push([...path, 'below'], [...path, 0]);
  }
  return into;
}

/** Compares the index with the tree for one file's text; returns how many lookups agreed. */
function compare(name: string, text: string): number {
  const bytes = new TextEncoder().encode(text);
  const parsed = parseFile(name, bytes);
  // The same composition parseFile runs, kept whole here for the reference.
  const decoded = new TextDecoder('utf-8').decode(bytes);
  const docs = parseAllDocuments(decoded, COMPOSE_OPTIONS);
  const trees = Array.isArray(docs) ? docs : [];
  let checked = 0;
  for (const source of parsed.documents) {
    const tree = trees[source.index]!;
    for (const path of pathsOf(tree.contents)) {
      for (const part of ['key', 'value'] as const) {
        expect(findSpan(source.doc, path, part), `${name} #${source.index} ${JSON.stringify(path)} ${part}`).toEqual(treeSpan(tree, path, part));
        expect(nearestSpan(source.doc, path, part), `${name} #${source.index} ${JSON.stringify(path)} ${part} (nearest)`).toEqual(
          treeNearest(tree, path, part),
        );
        checked++;
      }
    }
  }
  return checked;
}

describe('the compact location index', () => {
  it('answers as the syntax tree did for every node of the location fixtures and the examples', () => {
    const files = fixtureAndExampleFiles();
    expect(files.length).toBeGreaterThan(10);
    let checked = 0;
    for (const file of files) checked += compare(file, readFileSync(file, 'utf8'));
    expect(checked).toBeGreaterThan(1000);
  });

  it('answers as the syntax tree did for empty values, nulls, flow style, quoted and numeric keys, and several documents', () => {
    expect(compare('shapes.yaml', oddShapes)).toBeGreaterThan(200);
  });

  it('answers as the syntax tree did with CRLF line endings and non-ASCII text', () => {
    const text = 'kind: ApprovalFlow\r\nmetadata:\r\n  name: Zugriff für Ärzte 🩺\r\nspec:\r\n  visibleTo:\r\n    - Grüppe\r\n    - 组\r\n';
    expect(compare('crlf.yaml', text)).toBeGreaterThan(20);
  });
});
