// Keeps secrets out of events: field changes on secret-bearing paths lose their values, keys that
// hold secrets are masked at any depth, and every string is passed through a known-secret redactor.
import type { FieldChange } from '../plan/plan.js';

/** What a masked value reads as, the same words the plan uses for secret-bearing fields. */
export const SENSITIVE = '(sensitive)';
/** What a known secret found inside a string is replaced with. */
export const REDACTED = '[redacted]';

export type Redactor = (value: string) => string;

/** Object keys whose values are secrets or may hold them, wherever they appear. */
const SECRET_KEYS = new Set(['secrets', 'headers', 'signingsecret']);

/** Splits a config path such as spec.headers["X-Api-Key"] or spec.levels[0].x into its names. */
function pathNames(path: string): string[] {
  const names: string[] = [];
  for (const match of path.matchAll(/\[("(?:[^"\\]|\\.)*")\]|\[\d+\]|([^.[\]]+)/g)) {
    if (match[1] !== undefined) {
      try {
        names.push(String(JSON.parse(match[1])));
      } catch {
        names.push(match[1]);
      }
    } else if (match[2] !== undefined) names.push(match[2]);
  }
  return names;
}

/** True when a field path goes through secrets, headers or signingSecret. */
export function isSecretPath(path: string): boolean {
  return pathNames(path).some((name) => SECRET_KEYS.has(name.toLowerCase()));
}

/**
 * A redactor that replaces every occurrence of each known secret with [redacted], longest first so
 * a secret that contains another is removed whole. Empty strings are ignored.
 */
export function secretRedactor(secrets: Iterable<string>): Redactor {
  const known = [...new Set([...secrets].filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (known.length === 0) return (value) => value;
  return (value) => {
    let out = value;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

const identity: Redactor = (value) => value;

/**
 * A JSON-safe deep copy of `value` with secret-holding keys masked and every string (keys included)
 * redacted. Cycles become "[circular]"; functions, symbols and undefined members are dropped as
 * JSON.stringify would drop them.
 */
export function redactValue(value: unknown, redact: Redactor = identity): unknown {
  const seen = new WeakSet<object>();
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redact(item);
    if (typeof item === 'bigint') return redact(item.toString());
    if (item === null || typeof item !== 'object') return typeof item === 'function' || typeof item === 'symbol' ? undefined : item;
    if (item instanceof Date) return Number.isNaN(item.getTime()) ? null : item.toISOString();
    if (seen.has(item)) return '[circular]';
    seen.add(item);
    let out: unknown;
    if (Array.isArray(item)) {
      out = item.map((element) => walk(element) ?? null);
    } else {
      const record: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(item)) {
        const copied = SECRET_KEYS.has(key.toLowerCase()) && member !== undefined && member !== null ? SENSITIVE : walk(member);
        if (copied !== undefined) record[redact(key)] = copied;
      }
      out = record;
    }
    seen.delete(item);
    return out;
  };
  return walk(value);
}

/**
 * Field changes fit to publish: a field marked sensitive, or on a secret-bearing path, keeps only its
 * path and `sensitive: true`; every other value is copied through redactValue.
 */
export function redactFields(fields: readonly FieldChange[], redact: Redactor = identity): FieldChange[] {
  return fields.map((field) => {
    const path = redact(field.path);
    if (field.sensitive === true || isSecretPath(field.path)) return { path, sensitive: true };
    const out: FieldChange = { path };
    if (field.before !== undefined) out.before = redactValue(field.before, redact);
    if (field.after !== undefined) out.after = redactValue(field.after, redact);
    return out;
  });
}
