// Renders diagnostics for people (text with code frames), for programs (one JSON object) and for
// GitHub Actions (workflow commands that become annotations on the pull request).
import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';
import { countDiagnostics, type Diagnostic } from './diagnostic.js';

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

function codeFrame(diagnostic: Diagnostic, text: string): string {
  const end =
    diagnostic.endLine === diagnostic.line && diagnostic.endColumn !== undefined && diagnostic.endColumn > diagnostic.column
      ? { line: diagnostic.line, column: diagnostic.endColumn }
      : undefined;
  return codeFrameColumns(
    text,
    { start: { line: diagnostic.line, column: diagnostic.column }, ...(end ? { end } : {}) },
    { highlightCode: false, linesAbove: 1, linesBelow: 1 },
  );
}

export function renderText(report: ValidationReport, sourceText: SourceText, color: boolean = pc.isColorSupported): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  for (const d of report.diagnostics) {
    const severity = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
    out.push(`${c.bold(`${d.file}:${d.line}:${d.column}`)} ${severity} ${c.dim(d.code)} ${d.message}`);
    const text = sourceText(d.file);
    if (text !== undefined && text.length > 0) out.push(codeFrame(d, text), '');
  }
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

export function renderGithub(report: ValidationReport): string {
  const lines = report.diagnostics.map((d) => {
    const props = [`file=${escapeProperty(d.file)}`, `line=${d.line}`, `col=${d.column}`];
    if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
    if (d.endColumn !== undefined && d.endLine === d.line) props.push(`endColumn=${d.endColumn}`);
    props.push(`title=${escapeProperty(`accessctl ${d.code}`)}`);
    return `::${d.severity} ${props.join(',')}::${escapeData(d.message)}`;
  });
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
