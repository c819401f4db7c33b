// How names are compared and which names are refused: identity is Unicode NFC plus case-folding,
// and invisible or direction-changing characters are never allowed in a name. Also which known name
// an unknown one was likely meant to be (for group names, field names and enum values alike).
import leven from 'leven';
import { isMatch } from 'matcher';

const ASCII = /^[\x00-\x7f]*$/;

/** The identity of a name: NFC, then case-folded (upper then lower folds ß to ss and similar). */
export function nameKey(name: string): string {
  // Most names are ASCII, for which NFC changes nothing and upper-then-lower is lower: plans key
  // every name of every object on both sides, so the common case skips normalize().
  if (ASCII.test(name)) return name.toLowerCase();
  return name.normalize('NFC').toUpperCase().toLowerCase();
}

// Format characters (bidi controls, zero-width joiners and spaces, BOM, soft hyphen) and line/paragraph separators.
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;

export interface InvisibleCharacter {
  /** Index in UTF-16 code units within the name. */
  index: number;
  codePoint: string;
}

export function findInvisible(name: string): InvisibleCharacter | undefined {
  const match = INVISIBLE.exec(name);
  if (!match) return undefined;
  const code = match[0].codePointAt(0)!;
  return { index: match.index, codePoint: `U+${code.toString(16).toUpperCase().padStart(4, '0')}` };
}

/**
 * The first positive pattern that matches `name`, when the pattern list as a whole matches it
 * (a leading `!` negates). Case is ignored. A list of only negations matches everything else, as
 * if it began with `*`, so that is the pattern returned.
 */
export function matchingPattern(name: string, patterns: readonly string[]): string | undefined {
  if (patterns.length === 0 || !isMatch(name, [...patterns])) return undefined;
  return patterns.find((pattern) => !pattern.startsWith('!') && isMatch(name, pattern)) ?? '*';
}

/** The closest of `candidates` to `name`, when one is close enough to be a likely typo. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const key = nameKey(name);
  // A typo is a few characters; a longer name tolerates a little more.
  const limit = Math.max(2, Math.floor(key.length / 5));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = leven(key, nameKey(candidate));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/**
 * The known name `got` was likely meant to be (closestName: a typo of a few characters, case
 * ignored), or undefined. Under three characters every short name is "close": no guess is made.
 */
export function likelyMeant(got: string, known: Iterable<string>): string | undefined {
  if ([...got].length < 3) return undefined;
  return closestName(got, known);
}
