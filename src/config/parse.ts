// Turns one file's bytes into YAML documents with positions, refusing everything a config file has
// no business containing: bad UTF-8, directives, anchors, aliases, merge keys, tags, deep nesting,
// prototype keys and roots that are not mappings. Each refusal is a located diagnostic.
import { type CST, Composer, isAlias, isMap, isNode, isPair, isScalar, isSeq, Parser, type Document } from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { diagnosticAt, DocumentLocations, sourceFile, type SourceDocument, type SourceFile } from './source.js';
import { maskSecretTokens, maskSecretValues } from './secrets.js';

export const MAX_DEPTH = 32;
/** Keys no config object may hold (they would reach an object's prototype); the disk cache refuses them too. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParsedFile {
  file: SourceFile;
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text, or the offset of the first byte of the first sequence that is not valid UTF-8 (a stray
 * byte, an overlong form, a surrogate, a truncated sequence).
 */
function decodeUtf8(bytes: Uint8Array): { text: string } | { invalidAt: number } {
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { invalidAt: firstInvalidUtf8(bytes) };
  }
}

/** Where decoding went wrong, by the ranges of RFC 3629 section 4: the sequence's start, not where the decoder noticed. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const [length, low, high] =
      lead >= 0xc2 && lead <= 0xdf
        ? [2, 0x80, 0xbf]
        : lead === 0xe0
          ? [3, 0xa0, 0xbf]
          : lead === 0xed
            ? [3, 0x80, 0x9f]
            : lead >= 0xe1 && lead <= 0xef
              ? [3, 0x80, 0xbf]
              : lead === 0xf0
                ? [4, 0x90, 0xbf]
                : lead >= 0xf1 && lead <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : lead === 0xf4
                    ? [4, 0x80, 0x8f]
                    : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return bytes.length;
}

// Characters YAML 1.2 does not allow in a stream (outside c-printable): C0 controls other than tab,
// LF and CR, DEL, C1 controls other than NEL, and the noncharacters U+FFFE and U+FFFF. The `yaml`
// package accepts them; a quoted escape such as "\u0007" is still allowed (the schema rules then decide).
const NON_PRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/;

/**
 * Walks the concrete syntax tree without recursion, so hostile nesting cannot exhaust the stack.
 * The stack is two parallel lists (token, depth), not an object per item: this runs over every file.
 */
function findTooDeep(tokens: readonly CST.Token[]): CST.Token | undefined {
  const stack: CST.Token[] = [];
  const depths: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    stack.push(tokens[i]!);
    depths.push(0);
  }
  while (stack.length > 0) {
    const token = stack.pop()!;
    const depth = depths.pop()!;
    if (token.type === 'document') {
      if (token.value) {
        stack.push(token.value);
        depths.push(depth);
      }
      continue;
    }
    if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      const inner = depth + 1;
      if (inner > MAX_DEPTH) return token;
      const items = token.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if ('key' in item && item.key) {
          stack.push(item.key);
          depths.push(inner);
        }
        if (item.value) {
          stack.push(item.value);
          depths.push(inner);
        }
      }
    }
  }
  return undefined;
}

type Span = readonly [number, number];

/** Where each anchor (&a) and tag (!t) is written, in source order; walked without recursion like findTooDeep. */
function propertySpans(tokens: readonly CST.Token[]): { anchor: Span[]; tag: Span[] } {
  const found: { anchor: Span[]; tag: Span[] } = { anchor: [], tag: [] };
  const stack: CST.Token[] = [...tokens];
  const push = (more: readonly (CST.Token | null | undefined)[] | undefined): void => {
    for (const token of more ?? []) if (token) stack.push(token);
  };
  while (stack.length > 0) {
    const token = stack.pop()!;
    if (token.type === 'anchor' || token.type === 'tag') {
      found[token.type].push([token.offset, token.offset + token.source.length]);
    } else if (token.type === 'document') {
      push(token.start);
      push([token.value]);
    } else if (token.type === 'block-scalar') {
      push(token.props);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      for (const item of token.items) {
        push(item.start);
        if ('key' in item) push([item.key]);
        push(item.sep);
        push([item.value]);
      }
    }
  }
  found.anchor.sort((a, b) => a[0] - b[0]);
  found.tag.sort((a, b) => a[0] - b[0]);
  return found;
}

/** A node's own property is the last one written before the node's content starts. */
function propertyBefore(spans: readonly Span[], start: number): Span | undefined {
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (spans[mid]![0] < start) low = mid + 1;
    else high = mid;
  }
  return low > 0 ? spans[low - 1] : undefined;
}

function structuralDiagnostics(file: SourceFile, doc: Document.Parsed, props: () => { anchor: Span[]; tag: Span[] }): Diagnostic[] {
  const found: Diagnostic[] = [];
  const at = (range: readonly number[] | null | undefined, code: string, message: string): void => {
    const start = range?.[0] ?? 0;
    found.push(diagnosticAt(file, { start, end: range?.[1] ?? start }, 'error', code, message));
  };
  const checkKey = (key: unknown, value: unknown): void => {
    if (key === null || (isScalar(key) && key.value === null)) {
      at(isScalar(key) ? key.range : isNode(value) ? value.range : undefined, 'yaml-empty-key', 'a mapping key is empty');
      return;
    }
    if (!isScalar(key)) {
      at(isNode(key) ? key.range : undefined, 'yaml-complex-key', 'mapping keys must be plain strings');
      return;
    }
    const name = String(key.value);
    if (name === '<<' && key.type === 'PLAIN') {
      at(key.range, 'yaml-merge-key', 'merge keys (<<) are not allowed: write the fields out in full');
    } else if (FORBIDDEN_KEYS.has(name)) {
      at(key.range, 'forbidden-key', `the key "${name}" is not allowed`);
    }
  };
  // An explicit stack: the depth check above bounds nesting, and this avoids visit()'s per-node path arrays.
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const item = stack.pop();
    if (isPair(item)) {
      checkKey(item.key, item.value);
      stack.push(item.value, item.key);
      continue;
    }
    if (!isNode(item)) continue;
    if (isAlias(item)) {
      at(item.range, 'yaml-alias', `aliases (*${item.source}) are not allowed: write the value out in full`);
      continue;
    }
    const start = item.range?.[0] ?? 0;
    if (item.anchor)
      at(propertyBefore(props().anchor, start) ?? item.range, 'yaml-anchor', `anchors (&${item.anchor}) are not allowed: write each value out in full`);
    if (item.tag) at(propertyBefore(props().tag, start) ?? item.range, 'yaml-tag', `explicit tags (${item.tag}) are not allowed`);
    if (isMap(item) || isSeq(item)) for (let i = item.items.length - 1; i >= 0; i--) stack.push(item.items[i]);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    at(doc.contents.range, 'root-not-mapping', 'a document must be a mapping with apiVersion, kind, metadata and spec');
  }
  return found;
}

/**
 * Whether a document holds nothing but comments and blank lines (`---` then nothing, or a trailing
 * `---`): the composer gives it an empty null scalar, with no tag or anchor. An explicit `~` or
 * `null` is written out, so it is not empty, and is refused as a root that is not a mapping.
 */
export function isEmptyDocument(doc: Document.Parsed): boolean {
  const contents = doc.contents;
  if (contents === null) return true;
  return (
    isScalar(contents) &&
    contents.value === null &&
    !contents.tag &&
    !contents.anchor &&
    (contents.range === undefined || contents.range[0] === contents.range[1])
  );
}

/** The composer's own errors and warnings of one document, located. */
function yamlProblems(file: SourceFile, doc: Document.Parsed): Diagnostic[] {
  return [...doc.errors, ...doc.warnings].map((problem) => {
    const [start, end] = problem.pos;
    const message = problem.message.split('\n')[0]!;
    return diagnosticAt(file, { start, end }, 'error', problem.name === 'YAMLWarning' ? 'yaml-warning' : 'yaml-syntax', message);
  });
}

/** How config YAML is composed: YAML 1.2 core schema, unique keys, no merge keys, strict. */
export const COMPOSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  uniqueKeys: true,
  merge: false,
  strict: true,
  prettyErrors: false,
  stringKeys: false,
} as const;

/**
 * The keys the one-walk path admits: none that structuralDiagnostics refuses (a merge key, quoted
 * or not, is left to it to judge).
 */
export function admitKey(name: string): boolean {
  return name !== '<<' && !FORBIDDEN_KEYS.has(name);
}

export function parseFile(path: string, bytes: Uint8Array): ParsedFile {
  const decoded = decodeUtf8(bytes);
  if ('invalidAt' in decoded) {
    const { invalidAt } = decoded;
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, invalidAt));
    // The prefix cannot be composed safely (it may be too deep), so mask from its syntax tree.
    const displayText = maskSecretTokens(prefix, [...new Parser().parse(prefix)]);
    const file = sourceFile(path, displayText);
    const hex = bytes[invalidAt]!.toString(16).padStart(2, '0');
    return {
      file,
      documents: [],
      diagnostics: [
        diagnosticAt(file, { start: prefix.length, end: prefix.length }, 'error', 'encoding', `byte 0x${hex} is not valid UTF-8: config files must be UTF-8`),
      ],
    };
  }
  const { text } = decoded;
  const file = sourceFile(path, text);
  const diagnostics: Diagnostic[] = [];
  const tokens = [...new Parser().parse(text)];

  const nonPrintable = NON_PRINTABLE.exec(text);
  if (nonPrintable) {
    const codePoint = `U+${nonPrintable[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    diagnostics.push(
      diagnosticAt(
        file,
        { start: nonPrintable.index, end: nonPrintable.index + 1 },
        'error',
        'control-character',
        `the control character ${codePoint} is not allowed in YAML; write it as an escape in a double-quoted string if it is meant`,
      ),
    );
  }
  for (const token of tokens) {
    if (token.type === 'directive') {
      diagnostics.push(
        diagnosticAt(
          file,
          { start: token.offset, end: token.offset + token.source.length },
          'error',
          'yaml-directive',
          `directives (${token.source.split(/\s/)[0]}) are not allowed`,
        ),
      );
    }
  }
  const deep = findTooDeep(tokens);
  if (deep) {
    // Composing would recurse once per level; stop here.
    const offset = 'offset' in deep ? deep.offset : 0;
    diagnostics.push(diagnosticAt(file, { start: offset, end: offset }, 'error', 'too-deep', `nesting is deeper than ${MAX_DEPTH} levels`));
    file.displayText = maskSecretTokens(text, tokens);
    return { file, documents: [], diagnostics };
  }

  const composer = new Composer(COMPOSE_OPTIONS);
  const docs = [...composer.compose(tokens, true, text.length)];
  // Only a file with an anchor or a tag needs their positions; most files have neither.
  let spans: { anchor: Span[]; tag: Span[] } | undefined;
  const props = (): { anchor: Span[]; tag: Span[] } => (spans ??= propertySpans(tokens));
  const documents: SourceDocument[] = [];
  // A document's index counts only the documents that hold something: an empty one is skipped.
  let index = -1;
  for (const doc of docs) {
    const clean = doc.errors.length === 0 && doc.warnings.length === 0;
    // As kubectl and Argo CD do: a `---` with nothing but comments after it declares nothing.
    if (isEmptyDocument(doc)) {
      if (!clean) diagnostics.push(...yamlProblems(file, doc));
      continue;
    }
    index++;
    if (clean) {
      // The common document passes every structural check by construction: one walk indexes it and
      // makes its data. Anything it does not vouch for takes the careful path below.
      const plain = DocumentLocations.withData(doc.contents, admitKey);
      if (plain !== undefined) {
        documents.push({ file, index, doc: plain.locations, data: plain.data });
        continue;
      }
    }
    const found = yamlProblems(file, doc);
    found.push(...structuralDiagnostics(file, doc, props));
    diagnostics.push(...found);
    if (found.length === 0 && doc.contents !== null) {
      const data = doc.toJS({ maxAliasCount: 0 }) as Record<string, unknown>;
      // Only the offsets outlive this function: the document and its syntax tree become garbage.
      documents.push({ file, index, doc: DocumentLocations.of(doc.contents), data });
    }
  }
  file.displayText = maskSecretValues(text, docs);
  return { file, documents, diagnostics };
}
