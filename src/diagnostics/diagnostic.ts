// A located finding about the user's config: what validate prints, what annotations carry.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** The file as the user named it (relative to the working directory). */
  file: string;
  /** 1-based line and column of the offending text. */
  line: number;
  column: number;
  /** Where the offending text ends, when it is known (same conventions). */
  endLine?: number;
  endColumn?: number;
  severity: Severity;
  /** A stable, kebab-case identifier of the rule, such as `unknown-field`. */
  code: string;
  message: string;
  /** The field inside the document, such as `spec.approval.type`; empty for the document or file itself. */
  path: string;
}

export interface DiagnosticCounts {
  errors: number;
  warnings: number;
}

export function countDiagnostics(diagnostics: readonly Diagnostic[]): DiagnosticCounts {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}

/** Orders diagnostics by file, then position, so output is stable whatever order checks ran in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** `--strict`: every warning counts as an error. */
export function promoteWarnings(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' } : d));
}

/** Renders a document path such as ['spec', 'levels', 0, 'approvers'] as `spec.levels[0].approvers`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
