// `plan --fleet FILE [--org NAME]`: each selected org's resolved config planned against the org
// (its target, key and x-org-id), a few orgs at once; printed as a summary table with each org's
// plan, as JSON, or as markdown for a pull request with the orgs that have changes first.
import pc from 'picocolors';
import type { LoadResult } from '../config/load.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ClientOptions } from '../jumpcloud/client.js';
import { mapBounded } from '../jumpcloud/map-bounded.js';
import { makePlan } from '../pipeline/make-plan.js';
import { countByAction, hasChanges, whyNotApplicable, type Plan } from '../plan/plan.js';
import { printable } from '../plan/printable.js';
import { toPlanDocument } from '../plan/render-json.js';
import { MARKDOWN_BUDGET, renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import { loadFleet, selectOrgs, type FleetDefinition, type FleetMember } from './fleet-file.js';
import { OrgClients } from './org-run.js';
import { FolderCache, resolveOrg } from './resolve.js';

export type OrgPlanStatus = 'planned' | 'invalid' | 'unplannable';

interface OrgPlanBase {
  org: FleetMember;
  /** How the org's config was made from the base and its overlay. */
  made: { base: number; replaced: number; overlay: number; excluded: number };
  config: LoadResult;
}

/** An org's plan, or why it has none (an invalid config: its first error; an unplannable org: what stopped it). */
export type OrgPlan = OrgPlanBase & ({ status: 'planned'; plan: Plan } | { status: Exclude<OrgPlanStatus, 'planned'>; error: string });

/** Plans at most this many orgs at once. */
export const PLAN_CONCURRENCY = 4;

function firstError(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  return first
    ? `${errors.length} error${errors.length === 1 ? '' : 's'} in its config; first: ${first.file}:${first.line}:${first.column} ${first.message}`
    : 'its config is invalid';
}

export async function planFleet(
  fleet: FleetDefinition,
  orgs: readonly FleetMember[],
  env: NodeJS.ProcessEnv,
  clientOptions: Partial<ClientOptions> = {},
): Promise<OrgPlan[]> {
  const folders = new FolderCache();
  const clients = new OrgClients(env, clientOptions);
  try {
    return await mapBounded(orgs, PLAN_CONCURRENCY, async (org): Promise<OrgPlan> => {
      const { config, made } = await resolveOrg(fleet, org, folders);
      const base = { org, made, config };
      const client = clients.for(org);
      if ('unusable' in client) {
        if (config.diagnostics.some((d) => d.severity === 'error')) return { ...base, status: 'invalid', error: firstError(config.diagnostics) };
        return { ...base, status: 'unplannable', error: client.unusable };
      }
      const run = await makePlan({ dir: fleet.base.dir, load: async () => config, client: client.client, env });
      if (run.status === 'invalid') return { ...base, status: 'invalid', error: firstError(run.config.diagnostics) };
      if (run.status === 'unplannable') return { ...base, status: 'unplannable', error: run.error.message };
      return { ...base, status: 'planned', plan: run.plan };
    });
  } finally {
    await clients.close();
  }
}

interface Counts {
  create: number;
  update: number;
  delete: number;
  unmanaged: number;
}

/** A row's status: a planned org's verdict on its plan, or why the org has no plan. */
type RowStatus = 'blocked' | 'changes' | 'no changes' | Exclude<OrgPlanStatus, 'planned'>;

interface Row {
  org: string;
  status: RowStatus;
  /** Absent for an org with no plan: its table cells read "-", never 0, which would read as "no changes". */
  counts?: Counts;
}

function rowOf(p: OrgPlan): Row {
  if (p.status !== 'planned') return { org: p.org.name, status: p.status };
  const refused = whyNotApplicable(p.plan).length > 0;
  return {
    org: p.org.name,
    status: refused ? 'blocked' : hasChanges(p.plan) ? 'changes' : 'no changes',
    counts: { ...countByAction(p.plan), unmanaged: p.plan.unmanaged.length },
  };
}

/** A planned org's row as JSON: its name, status and the four counts, as the table shows them. */
function summaryOf(p: OrgPlan): { org: string; status: RowStatus } & Partial<Counts> {
  const { counts, ...row } = rowOf(p);
  return { ...row, ...counts };
}

/** The four count cells of a row: the numbers, or "-" for an org that was not planned. */
function countCells(r: Row): string[] {
  const c = r.counts;
  return c === undefined ? ['-', '-', '-', '-'] : [c.create, c.update, c.delete, c.unmanaged].map(String);
}

/** Orgs with changes (or trouble) first, then the quiet ones; the fleet file's order within each. */
export function changesFirst(plans: readonly OrgPlan[]): OrgPlan[] {
  const rank = (p: OrgPlan): number => (p.status !== 'planned' ? 0 : whyNotApplicable(p.plan).length > 0 ? 0 : hasChanges(p.plan) ? 1 : 2);
  return plans
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

export function summaryTable(plans: readonly OrgPlan[]): string {
  const rows = plans.map(rowOf);
  const header = ['ORG', 'STATUS', 'CREATE', 'UPDATE', 'DELETE', 'UNMANAGED'];
  const cells = rows.map((r) => [r.org, r.status, ...countCells(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells]
    .map((c) =>
      c
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Each org's plan under its name, then one summary table. */
export function renderFleetText(fleet: FleetDefinition, plans: readonly OrgPlan[], color: boolean): string {
  let out = '';
  for (const p of plans) {
    const made = `base ${fleet.base.written}${p.org.overlay ? ` + overlay ${p.org.overlay.written}` : ''}${p.made.excluded > 0 ? `, ${p.made.excluded} excluded` : ''}`;
    out += `== org ${p.org.name} (${p.org.orgId}, ${made})\n`;
    out += p.status === 'planned' ? renderText(p.plan, color) : `${printable(`not planned: ${p.error}`)}\n`;
    out += '\n';
  }
  return `${out}fleet ${fleet.name}: ${plans.length} org${plans.length === 1 ? '' : 's'}\n${summaryTable(plans)}\n`;
}

export function renderFleetJson(fleet: FleetDefinition, plans: readonly OrgPlan[]): string {
  const orgs = plans.map((p) => ({
    org: p.org.name,
    orgId: p.org.orgId,
    status: p.status,
    made: p.made,
    ...(p.status === 'planned' ? { summary: summaryOf(p), plan: toPlanDocument(p.plan) } : { error: p.error }),
  }));
  return `${JSON.stringify({ fleet: fleet.name, orgs }, null, 2)}\n`;
}

function cell(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

/** For a pull request: a table of every org, orgs with changes first, then each org's plan that has something to say, within the budget. */
export function renderFleetMarkdown(fleet: FleetDefinition, plans: readonly OrgPlan[], budget: number = MARKDOWN_BUDGET): string {
  const ordered = changesFirst(plans);
  const rows = ordered.map((p) => {
    const r = rowOf(p);
    return `| ${cell(r.org)} | ${cell(r.status)} | ${countCells(r).join(' | ')} |`;
  });
  let text = `### accessctl fleet plan: ${cell(fleet.name)}\n\n| org | status | create | update | delete | unmanaged |\n| --- | --- | ---: | ---: | ---: | ---: |\n${rows.join('\n')}\n\n`;
  const detailed = ordered.filter((p) => p.status !== 'planned' || hasChanges(p.plan) || whyNotApplicable(p.plan).length > 0);
  const quiet = ordered.length - detailed.length;
  const share = Math.max(2000, Math.floor((budget - text.length) / Math.max(1, detailed.length)));
  let left = 0;
  for (const p of detailed) {
    const body = p.status === 'planned' ? renderMarkdown(p.plan, share).replace(/^### accessctl plan\n\n/, '') : `Not planned: ${cell(p.error)}\n`;
    const section = `<details${p.status !== 'planned' ? '' : ' open'}><summary><b>${cell(p.org.name)}</b></summary>\n\n${body}\n</details>\n\n`;
    if (text.length + section.length > budget) {
      left++;
      continue;
    }
    text += section;
  }
  if (left > 0)
    text += `${left} more org${left === 1 ? '' : 's'} with changes: run \`accessctl plan --fleet\` to see ${left === 1 ? 'its plan' : 'their plans'}.\n\n`;
  if (quiet > 0) text += `${quiet} org${quiet === 1 ? '' : 's'} without changes.\n`;
  return text;
}

export interface FleetPlanCommand {
  file: string;
  orgs: readonly string[];
  format: 'text' | 'json' | 'markdown';
  detailedExitcode: boolean;
  env: NodeJS.ProcessEnv;
  clientOptions?: Partial<ClientOptions>;
  /** Default: when the terminal supports it. */
  color?: boolean;
}

/**
 * `plan --fleet`: the output and the exit code: 1 when an org could not be planned or apply would
 * refuse its plan, else 2 with --detailed-exitcode when any org has changes, else 0.
 */
export async function fleetPlanCommand(command: FleetPlanCommand): Promise<{ output: string; exitCode: number }> {
  const { fleet } = await loadFleet(command.file);
  const plans = await planFleet(fleet, selectOrgs(fleet, command.orgs), command.env, command.clientOptions);
  const output =
    command.format === 'json'
      ? renderFleetJson(fleet, plans)
      : command.format === 'markdown'
        ? renderFleetMarkdown(fleet, plans)
        : renderFleetText(fleet, plans, command.color ?? pc.isColorSupported);
  const failing = plans.some((p) => p.status !== 'planned' || whyNotApplicable(p.plan).length > 0);
  const changes = plans.some((p) => p.status === 'planned' && hasChanges(p.plan));
  return { output, exitCode: failing ? 1 : command.detailedExitcode && changes ? 2 : 0 };
}
