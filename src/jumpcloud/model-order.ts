// The canonical order and spelling both sides of a diff are put in: names by NFC + case-folded key,
// durations by length in their shortest ISO 8601 spelling, so PT24H and P1D compare equal.
import { durationSeconds } from '../config/duration.js';
import { nameKey } from '../config/names.js';

export function byNameKey(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Names in byNameKey order, each key computed once (a sort compares each item many times). */
export function sortNames(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  const keyed = names.map((name) => ({ key: nameKey(name), name }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((item) => item.name);
}

/** Puts names the caller owns in byNameKey order (no copy: mapping a large org sorts one list per flow). */
export function sortNamesInPlace(names: string[]): string[] {
  if (names.length < 2) return names;
  const sorted = sortNames(names);
  for (let i = 0; i < sorted.length; i++) names[i] = sorted[i]!;
  return names;
}

/**
 * Canonical spellings already computed: a repo spells its durations a handful of ways, and every
 * flow on both sides of a diff asks again. Bounded, so odd spellings from the wire cannot grow it.
 */
const canonicalDurations = new Map<string, string>();
const canonicalDurationsKept = 1024;

export function canonicalDuration(text: string): string {
  const known = canonicalDurations.get(text);
  if (known !== undefined) return known;
  const canonical = spellCanonical(text);
  if (canonicalDurations.size < canonicalDurationsKept) canonicalDurations.set(text, canonical);
  return canonical;
}

function spellCanonical(text: string): string {
  const seconds = durationSeconds(text);
  if (seconds === undefined) return text;
  let rest = seconds;
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const date = days > 0 ? `${days}D` : '';
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${rest > 0 ? `${rest}S` : ''}`;
  return `P${date}${time ? `T${time}` : ''}`;
}

export function sortDurations(durations: readonly string[]): string[] {
  return [...new Set(durations.map(canonicalDuration))].sort((a, b) => (durationSeconds(a) ?? 0) - (durationSeconds(b) ?? 0));
}

export function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
