// `accessctl explain --user EMAIL [--flow NAME] [DIR]`: what-if for one user over the repo's flows:
// which they can request and through which group, and who would approve their request.
// `accessctl explain --flow NAME [DIR]`: the reverse, for one flow: who can request it, who approves, what they get.
import { Command, Option } from 'commander';
import { nameKey, likelyMeant } from '../config/names.js';
import { AccessctlError, usageError } from '../errors.js';
import { FlowTable } from '../impact/access-test.js';
import type { EffectiveFlow } from '../impact/effective.js';
import { explainUser } from '../impact/explain.js';
import { explainFlowAccess, flowReferences } from '../impact/flow-access.js';
import { clipName, listNames } from '../impact/people.js';
import { renderExplanation, renderFlowAccess, renderNameWarnings } from '../impact/render.js';
import { loadAccessContext } from '../pipeline/access-context.js';
import { printable } from '../plan/printable.js';
import { reportConfig } from './config-report.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

interface ExplainFlags extends TargetFlags {
  user?: string;
  flow?: string;
  allPeople: boolean;
  directory?: string;
  org?: string;
  format: 'text' | 'json';
}

/** A flow the repo names, with its earlier names (metadata.previousNames). */
interface NamedFlow {
  name: string;
  object: { metadata: { previousNames?: string[] } };
}

/**
 * The flow `name` names: by its name, else by one of its previousNames (as plan matches a renamed
 * flow), with a note on stderr that it was renamed; else a refusal that suggests the closest name
 * and lists the repo's flows.
 */
function flowNamed(flows: readonly EffectiveFlow[], declared: readonly NamedFlow[], name: string): EffectiveFlow {
  const table = new FlowTable(flows);
  const flow = table.get(name);
  if (flow !== undefined) return flow;
  const renamed = declared.find((d) => (d.object.metadata.previousNames ?? []).some((previous) => nameKey(previous) === nameKey(name)));
  const current = renamed === undefined ? undefined : table.get(renamed.name);
  if (current !== undefined) {
    const previous = printable(JSON.stringify(clipName(name)));
    process.stderr.write(
      `accessctl: note: ${previous} is a previous name of the flow ${printable(JSON.stringify(clipName(current.name)))} (metadata.previousNames): explaining it\n`,
    );
    return current;
  }
  const names = flows.map((f) => f.name);
  const meant = likelyMeant(name, names);
  const hint = meant === undefined ? '' : `; did you mean ${JSON.stringify(clipName(meant))}?`;
  const known = names.length === 0 ? '; it has none' : `${hint === '' ? '; it' : ' It'} has ${listNames(names, 10)}`;
  throw new AccessctlError('not-found', printable(`the repo has no approval flow named ${JSON.stringify(clipName(name))}${hint}${known}`), {
    subject: '--flow',
  });
}

export function explainCommand(): Command {
  const command = new Command('explain')
    .description(
      "show which of the repo's flows a user can request, through which group, and who would approve (--user); or, for one flow, who can request it, who approves and what they get (--flow alone)",
    )
    .argument('[dir]', 'the config directory', '.')
    .option('--user <email>', 'the user, by email or username')
    .option('--flow <name>', "only this flow; without --user: the flow's requesters, approvers and grant")
    .option('--all-people', 'with --flow alone: name every person in each list, not the first 10', false)
    .option('--directory <file>', 'a directory snapshot in the sandbox seed format, instead of reading the target')
    .option('--org <name>', "the snapshot's organization, by name or id (when it holds several)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  return withTargetOptions(command).action(async (dir: string, flags: ExplainFlags) => {
    // Refused before anything is read: a question without a subject, or a flag for the other question.
    if (flags.user === undefined && flags.flow === undefined)
      throw usageError('explain needs --user EMAIL (what one user can request) or --flow NAME (who can request one flow)', '--user');
    if (flags.user !== undefined && flags.allPeople)
      throw usageError("--all-people lists a flow's people: use it with --flow NAME and without --user", '--all-people');
    const context = await loadAccessContext({ dir, directory: flags.directory, org: flags.org, target: flags.target, clientOptions: clientOverrides(flags) });
    if (!context.ok) return reportConfig(context.config, flags.format === 'json' ? 'json' : 'text');
    const { view } = context;
    if (flags.user === undefined) {
      const flow = flowNamed(context.flows, context.config.desired.flows, flags.flow!);
      const declared = context.config.desired.flows.find((d) => nameKey(d.name) === nameKey(flow.name));
      // Groups the repo creates are made by apply, as `--user` resolves them: not missing names.
      const creates = context.config.desired.groups.filter((g) => g.object.spec.create === true).map((g) => g.name);
      const answer = explainFlowAccess(flow, view, {
        ...(flags.allPeople ? { shown: Number.POSITIVE_INFINITY } : {}),
        ...(declared === undefined ? {} : { references: flowReferences(declared) }),
        creates,
      });
      const { flow: name, ...rest } = answer;
      if (flags.format === 'json') process.stdout.write(`${JSON.stringify({ flow: name, directory: context.from, ...rest }, null, 2)}\n`);
      else process.stdout.write(renderFlowAccess(answer, context.from));
      return;
    }
    const user = view.user(flags.user);
    if (user === undefined) {
      throw new AccessctlError('not-found', `the directory of ${printable(context.from)} has no user ${printable(JSON.stringify(clipName(flags.user)))}`, {
        subject: '--user',
      });
    }
    const flows = flags.flow === undefined ? context.flows : [flowNamed(context.flows, context.config.desired.flows, flags.flow)];
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
