// Reads the README's fenced shell blocks with their markers and shown output, and compares shown
// output with what the commands printed, after normalising what differs per run.

/**
 * The marker an HTML comment right before a shell block gives it:
 * `<!-- readme-test: skip (REASON) -->` the block is not run, for the reason given;
 * `<!-- readme-test: serve PORT (REASON) -->` the block serves on 127.0.0.1:PORT until stopped:
 * the test runs it in the background on a free port and sends later commands for PORT to it.
 */
export type Marker = { kind: 'skip'; reason: string } | { kind: 'serve'; port: number; reason: string };

export interface ReadmeBlock {
  /** The line of the opening fence (1-based). */
  line: number;
  commands: string;
  marker: Marker | undefined;
  /** A ```text block right after this one (nothing but blank lines between): what the commands print. */
  output: { line: number; text: string } | undefined;
}

const shellLanguages = new Set(['sh', 'bash', 'shell']);
const markerPattern = /^<!--\s*readme-test:\s*(skip|serve\s+(\d+))\s*\((.*)\)\s*-->$/;

interface Fence {
  line: number;
  language: string;
  body: string;
  /** The line after the closing fence. */
  end: number;
}

function fences(lines: readonly string[]): Fence[] {
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const start = i;
    i++;
    const body: string[] = [];
    while (i < lines.length && !/^```\s*$/.test(lines[i] ?? '')) body.push(lines[i++] ?? '');
    if (i >= lines.length) throw new Error(`README line ${start + 1}: a fence that is never closed`);
    found.push({ line: start + 1, language: open[1] ?? '', body: body.join('\n'), end: i + 1 });
  }
  return found;
}

/** Every shell block of the README, in order, with its marker and shown output. */
export function parseReadme(text: string): ReadmeBlock[] {
  const lines = text.split('\n');
  const all = fences(lines);
  const blocks: ReadmeBlock[] = [];
  for (const [index, fence] of all.entries()) {
    if (!shellLanguages.has(fence.language)) continue;
    let before = fence.line - 2;
    while (before >= 0 && (lines[before] ?? '').trim() === '') before--;
    const comment = (lines[before] ?? '').trim();
    let marker: Marker | undefined;
    if (comment.startsWith('<!--') && comment.includes('readme-test')) {
      const parsed = markerPattern.exec(comment);
      if (parsed === null)
        throw new Error(
          `README line ${before + 1}: a readme-test marker must read "<!-- readme-test: skip (REASON) -->" or "<!-- readme-test: serve PORT (REASON) -->"`,
        );
      const reason = (parsed[3] ?? '').trim();
      marker = parsed[2] === undefined ? { kind: 'skip', reason } : { kind: 'serve', port: Number(parsed[2]), reason };
    }
    const next = all[index + 1];
    const between = next === undefined ? [] : lines.slice(fence.end, next.line - 1);
    const output = next !== undefined && next.language === 'text' && between.every((l) => l.trim() === '') ? { line: next.line, text: next.body } : undefined;
    blocks.push({ line: fence.line, commands: fence.body, marker, output });
  }
  return blocks;
}

/** The README port a served block stands for. */
export function servedPort(block: ReadmeBlock): number {
  if (block.marker?.kind !== 'serve') throw new Error(`README line ${block.line} is not a served block`);
  return block.marker.port;
}

/** What differs from run to run, made equal: ports, object ids, times, keys minted per run, temp folders, timings. */
export function normalise(text: string): string[] {
  const lines = text
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) =>
      line
        .replace(/(127\.0\.0\.1|localhost):\d+/g, '127.0.0.1:PORT')
        .replace(/\b[0-9a-f]{24}\b/g, '<id>')
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<time>')
        .replace(/sandbox_operator_[A-Za-z0-9_-]+/g, 'sandbox_operator_<key>')
        .replace(/\S*\/accessctl-readme-[A-Za-z0-9]+/g, '<copy>')
        .replace(/\b\d+(\.\d+)? ?ms\b/g, '<ms>')
        .trimEnd(),
    );
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

function linePattern(expected: string): RegExp {
  const escaped = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/**
 * Whether `actual` prints what `expected` shows. A line `…` stands for any number of lines; `…`
 * inside a line for any text. With `prefix`, `actual` may go on after the shown lines (a command
 * that is still running).
 */
export function compareOutput(expected: string, actual: string, options: { prefix: boolean }): { ok: boolean; diff: string } {
  const want = normalise(expected);
  const got = normalise(actual);
  const patterns = want.map((line) => (line === '…' ? undefined : linePattern(line)));
  const memo = new Map<string, boolean>();
  const match = (w: number, g: number): boolean => {
    const key = `${w}:${g}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (w === patterns.length) result = options.prefix || g === got.length;
    else {
      const pattern = patterns[w];
      if (pattern === undefined) result = match(w + 1, g) || (g < got.length && match(w, g + 1));
      else result = g < got.length && pattern.test(got[g] ?? '') && match(w + 1, g + 1);
    }
    memo.set(key, result);
    return result;
  };
  const ok = match(0, 0);
  return { ok, diff: ok ? '' : `shown (normalised):\n${want.join('\n')}\n\nprinted (normalised):\n${got.join('\n')}` };
}
