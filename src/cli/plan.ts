// `accessctl plan [DIR]`: validate, then show what apply would change, as text, JSON or markdown.
// --out saves the plan with fingerprints; --detailed-exitcode exits 2 when there are changes.
import { rename, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { AccessctlError } from '../errors.js';
import { makePlan, withClientScope } from '../pipeline/make-plan.js';
import { renderJson } from '../plan/render-json.js';
import { renderMarkdown } from '../plan/render-markdown.js';
import { renderText } from '../plan/render-text.js';
import { hasChanges, whyNotApplicable } from '../plan/plan.js';
import { printable } from '../plan/printable.js';
import { reportConfig } from './config-report.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

type PlanFormat = 'text' | 'json' | 'markdown';

export function planCommand(): Command {
  const command = new Command('plan')
    .description('show what apply would change on the platform')
    .argument('[dir]', 'the config directory', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'also save the plan, with fingerprints of the live objects, for `accessctl apply FILE`')
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on error', false);
  return withTargetOptions(command).action(async (dir: string, options: { format: PlanFormat; out?: string; detailedExitcode: boolean } & TargetFlags) => {
    await withClientScope({ target: options.target, clientOptions: clientOverrides(options) }, async (clients) => {
      const run = await makePlan({ dir, client: clients.for });
      if (run.status === 'invalid') return reportConfig(run.config, options.format === 'json' ? 'json' : 'text');
      if (run.status === 'unplannable') throw run.error;
      const { plan } = run;
      if (options.out) {
        const temp = `${options.out}.${process.pid}.tmp`;
        await writeFile(temp, renderJson(plan));
        await rename(temp, options.out);
      }
      const rendered = options.format === 'json' ? renderJson(plan) : options.format === 'markdown' ? renderMarkdown(plan) : renderText(plan);
      process.stdout.write(rendered);
      // A plan apply would refuse fails here too, so a pull request's plan gate catches it.
      const reasons = whyNotApplicable(plan);
      if (reasons.length > 0) {
        const lines = reasons.slice(0, 20).map((r) => `  ${printable(r)}`);
        if (reasons.length > 20) lines.push(`  and ${reasons.length - 20} more`);
        throw new AccessctlError('conflict', `apply would refuse this plan:\n${lines.join('\n')}`, { exitCode: 1 });
      }
      if (options.detailedExitcode && hasChanges(plan)) process.exitCode = 2;
    });
  });
}
