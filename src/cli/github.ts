// `accessctl github comment|check [DIR]`: validate and plan, then post the sticky PR comment (and
// destroy label) or a check run with annotations. Exit 1 on invalid config or an unusable plan.
import { Command, InvalidArgumentError } from 'commander';
import { renderText } from '../diagnostics/render.js';
import { annotationRoot } from '../diagnostics/repo-path.js';
import { AccessctlError } from '../errors.js';
import { withGithubErrors } from '../github/api-error.js';
import { checkOutput, DEFAULT_CHECK_NAME, publishCheck } from '../github/check.js';
import {
  COMMENT_AUTHOR_ENV,
  commentBody,
  DEFAULT_DESTROY_LABEL,
  parseCommentAuthor,
  resolveCommentAuthor,
  syncLabel,
  upsertComment,
} from '../github/comment.js';
import { readContext, requireHeadSha, requirePullNumber, type ContextFlags, type GithubContext } from '../github/context.js';
import type { GithubApi } from '../github/octokit.js';
import { assess, deletes, verdict, type Outcome } from '../github/outcome.js';
import { renderTestReport } from '../impact/render.js';
import { printable } from '../plan/printable.js';
import { runRepoAccessTests } from '../pipeline/access-context.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { cacheDirOption, parseCacheFor } from './cache-dir-option.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';
import type { Runtime } from './runtime.js';
import { packageVersion } from './version.js';

type GithubFlags = ContextFlags & TargetFlags & { cacheDir?: string };

function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('a pull request number is a whole number above 0');
  return Number(value);
}

/** `sha`: what the command does with the commit, in its help. */
function withGithubOptions(command: Command, sha: string): Command {
  return withTargetOptions(
    command
      .argument('[dir]', 'the config directory', '.')
      .option('--token <token>', 'GitHub token (default: GITHUB_TOKEN; prefer the variable: flags show in process lists)')
      .option('--repo <owner/name>', 'the repository (default: GITHUB_REPOSITORY)')
      .option('--event-path <file>', 'the saved webhook event with the pull request (default: GITHUB_EVENT_PATH)')
      .option('--api-url <url>', 'the GitHub API, e.g. https://ghe.example.com/api/v3 (default: GITHUB_API_URL, then https://api.github.com)')
      .option('--pr <number>', 'the pull request number (default: from the event)', positiveInteger)
      .option('--sha <sha>', `${sha} (default: the pull request head, then GITHUB_SHA)`)
      .addOption(cacheDirOption()),
  );
}

/**
 * Validates and plans, printing the validation result for the job log. The config is loaded once
 * (through --cache-dir's cache when given) and handed back, so `check`'s access tests use it too.
 */
async function evaluate(runtime: Runtime, dir: string, flags: GithubFlags): Promise<{ outcome: Outcome; config: LoadResult | undefined }> {
  // Opened first: a --cache-dir accessctl cannot use is refused before anything is read or sent.
  const cache = parseCacheFor(flags.cacheDir);
  let config: LoadResult | undefined;
  const load = async (from: string): Promise<LoadResult> => (config = await loadConfig(from, process.cwd(), cache === undefined ? {} : { cache }));
  const outcome = await runtime.clientFor(flags, (clients) => assess({ dir, client: clients.for, load }));
  process.stdout.write(renderText(outcome, () => undefined, false));
  return { outcome, config };
}

function finish(outcome: Outcome): void {
  const result = verdict(outcome);
  if (result === 'invalid') throw new AccessctlError('config-invalid', 'the config is invalid', { exitCode: 1 });
  if (result === 'unplannable') {
    const why =
      outcome.plan === undefined ? (outcome.planError ?? 'no plan') : 'the plan cannot be applied (problems, blocked deletions or unreadable live state)';
    throw new AccessctlError('platform', `${why}; see the pull request`, { exitCode: 1 });
  }
}

/** Loaded on use: octokit costs every other command's start-up time otherwise. */
async function client(context: GithubContext): Promise<GithubApi> {
  const { createGithubClient } = await import('../github/octokit.js');
  return createGithubClient({ token: context.token, baseUrl: context.apiUrl, userAgent: `accessctl/${packageVersion()}` });
}

/** The login given by hand, flag first, then the environment; undefined to ask GitHub. */
function commentAuthorOverride(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) return parseCommentAuthor(flag, '--comment-author');
  const value = env[COMMENT_AUTHOR_ENV];
  return value === undefined || value === '' ? undefined : parseCommentAuthor(value, COMMENT_AUTHOR_ENV);
}

function commentCommand(runtime: Runtime): Command {
  const command = new Command('comment')
    .description('post the validation result and the plan as one sticky pull request comment')
    .option('--label <name>', 'label added while the plan deletes anything, removed when it no longer does ("" for none)', DEFAULT_DESTROY_LABEL)
    .option(
      '--comment-author <login>',
      `the account the token comments as; only its comments are edited (default: ${COMMENT_AUTHOR_ENV}, then asked of GitHub: GET /user, or the GraphQL viewer for github-actions[bot] and app tokens)`,
    );
  return withGithubOptions(command, 'the commit the comment says it ran on').action(
    async (dir: string, flags: GithubFlags & { label: string; commentAuthor?: string }) => {
      // The GitHub side first: a missing token or pull request fails before any platform call.
      const context = await readContext(flags, process.env);
      const pr = { owner: context.owner, repo: context.repo, pullNumber: requirePullNumber(context) };
      const override = commentAuthorOverride(flags.commentAuthor, process.env);
      const { outcome } = await evaluate(runtime, dir, flags);
      await withGithubErrors(context.token, async () => {
        const api = await client(context);
        const posted = await upsertComment(api, pr, (lookalikes, author) => commentBody(outcome, context.headSha, lookalikes, author), {
          author: override ?? (() => resolveCommentAuthor(api)),
        });
        if (posted.lookalikes.length > 0) {
          // One line, so the job log says what the comment's warning says: someone posted the marker.
          const by = [...new Set(posted.lookalikes.map((l) => printable(l.login)))].join(', ');
          const n = posted.lookalikes.length;
          process.stderr.write(
            `accessctl: warning: ignored ${n} comment${n === 1 ? '' : 's'} that carr${n === 1 ? 'ies' : 'y'} the plan marker but ${n === 1 ? 'was' : 'were'} written by ${by}, not ${printable(posted.author ?? '')}: ${posted.lookalikes.map((l) => printable(l.url)).join(' ')}\n`,
          );
        }
        if (posted.refused !== undefined) {
          process.stderr.write(
            `accessctl: warning: GitHub refused to edit the plan comment ${posted.refused.url} (${posted.refused.status}: ${printable(posted.refused.message)}); posted a new one instead\n`,
          );
        }
        process.stdout.write(`accessctl: ${posted.action} the plan comment ${posted.url}\n`);
        const wanted = deletes(outcome);
        // With no plan, whether it deletes is unknown: the label stays as it is.
        if (wanted !== undefined && flags.label !== '') {
          const label = await syncLabel(api, pr, flags.label, wanted);
          if (label !== 'unchanged') process.stdout.write(`accessctl: ${label} the label ${flags.label}\n`);
        }
      });
      finish(outcome);
    },
  );
}

function checkCommand(runtime: Runtime): Command {
  const command = new Command('check')
    .description('create a check run on the pull request head with annotations and the plan')
    .option('--name <name>', 'the check run name', DEFAULT_CHECK_NAME)
    .option('--neutral-on-changes', 'conclude neutral (not success) when the plan has changes', false);
  return withGithubOptions(command, 'the commit the check run is attached to').action(
    async (dir: string, flags: GithubFlags & { name: string; neutralOnChanges: boolean }) => {
      const context = await readContext(flags, process.env);
      const commit = { owner: context.owner, repo: context.repo, headSha: requireHeadSha(context) };
      const { outcome, config } = await evaluate(runtime, dir, flags);
      // The repo's access tests, against the target's directory: a failing case fails the check on its line.
      const tests =
        verdict(outcome) === 'invalid'
          ? undefined
          : await runRepoAccessTests({ dir, target: flags.target, clientOptions: clientOverrides(flags), ...(config ? { config } : {}) });
      if (tests !== undefined)
        process.stdout.write('error' in tests ? `accessctl: access tests not run: ${printable(tests.error)}\n` : renderTestReport(tests.report, false));
      const output = checkOutput(outcome, {
        name: flags.name,
        neutralOnChanges: flags.neutralOnChanges,
        root: annotationRoot(),
        tests,
      });
      await withGithubErrors(context.token, async () => {
        const check = await publishCheck(await client(context), commit, output);
        process.stdout.write(
          `accessctl: check run "${output.name}" concluded ${output.conclusion} with ${output.annotations.length} annotation${output.annotations.length === 1 ? '' : 's'} ${check.url}\n`,
        );
      });
      finish(outcome);
      // The report above says which cases; this sets the exit code.
      if (tests !== undefined && ('error' in tests || tests.report.failed + tests.report.errors > 0))
        throw new AccessctlError('config-invalid', 'access tests failed', { exitCode: 1 });
    },
  );
}

/** A command group whose subcommands take the program's error handling and output, as direct commands do. */
class CommandGroup extends Command {
  override copyInheritedSettings(source: Command): this {
    super.copyInheritedSettings(source);
    for (const command of this.commands) command.copyInheritedSettings(this);
    return this;
  }
}

export function githubCommand(runtime: Runtime): Command {
  return new CommandGroup('github')
    .description('report validation and the plan on a GitHub pull request: a sticky comment and a check run')
    .addCommand(commentCommand(runtime))
    .addCommand(checkCommand(runtime));
}
