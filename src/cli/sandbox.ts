// `accessctl sandbox`: runs the embedded platform until SIGINT or SIGTERM. Thin: parses flags, locks
// the database file (one sandbox per --db), starts src/sandbox, prints the URL and an admin key.
// `accessctl sandbox clock` (sandbox-clock.ts) is a client of a running one's clock, registered here.
import { Command, InvalidArgumentError } from 'commander';
import type { Profile } from '../sandbox/profile.js';
import { profileOption } from './profile-option.js';
import { loadSeed } from '../sandbox/seed.js';
import { authenticate } from '../sandbox/auth.js';
import { startSandbox, type RunningSandbox } from '../sandbox/server.js';
import { sandboxClockCommand } from './sandbox-clock.js';
import {
  damagedDatabaseError,
  lockNoticesOnStderr,
  lockSandboxDatabase,
  operatorKeyExport,
  removeOperatorKeyFile,
  writeOperatorKeyFile,
} from './sandbox-database.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return port;
}

interface SandboxFlags {
  port: number;
  db: string;
  seed?: string;
  enableTestHooks: boolean;
  allowPrivateWebhooks: boolean;
  profile: Profile;
}

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run the local Access Requests platform (JumpCloud API subset) on 127.0.0.1')
    .option('--port <port>', 'port to listen on; 0 picks a free one', parsePort, 8080)
    .option('--db <path>', 'SQLite database file (created when missing); one sandbox serves it at a time (the lock is PATH.lock)', '.accessctl/sandbox.db')
    .option('--seed <file>', 'directory seed (YAML) applied to an empty database')
    .option(
      '--enable-test-hooks',
      'serve /sandbox/v1/*: clock, faults, rate limit and request counts with the operator key printed at start; mail and deliveries with an admin key (its org) too',
      false,
    )
    .option('--allow-private-webhooks', 'deliver webhooks to private, loopback and link-local addresses too (for local receivers)', false)
    .option(
      '--profile <profile>',
      "default, or strict: answer as the pessimistic reading of JumpCloud's published API (published routes only, PUT replaces, closed bodies, protojson responses, base64 byte ids)",
      profileOption,
      'default' as Profile,
    )
    .addCommand(sandboxClockCommand())
    .action(async (options: SandboxFlags) => {
      const seed = options.seed === undefined ? undefined : loadSeed(options.seed);
      const stops: ServingStops = {};
      // Taken before the database is opened: a second sandbox on it neither migrates it nor runs its timers.
      const lock = await lockSandboxDatabase(options.db, {
        ...lockNoticesOnStderr,
        onLost: (error) => {
          if (stops.fail !== undefined) stops.fail(error, 'relinquish');
          else stops.lostEarly ??= error;
        },
      });
      try {
        let sandbox: RunningSandbox;
        try {
          sandbox = await startSandbox({
            dbPath: options.db,
            port: options.port,
            seed,
            enableTestHooks: options.enableTestHooks,
            allowPrivateWebhooks: options.allowPrivateWebhooks,
            profile: options.profile,
            // After a pause past the lock's lease it writes nothing until a heartbeat says the file is still its own.
            ...(lock === undefined ? {} : { mayWrite: () => lock.current(), confirmWrite: () => lock.confirm() }),
            // A timer that finds the file damaged: the sandbox has let go of it; this stops the command, exit 1.
            onDamage: (error) => {
              if (stops.fail !== undefined) stops.fail(error);
              else stops.lostEarly ??= error;
            },
          });
        } catch (error) {
          throw damagedDatabaseError(error, options.db, 'open') ?? error;
        }
        let banner: string;
        let keyFile: string | undefined;
        try {
          keyFile = await writeOperatorKeyFile(options.db, sandbox.operatorKey);
          banner = bannerOf(sandbox, options, keyFile);
        } catch (error) {
          const damaged = damagedDatabaseError(error, options.db, 'open');
          await (damaged === undefined ? sandbox.close() : sandbox.relinquish());
          await removeOperatorKeyFile(keyFile, sandbox.operatorKey);
          throw damaged ?? error;
        }
        try {
          await serveUntilStopped(sandbox, options.db, stops, banner);
        } finally {
          await removeOperatorKeyFile(keyFile, sandbox.operatorKey);
        }
      } finally {
        await lock?.release();
      }
    });
}

/** What the sandbox prints once it serves: where, its database, the keys, and a first request to try. */
function bannerOf(sandbox: RunningSandbox, options: SandboxFlags, keyFile: string | undefined): string {
  const lines = [`accessctl sandbox listening on ${sandbox.url}`];
  if (sandbox.profile === 'strict') lines.push("profile: strict (JumpCloud's published API, read pessimistically)");
  lines.push(`database: ${options.db}${sandbox.seeded ? ` (seeded from ${options.seed})` : ''}`);
  if (sandbox.operatorKey !== undefined) {
    lines.push(`operator key: ${sandbox.operatorKey} (test hooks; new for this run)`);
    // The hint never holds the key itself: a line pasted into a shell is kept in its history.
    lines.push(`clock: ${operatorKeyExport(keyFile)}; npx accessctl sandbox clock advance 2h --target ${sandbox.url}`);
  }
  lines.push(`admin key: ${sandbox.adminKey}${sandbox.adminKeyMinted ? ' (new for this run; shown once)' : ''}`);
  lines.push(`sandbox console: ${sandbox.url}/console/ (sign in as any seeded user or administrator; a sandbox, so no password)`);
  // A key of several organizations (an MSP's) must say which one each request is for.
  const orgs = authenticate(sandbox.store, sandbox.adminKey).orgIds;
  const orgHeader = orgs.length > 1 ? ` -H "x-org-id: ${orgs[0]}"` : '';
  const which = orgs.length > 1 ? `   # the key manages ${orgs.length} organizations: x-org-id picks one` : '';
  lines.push(`try: curl -H "x-api-key: ${sandbox.adminKey}"${orgHeader} ${sandbox.url}/api/v2/approvalflows${which}`);
  return `${lines.join('\n')}\n`;
}

/**
 * How a failure found while serving stops it; set while the sandbox serves. `relinquish`: the
 * database is no longer this process's to write (its lock was lost, or the file is damaged), so
 * the sandbox stops without the clock save and checkpoint a close writes. A lock lost before the
 * sandbox served (while the database opened) waits in `lostEarly`, and stops it once it would serve.
 */
interface ServingStops {
  fail?: (error: unknown, how?: 'relinquish') => void;
  lostEarly?: unknown;
}

/**
 * Prints the banner and serves until SIGINT or SIGTERM (resolves), or until something stops it
 * (rejects with what the CLI reports): the database lock lost, or an error no request caught, such as
 * a timer that found the database damaged. A request answers 500 for what it hits; this is for what
 * no request owns.
 */
function serveUntilStopped(sandbox: RunningSandbox, db: string, stops: ServingStops, banner: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // The first failure reported; one that comes while a stop closes the sandbox is reported too.
    let failure: { error: unknown } | undefined;
    const finish = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('uncaughtException', uncaught);
      delete stops.fail;
    };
    const stop = (signal: NodeJS.Signals): void => {
      // Only the signals: a lock lost (or damage found) while it closes still stops it without
      // writing (relinquish) and is still reported, so `fail` stays wired until the close is done.
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.write(`received ${signal}, stopping\n`);
      // A close confirms the lock (a heartbeat when its lease lapsed) before it writes; a loss that
      // heartbeat finds is told (fail, below) before the close goes on.
      const closed = (): void => {
        finish();
        if (failure === undefined) resolve();
        else reject(failure.error);
      };
      void sandbox.close().then(closed, (error: unknown) => {
        failure ??= { error: damagedDatabaseError(error, db, 'serve') ?? error };
        closed();
      });
    };
    const fail = (error: unknown, how?: 'relinquish'): void => {
      if (failure !== undefined) return;
      const damaged = damagedDatabaseError(error, db, 'serve');
      failure = { error: damaged ?? error };
      // Closing saves the clock and checkpoints the log into the file: not into one another process
      // serves now, nor into a damaged one. Relinquishing closes the connection before anything else.
      const stopped = how === 'relinquish' || damaged !== undefined ? sandbox.relinquish() : sandbox.close();
      const reported = failure.error;
      void stopped.then(
        () => {
          finish();
          reject(reported);
        },
        () => {
          finish();
          reject(reported);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Node calls it with the origin as a second argument: not a way to stop.
    const uncaught = (error: Error): void => fail(error);
    process.on('uncaughtException', uncaught);
    stops.fail = fail;
    if (stops.lostEarly !== undefined) {
      fail(stops.lostEarly, 'relinquish');
      return;
    }
    // Printed once a stop is handled: whoever waits for the banner may signal the process at once.
    process.stdout.write(banner);
  });
}
