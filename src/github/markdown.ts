// The markdown the PR comment and the check summary share: a validation section that lists
// errors with file and line, the plan, and a hard fit to a size limit with a note saying so.
import { countDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { summaryLine } from '../diagnostics/render.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { markdownCode, markdownText } from '../plan/printable.js';
import type { Outcome } from './outcome.js';

/** Markdown-escaped text for outside HTML blocks: printable, and no @-mention or #reference GitHub would link. */
const inline = markdownText;

function diagnosticLine(d: Diagnostic): string {
  const icon = d.severity === 'error' ? '❌' : '⚠️';
  return `- ${icon} ${markdownCode(`${d.file}:${d.line}:${d.column}`)} **${inline(d.code)}** ${inline(d.message)}`;
}

/** The validation result: a summary line and one line per diagnostic, within `budget` characters. */
export function renderValidation(outcome: Outcome, budget: number): string {
  const { errors } = countDiagnostics(outcome.diagnostics);
  const status = errors > 0 ? '❌ invalid' : '✅ valid';
  let text = `### accessctl validate: ${status}\n\n${inline(summaryLine(outcome))}\n\n`;
  const lines = outcome.diagnostics.map(diagnosticLine);
  let shown = 0;
  const noteFor = (left: number): string => `\n${left} more finding${left === 1 ? '' : 's'} not shown; run \`accessctl validate\` for all of them.\n`;
  for (const line of lines) {
    if (text.length + line.length + 1 + noteFor(lines.length).length > budget) break;
    text += `${line}\n`;
    shown++;
  }
  if (shown < lines.length) text += noteFor(lines.length - shown);
  return `${text}\n`;
}

/** Cuts `text` to at most `limit` characters at a line break, ending with a note that it was cut. */
export function fitWithin(text: string, limit: number, what: string): string {
  if (text.length <= limit) return text;
  const note = `\n\n> [!NOTE]\n> Truncated: the ${what} is limited to ${limit.toLocaleString('en-US')} characters. Run \`accessctl plan\` for the full plan.\n`;
  const room = text.slice(0, Math.max(0, limit - note.length));
  const cut = room.lastIndexOf('\n');
  return `${cut > 0 ? room.slice(0, cut) : room}${note}`;
}

/**
 * The validation section, then the plan (or why there is none), all within `limit` characters.
 * The plan gets whatever the validation section leaves, and renderMarkdown puts deletions first.
 */
export function renderOutcome(outcome: Outcome, limit: number, what: string): string {
  const validation = renderValidation(outcome, Math.floor(limit / 4));
  let plan: string;
  if (countDiagnostics(outcome.diagnostics).errors > 0) plan = 'No plan: fix the errors above first.\n';
  else if (outcome.plan === undefined)
    plan = `### accessctl plan\n\n> [!CAUTION]\n> The plan could not be made: ${inline(outcome.planError ?? 'unknown error')}\n`;
  else plan = renderMarkdown(outcome.plan, Math.max(1000, limit - validation.length - 400));
  return fitWithin(`${validation}${plan}`, limit, what);
}
