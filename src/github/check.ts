// The check run on the pull request's head commit: a conclusion from the outcome, one annotation per
// diagnostic, access-policy warning and failing access test (sent 50 per request, as GitHub requires)
// and the tests and the plan as the summary, within 65,535 chars.
import { countDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { repoPath } from '../diagnostics/repo-path.js';
import { formatLocation } from '../errors.js';
import type { TestRun } from '../impact/access-test.js';
import { markdownCode, markdownText, printable } from '../plan/printable.js';
import { summaryLine as planSummary } from '../plan/render-text.js';
import { renderOutcome } from './markdown.js';
import type { GithubApi } from './octokit.js';
import { verdict, type Outcome } from './outcome.js';

export const DEFAULT_CHECK_NAME = 'accessctl';
export const ANNOTATIONS_PER_REQUEST = 50;
/** GitHub's limit for output.summary. */
export const SUMMARY_LIMIT = 65_535;
const TITLE_LIMIT = 255;
const MESSAGE_LIMIT = 64 * 1024 - 1;

export type Conclusion = 'success' | 'failure' | 'neutral';

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  message: string;
  title: string;
}

export interface CheckOutput {
  name: string;
  conclusion: Conclusion;
  title: string;
  summary: string;
  annotations: Annotation[];
}

export interface CommitRef {
  owner: string;
  repo: string;
  headSha: string;
}

export interface CheckResult {
  id: number;
  url: string;
  /** How many API requests carried the annotations (1 + updates). */
  requests: number;
}

/**
 * Annotation text is plain text on GitHub's pages: each line printable (no controls, no bidi or
 * zero-width marks), the line breaks kept, then cut to GitHub's limit.
 */
function clip(text: string, limit: number): string {
  const shown = text.split('\n').map(printable).join('\n');
  return shown.length <= limit ? shown : `${shown.slice(0, limit - 1)}…`;
}

export function toAnnotation(d: Diagnostic, root: string): Annotation {
  const endLine = Math.max(d.line, d.endLine ?? d.line);
  const sameLine = endLine === d.line;
  return {
    path: printable(repoPath(d.file, root)),
    start_line: d.line,
    end_line: endLine,
    // GitHub accepts columns only on a single line.
    ...(sameLine ? { start_column: d.column, end_column: Math.max(d.column, d.endColumn ?? d.column) } : {}),
    annotation_level: d.severity === 'error' ? 'failure' : 'warning',
    message: clip(d.message, MESSAGE_LIMIT),
    title: clip(`accessctl ${d.code}`, TITLE_LIMIT),
  };
}

/** Every diagnostic, plus the plan's located problems and warnings, as annotations. */
export function annotationsFor(outcome: Outcome, root: string): Annotation[] {
  const located: Diagnostic[] = [...outcome.diagnostics];
  for (const [list, severity] of [
    [outcome.plan?.problems ?? [], 'error'],
    [outcome.plan?.warnings ?? [], 'warning'],
  ] as const) {
    for (const p of list) {
      if (p.source === undefined) continue;
      located.push({ file: p.source.file, line: p.source.line, column: p.source.column, severity, code: p.code, message: p.message, path: '' });
    }
  }
  return located.map((d) => toAnnotation(d, root));
}

function testsFailed(tests: TestRun | undefined): boolean {
  return tests !== undefined && ('error' in tests || tests.report.failed + tests.report.errors > 0);
}

/** One annotation per failing case, on the case's own line, with the expected and actual answers. */
export function testAnnotations(tests: TestRun | undefined, root: string): Annotation[] {
  if (tests === undefined || 'error' in tests) return [];
  return tests.report.results
    .filter((r) => r.status !== 'pass')
    .map((r) => ({
      path: printable(repoPath(r.source.file, root)),
      start_line: r.source.line,
      end_line: r.source.line,
      start_column: r.source.column,
      end_column: r.source.column,
      annotation_level: 'failure' as const,
      message: clip(r.status === 'fail' ? `expected: ${r.expected}\nactual: ${r.actual}` : r.actual, MESSAGE_LIMIT),
      title: clip(`accessctl access test ${r.status === 'fail' ? 'failed' : 'error'}: ${r.test}/${r.case}`, TITLE_LIMIT),
    }));
}

/** The access tests for the summary: counts, then each failing case with its answer. */
export function renderTestsMarkdown(tests: TestRun | undefined, budget: number): string {
  if (tests === undefined) return '';
  if ('error' in tests) return `### accessctl test: ❌ not run\n\nThe directory could not be read: ${markdownText(tests.error)}\n\n`;
  const { passed, failed, errors } = tests.report;
  const total = tests.report.results.length;
  let text = `### accessctl test: ${failed + errors === 0 ? '✅' : '❌'} ${passed}/${total} passed\n\n`;
  const notPassing = tests.report.results.filter((r) => r.status !== 'pass');
  let shown = 0;
  for (const r of notPassing) {
    const line = `- ${r.status === 'fail' ? 'FAIL' : 'ERROR'} ${markdownCode(formatLocation(r.source))} ${markdownText(`${r.test}/${r.case}`)}<br>${r.status === 'fail' ? `expected: ${markdownText(r.expected)}<br>actual: ` : ''}${markdownText(r.actual)}\n`;
    if (text.length + line.length > budget) break;
    text += line;
    shown++;
  }
  if (shown < notPassing.length) text += `\n${notPassing.length - shown} more failing cases not shown; run \`accessctl test\`.\n`;
  return `${text}\n`;
}

export function conclusionFor(outcome: Outcome, options: { neutralOnChanges: boolean; tests?: TestRun | undefined }): Conclusion {
  if (testsFailed(options.tests)) return 'failure';
  switch (verdict(outcome)) {
    case 'invalid':
    case 'unplannable':
      return 'failure';
    case 'changes':
      return options.neutralOnChanges ? 'neutral' : 'success';
    case 'no-changes':
      return 'success';
  }
}

export function checkTitle(outcome: Outcome, tests?: TestRun): string {
  const { errors, warnings } = countDiagnostics(outcome.diagnostics);
  if (errors > 0) return `Invalid config: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  if (tests !== undefined && 'error' in tests) return 'Access tests not run: the directory could not be read';
  if (tests !== undefined && testsFailed(tests)) {
    const failing = tests.report.failed + tests.report.errors;
    return `Access tests failed: ${failing} of ${tests.report.results.length} case${tests.report.results.length === 1 ? '' : 's'}`;
  }
  if (outcome.plan === undefined) return 'No plan: the platform could not be read';
  const problems = outcome.plan.problems.length;
  if (problems > 0) return `The plan cannot be applied: ${problems} problem${problems === 1 ? '' : 's'}`;
  if (outcome.plan.blocked.length > 0) return 'The plan is blocked by the deletion guards';
  return planSummary(outcome.plan);
}

export function checkOutput(outcome: Outcome, options: { name: string; neutralOnChanges: boolean; root: string; tests?: TestRun | undefined }): CheckOutput {
  // The tests' section comes first: it is short, and a failing case is what the reviewer must see.
  const tests = renderTestsMarkdown(options.tests, Math.floor(SUMMARY_LIMIT / 4));
  return {
    name: options.name,
    conclusion: conclusionFor(outcome, options),
    title: clip(checkTitle(outcome, options.tests), TITLE_LIMIT),
    summary: `${tests}${renderOutcome(outcome, SUMMARY_LIMIT - tests.length, 'check summary')}`,
    annotations: [...annotationsFor(outcome, options.root), ...testAnnotations(options.tests, options.root)],
  };
}

/**
 * Creates the check run with the first 50 annotations; when there are more, it starts in progress
 * and each further 50 go in an update, the last of which sets the conclusion.
 */
export async function publishCheck(api: GithubApi, commit: CommitRef, output: CheckOutput): Promise<CheckResult> {
  const batches: Annotation[][] = [];
  for (let i = 0; i < output.annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(output.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const [first = [], ...rest] = batches;
  const text = { title: output.title, summary: output.summary };
  const finished = { status: 'completed' as const, conclusion: output.conclusion, completed_at: new Date().toISOString() };
  const { data } = await api.rest.checks.create({
    owner: commit.owner,
    repo: commit.repo,
    name: output.name,
    head_sha: commit.headSha,
    ...(rest.length === 0 ? finished : { status: 'in_progress' as const }),
    output: { ...text, ...(first.length > 0 ? { annotations: first } : {}) },
  });
  for (const [index, batch] of rest.entries()) {
    const last = index === rest.length - 1;
    await api.rest.checks.update({
      owner: commit.owner,
      repo: commit.repo,
      check_run_id: data.id,
      ...(last ? finished : {}),
      output: { ...text, annotations: batch },
    });
  }
  return { id: data.id, url: data.html_url ?? '', requests: 1 + rest.length };
}
