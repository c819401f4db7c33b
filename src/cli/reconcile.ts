// `accessctl reconcile [DIR | --repo URL]`: keeps the platform matching the config, every interval
// or --once, from a directory or a git branch, with drift policy, events, a lock and /metrics.
import { resolve } from 'node:path';
import type { Runtime } from './runtime.js';
import { Command, Option } from 'commander';
import { usageError } from '../errors.js';
import { GitSource } from '../reconcile/git-source.js';
import { runReconciler } from '../reconcile/loop.js';
import type { ConfigSource } from '../reconcile/run.js';
import { MIN_RUN_INTERVAL_MS, parseInterval } from '../reconcile/schedule.js';
import { TargetBinding } from '../reconcile/target-binding.js';
import { createLogger } from './logger.js';
import { prepareStateDir, stoppedWhileWaiting } from './state-dir.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

interface ReconcileFlags extends TargetFlags {
  repo?: string;
  branch: string;
  path: string;
  interval: string;
  once: boolean;
  listen: string;
  events: string[];
  stateDir: string;
  allowHistoryRewrite: boolean;
  lock: 'wait' | 'fail';
}

export function reconcileCommand(runtime: Runtime): Command {
  const command = new Command('reconcile')
    .description('apply the config on an interval, correcting drift and emitting events')
    .argument('[dir]', 'the config directory (without --repo)')
    .option('--repo <url>', 'a git repository to reconcile from (cloned into the state directory)')
    .option('--branch <name>', 'the branch to follow with --repo', 'main')
    .option('--path <dir>', 'the config directory inside the repository', '.')
    .option('--interval <duration>', 'time between runs, with ±10% jitter (30s, 5m, 1h; at least 1s)', '5m')
    .option('--once', 'run once and exit (for cron and CI)', false)
    .option('--listen <host:port>', 'the read-only console, /healthz, /readyz and /metrics (off loopback: needs ACCESSCTL_CONSOLE_TOKEN)', '127.0.0.1:9464')
    .option(
      '--events <sink>',
      'where events go: - (stdout), file:PATH or webhook:URL; may repeat',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--state-dir <dir>', 'the lock, the git cache, the event spool and the last applied commit', '.accessctl/reconcile')
    .option('--allow-history-rewrite', 'apply a head that does not descend from the last applied commit', false)
    .addOption(new Option('--lock <mode>', 'when another reconciler holds the state directory').choices(['wait', 'fail']).default('fail'))
    .addHelpText(
      'after',
      `
Examples:
  accessctl reconcile examples/access --interval 1m         # keep the org at the config, every minute
  accessctl reconcile --repo https://git.example.com/access.git --branch main --path access
  accessctl reconcile examples/access --once --events -    # one run (cron, CI), events on stdout

Exit codes (of --once, and of a long-running reconciler when it stops):
  0    nothing failed: every change applied, nothing to do, or changes held back on purpose
       (suspended, outside the sync windows, drift paused or report-only); or stopped by SIGTERM/SIGINT
  1    something failed: a change, the config, the plan (a guard, a problem, a list not read), a
       rewritten branch history, the Project moved to another target, the repo or platform could
       not be reached, the lock was lost, or a flag is wrong; or a sink refused a change's event
       (it waits in the journal), even in a run SIGTERM/SIGINT stopped
  3    another reconciler holds the state directory (--lock fail): nothing was read or applied
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM, while waiting for the lock (--lock wait)
  70   a bug in accessctl
`,
    );
  return withTargetOptions(command).action(
    runtime.action(async (dir: string | undefined, flags: ReconcileFlags) => {
      if ((dir === undefined) === (flags.repo === undefined)) throw usageError('give a config directory or --repo URL (one of them)', '--repo');
      const intervalMs = parseInterval(flags.interval, '--interval', MIN_RUN_INTERVAL_MS);
      const log = createLogger();
      const stateDir = await prepareStateDir(flags.stateDir);
      const source: ConfigSource =
        dir !== undefined
          ? { kind: 'dir', dir }
          : { kind: 'git', git: new GitSource({ repo: flags.repo ?? '', branch: flags.branch, cacheDir: resolve(stateDir, 'git') }), path: flags.path };
      // The client is made on the first valid config: its Project may name the target (resolveTarget).
      // A stop cuts its reads in flight short; its retries after a timeout are logged as warnings.
      const stopReads = new AbortController();
      const clientOptions = { ...clientOverrides(flags, (notice) => log.warn(notice)), stop: stopReads.signal };
      const clients = TargetBinding.resolving({ target: flags.target, env: process.env, clientOptions });
      let received: string | undefined;
      const signal = runtime.onStop((name) => {
        received = name;
        log.info(`${name}: finishing the change in flight, then stopping`);
        stopReads.abort();
      });
      try {
        return await runReconciler({
          source,
          stateDir,
          intervalMs,
          once: flags.once,
          listen: flags.once ? undefined : flags.listen,
          eventSpecs: flags.events,
          env: process.env,
          clients,
          log,
          allowHistoryRewrite: flags.allowHistoryRewrite,
          lockMode: flags.lock,
          signal,
          onListening: (url) => log.info(`serving the console on ${url}/objects, and /healthz, /readyz and /metrics`),
        });
      } catch (error) {
        const code = stoppedWhileWaiting(error, signal, received, stateDir);
        if (code === undefined) throw error;
        return code;
      } finally {
        await clients.close();
      }
    }),
  );
}
