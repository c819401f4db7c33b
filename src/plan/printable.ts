// Names and messages from the platform, and file names from a pull request, are untrusted text:
// control characters and invisible bidi or zero-width marks are shown as escapes (`\u001b`, `\u202e`)
// so a name cannot move the cursor, clear the screen, forge lines or read differently from what it is.
import { escapedCharacter, UNPRINTABLE, UNPRINTABLE_INLINE_CLASS } from '../protocols/unprintable.js';

const UNPRINTABLE_INLINE = new RegExp(`[${UNPRINTABLE_INLINE_CLASS}]`, 'gu');

/** One line of text: every control, line break and invisible mark shown as its `\uXXXX` escape. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapedCharacter);
}

/** Laid-out text (a page, a YAML block): as printable, but tabs and line breaks are kept. */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_INLINE, escapedCharacter);
}

export function escapeHtml(text: string): string {
  return printable(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * GitHub links `@user`, `@org/team`, `#123` and `GH-123` in rendered text, and a mention notifies
 * the user. An empty HTML comment after the `@` or `#` (or inside `GH-`) splits the text GitHub
 * scans, is not shown, and leaves every visible character as it was. `text` is already escaped.
 */
function unlinked(text: string): string {
  return text.replace(/([@#])(?=[\p{L}\p{N}_-])/gu, '$1<!-- -->').replace(/\b(GH)(-\d)/gi, '$1<!-- -->$2');
}

/** Untrusted text in a GitHub markdown paragraph, list item, table cell or `<code>`: escaped, printable, no mention or reference. */
export function markdownText(text: string): string {
  return unlinked(
    printable(text)
      .replace(/&/g, '&amp;')
      .replace(/([\\`*_{}[\]()<>|#~!])/g, '\\$1'),
  );
}

/**
 * Untrusted text as a markdown code span (GitHub links nothing inside one): printable, fenced by
 * more backticks than any run inside it, and padded when it starts or ends with a backtick or space.
 */
export function markdownCode(text: string): string {
  const shown = printable(text);
  const ticks = '`'.repeat(Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = /^[` ]|[` ]$/.test(shown) ? ' ' : '';
  return `${ticks}${pad}${shown}${pad}${ticks}`;
}

/** Untrusted text inside an HTML block of GitHub markdown (`<details><summary>`), where markdown escapes do nothing. */
export function markdownHtml(text: string): string {
  return unlinked(escapeHtml(text));
}
