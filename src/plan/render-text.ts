// The plan for a terminal, in Terraform's manner: + create, ~ update, - delete, a unified YAML
// diff (in config terms) for each update, then what is unmanaged, blocked or unknown, and one summary
// line whose counts are the changes listed above it.
import pc from 'picocolors';
import { formatLocation, type SourceLocation } from '../errors.js';
import type { AccessImpact, ImpactDirection, ImpactItem } from '../impact/impact.js';
import { blockedByReason, countByAction, GUARD_ADVICE_SENTENCE, planWhere, type Change, type Plan, type PlanProblem } from './plan.js';
import { printable } from './printable.js';
import { specForPeople } from './render-spec.js';
import { HUNK_GAP, toYaml, yamlDiffLines } from './yaml-diff.js';

type Colors = ReturnType<typeof pc.createColors>;

const symbol = { create: '+', update: '~', delete: '-' } as const;

/**
 * Changes a reconcile run holds back although the plan has them: drift of a kind whose drift policy
 * is report, and drift paused by an object's accessctl.io/pause-drift-until annotation.
 */
export interface HeldChanges {
  reported: readonly Change[];
  paused: readonly Change[];
}

export const noHeldChanges: HeldChanges = { reported: [], paused: [] };

/** The changes that would be made, without those held back. */
function toMake(plan: Plan, held: HeldChanges): Change[] {
  if (held.reported.length === 0 && held.paused.length === 0) return plan.changes;
  const out = new Set<Change>([...held.reported, ...held.paused]);
  return plan.changes.filter((c) => !out.has(c));
}

/** "Plan: 0 to create, 1 to update, 0 to delete; 0 unmanaged": counts of the changes to make; held drift is counted apart and named as such. */
export function summaryLine(plan: Plan, held: HeldChanges = noHeldChanges): string {
  const counts = countByAction({ ...plan, changes: toMake(plan, held) });
  const apart = [
    held.reported.length > 0 ? `; ${held.reported.length} report-only drift (not applied)` : '',
    held.paused.length > 0 ? `; ${held.paused.length} paused drift (not applied)` : '',
  ].join('');
  return `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.delete} to delete${apart}; ${plan.unmanaged.length} unmanaged`;
}

/** Each line of a YAML block, printable: YAML escapes controls in a value but leaves bidi and zero-width marks as they are. */
function indent(text: string, by: string): string[] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${by}${printable(line)}`);
}

/** `file:line:col`, printable: a file name comes from the repo, and a pull request can name a file anything. */
function located(source: SourceLocation): string {
  return printable(formatLocation(source));
}

function describeProblem(problem: PlanProblem): string {
  const where = problem.source ? `${formatLocation(problem.source)}: ` : '';
  return printable(`${where}${problem.message}`);
}

function renderChange(change: Change, c: Colors): string[] {
  const paint = change.action === 'create' ? c.green : change.action === 'delete' ? c.red : c.yellow;
  const where = change.action !== 'delete' ? c.dim(`  (${located(change.source)})`) : '';
  const renamed = change.action === 'update' && change.renamedFrom ? ` ${c.dim(`renamed from "${printable(change.renamedFrom)}"`)}` : '';
  const lines = [`  ${paint(symbol[change.action])} ${change.kind} ${c.bold(`"${printable(change.name)}"`)}${renamed}${where}`];
  if (change.action === 'create') {
    lines.push(...indent(toYaml(specForPeople(change, 'after')), `      ${c.green('+')} `));
  } else if (change.action === 'delete') {
    lines.push(...indent(toYaml(specForPeople(change, 'before')), `      ${c.red('-')} `));
  } else {
    for (const diffLine of yamlDiffLines(specForPeople(change, 'before'), specForPeople(change, 'after'))) {
      const line = printable(diffLine);
      const painted = line === HUNK_GAP ? c.dim(line) : line.startsWith('+') ? c.green(line) : line.startsWith('-') ? c.red(line) : line;
      lines.push(`      ${painted}`);
    }
    for (const field of change.fields) {
      if (field.sensitive) lines.push(`      ${c.yellow('~')} ${printable(field.path)}: (sensitive value changed)`);
      else if (field.path === 'metadata.name')
        lines.push(`      ${c.yellow('~')} metadata.name: "${printable(String(field.before))}" -> "${printable(String(field.after))}"`);
    }
  }
  return [...lines, ''];
}

const directions: { direction: ImpactDirection; title: string; mark: string }[] = [
  { direction: 'widening', title: 'Widening', mark: '▲' },
  { direction: 'narrowing', title: 'Narrowing', mark: '▼' },
  { direction: 'neutral', title: 'Neutral', mark: '•' },
];

/** At most this many impact lines per direction in a terminal; `--format json` has them all. */
const IMPACT_LINES = 200;

function impactLine(item: ImpactItem, c: Colors, mark: string): string[] {
  const where = item.source ? c.dim(`  (${located(item.source)})`) : '';
  const lines = [`    ${mark} ${printable(item.message)}${where}`];
  if (item.people && item.people.count > 0) {
    const more = item.people.count - item.people.emails.length;
    lines.push(c.dim(`        ${printable(item.people.emails.join(', '))}${more > 0 ? ` and ${more} more` : ''}`));
  }
  return lines;
}

/** The access impact: who gains and loses access, grouped as widening, narrowing and neutral. */
export function renderImpactText(impact: AccessImpact | undefined, c: Colors = pc.createColors(false)): string[] {
  if (impact === undefined) return [];
  if (impact.status === 'unknown') return [c.yellow(`Access impact unknown: ${printable(impact.reason ?? 'the directory could not be read')}`), ''];
  if (impact.flows.length === 0) return [];
  const { widening, narrowing, neutral } = impact.summary;
  const out = [c.bold(`Access impact: ${widening} widening, ${narrowing} narrowing, ${neutral} neutral`)];
  for (const { direction, title, mark } of directions) {
    const items = impact.flows.flatMap((f) => f.items.filter((i) => i.direction === direction));
    if (items.length === 0) continue;
    const paint = direction === 'widening' ? c.yellow : direction === 'narrowing' ? c.cyan : (s: string) => s;
    out.push(`  ${title}:`);
    for (const item of items.slice(0, IMPACT_LINES)) out.push(...impactLine(item, c, paint(mark)));
    if (items.length > IMPACT_LINES) out.push(`    … and ${items.length - IMPACT_LINES} more (see --format json)`);
  }
  out.push('');
  return out;
}

/**
 * The plan for a terminal. `held`: what a reconcile run found to be drift it does not apply; it is
 * listed apart from the changes, so the summary's counts are the changes listed under them.
 */
export function renderText(plan: Plan, color: boolean = pc.isColorSupported, held: HeldChanges = noHeldChanges): string {
  const c = pc.createColors(color);
  const out: string[] = [];
  if (plan.problems.length > 0) {
    out.push(c.red(c.bold('The plan cannot be applied:')));
    for (const problem of plan.problems) out.push(`  ${c.red('✗')} ${describeProblem(problem)}`);
    out.push('');
  }
  out.push(...renderImpactText(plan.impact, c));
  if (plan.changes.length === 0 && plan.unknown.length === 0 && plan.problems.length === 0) {
    out.push(`No changes: ${planWhere(plan, printable)} matches the config.`, '');
  } else if (plan.changes.length === 0) {
    out.push(`No changes for the objects that could be planned on ${planWhere(plan, printable)}.`, '');
  } else {
    const changes = toMake(plan, held);
    if (changes.length === 0) out.push(`No changes to make on ${planWhere(plan, printable)}.`, '');
    else {
      out.push(`accessctl will make these changes on ${planWhere(plan, printable)}:`, '');
      for (const change of changes) out.push(...renderChange(change, c));
    }
    if (held.reported.length > 0) {
      out.push(c.yellow('Drift reported only (the drift policy of its kind is report; not applied):'), '');
      for (const change of held.reported) out.push(...renderChange(change, c));
    }
    if (held.paused.length > 0) {
      out.push(c.yellow('Drift paused (accessctl.io/pause-drift-until; not applied):'), '');
      for (const change of held.paused) out.push(...renderChange(change, c));
    }
  }
  if (plan.blocked.length > 0) {
    out.push(c.red(c.bold('Blocked by the deletion guards (nothing will be applied):')));
    for (const { reason, objects } of blockedByReason(plan.blocked)) {
      out.push(`  ${c.red('!')} ${printable(reason)}; this blocks:`);
      for (const blocked of objects) out.push(`      ${blocked.kind} "${printable(blocked.name)}"`);
    }
    out.push(`  ${GUARD_ADVICE_SENTENCE}`, '');
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
      const where = item.source ? c.dim(`  (${located(item.source)})`) : '';
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
  out.push(c.bold(summaryLine(plan, held)));
  return `${out.join('\n')}\n`;
}
