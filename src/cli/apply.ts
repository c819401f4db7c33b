// `accessctl apply [DIR | plan.json]`: makes the platform match the config. A directory is planned
// fresh and, on a terminal, applied only once the user answers "yes" (--auto-approve skips the
// question); a saved plan was reviewed already and is applied only if nothing it touches changed since.
import { stat } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { applyPlan, type ApplyResult } from '../apply/apply.js';
import { readSavedPlan } from '../apply/saved-plan.js';
import { findStaleChanges } from '../apply/staleness.js';
import { emptyDesiredState } from '../config/desired.js';
import { AccessctlError, usageError } from '../errors.js';
import { makePlan, type ClientScope } from '../pipeline/make-plan.js';
import { checkGuards } from '../plan/diff.js';
import { whyNotApplicable, type Plan } from '../plan/plan.js';
import { resolveTarget } from '../jumpcloud/target.js';
import { printable } from '../plan/printable.js';
import { renderText } from '../plan/render-text.js';
import { askApproval } from './approval.js';
import { reportConfig } from './config-report.js';
import type { ExitCode, Runtime } from './runtime.js';
import { withTargetOptions, type TargetFlags } from './target-options.js';

interface ApplyFlags extends TargetFlags {
  dryRun: boolean;
  autoApprove: boolean;
  prune: boolean;
  maxDeletions?: number;
  concurrency: number;
}

function count(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

function refuseUnapplicable(plan: Plan): void {
  const reasons = whyNotApplicable(plan);
  if (reasons.length === 0) return;
  throw new AccessctlError('conflict', `nothing was applied:\n  ${reasons.map(printable).join('\n  ')}`);
}

function report(result: ApplyResult): string {
  const lines = result.results
    .filter((r) => r.status !== 'applied')
    .map(
      (r) =>
        `  ${r.status === 'failed' ? '✗' : '-'} ${r.change.action} ${r.change.kind} "${printable(r.change.name)}": ${printable(r.error?.message ?? r.status)}`,
    );
  return [`Apply: ${result.applied} applied, ${result.failed} failed, ${result.skipped} skipped.`, ...lines, ''].join('\n');
}

/** The command; the runtime's terminal is where the question is asked and answered. */
export function applyCommand(runtime: Runtime): Command {
  const { terminal } = runtime;
  const command = new Command('apply')
    .description('make the platform match the config (a directory, or a plan saved with `plan --out`)')
    .argument('[source]', 'the config directory, or a saved plan.json', '.')
    .option('--dry-run', 'print the plan and change nothing', false)
    .option('--auto-approve', 'apply a fresh plan without asking first (needed without a terminal, as in CI)', false)
    .option('--prune', 'delete live objects that are not in git, for every kind that can be pruned', false)
    .option('--max-deletions <n>', 'override guards.maxDeletions for this run', count('--max-deletions'))
    .option('--concurrency <n>', 'changes in flight at once within a phase', count('--concurrency'), 4);
  return withTargetOptions(command).action(
    runtime.action(async (source: string, flags: ApplyFlags): Promise<ExitCode> => {
      if (flags.concurrency < 1) throw usageError('--concurrency must be at least 1', '--concurrency');
      const isFile = await stat(source)
        .then((s) => s.isFile() && source.endsWith('.json'))
        .catch(() => false);
      if (isFile && (flags.prune || flags.maxDeletions !== undefined))
        throw usageError('--prune and --max-deletions apply when planning; plan again with them', '--prune');
      // Refused before anything is read: a script that would stop at the question fails at once, not on its first change.
      const ask = !isFile && !flags.dryRun && !flags.autoApprove;
      if (ask && !terminal.interactive) {
        throw usageError(
          'apply asks before changing anything, and there is no terminal to answer on; pass --auto-approve to apply without asking, or --dry-run to only print the plan',
          '--auto-approve',
        );
      }
      return await runtime.clientFor(flags, async (clients): Promise<ExitCode> => {
        const planned = isFile ? await savedPlan(source, flags, clients) : await freshPlan(source, flags, clients);
        if (planned === undefined) return 1;
        const { plan } = planned;
        const client = clients.for(emptyDesiredState());
        process.stdout.write(renderText(plan));
        refuseUnapplicable(plan);
        if (flags.dryRun) {
          process.stdout.write('Dry run: nothing was applied.\n');
          return 0;
        }
        if (plan.changes.length === 0) return 0;
        if (ask && !(await askApproval(terminal))) {
          process.stderr.write("accessctl: apply cancelled: only 'yes' is accepted; nothing was changed\n");
          return 1;
        }
        if (isFile) {
          const stale = await findStaleChanges(plan, client);
          if (stale.length > 0) {
            const names = stale.map((s) => `  ${printable(s.reason)}`).join('\n');
            throw new AccessctlError('conflict', `the saved plan is stale; nothing was applied:\n${names}\nRun \`accessctl plan --out\` again.`);
          }
        }
        const progress = process.stderr.isTTY;
        const result = await applyPlan(plan, {
          client,
          secrets: (name) => process.env[name],
          concurrency: flags.concurrency,
          onResult: (_result, done, total) => {
            if (progress) process.stderr.write(`\r${done}/${total} changes`);
          },
        });
        if (progress) process.stderr.write('\n');
        process.stdout.write(report(result));
        if (result.failed > 0 || result.skipped > 0) {
          throw new AccessctlError(
            'platform',
            `${result.failed + result.skipped} of ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'} did not apply; see above`,
          );
        }
        return 0;
      });
    }),
  );
}

/** A saved plan, checked against the target this run is told about; the scope's client is made for that target. */
async function savedPlan(source: string, flags: ApplyFlags, clients: ClientScope): Promise<{ plan: Plan }> {
  const plan = await readSavedPlan(source);
  // The key goes only to a target this run was told about, never to one named only by the file.
  const configured = resolveTarget(flags.target, process.env, undefined);
  if (configured.from === 'default' && plan.target !== configured.url) {
    throw usageError(`the plan was made against ${printable(plan.target)}; say where to apply it with --target or JUMPCLOUD_API_URL`, '--target');
  }
  if (configured.url !== plan.target) {
    throw usageError(
      `the plan was made against ${printable(plan.target)}, but ${configured.from} is ${configured.url}; plan again against the target you mean`,
      configured.from,
    );
  }
  const blocked = checkGuards(plan);
  if (blocked.length > 0 || plan.blocked.length > 0) {
    const reasons = (blocked.length > 0 ? blocked : plan.blocked).map((b) => `  ${b.kind} "${printable(b.name)}": ${printable(b.reason)}`);
    throw new AccessctlError('conflict', `the saved plan is blocked by the deletion guards; nothing was applied:\n${reasons.join('\n')}`);
  }
  // No project file here: the client is made for the target checked above (flag, environment or default).
  clients.for(emptyDesiredState());
  return { plan };
}

/** A fresh plan of DIR; undefined when the config is invalid (its diagnostics are printed). */
async function freshPlan(source: string, flags: ApplyFlags, clients: ClientScope): Promise<{ plan: Plan } | undefined> {
  const run = await makePlan({
    dir: source,
    client: clients.for,
    adjustPolicy: (policy) => ({
      ...policy,
      prune: flags.prune ? { ApprovalFlow: true } : policy.prune,
      maxDeletions: flags.maxDeletions ?? policy.maxDeletions,
    }),
  });
  if (run.status === 'invalid') {
    reportConfig(run.config, 'text');
    return undefined;
  }
  if (run.status === 'unplannable') throw run.error;
  return { plan: run.plan };
}
