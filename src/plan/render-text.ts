// The plan for a terminal, in Terraform's manner: + create, ~ update, - delete, a unified YAML
// diff for each update, then what is unmanaged, blocked or unknown, and one summary line.
import pc from 'picocolors';
import { formatLocation } from '../errors.js';
import { countByAction, type Change, type Plan, type PlanProblem } from './plan.js';
import { printable } from './printable.js';
import { toYaml, yamlDiffLines } from './yaml-diff.js';

type Colors = ReturnType<typeof pc.createColors>;

const symbol = { create: '+', update: '~', delete: '-' } as const;

export function summaryLine(plan: Plan): string {
  const counts = countByAction(plan);
  return `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete; ${plan.unmanaged.length} unmanaged`;
}

function indent(text: string, by: string): string[] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${by}${line}`);
}

function describeProblem(problem: PlanProblem): string {
  const where = problem.source ? `${formatLocation(problem.source)}: ` : '';
  return printable(`${where}${problem.message}`);
}

function renderChange(change: Change, c: Colors): string[] {
  const paint = change.action === 'create' ? c.green : change.action === 'delete' ? c.red : c.yellow;
  const where = change.action !== 'delete' ? c.dim(`  (${formatLocation(change.source)})`) : '';
  const renamed = change.action === 'update' && change.renamedFrom ? ` ${c.dim(`renamed from "${printable(change.renamedFrom)}"`)}` : '';
  const lines = [`  ${paint(symbol[change.action])} ${change.kind} ${c.bold(`"${printable(change.name)}"`)}${renamed}${where}`];
  if (change.action === 'create') {
    lines.push(...indent(toYaml(change.after), `      ${c.green('+')} `));
  } else if (change.action === 'delete') {
    lines.push(...indent(toYaml(change.before), `      ${c.red('-')} `));
  } else {
    for (const line of yamlDiffLines(change.before, change.after)) {
      const painted = line.startsWith('@@') ? c.cyan(line) : line.startsWith('+') ? c.green(line) : line.startsWith('-') ? c.red(line) : line;
      lines.push(`      ${painted}`);
    }
    for (const field of change.fields) {
      if (field.sensitive) lines.push(`      ${c.yellow('~')} ${field.path}: (sensitive value changed)`);
      else if (field.path === 'metadata.name') lines.push(`      ${c.yellow('~')} metadata.name: "${printable(String(field.before))}" -> "${printable(String(field.after))}"`);
    }
  }
  return [...lines, ''];
}

export function renderText(plan: Plan, color: boolean = pc.isColorSupported): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  if (plan.problems.length > 0) {
    out.push(c.red(c.bold('The plan cannot be applied:')));
    for (const problem of plan.problems) out.push(`  ${c.red('✗')} ${describeProblem(problem)}`);
    out.push('');
  }
  if (plan.changes.length === 0 && plan.unknown.length === 0 && plan.problems.length === 0) {
    out.push(`No changes: ${plan.target} matches the config.`, '');
  } else if (plan.changes.length === 0) {
    out.push(`No changes for the objects that could be planned on ${plan.target}.`, '');
  } else {
    out.push(`accessctl will make these changes on ${plan.target}:`, '');
    for (const change of plan.changes) out.push(...renderChange(change, c));
  }
  if (plan.blocked.length > 0) {
    out.push(c.red(c.bold('Blocked by the deletion guards (nothing will be applied):')));
    for (const blocked of plan.blocked) out.push(`  ${c.red('!')} ${blocked.kind} "${printable(blocked.name)}": ${printable(blocked.reason)}`);
    out.push('');
  }
  if (plan.unknown.length > 0) {
    out.push(c.yellow(`Unknown (the live list failed; not planned): ${plan.unknown.join(', ')}`), '');
  }
  if (plan.unsupported.length > 0) {
    out.push(c.yellow('Not supported by this target (not planned; nothing else is blocked):'));
    for (const item of plan.unsupported) out.push(c.yellow(`  ${item.kind}: ${printable(item.reason)}`));
    out.push('');
  }
  if (plan.unmanageable.length > 0) {
    out.push(c.yellow('Unmanageable (live values accessctl does not know; never changed):'));
    for (const item of plan.unmanageable) {
      const where = item.source ? c.dim(`  (${formatLocation(item.source)})`) : '';
      out.push(c.yellow(`  ! ${item.kind} "${printable(item.name)}" (id ${printable(item.id)}): ${printable(item.reasons.join('; '))}`) + where);
    }
    out.push('');
  }
  if (plan.unmanaged.length > 0) {
    out.push(c.dim('Unmanaged (live, not in git; prune is off for their kind):'));
    for (const item of plan.unmanaged) out.push(c.dim(`  ? ${item.kind} "${printable(item.name)}" (id ${printable(item.id)})`));
    out.push('');
  }
  for (const warning of plan.warnings) out.push(c.yellow(`warning: ${describeProblem(warning)}`));
  if (plan.warnings.length > 0) out.push('');
  out.push(c.bold(summaryLine(plan)));
  return `${out.join('\n')}\n`;
}
