// The plan for a pull request comment: destructive changes first, a summary table by kind and
// action, each change's details (in config terms) folded in <details>, and the whole comment within a character
// budget: every list is cut with a note rather than letting the comment fail.
import { formatLocation, type SourceLocation } from '../errors.js';
import type { AccessImpact, ImpactItem } from '../impact/impact.js';
import { blockedByReason, countByAction, GUARD_ADVICE_SENTENCE, planWhere, type Change, type ManagedKind, type Plan } from './plan.js';
import { markdownCode, markdownHtml, markdownText, printable } from './printable.js';
import { specForPeople } from './render-spec.js';
import { summaryLine } from './render-text.js';
import { toYaml, yamlDiffLines } from './yaml-diff.js';

export const MARKDOWN_BUDGET = 60_000;

const kinds: ManagedKind[] = ['GroupAssignment', 'WebhookChannel', 'ApprovalFlow', 'AccessRequestSettings'];
const verb = { delete: '🗑️ delete', update: '✏️ update', create: '➕ create' } as const;
const actionOrder = ['delete', 'update', 'create'];

/** Text inside a fence must not close it. Each line is printable: a fence shows bidi and zero-width marks as they act. */
function fence(language: string, lines: readonly string[]): string {
  const body = lines.map(printable).join('\n');
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${language}\n${body}\n${ticks}`;
}

/** Markdown-escaped, for text outside HTML blocks. */
const inline = markdownText;

/** Where a change is written, inside the `<summary>` HTML block. */
function where(source: SourceLocation | undefined): string {
  return source ? `<code>${markdownHtml(formatLocation(source))}</code>` : '';
}

/** Where a finding is, in a list item (markdown, not an HTML block). */
function whereInline(source: SourceLocation | undefined): string {
  return source ? markdownCode(formatLocation(source)) : '';
}

function details(change: Change): string {
  const renamed = change.action === 'update' && change.renamedFrom ? ` (renamed from “${markdownHtml(change.renamedFrom)}”)` : '';
  const location = change.action !== 'delete' ? ` — ${where(change.source)}` : '';
  let body: string;
  if (change.action === 'update') {
    const sensitive = change.fields.filter((f) => f.sensitive).map((f) => `~ ${f.path}: (sensitive value changed)`);
    body = fence('diff', [...yamlDiffLines(specForPeople(change, 'before'), specForPeople(change, 'after')), ...sensitive]);
  } else {
    const value = specForPeople(change, change.action === 'create' ? 'after' : 'before');
    const sign = change.action === 'create' ? '+ ' : '- ';
    body = fence(
      'diff',
      toYaml(value)
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => sign + line),
    );
  }
  // <summary> is HTML: markdown escapes do nothing there, entities do.
  return `<details><summary>${verb[change.action]} ${change.kind} <b>${markdownHtml(change.name)}</b>${renamed}${location}</summary>\n\n${body}\n\n</details>\n\n`;
}

/** As many lines as fit in `budget` characters, then a line saying how many were left out (`what`: one of them, such as "warning"). */
function bounded(lines: readonly string[], budget: number, what: string): string {
  let out = '';
  let shown = 0;
  for (const line of lines) {
    if (out.length + line.length + 1 > budget) break;
    out += `${line}\n`;
    shown++;
  }
  const left = lines.length - shown;
  if (left > 0) out += `${left} more ${what}${left === 1 ? '' : 's'} not shown.\n`;
  return out;
}

function table(plan: Plan): string {
  const rows = ['| kind | create | update | delete | unchanged | unmanaged |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const kind of kinds) {
    if (plan.unknown.includes(kind)) {
      rows.push(`| ${kind} | ? | ? | ? | ? | ? |`);
      continue;
    }
    if (plan.unsupported.some((u) => u.kind === kind)) {
      rows.push(`| ${kind} | – | – | – | – | – |`);
      continue;
    }
    const count = (action: Change['action']): number => plan.changes.filter((c) => c.kind === kind && c.action === action).length;
    const unmanaged = plan.unmanaged.filter((u) => u.kind === kind).length;
    rows.push(`| ${kind} | ${count('create')} | ${count('update')} | ${count('delete')} | ${plan.noop[kind]} | ${unmanaged} |`);
  }
  return `${rows.join('\n')}\n\n`;
}

const impactHeadings = [
  { direction: 'widening', title: '⬆️ Widening' },
  { direction: 'narrowing', title: '⬇️ Narrowing' },
  { direction: 'neutral', title: '➖ Neutral' },
] as const;

function impactLine(item: ImpactItem): string {
  const where = item.source ? ` ${whereInline(item.source)}` : '';
  let people = '';
  if (item.people && item.people.count > 0) {
    const more = item.people.count - item.people.emails.length;
    people = `<br>${item.people.emails.map(inline).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  }
  return `- ${inline(item.message)}${where}${people}`;
}

/** Who gains and loses access, above the field diff: what a reviewer needs to judge the change. */
export function renderImpactMarkdown(impact: AccessImpact | undefined, budget: number): string {
  if (impact === undefined) return '';
  if (impact.status === 'unknown')
    return `#### Access impact\n\n> [!NOTE]\n> The access impact could not be computed: ${inline(impact.reason ?? 'the directory could not be read')}\n\n`;
  if (impact.flows.length === 0) return '';
  const { widening, narrowing, neutral } = impact.summary;
  let text = `#### Access impact\n\n${widening} widening, ${narrowing} narrowing, ${neutral} neutral.\n\n`;
  const share = Math.floor(budget / impactHeadings.length);
  for (const { direction, title } of impactHeadings) {
    const lines = impact.flows.flatMap((f) => f.items.filter((i) => i.direction === direction)).map(impactLine);
    if (lines.length === 0) continue;
    text += `**${title}**\n\n${bounded(lines, share, `${direction} line`)}\n`;
  }
  return text;
}

export function renderMarkdown(plan: Plan, budget: number = MARKDOWN_BUDGET): string {
  const counts = countByAction(plan);
  const listBudget = Math.floor(budget / 8);
  let text = `### accessctl plan\n\n**${summaryLine(plan)}** against ${planWhere(plan, markdownCode)}\n\n`;
  if (plan.problems.length > 0) {
    const lines = plan.problems.map((p) => `> - ${p.source ? `${whereInline(p.source)} ` : ''}${inline(p.message)}`);
    text += `> [!CAUTION]\n> The plan cannot be applied:\n${bounded(lines, listBudget, 'problem')}\n`;
  }
  if (plan.blocked.length > 0) {
    const lines = blockedByReason(plan.blocked).map(
      ({ reason, objects }) =>
        `> - ${inline(reason)}; this blocks ${objects
          .slice(0, 20)
          .map((b) => `${b.kind} **${inline(b.name)}**`)
          .join(', ')}${objects.length > 20 ? ` and ${objects.length - 20} more` : ''}`,
    );
    text += `> [!CAUTION]\n> Blocked by the deletion guards; nothing will be applied:\n${bounded(lines, listBudget, 'blocked deletion')}\n> \n> ${inline(GUARD_ADVICE_SENTENCE)}\n\n`;
  }
  if (counts.delete > 0) {
    text += `> [!WARNING]\n> This plan **deletes ${counts.delete} object${counts.delete === 1 ? '' : 's'}** from the platform.\n\n`;
  }
  if (plan.unknown.length > 0) text += `> [!NOTE]\n> Not planned, because their live lists could not be read: ${plan.unknown.join(', ')}\n\n`;
  if (plan.unsupported.length > 0) {
    text += `> [!NOTE]\n> Not supported by this target: ${plan.unsupported.map((u) => `${u.kind} (${inline(u.reason)})`).join(', ')}\n\n`;
  }
  if (plan.unmanageable.length > 0) {
    const lines = plan.unmanageable.map((u) => `> - ${u.kind} **${inline(u.name)}** (${markdownCode(u.id)}): ${inline(u.reasons.join('; '))}`);
    text += `> [!WARNING]\n> Live values accessctl does not know; these objects are never changed:\n${bounded(lines, listBudget, 'unmanageable object')}\n`;
  }
  text += table(plan);
  text += renderImpactMarkdown(plan.impact, Math.floor(budget / 4));

  let tail = '';
  if (plan.unmanaged.length > 0) {
    const lines = plan.unmanaged.map((u) => `- ${u.kind} **${inline(u.name)}** (${markdownCode(u.id)})`);
    tail += `<details><summary>Unmanaged: live, not in git (prune is off)</summary>\n\n${bounded(lines, listBudget, 'unmanaged object')}\n</details>\n\n`;
  }
  if (plan.warnings.length > 0) {
    const lines = plan.warnings.map((w) => `- ⚠️ ${w.source ? `${whereInline(w.source)} ` : ''}${inline(w.message)}`);
    tail += bounded(lines, listBudget, 'warning');
  }

  const ordered = [...plan.changes].sort((a, b) => actionOrder.indexOf(a.action) - actionOrder.indexOf(b.action));
  const note = (left: number): string =>
    `> [!NOTE]\n> ${left} more change${left === 1 ? '' : 's'} not shown: the comment is limited to ${budget.toLocaleString('en-US')} characters. Run \`accessctl plan\` for the full plan.\n\n`;
  const reserve = tail.length + note(ordered.length).length;
  let shown = 0;
  for (const change of ordered) {
    const block = details(change);
    if (text.length + block.length + reserve > budget) break;
    text += block;
    shown++;
  }
  if (shown < ordered.length) text += note(ordered.length - shown);
  return `${text}${tail}`;
}
