// What can still be checked in a document that breaks its schema: its valid parts. Each value a
// schema error points at is cut out (a whole list when one of its items is wrong, so the positions
// of the rest stay true), and the rules across documents run on what is left, so a typo in one
// field does not hide a duplicate name, an undeclared group or a policy breach elsewhere in the object.
import type { ErrorObject } from 'ajv';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatPath } from '../diagnostics/diagnostic.js';
import { pointerToPath, validators, type Kind } from './schema.js';
import { locationAt, type SourceDocument } from './source.js';

/**
 * A value of a config kind as salvage leaves it: any field may be missing (cut out, or missing in
 * the file), but every field present is as the schema says. Lists keep all their items.
 */
export type Loose<T> = T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]?: Loose<T[K]> } : T;

export interface Salvaged {
  kind: Kind;
  /** The document, its data replaced by the valid parts. */
  source: SourceDocument;
  /** Formatted paths (spec.approval.levels) of what was cut out. */
  removed: string[];
  /** The document's first and last line: documents of one file never share a line. */
  lines: readonly [number, number];
}

// At most this many rounds of cutting: each round cuts at least one value, and documents nest a few levels.
const MAX_ROUNDS = 16;

/** What to cut for one error: the value it is about, or the list holding it; undefined when nothing can be cut (a missing field). */
function cutFor(error: ErrorObject): (string | number)[] | undefined {
  const at = pointerToPath(error.instancePath);
  let path: (string | number)[];
  if (error.keyword === 'required') return undefined;
  if (error.keyword === 'additionalProperties') path = [...at, String((error.params as { additionalProperty: unknown }).additionalProperty)];
  else if (error.propertyName !== undefined) path = [...at, error.propertyName];
  else path = at;
  // Never an item of a list: later items would move up and every finding about them would point at the wrong line.
  const firstIndex = path.findIndex((segment) => typeof segment === 'number');
  return firstIndex === -1 ? path : path.slice(0, firstIndex);
}

function cut(data: Record<string, unknown>, path: readonly (string | number)[]): boolean {
  let node: unknown = data;
  for (const segment of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string | number, unknown>)[segment];
  }
  const last = path.at(-1);
  if (typeof node !== 'object' || node === null || Array.isArray(node) || last === undefined || !Object.hasOwn(node, last)) return false;
  delete (node as Record<string | number, unknown>)[last];
  return true;
}

/** The valid parts of a document that breaks its kind's schema; undefined when nothing of it is left to check. */
export function salvage(source: SourceDocument, kind: Kind): Salvaged | undefined {
  const validate = validators().get(kind);
  if (validate === undefined) return undefined;
  const data = structuredClone(source.data);
  const removed: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (validate(data)) break;
    let progress = false;
    for (const error of validate.errors ?? []) {
      const path = cutFor(error);
      if (path === undefined) continue;
      // The document itself is not what its kind says (not a mapping): nothing is left.
      if (path.length === 0) return undefined;
      if (cut(data, path)) {
        removed.push(formatPath(path));
        progress = true;
      }
    }
    // Only missing fields are left: what is there is valid.
    if (!progress) break;
  }
  const span = source.doc.span([]) ?? { start: source.doc.start, end: source.doc.start };
  const lines = [locationAt(source.file, span.start).line, locationAt(source.file, Math.max(span.start, span.end - 1)).line] as const;
  return { kind, source: { ...source, data }, removed, lines };
}

/** Whether `a` is `b` or lies below it, in formatted paths. */
function within(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
}

/**
 * Rules that read a missing field as its default: after salvage, missing may mean "cut out", so a
 * finding of such a rule is not made when what it reads was cut.
 */
const READS_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  'manual-without-levels': ['spec.approval.levels'],
  'non-admin-approver': ['spec.approval.nonAdminApprovers'],
  'policy-max-duration': ['spec.access'],
  'undeclared-placeholder': ['spec.secrets'],
  'unused-secret': ['spec.url'],
};

/** Whether a finding about a salvaged document rests on something cut out of it, and so is not made. */
export function restsOnCut(diagnostic: Diagnostic, salvaged: Salvaged): boolean {
  const related = (path: string): boolean => salvaged.removed.some((r) => within(path, r) || within(r, path));
  if (salvaged.removed.some((r) => within(diagnostic.path, r))) return true;
  return (READS_DEFAULTS[diagnostic.code] ?? []).some(related);
}

/** The salvaged document a finding lies in, if any, by file and line. */
export function ownerOf(diagnostic: Diagnostic, byFile: ReadonlyMap<string, readonly Salvaged[]>): Salvaged | undefined {
  return byFile.get(diagnostic.file)?.find((parts) => diagnostic.line >= parts.lines[0] && diagnostic.line <= parts.lines[1]);
}
