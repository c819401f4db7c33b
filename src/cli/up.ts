// `accessctl up [DIR]`: the README's first command. Starts the sandbox in this process (its
// database under .accessctl/, seeded with the example directory when empty) and reconciles DIR
// against it every 30 s with drift correction, printing what it does and what to try next.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Profile } from '../sandbox/profile.js';
import { demoSecrets } from './demo-secrets.js';
import { profileOption } from './profile-option.js';
import type { DesiredState } from '../config/desired.js';
import { loadConfig } from '../config/load.js';
import { AccessctlError } from '../errors.js';
import type { Plan } from '../plan/plan.js';
import { renderText, summaryLine, type HeldChanges } from '../plan/render-text.js';
import { holderName, StateLock } from '../reconcile/lock.js';
import { EXIT_LOCKED, runReconciler } from '../reconcile/loop.js';
import { MIN_RUN_INTERVAL_MS, parseInterval } from '../reconcile/schedule.js';
import { TargetBinding } from '../reconcile/target-binding.js';
import { loadSeed } from '../sandbox/seed.js';
import { startSandbox, type RunningSandbox } from '../sandbox/server.js';
import { createLogger } from './logger.js';
import {
  damagedDatabaseError,
  lockNoticesOnStderr,
  lockSandboxDatabase,
  operatorKeyExport,
  removeOperatorKeyFile,
  writeOperatorKeyFile,
  type SandboxDatabaseLock,
} from './sandbox-database.js';
import { prepareStateDir, stoppedWhileWaiting } from './state-dir.js';
import type { Runtime } from './runtime.js';

interface UpFlags {
  port: number;
  db: string;
  seed: string;
  interval: string;
  listen: string;
  stateDir: string;
  profile: Profile;
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return Number(value);
}

async function startOn(flags: UpFlags, lock: SandboxDatabaseLock | undefined, onDamage: (error: Error) => void): Promise<RunningSandbox> {
  // Test hooks on: the mail outbox and webhook deliveries are part of trying the platform.
  const options = {
    dbPath: resolve(flags.db),
    seed: loadSeed(flags.seed),
    allowPrivateWebhooks: true,
    enableTestHooks: true,
    log: () => {},
    profile: flags.profile,
    // After a pause past the lock's lease it writes nothing until a heartbeat says the file is still its own.
    ...(lock === undefined ? {} : { mayWrite: () => lock.current(), confirmWrite: () => lock.confirm() }),
    // A damaged page hit by a request or a timer: the sandbox has let go of the file; up stops, saying which file and what to do.
    onDamage,
  };
  try {
    return await startSandbox({ ...options, port: flags.port });
  } catch (error) {
    // A busy default port should not stop the first command a new user types; every hint below prints the port in use.
    if (error instanceof AccessctlError && error.code === 'conflict' && flags.port !== 0) {
      process.stdout.write(`port ${flags.port} is in use, so the sandbox takes a free one; use the URL below, not ${flags.port}\n`);
      return startSandbox({ ...options, port: 0 });
    }
    throw error;
  }
}

export function upCommand(runtime: Runtime): Command {
  return new Command('up')
    .description('run the sandbox and reconcile DIR against it: the whole system on one machine')
    .argument('[dir]', 'the config directory', 'examples/access')
    .option('--port <port>', 'the sandbox port (a free one if it is taken)', port, 8080)
    .option('--db <path>', 'the sandbox database', '.accessctl/sandbox.db')
    .option('--seed <file>', 'the directory seed for an empty database', 'examples/directory.yaml')
    .option('--profile <profile>', "the sandbox's profile: default, or strict (JumpCloud's published API, read pessimistically)", profileOption, 'default')
    .option('--interval <duration>', 'time between reconcile runs (at least 1s)', '30s')
    .option('--listen <host:port>', "the reconciler's console, /healthz, /readyz, /metrics (off loopback: ACCESSCTL_CONSOLE_TOKEN)", '127.0.0.1:0')
    .option('--state-dir <dir>', "the reconciler's lock, spool and last applied state", '.accessctl/up')
    .addHelpText(
      'after',
      `
Examples:
  accessctl up                                   # the sandbox on :8080 and a reconciler of examples/access
  accessctl up my-config --port 0 --interval 5s  # your config, a free port, quicker runs

Exit codes:
  0    stopped by SIGTERM or SIGINT (Ctrl-C)
  1    the config or a flag is wrong, or the sandbox could not start
  3    another reconciler on this host holds --state-dir: stop it, or pass another --state-dir
  70   a bug in accessctl
`,
    )
    .action(
      runtime.action(async (dir: string, flags: UpFlags) => {
        const intervalMs = parseInterval(flags.interval, '--interval', MIN_RUN_INTERVAL_MS);
        // What can refuse the command is checked before the sandbox starts, so a refusal leaves nothing running.
        const stateDir = await prepareStateDir(flags.stateDir);
        await refuseWhileRunning(stateDir, intervalMs);
        const { desired } = await loadConfig(dir);
        // One process serves a database at a time, as under `accessctl sandbox` (both default to .accessctl/sandbox.db).
        const dbLost = new AbortController();
        let serving: RunningSandbox | undefined;
        const lock = await lockSandboxDatabase(flags.db, {
          ...lockNoticesOnStderr,
          // Another process serves the database now: the sandbox stops writing to it at once (no
          // request, timer or change in flight lands after this), and then the reconciler stops.
          onLost: (error) => {
            void serving?.relinquish();
            dbLost.abort(error);
          },
        });
        try {
          const sandbox = await startOn(flags, lock, (error) => dbLost.abort(damagedDatabaseError(error, flags.db, 'serve') ?? error));
          serving = sandbox;
          try {
            // Lost while the sandbox started: it never serves.
            if (dbLost.signal.aborted) throw dbLost.signal.reason;
            const code = await reconcileAgainst(sandbox, dir, desired, stateDir, intervalMs, flags, runtime, dbLost.signal);
            // Another process took the database over: this one stopped serving it, and that is a failure.
            if (dbLost.signal.aborted) throw dbLost.signal.reason;
            return code;
          } finally {
            // A close saves the clock and checkpoints the log into the file: never into one another process serves.
            await (dbLost.signal.aborted ? sandbox.relinquish() : sandbox.close());
          }
        } finally {
          await lock?.release();
        }
      }),
    );
}

/**
 * Another `up` (or reconciler) on this host holding the state dir: refused before a second sandbox
 * starts on the same database. The reconciler's own lock still decides; this only fails sooner.
 */
async function refuseWhileRunning(stateDir: string, intervalMs: number): Promise<void> {
  // Judged as the lock judges it: a lock left by an earlier process with this pid (a restart) is no refusal.
  const holder = await new StateLock({ dir: stateDir, staleAfterMs: Math.max(3 * intervalMs, 60_000) }).liveHolder();
  if (holder === undefined || holder.host !== hostname()) return;
  throw new AccessctlError(
    'conflict',
    `${holderName(holder)} holds the lock ${join(stateDir, 'reconcile.lock')}: pid ${holder.pid}, started ${holder.startedAt}; stop it (Ctrl-C where it runs), or pass another --state-dir`,
    { exitCode: EXIT_LOCKED, subject: '--state-dir' },
  );
}

/**
 * What up prints of each plan: the first plan in full, then one line for each later plan that
 * changes something; a run that plans again after another writer's conflict says so on that line
 * (its first plan was printed already, in full or as a line).
 */
export function planPrinter(out: (line: string) => unknown): (plan: Plan, run: number, held: HeldChanges) => void {
  let plans = 0;
  let lastRun = 0;
  return (plan, run, held) => {
    plans++;
    const replan = run === lastRun;
    lastRun = run;
    if (plans === 1) out(renderText(plan, undefined, held));
    else if (plan.changes.length > held.reported.length + held.paused.length) out(`run ${run}${replan ? ' (planned again)' : ''}: ${summaryLine(plan, held)}`);
  };
}

async function reconcileAgainst(
  sandbox: RunningSandbox,
  dir: string,
  desired: DesiredState,
  stateDir: string,
  intervalMs: number,
  flags: UpFlags,
  runtime: Runtime,
  dbLost: AbortSignal,
): Promise<number> {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, JUMPCLOUD_API_KEY: sandbox.adminKey, JUMPCLOUD_API_URL: sandbox.url };
  const filled = await demoSecrets(desired, env, stateDir);
  Object.assign(env, filled);
  out(`sandbox: ${sandbox.url}  (database ${flags.db}${sandbox.seeded ? `, seeded from ${flags.seed}` : ''})`);
  out(`admin key: ${sandbox.adminKey}`);
  out(`sandbox console: ${sandbox.url}/console/  (sign in as any seeded user or administrator; a sandbox, so no password)`);
  if (sandbox.operatorKey !== undefined) out(`operator key: ${sandbox.operatorKey} (the sandbox's clock and faults; new for this run)`);
  let keyFile: string | undefined;
  if (sandbox.profile === 'strict') out("profile: strict (JumpCloud's published API, read pessimistically: no channel API, whole-record PUTs)");
  if (Object.keys(filled).length > 0)
    out(`secrets the config names but this shell does not set, so sandbox-only values stand in for them: ${Object.keys(filled).join(', ')}`);
  out(`reconciling ${dir} every ${flags.interval} with drift correction; events below as JSON lines\n`);
  const log = createLogger(process.env['ACCESSCTL_LOG_LEVEL'] ?? 'warn');
  // JUMPCLOUD_API_URL (the sandbox) takes precedence over a target the repo's Project names, and the reconciler says so.
  // A stop cuts the reads in flight short, as under `reconcile`; retries after a timeout are said as warnings.
  const stopReads = new AbortController();
  const clients = TargetBinding.resolving({ env, clientOptions: { stop: stopReads.signal, onNotice: (notice) => log.warn(notice) } });
  let received: string | undefined;
  const stopped = runtime.onStop((name) => {
    received = name;
    out(`${name}: finishing the change in flight, then stopping`);
    stopReads.abort();
  });
  dbLost.addEventListener('abort', () => stopReads.abort(), { once: true });
  const signal = AbortSignal.any([stopped, dbLost]);
  try {
    // The hint below reads the key from this file, so a pasted command line keeps it out of shell
    // history; written inside the try whose end removes it, however the run ends.
    keyFile = await writeOperatorKeyFile(flags.db, sandbox.operatorKey);
    return await runReconciler({
      source: { kind: 'dir', dir },
      stateDir,
      intervalMs,
      once: false,
      listen: flags.listen,
      eventSpecs: ['-'],
      env,
      clients,
      log,
      allowHistoryRewrite: false,
      lockMode: 'fail',
      signal,
      onListening: (url) => out(`reconciler console: ${url}/objects  (and ${url}/metrics)`),
      onPlan: planPrinter(out),
      onOutcome: (outcome, run) => {
        out(`run ${run}: ${outcome.result}: ${outcome.message}`);
        if (run === 1) {
          out('\nNext, in another shell:');
          out(`  export JUMPCLOUD_API_KEY=${sandbox.adminKey} JUMPCLOUD_API_URL=${sandbox.url} JUMPCLOUD_INSIGHTS_URL=${sandbox.url}`);
          if (sandbox.profile !== 'strict') out('  npx accessctl request submit --as alice@example.com --flow "GitHub User" --reason "onboarding"');
          out('  npx accessctl events --follow');
          if (sandbox.operatorKey !== undefined) {
            out(`  ${operatorKeyExport(keyFile)}; npx accessctl sandbox clock advance 8h   # the sandbox clock: time-bound access ends, requests expire`);
          }
          out(`  curl -H "x-api-key: $JUMPCLOUD_API_KEY" ${sandbox.url}/sandbox/v1/mail   # the mail the settings' email switches sent`);
          out(`  edit ${dir}/flows/github-admin.yaml (say, access.durations) and watch the next run apply it`);
          out(`  curl -X PUT -H "x-api-key: $JUMPCLOUD_API_KEY" ... ${sandbox.url}/api/v2/approvalflows/ID  # drift: reverted next run\n`);
        }
      },
    });
  } catch (error) {
    const code = stoppedWhileWaiting(error, signal, received, stateDir);
    if (code === undefined) throw error;
    return code;
  } finally {
    await clients.close();
    await removeOperatorKeyFile(keyFile, sandbox.operatorKey);
  }
}
