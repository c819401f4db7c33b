// `accessctl export --out DIR`: adopt a live org. Writes its flows, the groups they use, notification
// channels and settings as a config repo; `accessctl plan DIR` against the same org is then a no-op.
import { Command } from 'commander';
import { emptyDesiredState } from '../config/desired.js';
import { AccessctlError } from '../errors.js';
import { printable } from '../plan/printable.js';
import { exportLive } from '../pipeline/export-live.js';
import { checkOutDirectory } from './out-path.js';
import type { Runtime } from './runtime.js';
import { withTargetOptions, type TargetFlags } from './target-options.js';

export function exportCommand(runtime: Runtime): Command {
  const command = new Command('export')
    .description('write the live state as YAML config files')
    // The usage line names --out first: it is the one option export cannot do without (help marks it required).
    .usage('--out <dir> [options]')
    .requiredOption('--out <dir>', 'the directory to write (must be empty unless --force)')
    .option(
      '--force',
      'write into a directory that already has files, removing those an earlier export wrote that are no longer live (see .accessctl-export.json)',
      false,
    )
    .addHelpText(
      'after',
      `
Examples:
  accessctl export --out exported                           # adopt the org JUMPCLOUD_API_KEY reaches
  accessctl plan exported --detailed-exitcode               # exit 0: the export is the live state
  accessctl export --out exported --force                   # refresh it; removes files of deleted objects

Exit codes:
  0    every live object was written
  1    a live object holds values the config cannot express (named; the rest is written), the
       platform could not be read, --out is not an empty directory (without --force), or a usage error
  70   a bug in accessctl
`,
    );
  return withTargetOptions(command).action(async (options: { out: string; force: boolean } & TargetFlags) => {
    // A --out that is a file (or under one) is refused before the platform is read.
    await checkOutDirectory(options.out);
    await runtime.clientFor(options, async (clients) => {
      const client = clients.for(emptyDesiredState());
      const result = await exportLive(client, options.out, { force: options.force });
      process.stdout.write(`wrote ${result.files.length} file${result.files.length === 1 ? '' : 's'} to ${printable(options.out)}\n`);
      for (const file of result.files) process.stdout.write(`  ${printable(file)}\n`);
      if (result.removed.length > 0) {
        const n = result.removed.length;
        process.stdout.write(`removed ${n} file${n === 1 ? '' : 's'} an earlier export wrote that the live state no longer has:\n`);
        for (const file of result.removed) process.stdout.write(`  ${printable(file)}\n`);
      }
      for (const kept of result.kept) process.stderr.write(`accessctl: warning: kept ${printable(kept.path)}: ${printable(kept.reason)}\n`);
      if (result.foreign.length > 0) {
        const n = result.foreign.length;
        process.stderr.write(
          `accessctl: warning: ${n} file${n === 1 ? '' : 's'} in ${printable(options.out)} ${n === 1 ? 'was' : 'were'} not written by this export but ${n === 1 ? 'holds' : 'hold'} accessctl objects that \`plan\` of the folder will include (remove ${n === 1 ? 'it' : 'them'} if the folder should be exactly the live state):\n`,
        );
        for (const file of result.foreign) process.stderr.write(`  ${printable(file)}\n`);
      }
      if (result.secrets.length > 0) {
        process.stdout.write(`Channel secrets are not exported. Set these before apply: ${result.secrets.join(', ')}\n`);
      }
      if (result.skipped.length > 0) {
        const lines = result.skipped.map((s) => `  ${s.kind} "${printable(s.name)}": ${printable(s.reasons.join('; '))}`);
        throw new AccessctlError(
          'platform',
          `${result.skipped.length} live object${result.skipped.length === 1 ? '' : 's'} hold values accessctl does not know and were not exported:\n${lines.join('\n')}`,
        );
      }
    });
  });
}
