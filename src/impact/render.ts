// Text for `accessctl test` (opa test's manner: a line per failing case with its file:line:col,
// expected and actual, then counts) and `accessctl explain`. Every name is escaped: names come from
// the config and the platform.
import { formatLocation } from '../errors.js';
import { printable } from '../plan/printable.js';
import type { TestReport } from './access-test.js';
import { levelInWords, type FlowExplanation } from './explain.js';
import { listNames } from './people.js';

export interface NameWarning {
  what: string;
  name: string;
  source: { file: string; line: number; column: number };
}

export function renderNameWarnings(warnings: readonly NameWarning[], from: string): string {
  return warnings
    .map(
      (w) =>
        `warning: ${formatLocation(w.source)}: ${w.what} ${printable(JSON.stringify(w.name))} is not in the directory of ${printable(from)}; it is taken to have no members\n`,
    )
    .join('');
}

export function renderTestReport(report: TestReport, verbose: boolean): string {
  const out: string[] = [];
  for (const result of report.results) {
    if (result.status === 'pass' && !verbose) continue;
    const label = result.status === 'pass' ? 'PASS' : result.status === 'fail' ? 'FAIL' : 'ERROR';
    out.push(`${label} ${formatLocation(result.source)}: ${printable(result.test)}/${printable(result.case)}`);
    if (result.status === 'fail') out.push(`  expected: ${printable(result.expected)}`, `  actual:   ${printable(result.actual)}`);
    else if (result.status === 'error') out.push(`  ${printable(result.actual)}`);
    else out.push(`  ${printable(result.actual)}`);
  }
  const total = report.results.length;
  if (out.length > 0) out.push('-'.repeat(80));
  if (total === 0) out.push(report.skipped > 0 ? `no case matches --run (${report.skipped} left out)` : 'no AccessTest cases found');
  else {
    out.push(`PASS: ${report.passed}/${total}`);
    if (report.failed > 0) out.push(`FAIL: ${report.failed}/${total}`);
    if (report.errors > 0) out.push(`ERROR: ${report.errors}/${total}`);
  }
  return `${out.join('\n')}\n`;
}

export interface ExplainHeader {
  user: string;
  username: string;
  active: boolean;
  from: string;
}

function explainedFlow(e: FlowExplanation): string[] {
  const grant =
    e.maxDuration === null
      ? 'permanently'
      : `for at most ${e.maxDuration}${e.durations !== null && e.durations.length > 1 ? ` (${e.durations.join(', ')})` : ''}`;
  const lines = [`  ${printable(e.flow)}: grants ${printable(e.grantGroup)} ${grant}`, `    via ${printable(listNames(e.via, 10))}`];
  const approval = e.approval;
  if (approval?.type === 'automatic') lines.push('    approval: granted at once (automatic approval)');
  else if (approval?.type === 'manual') {
    for (const level of approval.levels) lines.push(`    ${printable(level.describes)}: ${printable(levelInWords(level))}`);
    if (approval.adminOnly !== undefined) lines.push(`    note: ${printable(approval.adminOnly)}`);
  }
  return lines;
}

export function renderExplanation(header: ExplainHeader, explanations: readonly FlowExplanation[]): string {
  const can = explanations.filter((e) => e.canRequest);
  const cannot = explanations.filter((e) => !e.canRequest);
  const who = `${printable(header.user)}${header.username !== '' && header.username !== header.user ? ` (${printable(header.username)})` : ''}`;
  const out = [`${who}${header.active ? '' : ', suspended or not yet activated,'} in the directory of ${printable(header.from)}:`, ''];
  const total = explanations.length;
  if (total === 0) out.push('the repo has no approval flows to request.', '');
  else if (can.length > 0) {
    // One flow (--flow, or a repo with one): "can request:" as "cannot request:" below, no "1 of 1".
    out.push(total === 1 ? 'can request:' : `can request ${can.length} of ${total} flows:`);
    for (const e of can) out.push(...explainedFlow(e));
    out.push('');
  } else if (total > 1) out.push(`can request ${total === 2 ? 'neither' : 'none'} of the ${total} flows.`, '');
  if (cannot.length > 0) {
    out.push('cannot request:');
    for (const e of cannot) out.push(`  ${printable(e.flow)}: ${printable(e.reason ?? '')}`);
    out.push('');
  }
  return out.join('\n');
}
