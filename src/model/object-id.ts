// A 12-byte object id as JumpCloud writes it: 24 hex characters, or base64 where the contract
// says `format: byte`. Config, the mapping and apply all compare ids through this one reading.

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
