// Parsed YAML documents that remember where every node came from, so any finding about a value
// (from the schema, a semantic rule or the plan) can name its file:line:col.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import { formatPath, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import type { SourceLocation } from '../errors.js';

export type DocPath = readonly (string | number)[];

export interface SourceFile {
  /** The path as shown to the user. */
  path: string;
  /** The file's text, with secret values masked, for code frames. */
  displayText: string;
  lineCounter: LineCounter;
}

export interface SourceDocument {
  file: SourceFile;
  /** 0-based index of the document within its file. */
  index: number;
  doc: Document.Parsed;
  /** The document as plain data; only set when the document passed the structural checks. */
  data: Record<string, unknown>;
}

export interface Span {
  start: number;
  end: number;
}

/** Finds the node at `path`; with part 'key', the key of the last segment (for unknown or misplaced fields). */
export function findSpan(doc: Document.Parsed, path: DocPath, part: 'key' | 'value' = 'value'): Span | undefined {
  let node: Node | null | undefined = doc.contents;
  let keyNode: Node | null | undefined;
  for (const segment of path) {
    keyNode = undefined;
    if (isMap(node) && typeof segment === 'string') {
      const pair: Pair<unknown, unknown> | undefined = node.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === segment,
      );
      if (!pair) return undefined;
      keyNode = pair.key as Node;
      node = pair.value as Node | null;
      // `key:` with no value parses as an empty null scalar just past the colon.
      if (node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])) {
        // `key:` with no value: the key is the best place to point at.
        node = keyNode;
      }
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

/** The deepest existing ancestor's span, so a finding about a missing field still lands near it. */
export function nearestSpan(doc: Document.Parsed, path: DocPath, part: 'key' | 'value' = 'value'): Span {
  for (let length = path.length; length > 0; length--) {
    const span = findSpan(doc, path.slice(0, length), length === path.length ? part : 'key');
    if (span) return span;
  }
  const range = doc.contents?.range ?? doc.range;
  return { start: range[0], end: range[0] };
}

export function locationAt(file: SourceFile, offset: number): SourceLocation {
  const { line, col } = file.lineCounter.linePos(offset);
  return { file: file.path, line: Math.max(line, 1), column: Math.max(col, 1) };
}

export function locate(source: SourceDocument, path: DocPath, part: 'key' | 'value' = 'value'): SourceLocation {
  return locationAt(source.file, nearestSpan(source.doc, path, part).start);
}

export function diagnosticAt(
  file: SourceFile,
  span: Span,
  severity: Severity,
  code: string,
  message: string,
  path: DocPath = [],
): Diagnostic {
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
