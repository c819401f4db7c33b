// Parsed YAML documents that remember where every node came from, so any finding about a value
// (from the schema, a semantic rule or the plan) can name its file:line:col. A document keeps a
// compact index of its nodes' offsets, not its syntax tree: thousands of kept trees cost the GC dearly.
import { isMap, isNode, isScalar, isSeq, LineCounter, type Node, type Scalar } from 'yaml';
import { formatPath, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import type { SourceLocation } from '../errors.js';

export type DocPath = readonly (string | number)[];

export interface SourceFile {
  /** The path as shown to the user. */
  path: string;
  /** The file's text, with secret values masked, for code frames. */
  displayText: string;
  readonly lineCounter: LineCounter;
}

/** The line starts of a file's text (its display text keeps every newline, so either serves). */
export function lineCounterFor(text: string): LineCounter {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) counter.addNewLine(i + 1);
  return counter;
}

/**
 * A file's record whose line index is made from its display text the first time a location is asked
 * for: most files of a valid config never are, and 10,000 kept line indexes cost the GC. A class,
 * with the getter on its prototype: an object literal with a getter costs about 1 us to make.
 */
class LazyLinesFile implements SourceFile {
  #lines: LineCounter | undefined;

  constructor(
    public path: string,
    public displayText: string,
  ) {}

  get lineCounter(): LineCounter {
    this.#lines ??= lineCounterFor(this.displayText);
    return this.#lines;
  }
}

export function sourceFile(path: string, displayText: string): SourceFile {
  return new LazyLinesFile(path, displayText);
}

export interface SourceDocument {
  file: SourceFile;
  /** 0-based index of the document within its file. */
  index: number;
  /** Where each node of the document lies in its file (the syntax tree itself is not kept). */
  doc: DocumentLocations;
  /** The document as plain data; only set when the document passed the structural checks. */
  data: Record<string, unknown>;
}

export interface Span {
  start: number;
  end: number;
}

// One record per node, in breadth-first order so that a collection's children are consecutive.
const KIND = 0;
const START = 1;
const END = 2;
const KEY_START = 3;
const KEY_END = 4;
const FIRST_CHILD = 5;
const CHILDREN = 6;
const STRIDE = 7;
// A node's kind: only maps and sequences can be walked into; an absent item stops a walk.
const LEAF = 0;
const MAP = 1;
const SEQ = 2;
const ABSENT = 3;

// One buffer for the records of every document withData indexes: each index copies out its own length.
let recordScratch = new Int32Array(STRIDE * 256);

/**
 * The offsets of every node of one parsed document: for each node its kind and span, for a map
 * entry its key's span and name. It answers what the syntax tree answered (findSpan) and nothing
 * else, in a few integers per node.
 */
export class DocumentLocations {
  private constructor(
    private readonly records: Int32Array,
    /** The key of each node that is a map entry's value, by node; undefined for the rest. */
    private readonly keys: readonly (string | undefined)[],
  ) {}

  /** Indexes a composed document's contents (a document that passed the structural checks). */
  static of(contents: Node): DocumentLocations {
    const nodes: unknown[] = [contents];
    const keys: (string | undefined)[] = [undefined];
    const records: number[] = [];
    pushRecord(records, contents, undefined);
    for (let at = 0; at < nodes.length; at++) {
      const node = nodes[at];
      const record = at * STRIDE;
      if (records[record + KIND] === MAP && isMap(node)) {
        records[record + FIRST_CHILD] = nodes.length;
        records[record + CHILDREN] = node.items.length;
        for (const pair of node.items) {
          // The structural checks admit only scalar keys; the rest are kept unnamed, so never found.
          const key = isScalar(pair.key) ? pair.key : undefined;
          nodes.push(pair.value);
          keys.push(key === undefined ? undefined : String(key.value));
          pushRecord(records, pair.value, key);
        }
      } else if (records[record + KIND] === SEQ && isSeq(node)) {
        records[record + FIRST_CHILD] = nodes.length;
        records[record + CHILDREN] = node.items.length;
        for (const item of node.items) {
          nodes.push(item);
          keys.push(undefined);
          pushRecord(records, item, undefined);
        }
      }
    }
    return new DocumentLocations(new Int32Array(records), keys);
  }

  /**
   * The index and the plain data of a document in one breadth-first walk, for the common document
   * that holds only mappings with scalar keys, sequences of nodes and scalars, with no anchor, tag
   * or alias anywhere and only keys `admitKey` admits. Undefined as soon as the walk meets anything
   * else: the caller then takes the careful path (its structural checks, `toJS`, `of`), so this one
   * has to be exact only for the documents it accepts. For those, `data` is what
   * `doc.toJS({ maxAliasCount: 0 })` makes and `locations` what `of` makes (test/config/plain-index.test.ts).
   * It exists for speed: one walk with no per-node allocation but the data's own, where the careful
   * path walks the tree three times (validate over 10,000 files spends most of its time parsing).
   */
  static withData(contents: unknown, admitKey: (name: string) => boolean): { locations: DocumentLocations; data: Record<string, unknown> } | undefined {
    if (!isMap(contents) || contents.anchor || contents.tag || !contents.range) return undefined;
    const data: Record<string, unknown> = {};
    // By node, in breadth-first order: the tree node, its value in the data (a collection still to be
    // filled, or a scalar's value) and the key it is the value of.
    const nodes: unknown[] = [contents];
    const values: unknown[] = [data];
    const keys: (string | undefined)[] = [undefined];
    let records = recordScratch;
    records[KIND] = MAP;
    records[START] = contents.range[0];
    records[END] = contents.range[1];
    records[KEY_START] = -1;
    records[KEY_END] = -1;
    // Indexed loops, no iterators and no closures: this runs once per node of every file.
    for (let at = 0; at < nodes.length; at++) {
      const node = nodes[at];
      const record = at * STRIDE;
      let items: readonly unknown[];
      if (isMap(node)) items = node.items;
      else if (isSeq(node)) items = node.items;
      else {
        records[record + FIRST_CHILD] = 0;
        records[record + CHILDREN] = 0;
        continue;
      }
      const map = records[record + KIND] === MAP;
      const target = values[at] as Record<string, unknown> | unknown[];
      records[record + FIRST_CHILD] = nodes.length;
      records[record + CHILDREN] = items.length;
      for (let i = 0; i < items.length; i++) {
        let child: unknown;
        let key: Scalar | undefined;
        let name: string | undefined;
        if (map) {
          const pair = items[i] as { key: unknown; value: unknown };
          const keyNode = pair.key;
          if (!isScalar(keyNode) || keyNode.value === null || keyNode.anchor || keyNode.tag || !keyNode.range) return undefined;
          key = keyNode;
          name = String(keyNode.value);
          if (!admitKey(name)) return undefined;
          child = pair.value;
        } else {
          child = items[i];
        }
        if (!isNode(child) || child.anchor || child.tag || !child.range) return undefined;
        let kind: number;
        let value: unknown;
        let start = child.range[0];
        let end = child.range[1];
        if (isMap(child)) {
          kind = MAP;
          value = {};
        } else if (isSeq(child)) {
          kind = SEQ;
          value = [];
        } else if (isScalar(child)) {
          kind = LEAF;
          value = child.value;
          // `key:` with no value: the key is the place to point at, as in `of`.
          if (key !== undefined && value === null && start === end) {
            start = key.range![0];
            end = key.range![1];
          }
        } else {
          return undefined;
        }
        const count = nodes.length;
        if ((count + 1) * STRIDE > records.length) {
          const grown = new Int32Array(records.length * 2);
          grown.set(records);
          records = recordScratch = grown;
        }
        const slot = count * STRIDE;
        records[slot + KIND] = kind;
        records[slot + START] = start;
        records[slot + END] = end;
        records[slot + KEY_START] = key === undefined ? -1 : key.range![0];
        records[slot + KEY_END] = key === undefined ? -1 : key.range![1];
        nodes.push(child);
        values.push(value);
        keys.push(name);
        if (map) {
          // As the yaml package's addPairToJSMap: a name the object already has (on itself or its
          // prototype) is defined, not assigned, so no setter runs.
          if (name! in target) Object.defineProperty(target, name!, { value, writable: true, enumerable: true, configurable: true });
          else (target as Record<string, unknown>)[name!] = value;
        } else {
          (target as unknown[]).push(value);
        }
      }
    }
    return { locations: new DocumentLocations(records.slice(0, nodes.length * STRIDE), keys), data };
  }

  /** The index as plain lists, for a parse kept on disk (src/config/disk-cache.ts). */
  toParts(): { records: number[]; keys: (string | null)[] } {
    return { records: Array.from(this.records), keys: this.keys.map((key) => key ?? null) };
  }

  /**
   * An index read back from `toParts()`, or undefined when the lists are not one: each record's kind
   * is known, spans lie within a text of `textLength` characters, and a collection's children are
   * later records, so no walk can leave the index or loop.
   */
  static fromParts(records: readonly number[], keys: readonly (string | null)[], textLength: number): DocumentLocations | undefined {
    const count = keys.length;
    if (count === 0 || records.length !== count * STRIDE) return undefined;
    for (let node = 0; node < count; node++) {
      const at = node * STRIDE;
      const [kind, start, end, keyStart, keyEnd, first, children] = records.slice(at, at + STRIDE) as [number, number, number, number, number, number, number];
      if (!records.slice(at, at + STRIDE).every((value) => Number.isInteger(value) && value >= -1 && value <= 0x7fffffff)) return undefined;
      if (kind < LEAF || kind > ABSENT || start < 0 || end < start || end > textLength) return undefined;
      if (keyStart === -1 ? keyEnd !== -1 : keyStart < 0 || keyEnd < keyStart || keyEnd > textLength) return undefined;
      if (children < 0 || (children > 0 && (kind === LEAF || kind === ABSENT || first <= node || first + children > count))) return undefined;
    }
    return new DocumentLocations(
      Int32Array.from(records),
      keys.map((key) => key ?? undefined),
    );
  }

  /** Where the document's contents start: where a finding about the whole document points. */
  get start(): number {
    return this.records[START]!;
  }

  /** The node at `path`, as an index, or -1 when there is none. */
  private nodeAt(path: DocPath): number {
    let node = 0;
    for (const segment of path) {
      const record = node * STRIDE;
      const kind = this.records[record + KIND];
      const first = this.records[record + FIRST_CHILD]!;
      const count = this.records[record + CHILDREN]!;
      if (kind === MAP && typeof segment === 'string') {
        let found = -1;
        for (let child = first; child < first + count; child++) {
          if (this.keys[child] === segment) {
            found = child;
            break;
          }
        }
        node = found;
      } else if (kind === SEQ && typeof segment === 'number') {
        node = Number.isInteger(segment) && segment >= 0 && segment < count ? first + segment : -1;
      } else {
        return -1;
      }
      if (node === -1 || this.records[node * STRIDE + KIND] === ABSENT) return -1;
    }
    return node;
  }

  /** The span of the node at `path`; with part 'key', of the key of the last segment when it names a map entry. */
  span(path: DocPath, part: 'key' | 'value' = 'value'): Span | undefined {
    const node = this.nodeAt(path);
    if (node === -1) return undefined;
    const record = node * STRIDE;
    if (part === 'key' && this.records[record + KEY_START]! >= 0) {
      return { start: this.records[record + KEY_START]!, end: this.records[record + KEY_END]! };
    }
    return { start: this.records[record + START]!, end: this.records[record + END]! };
  }
}

/** Appends the record of `node`, the value of the map entry with `key` when there is one (its children are filled in later). */
function pushRecord(records: number[], node: unknown, key: Node | undefined): void {
  const range = isNode(node) ? node.range : undefined;
  // `key:` with no value parses as an empty null scalar just past the colon (or as no node at
  // all): the key is the best place to point at, and nothing lies below it.
  const empty = key !== undefined && (node === null || node === undefined || (isScalar(node) && node.value === null && range?.[0] === range?.[1]));
  const kind = empty ? LEAF : isMap(node) ? MAP : isSeq(node) ? SEQ : range ? LEAF : ABSENT;
  const span = empty ? key.range : range;
  records.push(kind, span?.[0] ?? 0, span?.[1] ?? 0, key?.range?.[0] ?? -1, key?.range?.[1] ?? -1, 0, 0);
}

/** Finds the node at `path`; with part 'key', the key of the last segment (for unknown or misplaced fields). */
export function findSpan(doc: DocumentLocations, path: DocPath, part: 'key' | 'value' = 'value'): Span | undefined {
  return doc.span(path, part);
}

/** The deepest existing ancestor's span, so a finding about a missing field still lands near it. */
export function nearestSpan(doc: DocumentLocations, path: DocPath, part: 'key' | 'value' = 'value'): Span {
  for (let length = path.length; length > 0; length--) {
    const span = findSpan(doc, path.slice(0, length), length === path.length ? part : 'key');
    if (span) return span;
  }
  return { start: doc.start, end: doc.start };
}

export function locationAt(file: SourceFile, offset: number): SourceLocation {
  const { line, col } = file.lineCounter.linePos(offset);
  return { file: file.path, line: Math.max(line, 1), column: Math.max(col, 1) };
}

export function locate(source: SourceDocument, path: DocPath, part: 'key' | 'value' = 'value'): SourceLocation {
  return locationAt(source.file, nearestSpan(source.doc, path, part).start);
}

export function diagnosticAt(file: SourceFile, span: Span, severity: Severity, code: string, message: string, path: DocPath = []): Diagnostic {
  const start = locationAt(file, span.start);
  // Point at the last character, not one past it, so the end stays on the node's own line.
  const end = locationAt(file, Math.max(span.start, span.end - 1));
  return {
    file: file.path,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column + 1,
    severity,
    code,
    message,
    path: formatPath(path),
  };
}

/** A diagnostic about the node at `path` in a parsed document. */
export function diagnosticFor(
  source: SourceDocument,
  path: DocPath,
  severity: Severity,
  code: string,
  message: string,
  part: 'key' | 'value' = 'value',
): Diagnostic {
  return diagnosticAt(source.file, nearestSpan(source.doc, path, part), severity, code, message, path);
}
