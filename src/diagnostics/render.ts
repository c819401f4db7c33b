// Renders diagnostics for people (text with code frames), for programs (one JSON object) and for
// GitHub Actions (workflow commands that become annotations on the pull request).
import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';
import { countDiagnostics, type Diagnostic } from './diagnostic.js';
import { annotationRoot, repoPath } from './repo-path.js';
import { shownFrame, visible, visibleInline } from './shown-text.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export interface ValidationReport {
  files: number;
  objects: number;
  diagnostics: readonly Diagnostic[];
}

/** Where code frames come from: a file's text (with secret values already masked). */
export type SourceText = (file: string) => string | undefined;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function summaryLine(report: ValidationReport): string {
  const { errors, warnings } = countDiagnostics(report.diagnostics);
  return `${plural(report.files, 'file')}, ${plural(report.objects, 'object')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** How many diagnostics of one file the text and GitHub formats print; JSON always holds them all. */
export const MAX_PRINTED_PER_FILE = 50;

// The line breaks @babel/code-frame splits on, so an excerpt is numbered exactly as the whole file would be.
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;

/** Where each line of a text starts and ends: built once per file, so a frame costs its own lines only. */
class LineIndex {
  private readonly starts: number[] = [0];
  private readonly ends: number[] = [];

  constructor(readonly text: string) {
    for (const match of text.matchAll(LINE_BREAK)) {
      this.ends.push(match.index);
      this.starts.push(match.index + match[0].length);
    }
    this.ends.push(text.length);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Line `number` (1-based) without its break. */
  line(number: number): string {
    return this.text.slice(this.starts[number - 1], this.ends[number - 1]);
  }
}

// code-frame reads an excerpt that begins at line `startLine` (locations stay the file's own); its
// type definitions omit the option.
type FrameOptions = NonNullable<Parameters<typeof codeFrameColumns>[2]> & { startLine?: number };

function codeFrame(diagnostic: Diagnostic, lines: LineIndex): string {
  const options = { highlightCode: false, linesAbove: 1, linesBelow: 1 };
  if (diagnostic.line < 1 || diagnostic.line > lines.lineCount) {
    // Past the end of the text (no finding points there): let code-frame decide what to show, as it
    // always has, from the whole text made safe to print.
    const all = Array.from({ length: lines.lineCount }, (_, i) => lines.line(i + 1));
    return codeFrameColumns(shownFrame(all, 0, 1, undefined).lines.join('\n'), { start: { line: diagnostic.line, column: diagnostic.column } }, options);
  }
  // Only the lines the frame shows (one above, one below) go to code-frame, made safe to print.
  const first = Math.max(diagnostic.line - options.linesAbove, 1);
  const last = Math.min(diagnostic.line + options.linesBelow, lines.lineCount);
  const source = Array.from({ length: last - first + 1 }, (_, i) => lines.line(first + i));
  const endColumn =
    diagnostic.endLine === diagnostic.line && diagnostic.endColumn !== undefined && diagnostic.endColumn > diagnostic.column ? diagnostic.endColumn : undefined;
  const shown = shownFrame(source, diagnostic.line - first, diagnostic.column, endColumn);
  const end = shown.endColumn === undefined ? undefined : { line: diagnostic.line, column: shown.endColumn };
  return codeFrameColumns(shown.lines.join('\n'), { start: { line: diagnostic.line, column: shown.column }, ...(end ? { end } : {}) }, {
    ...options,
    startLine: first,
  } as FrameOptions);
}

/**
 * Calls `print` for the first MAX_PRINTED_PER_FILE diagnostics of each file, and `more` right after
 * a file's last printed one when some of its diagnostics were left out.
 */
function eachPrinted(diagnostics: readonly Diagnostic[], print: (d: Diagnostic) => void, more: (file: string, left: number) => void): void {
  const totals = new Map<string, number>();
  for (const d of diagnostics) totals.set(d.file, (totals.get(d.file) ?? 0) + 1);
  const printed = new Map<string, number>();
  for (const d of diagnostics) {
    const count = (printed.get(d.file) ?? 0) + 1;
    printed.set(d.file, count);
    if (count > MAX_PRINTED_PER_FILE) continue;
    print(d);
    const total = totals.get(d.file) ?? 0;
    if (count === MAX_PRINTED_PER_FILE && total > count) more(d.file, total - count);
  }
}

function leftOut(file: string, left: number): string {
  return `... and ${plural(left, 'more diagnostic')} in ${visibleInline(file)} not shown (--format json lists them all)`;
}

export function renderText(report: ValidationReport, sourceText: SourceText, color: boolean = pc.isColorSupported): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  const indexes = new Map<string, LineIndex | undefined>();
  const linesOf = (file: string): LineIndex | undefined => {
    if (!indexes.has(file)) {
      const text = sourceText(file);
      indexes.set(file, text !== undefined && text.length > 0 ? new LineIndex(text) : undefined);
    }
    return indexes.get(file);
  };
  eachPrinted(
    report.diagnostics,
    (d) => {
      const severity = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
      // The message may quote the file's text (a name, a key): shown as safely as the frame.
      out.push(`${c.bold(`${visibleInline(d.file)}:${d.line}:${d.column}`)} ${severity} ${c.dim(d.code)} ${visible(d.message)}`);
      const lines = linesOf(d.file);
      if (lines !== undefined) out.push(codeFrame(d, lines), '');
    },
    (file, left) => out.push(c.dim(leftOut(file, left)), ''),
  );
  const { errors } = countDiagnostics(report.diagnostics);
  const summary = summaryLine(report);
  out.push(errors > 0 ? c.red(summary) : c.green(summary));
  return `${out.join('\n')}\n`;
}

export interface JsonReport {
  ok: boolean;
  files: number;
  objects: number;
  errors: number;
  warnings: number;
  diagnostics: Diagnostic[];
}

/** The `--format json` object; its shape is documented in schemas/validate-result.schema.json. */
export function toJsonReport(report: ValidationReport): JsonReport {
  const { errors, warnings } = countDiagnostics(report.diagnostics);
  return { ok: errors === 0, files: report.files, objects: report.objects, errors, warnings, diagnostics: [...report.diagnostics] };
}

export function renderJson(report: ValidationReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

// GitHub's escaping rules for workflow command data and property values.
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Workflow commands that annotate each finding's line; paths are relative to `root`, the repository's. */
export function renderGithub(report: ValidationReport, root: string = annotationRoot()): string {
  const lines: string[] = [];
  eachPrinted(
    report.diagnostics,
    (d) => {
      const props = [`file=${escapeProperty(repoPath(d.file, root))}`, `line=${d.line}`, `col=${d.column}`];
      if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
      if (d.endColumn !== undefined && d.endLine === d.line) props.push(`endColumn=${d.endColumn}`);
      props.push(`title=${escapeProperty(`accessctl ${d.code}`)}`);
      lines.push(`::${d.severity} ${props.join(',')}::${escapeData(visible(d.message))}`);
    },
    // A plain log line: GitHub shows only the first few annotations of a step anyway.
    (file, left) => lines.push(leftOut(file, left)),
  );
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

export function renderDiagnostics(format: DiagnosticFormat, report: ValidationReport, sourceText: SourceText): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'github':
      return renderGithub(report);
    case 'text':
      return renderText(report, sourceText);
  }
}
