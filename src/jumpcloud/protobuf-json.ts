// Protobuf JSON tolerance, in one place. The Access Requests endpoints speak protobuf JSON: a field
// at its zero value may be left out, and `bytes` ids come as base64. Every read goes through here.

/** An omitted boolean is false. */
export function bool(value: boolean | undefined): boolean {
  return value ?? false;
}

/** An omitted string is "". */
export function text(value: string | undefined): string {
  return value ?? '';
}

/** An omitted number is 0. */
export function num(value: number | undefined): number {
  return value ?? 0;
}

/** An omitted list is []. */
export function list<T>(value: readonly T[] | undefined): T[] {
  return value === undefined ? [] : [...value];
}

export type IdEncoding = 'hex' | 'base64';

const HEX_ID = /^[0-9a-fA-F]{24}$/;
const BASE64_ID = /^[A-Za-z0-9+/]{16}$/;

/**
 * A 12-byte object id as 24 lower-case hex characters, from hex or base64 (standard or URL-safe,
 * padding optional); undefined when the text is neither.
 */
export function objectIdHex(raw: string): string | undefined {
  if (HEX_ID.test(raw)) return raw.toLowerCase();
  const standard = raw.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!BASE64_ID.test(standard)) return undefined;
  const bytes = Buffer.from(standard, 'base64');
  return bytes.length === 12 ? bytes.toString('hex') : undefined;
}

/** How the platform wrote an id, so a write can use the same form. */
export function idEncoding(raw: string): IdEncoding | undefined {
  if (HEX_ID.test(raw)) return 'hex';
  return objectIdHex(raw) === undefined ? undefined : 'base64';
}

export function encodeObjectId(hex: string, encoding: IdEncoding): string {
  return encoding === 'hex' ? hex : Buffer.from(hex, 'hex').toString('base64');
}
