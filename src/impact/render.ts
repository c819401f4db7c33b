// Text for `accessctl test` (opa test's manner: a line per failing case with its file:line:col,
// expected and actual, then counts) and `accessctl explain` (a user's flows, or one flow's people).
// Every name is escaped: names come from the config and the platform.
import { formatLocation } from '../errors.js';
import { printable } from '../plan/printable.js';
import type { TestReport } from './access-test.js';
import { levelInWords, type FlowExplanation } from './explain.js';
import type { ApproverAccess, FlowAccess } from './flow-access.js';
import { countOf, describePeople, listNames, type PeopleList } from './people.js';

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
  const lines = [
    `  ${printable(e.flow)}: grants ${printable(e.grantGroup)} ${grantInWords(e.maxDuration, e.durations)}`,
    `    via ${printable(listNames(e.via, 10))}`,
  ];
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

function grantInWords(maxDuration: string | null, durations: readonly string[] | null): string {
  if (maxDuration === null) return 'permanently';
  return `for at most ${maxDuration}${durations !== null && durations.length > 1 ? ` (${durations.join(', ')})` : ''}`;
}

/** ": a, b and 3 more", or nothing for nobody. */
function namedPeople(list: PeopleList): string {
  return list.count === 0 ? '' : `: ${describePeople(list)}`;
}

function approverInWords(approver: ApproverAccess): string {
  switch (approver.kind) {
    case 'manager':
      return approver.people.count === 0
        ? "the requester's manager: none of the requesters has a manager who can approve"
        : `each requester's manager (${countOf(approver.people.count, 'person', 'people')})${namedPeople(approver.people)}`;
    case 'admins':
      return 'any administrator';
    case 'user':
      return `user ${approver.name}${!approver.known ? ' (not in the directory)' : !approver.active ? ' (cannot sign in)' : ''}`;
    case 'group':
      if (!approver.known) return `group ${approver.name}: not in the directory`;
      if (approver.members.count === 0) return `group ${approver.name}: no active members`;
      return `group ${approver.name} (${countOf(approver.members.count, 'person', 'people')})${namedPeople(approver.members)}`;
  }
}

/** Every people list of an answer, to say when one was cut. */
function listsOf(answer: FlowAccess): PeopleList[] {
  const lists = [answer.requesters.people, ...answer.requesters.groups.map((g) => g.members)];
  if (answer.approval.type === 'manual') {
    for (const level of answer.approval.levels) {
      lists.push(level.people);
      for (const a of level.approvers) if (a.kind === 'manager') lists.push(a.people);
      for (const a of level.approvers) if (a.kind === 'group') lists.push(a.members);
    }
  }
  for (const w of answer.warnings) if (w.people !== undefined) lists.push(w.people);
  return lists;
}

/** `accessctl explain --flow NAME` without --user: who can request the flow, who approves, what it grants. */
export function renderFlowAccess(answer: FlowAccess, from: string): string {
  const out = [`${printable(answer.flow)}${answer.enabled ? '' : ' (disabled)'} in the directory of ${printable(from)}:`, ''];
  out.push(`grants ${printable(answer.grantGroup)} ${grantInWords(answer.maxDuration, answer.durations)}`, '');

  const { people, groups } = answer.requesters;
  const through = groups.length === 1 ? 'its requester group' : `its ${groups.length} requester groups`;
  if (groups.length === 0) out.push('can be requested by nobody: it is visible to no group');
  else if (!answer.enabled)
    out.push(`can be requested by nobody while it is disabled; if it were enabled, by ${countOf(people.count, 'person', 'people')}, through ${through}:`);
  else out.push(`can be requested by ${countOf(people.count, 'person', 'people')}, through ${through}:`);
  for (const g of groups) {
    const inactive = g.inactive > 0 ? `; ${g.inactive.toLocaleString('en-US')} more cannot sign in` : '';
    if (!g.known) out.push(`  ${printable(g.group)}: not in the directory`);
    else if (g.members.count === 0) out.push(`  ${printable(g.group)}: no active members${inactive === '' ? '' : ` (${inactive.slice(2)})`}`);
    else out.push(`  ${printable(g.group)} (${countOf(g.members.count, 'person', 'people')}${inactive})${printable(namedPeople(g.members))}`);
  }
  out.push('');

  const approval = answer.approval;
  if (approval.type === 'automatic') out.push('approval: automatic: granted at once, nobody approves');
  else {
    const when = answer.enabled ? '' : ', if it were enabled';
    out.push(
      approval.nonAdminApprovers
        ? `approval, level by level${when}:`
        : `approval, level by level${when} (only administrators decide: nonAdminApprovers is off):`,
    );
    if (approval.levels.length === 0) out.push('  no levels: an administrator decides');
    for (const level of approval.levels) {
      out.push(`  ${printable(level.describes)}:`);
      for (const a of level.approvers) out.push(`    ${printable(approverInWords(a))}`);
    }
  }
  out.push('');

  if (answer.warnings.length === 0) out.push('no warnings');
  else {
    out.push(`${countOf(answer.warnings.length, 'warning')}:`);
    for (const w of answer.warnings) {
      out.push(`  ${w.source === undefined ? '' : `${formatLocation(w.source)}: `}${printable(w.message)}`);
      if (w.people !== undefined && w.people.count > 0) out.push(`    ${printable(describePeople(w.people))}`);
    }
  }
  if (answer.shown !== null && listsOf(answer).some((l) => l.count > l.emails.length)) {
    out.push('', `each list names its first ${answer.shown} people; --all-people names everyone`);
  }
  out.push('');
  return out.join('\n');
}
