// Field-level differences between two models, with paths in the config's own terms
// (spec.approval.levels[0].require). Lists of plain values are compared whole; lists of objects of
// equal length element by element, so a change deep in a level names that level.
import { formatPath } from '../diagnostics/diagnostic.js';
import type { FieldChange } from './plan.js';

type Path = (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Equal as JSON values: the same scalars, arrays of equal items, objects whose own enumerable keys
 * hold equal values (a key set to undefined equals a missing one). No sets and no merged key lists:
 * a no-op plan compares every object once, and 100,000 objects must not leave 100,000 sets behind.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i++) if (!deepEqual(left[i], right[i])) return false;
    return true;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  for (const key of leftKeys) if (!deepEqual(left[key], right[key])) return false;
  // The same keys in the same order (two objects built alike): `b` has no key of its own.
  if (sameKeys(leftKeys, rightKeys)) return true;
  // A key only `b` has must hold undefined; a key both have was compared above.
  for (const key of rightKeys) if (!isOwnKey(left, key) && !deepEqual(left[key], right[key])) return false;
  return true;
}

function sameKeys(left: readonly string[], right: readonly string[]): boolean {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/** An own enumerable key: one Object.keys would list. */
function isOwnKey(value: object, key: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(value, key);
}

function walk(before: unknown, after: unknown, path: Path, out: FieldChange[]): void {
  if (deepEqual(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], [...path, key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.every(isRecord) && after.every(isRecord)) {
    for (const [i, item] of before.entries()) walk(item, after[i], [...path, i], out);
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
