// Field-level differences between two models, with paths in the config's own terms
// (spec.approval.levels[0].require). Lists of plain values are compared whole; lists of objects of
// equal length element by element, so a change deep in a level names that level.
import { formatPath } from '../diagnostics/diagnostic.js';
import type { FieldChange } from './plan.js';

type Path = (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!deepEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

function walk(before: unknown, after: unknown, path: Path, out: FieldChange[]): void {
  if (deepEqual(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], [...path, key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.every(isRecord) && after.every(isRecord)) {
    before.forEach((item, i) => walk(item, after[i], [...path, i], out));
    return;
  }
  const change: FieldChange = { path: formatPath(path) };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  out.push(change);
}

/** The fields that differ between `before` (live) and `after` (desired), under `prefix`. */
export function fieldChanges(before: unknown, after: unknown, prefix: Path = []): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, prefix, out);
  return out;
}
