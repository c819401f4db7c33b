// The names of flows, user groups and webhook channels, held to what the config can express: no
// control or invisible characters, no surrounding spaces, and one object per name after Unicode NFC
// and case-folding. The pattern goes into the OpenAPI description; the key into each table.

/**
 * No control characters (Cc), no format or invisible characters (Cf: zero-width spaces and joiners,
 * bidi controls, BOM, soft hyphen; Zl, Zp: line and paragraph separators), and no whitespace at
 * either end. The config's name rule (schemas/defs.schema.json plus its invisible-character check).
 */
export const namePattern = '^(?![\\s\\S]*[\\p{Cf}\\p{Zl}\\p{Zp}])[^\\p{Cc}\\s](?:[^\\p{Cc}]*[^\\p{Cc}\\s])?$';

export const nameHint = 'must not start or end with a space, nor hold a control, zero-width or text-direction character';

/** A name's identity: NFC, then case-folded (upper then lower folds ß to ss and similar), as the config compares names. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase();
}

/** How a refusal of a name that is taken once normalised says so. */
export function takenMessage(what: string, name: string, existing: string): string {
  return existing === name
    ? `${what} named "${name}" already exists`
    : `${what} named "${existing}" already exists, and "${name}" is the same name once Unicode-normalised (NFC) and case-folded`;
}
