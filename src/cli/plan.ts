// `accessctl plan [DIR]`: validate, then show what apply would change, as text, JSON or markdown.
// --out saves the plan with fingerprints and says where, and how to apply it; --detailed-exitcode exits 2 when there are changes.
import { Command, Option } from 'commander';
import { AccessctlError } from '../errors.js';
import { DurableWriteError, writeFileDurably } from '../events/durable-file.js';
import { fleetPlanCommand } from '../fleet/plan-fleet.js';
import { makePlan } from '../pipeline/make-plan.js';
import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import { hasChanges, whyNotApplicable, type Plan } from '../plan/plan.js';
import { printable } from '../plan/printable.js';
import { loadConfig } from '../config/load.js';
import { cacheDirOption, parseCacheFor } from './cache-dir-option.js';
import { checkOutFile } from './out-path.js';
import { reportConfig } from './config-report.js';
import type { Runtime } from './runtime.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

type PlanFormat = 'text' | 'json' | 'markdown';

function dirWithFleet(dir: string): AccessctlError {
  return new AccessctlError('usage', `DIR (${dir}) and --fleet exclude each other: the fleet file names each org's folders (spec.base, spec.orgs[].overlay)`, {
    subject: '--fleet',
  });
}

/** plan --fleet FILE [--org NAME]: each org against its own target; the fleet file names them, so --target and --out do not apply. */
async function planFleet(
  options: { format: PlanFormat; out?: string; detailedExitcode: boolean; fleet?: string; org: string[] } & TargetFlags,
): Promise<number> {
  if (options.fleet === undefined) throw new AccessctlError('usage', '--org needs --fleet FILE', { subject: '--org' });
  if (options.target !== undefined || options.out !== undefined)
    throw new AccessctlError(
      'usage',
      `${options.out !== undefined ? '--out' : '--target'} does not combine with --fleet: each org's target is in the fleet file`,
      { subject: '--fleet' },
    );
  const done = await fleetPlanCommand({
    file: options.fleet,
    orgs: options.org,
    format: options.format,
    detailedExitcode: options.detailedExitcode,
    env: process.env,
    clientOptions: clientOverrides(options),
  });
  process.stdout.write(done.output);
  return done.exitCode;
}

/** A word as a POSIX shell reads it: bare when safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What `plan --out` says: where the plan is, and the command that applies exactly it (or why none would). */
export function savedPlanNote(plan: Plan, out: string): string {
  const saved = `Saved the plan to ${printable(out)}.`;
  if (whyNotApplicable(plan).length > 0) return `${saved} apply would refuse it: see below.`;
  if (!hasChanges(plan)) return `${saved} It has no changes to apply.`;
  return `${saved} To make exactly these changes, run:\n  ${plan.orgId === undefined ? '' : `JUMPCLOUD_ORG_ID=${shellWord(plan.orgId)} `}accessctl apply ${shellWord(printable(out))} --target ${shellWord(printable(plan.target))}`;
}

/** Writes the saved plan whole or not at all; a refusal (one that came after the check) names --out and leaves no temp file. */
async function savePlan(out: string, json: string): Promise<void> {
  try {
    await writeFileDurably(out, json);
  } catch (error) {
    const code = error instanceof DurableWriteError ? error.reason : ((error as NodeJS.ErrnoException).code ?? String(error));
    throw new AccessctlError('io', `could not save the plan to --out ${printable(out)}: ${code}`, { subject: '--out', cause: error });
  }
}

export function planCommand(runtime: Runtime): Command {
  const command = new Command('plan')
    .description('show what apply would change on the platform')
    .argument('[dir]', 'the config directory', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'also save the plan, with fingerprints of the live objects, for `accessctl apply FILE`')
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on error', false)
    .option('--fleet <file>', 'plan each org of a fleet file (kind Fleet) instead of DIR, with a summary table of the orgs')
    .option('--org <name>', 'with --fleet: only this org; may repeat', (value: string, all: string[]) => [...all, value], [] as string[])
    .addOption(cacheDirOption())
    .addHelpText(
      'after',
      `
Examples:
  accessctl plan examples/access                  # what apply would change, read-only
  accessctl plan --detailed-exitcode              # in CI: exit 2 when there are changes
  accessctl plan --out plan.json && accessctl apply plan.json   # apply exactly the plan reviewed

Exit codes:
  0    planned (with --detailed-exitcode: and it has no changes)
  1    the config is invalid, apply would refuse the plan (problems, guards), the plan could not be
       made (target unreachable, key refused, a list not read), or a usage error
  2    with --detailed-exitcode: the plan has changes
  70   a bug in accessctl
`,
    );
  return withTargetOptions(command).action(
    runtime.action(
      async (
        dir: string,
        options: { format: PlanFormat; out?: string; detailedExitcode: boolean; fleet?: string; org: string[]; cacheDir?: string } & TargetFlags,
        self: Command,
      ) => {
        // A DIR given with --fleet would be ignored: the fleet file names every org's folders.
        if (options.fleet !== undefined && self.args.length > 0) throw dirWithFleet(dir);
        // Opened first: a --cache-dir accessctl cannot use is refused before anything is read or sent.
        const cache = parseCacheFor(options.cacheDir, options);
        if (options.fleet !== undefined || options.org.length > 0) return planFleet(options);
        // A --out that cannot be written is refused before the platform is read.
        if (options.out !== undefined) await checkOutFile(options.out);
        return await runtime.clientFor(options, async (clients) => {
          const load = cache === undefined ? undefined : (from: string) => loadConfig(from, process.cwd(), { cache });
          const run = await makePlan({ dir, client: clients.for, ...(load === undefined ? {} : { load }) });
          if (run.status === 'invalid') {
            // Throws for the invalid config after printing its diagnostics.
            reportConfig(run.config, options.format === 'json' ? 'json' : 'text');
            return 1;
          }
          if (run.status === 'unplannable') throw run.error;
          const { plan } = run;
          if (options.out !== undefined) await savePlan(options.out, renderJson(plan));
          const rendered = options.format === 'json' ? renderJson(plan) : options.format === 'markdown' ? renderMarkdown(plan) : renderText(plan);
          process.stdout.write(rendered);
          // Where the plan went and how to apply it: after a text plan on stdout, else on stderr, which
          // keeps JSON and markdown output whole for the programs that read it.
          if (options.out !== undefined) (options.format === 'text' ? process.stdout : process.stderr).write(`${savedPlanNote(plan, options.out)}\n`);
          // A plan apply would refuse fails here too, so a pull request's plan gate catches it.
          const reasons = whyNotApplicable(plan);
          if (reasons.length > 0) {
            const lines = reasons.slice(0, 20).map((r) => `  ${printable(r)}`);
            if (reasons.length > 20) lines.push(`  and ${reasons.length - 20} more`);
            throw new AccessctlError('conflict', `apply would refuse this plan:\n${lines.join('\n')}`, { exitCode: 1 });
          }
          return options.detailedExitcode && hasChanges(plan) ? 2 : 0;
        });
      },
    ),
  );
}
