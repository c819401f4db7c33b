// The characters untrusted text must not carry to a terminal, a web page or a pull request unseen:
// controls (escape sequences, line breaks) and the invisible marks that reorder or hide text
// (Unicode bidi embeddings, overrides and isolates, as in "Trojan Source", CVE-2021-42574).

/**
 * A regular-expression character class body (use inside `[...]`): C0 controls, DEL, C1 controls,
 * the line and paragraph separators, the bidi marks, embeddings, overrides and isolates (U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and the zero-width and invisible format
 * characters (U+200B–U+200D, U+2060–U+2064, U+206A–U+206F, U+FEFF).
 */
export const UNPRINTABLE_CLASS = String.raw`\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff`;

/** The same characters without the tab, line feed and carriage return that laid-out text (HTML, YAML) keeps. */
export const UNPRINTABLE_INLINE_CLASS = String.raw`\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff`;

/** Every character of UNPRINTABLE_CLASS, one at a time (global: use with replace, not test). */
export const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_CLASS}]`, 'gu');

/** `\u202e` for U+202E: a character shown as its escape, in the manner of JSON and JavaScript. */
export function escapedCharacter(character: string): string {
  return `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}
