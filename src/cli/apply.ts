// `accessctl apply [DIR | plan.json]`: makes the platform match the config. A directory is planned
// fresh and, on a terminal, applied only once the user answers "yes" (--auto-approve skips the
// question); a saved plan was reviewed already and is applied only if nothing it touches changed since.
// A write holds the state directory's lock (the reconciler's) from the plan's fresh read to the last change.
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { applyPlan, type ApplyResult, type ChangeResult } from '../apply/apply.js';
import { ApplyLock, checkedStateDir, describeSearch, findReconcilerStateDirs, RECONCILER_STATE_DIR, type StateDirSearch } from '../apply/apply-lock.js';
import { readSavedPlan } from '../apply/saved-plan.js';
import { findStaleChanges } from '../apply/staleness.js';
import { emptyDesiredState } from '../config/desired.js';
import { displayPath } from '../config/discover.js';
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
import { stoppedWhileWaiting } from './state-dir.js';
import { listenForStop, signalExitCode, type StopListener } from './stop-signal.js';
import { withTargetOptions, type TargetFlags } from './target-options.js';

interface ApplyFlags extends TargetFlags {
  dryRun: boolean;
  autoApprove: boolean;
  prune: boolean;
  maxDeletions?: number;
  maxDeletionPercent?: number;
  concurrency: number;
  stateDir?: string;
  /** Undefined unless given: then 'fail', and nothing to lock is no error. */
  lock?: 'wait' | 'fail';
}

function percent(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) > 100) throw new InvalidArgumentError(`${name} must be a whole number from 0 to 100`);
    return Number(value);
  };
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

/** How a change ended, in the summary: ✓ applied, ✗ failed, - not applied (and why). */
function reportLine(result: ChangeResult): string {
  const { change } = result;
  const what = `${change.action} ${change.kind} "${printable(change.name)}"`;
  if (result.status === 'applied') return `  ✓ ${what}`;
  return `  ${result.status === 'failed' ? '✗' : '-'} ${what}: ${printable(result.error?.message ?? result.status)}`;
}

/**
 * The summary. When every change applied, the plan above already says what; otherwise each change
 * is named with how it ended, so a partly applied (or interrupted) run says exactly what landed.
 */
function report(result: ApplyResult): string {
  const complete = result.applied === result.results.length;
  const lines = complete ? [] : result.results.map(reportLine);
  return [`Apply: ${result.applied} applied, ${result.failed} failed, ${result.skipped} skipped.`, ...lines, ''].join('\n');
}

/** Whether `source` is there at all (anything else wrong with it is for the reader of it to say). */
async function exists(source: string): Promise<boolean> {
  return await lstat(source).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT' && error.code !== 'ENOTDIR',
  );
}

const exitCodes = `
Examples:
  accessctl apply examples/access                 # plan, ask, then apply what was shown
  accessctl apply --auto-approve                  # in CI, after the plan was reviewed
  accessctl plan --out plan.json && accessctl apply plan.json   # exactly the plan reviewed

Locking:
  Like a reconciler, apply holds the lock of a state directory from before the plan's fresh read
  until its last write, so a hand-run apply and a reconciler (or two applies) never write at once.
  It is a file: it keeps out processes on this host, or on a disk the state directory is shared on,
  never a reconciler that runs elsewhere. Which directory:
  --state-dir DIR     that one, which must exist (a reconciler's: it makes its own when it starts);
                      a fleet runner's is refused (fleet run holds another lock)
  otherwise           every ${RECONCILER_STATE_DIR} that exists (the reconciler's default, made in
                      the directory it was started in) in the working directory, and in the config's
                      directory (a saved plan's own) or any directory above it, up to the git root
                      holding it (the file system root when it is in none); when there is none, apply
                      says so in one line before the question and applies without a lock
  --dry-run takes no lock, nor does plan: they write nothing. The lock is held while the question
  waits (said when asked), so a question left open keeps reconcilers out until it is answered.
  --lock fail (the default) refuses while another process holds it; --lock wait waits for it
  (a reconciler holds it for as long as it runs). --lock given with nothing to lock is refused.
  A lock lost while applying (taken over as stale) stops it before its next change.

Exit codes:
  0    every change applied, there was nothing to do, or --dry-run
  1    a change failed or was skipped, the config is invalid, the plan or saved plan was refused
       (problems, guards, stale, another target), the question was not answered 'yes', the lock was
       lost while applying, or a usage error (a --state-dir that does not exist or is a fleet
       runner's, --lock with no state directory to lock)
  3    another reconciler or apply holds the state directory's lock (--lock fail): nothing was read
       from the platform or applied
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM, before every change had started: the changes in
       flight finished, no other started, and the summary names each change with how it ended. Plan
       and apply again to finish. A second signal ends accessctl at once, the changes in flight unknown.
       Also while waiting for the lock (--lock wait), or, holding it, before the first change:
       nothing was applied, and the lock is released.
  70   a bug in accessctl
`;

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
    .option('--max-deletion-percent <n>', 'override guards.maxDeletionPercent (0 to 100) for this run', percent('--max-deletion-percent'))
    .option('--concurrency <n>', 'changes in flight at once within a phase', count('--concurrency'), 4)
    .addOption(
      new Option('--state-dir <dir>', "hold the lock of this state directory (an existing reconciler's) while applying").default(
        undefined,
        `each ${RECONCILER_STATE_DIR} found here or up from the config, else no lock`,
      ),
    )
    .addOption(
      new Option('--lock <mode>', 'when another reconciler or apply holds the state directory (refused when there is none)')
        .choices(['wait', 'fail'])
        .default(undefined, 'fail'),
    )
    .addHelpText('after', exitCodes);
  return withTargetOptions(command).action(
    runtime.action(async (source: string, flags: ApplyFlags): Promise<ExitCode> => {
      if (flags.concurrency < 1) throw usageError('--concurrency must be at least 1', '--concurrency');
      // First, whatever the flags: a mistyped path is the one thing to fix, and every other refusal would hide it.
      if (!(await exists(source))) throw new AccessctlError('not-found', `${displayPath(source)}: no such file or directory`, { subject: 'source' });
      const isFile = await stat(source)
        .then((s) => s.isFile() && source.endsWith('.json'))
        .catch(() => false);
      if (isFile && (flags.prune || flags.maxDeletions !== undefined || flags.maxDeletionPercent !== undefined))
        throw usageError('--prune, --max-deletions and --max-deletion-percent apply when planning; plan again with them', '--prune');
      // Refused before anything is read: a script that would stop at the question fails at once, not on its first change.
      const ask = !isFile && !flags.dryRun && !flags.autoApprove;
      if (ask && !terminal.interactive) {
        throw usageError(
          'apply asks before changing anything, and there is no terminal to answer on; pass --auto-approve to apply without asking, or --dry-run to only print the plan',
          '--auto-approve',
        );
      }
      // Resolved before anything is read: a --state-dir that is no reconciler's directory, or a --lock
      // with nothing to lock, is a usage error naming the flag. --dry-run writes nothing and locks nothing.
      let lockDirs: string[] = [];
      let search: StateDirSearch | undefined;
      if (!flags.dryRun) {
        search = await findReconcilerStateDirs(isFile ? dirname(source) : source);
        lockDirs = flags.stateDir !== undefined ? [await checkedStateDir(flags.stateDir, search)] : search.found;
        if (lockDirs.length === 0 && flags.lock !== undefined) {
          throw usageError(
            `--lock ${flags.lock}: there is no state directory to lock (${describeSearch(search)}); pass --state-dir DIR to name a reconciler's, or leave --lock out to apply without a lock`,
            '--lock',
          );
        }
      }
      const progress = process.stderr.isTTY;
      // Holding the lock, a signal never ends the process at once (the lock would be left behind): before
      // the first change it stops the apply there (its reads in flight cut short); from the first change on it
      // finishes what is in flight, starts nothing more and says what landed. Without a lock, before the
      // first change nothing has changed, and Node's default (exit at once) is right.
      let phase: 'waiting' | 'planning' | 'applying' = 'waiting';
      let stop: StopListener | undefined;
      // A stop before the first change cuts the plan's reads in flight short, and no read is tried
      // again: the apply ends there, so they are of no use. From the first change on, it is not
      // aborted: the changes in flight finish, their own reads and retries included.
      const stopReads = new AbortController();
      const listen = (): StopListener =>
        (stop ??= listenForStop((signal) => {
          const again = 'send SIGINT or SIGTERM again to stop at once';
          if (phase === 'applying') {
            const inFlight = flags.concurrency === 1 ? 'the change in flight' : 'the changes in flight';
            process.stderr.write(`${progress ? '\n' : ''}accessctl: ${signal}: finishing ${inFlight} and starting no more; ${again}\n`);
          } else {
            if (phase === 'planning') process.stderr.write(`accessctl: ${signal}: stopping before the first change; ${again}\n`);
            stopReads.abort();
          }
          // While waiting for the lock, the wait ends with the signal's reason, and stoppedWhileWaiting says so.
        }));
      /** The exit code of a stop that came, holding the lock, before the first change. */
      const stoppedBeforeChanges = (signal: NodeJS.Signals): number => {
        process.stderr.write(`accessctl: stopped by ${signal} before the first change; nothing was applied, and the lock is released\n`);
        return signalExitCode(signal);
      };
      try {
        return await runtime.clientFor(
          flags,
          async (clients): Promise<ExitCode> => {
            // A saved plan's own checks (its target, its guards) read nothing: they refuse before the lock is waited for.
            const saved = isFile ? await checkedSavedPlan(source, flags) : undefined;
            let lock: ApplyLock | undefined;
            if (lockDirs.length > 0) {
              const signal = listen().signal;
              try {
                lock = await ApplyLock.take({
                  dirs: lockDirs,
                  mode: flags.lock ?? 'fail',
                  signal,
                  say: (line) => process.stderr.write(`accessctl: ${line}\n`),
                });
              } catch (error) {
                const code = stoppedWhileWaiting(error, signal, stop?.received, lockDirs.join(' and '));
                if (code === undefined) throw error;
                return code;
              }
            }
            phase = 'planning';
            try {
              let planned: { plan: Plan } | undefined;
              try {
                planned = saved ? await freshSavedPlan(saved, clients) : await freshPlan(source, flags, clients);
              } catch (error) {
                // Stopped while planning: a read the stop outlasted (its timeout) is no failure of the plan.
                if (stop?.received !== undefined) return stoppedBeforeChanges(stop.received);
                throw error;
              }
              if (stop?.received !== undefined) return stoppedBeforeChanges(stop.received);
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
              // Said before the question, so whoever answers it knows: a reconciler on this config is not kept out.
              if (lock === undefined && search !== undefined) {
                process.stderr.write(
                  `accessctl: no state directory to lock (${describeSearch(search)}): applying without a lock; pass --state-dir to share a reconciler's lock\n`,
                );
              }
              // The lock is held while the question waits (the read the plan was made from must stay current):
              // said, so that a question left open explains a reconciler that waits or is refused meanwhile.
              if (ask && lock !== undefined) {
                process.stderr.write(
                  `accessctl: holding the lock ${lock.paths.join(' and ')} until you answer: reconcilers and applies using it wait, or are refused, meanwhile\n`,
                );
              }
              if (ask && !(await askApproval(terminal, stop?.signal))) {
                if (stop?.received !== undefined) return stoppedBeforeChanges(stop.received);
                process.stderr.write("accessctl: apply cancelled: only 'yes' is accepted; nothing was changed\n");
                return 1;
              }
              // The question may have waited long: the lock is confirmed still this apply's before the first change.
              try {
                await lock?.confirm();
              } catch (error) {
                if (error instanceof AccessctlError && error.code === 'conflict')
                  throw new AccessctlError('conflict', `${error.message}; nothing was applied`, { cause: error });
                throw error;
              }
              phase = 'applying';
              const stopping = listen();
              let result: ApplyResult;
              try {
                result = await applyPlan(plan, {
                  client,
                  secrets: (name) => process.env[name],
                  concurrency: flags.concurrency,
                  // A lost lock means another writer may be writing now: no further change starts.
                  stopping: () => (lock?.lost ? lock.lost.message : stopping.signal.aborted),
                  onResult: (_result, done, total) => {
                    if (progress) process.stderr.write(`\r${done}/${total} changes`);
                  },
                });
              } finally {
                stopping.close();
              }
              if (progress) process.stderr.write('\n');
              process.stdout.write(report(result));
              const total = `${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}`;
              const notStarted = result.results.filter((r) => r.error?.code === 'not-started').length;
              if (lock?.lost !== undefined && notStarted > 0) {
                const failed = result.failed > 0 ? `, ${result.failed} failed` : '';
                throw new AccessctlError(
                  'conflict',
                  `${lock.lost.message} while applying: ${result.applied} of ${total} applied${failed}, ${notStarted} not started (each named above); plan and apply again once the other writer is done`,
                  { cause: lock.lost },
                );
              }
              if (stopping.received !== undefined && notStarted > 0) {
                const failed = result.failed > 0 ? `, ${result.failed} failed` : '';
                process.stderr.write(
                  `accessctl: stopped by ${stopping.received}: ${result.applied} of ${total} applied${failed}, ${notStarted} not started (each named above); plan and apply again to finish\n`,
                );
                return signalExitCode(stopping.received);
              }
              if (result.failed > 0 || result.skipped > 0) {
                throw new AccessctlError('platform', `${result.failed + result.skipped} of ${total} did not apply; see above`);
              }
              return 0;
            } finally {
              await lock?.release();
            }
          },
          stopReads.signal,
        );
      } finally {
        stop?.close();
      }
    }),
  );
}

/**
 * A saved plan, checked against the target this run is told about (the scope's client is made for
 * that target) and its guards; nothing is read from the platform yet.
 */
async function checkedSavedPlan(source: string, flags: ApplyFlags): Promise<Plan> {
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
  return plan;
}

/** A checked saved plan, once the live objects it touches are read: refused when any changed since it was made. */
async function freshSavedPlan(plan: Plan, clients: ClientScope): Promise<{ plan: Plan }> {
  // No project file here: the client is made for the target checkedSavedPlan checked (flag, environment or default).
  const client = clients.for(emptyDesiredState());
  // Before the plan is shown: its changes are printed only as what will be made, never as what would have been.
  const stale = await findStaleChanges(plan, client);
  if (stale.length > 0) {
    const names = stale.map((s) => `  ${printable(s.reason)}`).join('\n');
    throw new AccessctlError('conflict', `the saved plan is stale; nothing was applied:\n${names}\nRun \`accessctl plan --out\` again.`);
  }
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
      maxDeletionPercent: flags.maxDeletionPercent ?? policy.maxDeletionPercent,
    }),
  });
  if (run.status === 'invalid') {
    reportConfig(run.config, 'text');
    return undefined;
  }
  if (run.status === 'unplannable') throw run.error;
  return { plan: run.plan };
}
