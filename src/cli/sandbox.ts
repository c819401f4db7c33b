// `accessctl sandbox`: runs the embedded platform until SIGINT or SIGTERM. Thin: parses flags,
// starts src/sandbox, prints the URL and an admin key.
import { Command, InvalidArgumentError } from 'commander';
import type { Profile } from '../sandbox/profile.js';
import { profileOption } from './profile-option.js';
import { loadSeed } from '../sandbox/seed.js';
import { authenticate } from '../sandbox/auth.js';
import { startSandbox } from '../sandbox/server.js';

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
    .option('--db <path>', 'SQLite database file (created when missing)', '.accessctl/sandbox.db')
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
    .action(async (options: SandboxFlags) => {
      const seed = options.seed === undefined ? undefined : loadSeed(options.seed);
      const sandbox = await startSandbox({
        dbPath: options.db,
        port: options.port,
        seed,
        enableTestHooks: options.enableTestHooks,
        allowPrivateWebhooks: options.allowPrivateWebhooks,
        profile: options.profile,
      });
      process.stdout.write(`accessctl sandbox listening on ${sandbox.url}\n`);
      if (sandbox.profile === 'strict') process.stdout.write("profile: strict (JumpCloud's published API, read pessimistically)\n");
      process.stdout.write(`database: ${options.db}${sandbox.seeded ? ` (seeded from ${options.seed})` : ''}\n`);
      if (sandbox.operatorKey !== undefined) process.stdout.write(`operator key: ${sandbox.operatorKey} (test hooks; new for this run)\n`);
      process.stdout.write(`admin key: ${sandbox.adminKey}${sandbox.adminKeyMinted ? ' (new for this run; shown once)' : ''}\n`);
      process.stdout.write(`sandbox console: ${sandbox.url}/console/ (sign in as any seeded user or administrator; a sandbox, so no password)\n`);
      // A key of several organizations (an MSP's) must say which one each request is for.
      const orgs = authenticate(sandbox.store, sandbox.adminKey).orgIds;
      const orgHeader = orgs.length > 1 ? ` -H "x-org-id: ${orgs[0]}"` : '';
      const which = orgs.length > 1 ? `   # the key manages ${orgs.length} organizations: x-org-id picks one` : '';
      process.stdout.write(`try: curl -H "x-api-key: ${sandbox.adminKey}"${orgHeader} ${sandbox.url}/api/v2/approvalflows${which}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stdout.write(`received ${signal}, stopping\n`);
          void sandbox.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
