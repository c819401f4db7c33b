// `accessctl explain --user EMAIL [--flow NAME] [DIR]`: what-if for one user over the repo's flows:
// which they can request and through which group, and who would approve their request.
import { Command, Option } from 'commander';
import { AccessctlError } from '../errors.js';
import { FlowTable } from '../impact/access-test.js';
import { explainUser } from '../impact/explain.js';
import { clipName, listNames } from '../impact/people.js';
import { renderExplanation, renderNameWarnings } from '../impact/render.js';
import { loadAccessContext } from '../pipeline/access-context.js';
import { printable } from '../plan/printable.js';
import { reportConfig } from './config-report.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

interface ExplainFlags extends TargetFlags {
  user: string;
  flow?: string;
  directory?: string;
  org?: string;
  format: 'text' | 'json';
}

export function explainCommand(): Command {
  const command = new Command('explain')
    .description("show which of the repo's flows a user can request, through which group, and who would approve")
    .argument('[dir]', 'the config directory', '.')
    .requiredOption('--user <email>', 'the user, by email or username')
    .option('--flow <name>', 'only this flow')
    .option('--directory <file>', 'a directory snapshot in the sandbox seed format, instead of reading the target')
    .option('--org <name>', "the snapshot's organization, by name or id (when it holds several)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  return withTargetOptions(command).action(async (dir: string, flags: ExplainFlags) => {
    const context = await loadAccessContext({ dir, directory: flags.directory, org: flags.org, target: flags.target, clientOptions: clientOverrides(flags) });
    if (!context.ok) return reportConfig(context.config, flags.format === 'json' ? 'json' : 'text');
    const { view } = context;
    const user = view.user(flags.user);
    if (user === undefined) {
      throw new AccessctlError('not-found', `the directory of ${printable(context.from)} has no user ${printable(JSON.stringify(clipName(flags.user)))}`, {
        subject: '--user',
      });
    }
    let flows = context.flows;
    if (flags.flow !== undefined) {
      const flow = new FlowTable(flows).get(flags.flow);
      if (flow === undefined) {
        const names = flows.map((f) => f.name);
        throw new AccessctlError(
          'not-found',
          `the repo has no approval flow named ${printable(JSON.stringify(clipName(flags.flow)))}${names.length > 0 ? `; it has ${printable(listNames(names, 10))}` : ''}`,
          {
            subject: '--flow',
          },
        );
      }
      flows = [flow];
    }
    const explanations = explainUser(flows, user, view);
    const record = view.users[user]!;
    if (flags.format === 'json') {
      process.stdout.write(
        `${JSON.stringify({ user: view.label(user), username: record.username, active: record.active, directory: context.from, flows: explanations, warnings: context.unknown }, null, 2)}\n`,
      );
      return;
    }
    process.stderr.write(renderNameWarnings(context.unknown, context.from));
    process.stdout.write(renderExplanation({ user: view.label(user), username: record.username, active: record.active, from: context.from }, explanations));
  });
}
