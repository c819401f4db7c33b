// Makes source text safe to print on a terminal: invisible and direction-changing characters shown
// as <U+XXXX>, so a frame cannot be reordered or hide what the file holds, and long lines cut to a
// window around the column a finding points at, with … where text was left out.

// Controls (but tab, and line feed, which breaks a message's lines and is never inside a frame's line), format characters (bidi controls, zero-width characters, BOM, soft hyphen),
// lone surrogates, line and paragraph separators, spaces other than U+0020 and unassigned code
// points: each is either invisible or can move the text around it.
const ESCAPED = /(?![\t\n ])[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** How many columns of a line a code frame shows at most; a longer line is cut to a window. */
export const MAX_SHOWN_COLUMNS = 120;
/** How far into the window the column a finding points at is placed, when the line is cut. */
const COLUMNS_BEFORE = 40;
const CUT = '…';

function escaped(char: string): string | undefined {
  if (!ESCAPED.test(char)) return undefined;
  return `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `text` with every invisible or direction-changing character written as <U+XXXX>. */
export function visible(text: string): string {
  if (!ESCAPED.test(text)) return text;
  let out = '';
  for (const char of text) out += escaped(char) ?? char;
  return out;
}

/** `text` as visible() shows it, with line feeds and tabs written as <U+XXXX> too: for what must stay on one line, such as a file's name. */
export function visibleInline(text: string): string {
  return visible(text).replace(/[\t\n]/g, (char) => `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}

/**
 * One line as shown: its escaped text, and for each code unit of the line (and one past its end)
 * the shown offset it starts at. The second unit of a surrogate pair starts where its first does.
 */
class ShownLine {
  readonly text: string;
  private readonly starts: number[];

  constructor(readonly line: string) {
    const starts: number[] = [];
    let text = '';
    for (const char of line) {
      const at = text.length;
      text += escaped(char) ?? char;
      for (let unit = 0; unit < char.length; unit++) starts.push(at);
    }
    starts.push(text.length);
    this.text = text;
    this.starts = starts;
  }

  /** The shown offset of the 1-based column `column` of the line; past its end, as many columns further. */
  offsetOf(column: number): number {
    const unit = Math.max(column - 1, 0);
    return unit < this.line.length ? this.starts[unit]! : this.text.length + (unit - this.line.length);
  }

  /** Whether a shown offset is where a character of the line starts (never inside <U+XXXX>). */
  startsCharacter(offset: number): boolean {
    return offset >= this.text.length || this.startSet().has(offset);
  }

  #startSet: Set<number> | undefined;

  private startSet(): Set<number> {
    this.#startSet ??= new Set(this.starts);
    return this.#startSet;
  }
}

/** A frame's lines as they are printed, with the columns of its marker on them. */
export interface ShownFrame {
  lines: string[];
  column: number;
  /** The column just past the marked text, on the marked line; undefined for a single caret. */
  endColumn: number | undefined;
}

/**
 * The lines of a frame as printed, and where the marker goes: `lines` are the source lines, the
 * marked one at `markedIndex`, marked from 1-based `column` to `endColumn` (exclusive) in code
 * units of the source. A line longer than MAX_SHOWN_COLUMNS is cut to a window of that many shown
 * columns around the marked column (the same window for every long line, where it fits), and the
 * marker moves with it.
 */
export function shownFrame(lines: readonly string[], markedIndex: number, column: number, endColumn: number | undefined): ShownFrame {
  const shown = lines.map((line) => new ShownLine(line));
  const marked = shown[markedIndex]!;
  const start = marked.offsetOf(column);
  const end = endColumn === undefined ? undefined : marked.offsetOf(endColumn);
  const widest = shown.reduce((most, line) => Math.max(most, line.text.length), 0);
  if (widest <= MAX_SHOWN_COLUMNS) {
    return { lines: shown.map((line) => line.text), column: start + 1, endColumn: end === undefined ? undefined : end + 1 };
  }
  // The window: the marked column COLUMNS_BEFORE in, unless the line ends sooner.
  const from = Math.max(0, Math.min(start - COLUMNS_BEFORE, marked.text.length - MAX_SHOWN_COLUMNS));
  const cut = shown.map((line) => {
    // A line that fits is shown whole; a long one from the same window where it can, so the lines stay
    // aligned, or else its last MAX_SHOWN_COLUMNS.
    if (line.text.length <= MAX_SHOWN_COLUMNS) return { text: line.text, first: 0, last: line.text.length, before: 0 };
    // Widen inwards to whole characters, so no <U+XXXX> is ever cut in two.
    let first = Math.min(from, line.text.length - MAX_SHOWN_COLUMNS);
    while (!line.startsCharacter(first)) first++;
    let last = Math.min(first + MAX_SHOWN_COLUMNS, line.text.length);
    while (!line.startsCharacter(last)) last--;
    if (last < first) last = first;
    const before = first > 0 ? CUT : '';
    const after = last < line.text.length ? CUT : '';
    return { text: `${before}${line.text.slice(first, last)}${after}`, first, last, before: before.length };
  });
  const at = cut[markedIndex]!;
  // Where the line goes on past the window, a place beyond it is shown on the … that says so.
  const continues = at.last < marked.text.length;
  const place = (offset: number): number => at.before + (continues ? Math.min(offset, at.last) : offset) - at.first + 1;
  const shownColumn = place(start);
  let shownEnd: number | undefined;
  if (end !== undefined) {
    const past = continues && end > at.last ? place(at.last) + 1 : place(end);
    shownEnd = past > shownColumn ? past : undefined;
  }
  return { lines: cut.map((line) => line.text), column: shownColumn, endColumn: shownEnd };
}
