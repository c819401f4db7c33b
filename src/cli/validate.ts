// `accessctl validate [DIR]`: schema, reference and policy checks, printed as text, JSON or GitHub
// annotations. Exit 0 when valid (warnings allowed unless --strict), 1 when not.
import { Command, Option } from 'commander';
import type { DiagnosticFormat } from '../diagnostics/render.js';
import { emptyDesiredState } from '../config/desired.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { AccessctlError } from '../errors.js';
import { cacheDirOption, parseCacheFor } from './cache-dir-option.js';
import { reportConfig } from './config-report.js';

/** A config root that cannot be read is one error at the path, in every format, so scripts see it too. */
function unreadable(dir: string, code: string, message: string): LoadResult {
  return {
    files: 0,
    objects: 0,
    diagnostics: [{ file: dir, line: 1, column: 1, severity: 'error', code, message, path: '' }],
    sources: new Map(),
    desired: emptyDesiredState(),
  };
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('check config files against the JSON Schemas, references and policy lints')
    .argument('[dir]', 'the config directory (or one file)', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--strict', 'treat warnings as errors', false)
    .option('--allow-empty', 'pass when DIR holds no config files', false)
    .option('--fleet <file>', "check a fleet file (kind Fleet) and each org's config made from its base, overlay and exclusions, instead of DIR")
    .addOption(cacheDirOption())
    .addHelpText(
      'after',
      `
Examples:
  accessctl validate                              # the config in this directory
  accessctl validate examples/access --strict     # warnings fail too, as in a CI gate
  accessctl validate --format github              # annotations on a GitHub Actions pull request

Exit codes:
  0    valid (warnings allowed, unless --strict)
  1    invalid, a warning with --strict, no config files (without --allow-empty), or a usage error
  70   a bug in accessctl
`,
    )
    .action(
      async (dir: string, options: { format: DiagnosticFormat; strict: boolean; allowEmpty: boolean; fleet?: string; cacheDir?: string }, self: Command) => {
        // A DIR given with --fleet would be ignored: the fleet file names every org's folders.
        if (options.fleet !== undefined && self.args.length > 0)
          throw new AccessctlError(
            'usage',
            `DIR (${dir}) and --fleet exclude each other: the fleet file names each org's folders (spec.base, spec.orgs[].overlay)`,
            { subject: '--fleet' },
          );
        // Opened first: a --cache-dir accessctl cannot use is refused before anything is read.
        const cache = parseCacheFor(options.cacheDir, options);
        // Each finding names the file that contributed it and, for an org's config, which orgs it holds for.
        if (options.fleet !== undefined) {
          // loaded only here: the fleet's overlays cost a plain `validate DIR` start-up time it does not use
          const { renderFleetOrgLines, validateFleet } = await import('../fleet/validate-fleet.js');
          const checked = await validateFleet(options.fleet);
          // Each org's own counts first, in text: the findings below say which orgs each holds for.
          if (options.format === 'text') process.stdout.write(renderFleetOrgLines(checked.orgs));
          return reportConfig(checked, options.format, { strict: options.strict });
        }
        let config: LoadResult;
        try {
          config = await loadConfig(dir, process.cwd(), { cache });
        } catch (error) {
          if (!(error instanceof AccessctlError) || error.code !== 'not-found') throw error;
          config = unreadable(dir, 'not-found', error.message);
        }
        if (config.files === 0 && config.diagnostics.length === 0 && !options.allowEmpty) {
          // An empty folder is most often a wrong path in a workflow: passing it would hide that.
          config = unreadable(dir, 'no-config', `no .yaml or .yml files under ${dir}; pass --allow-empty if that is expected`);
        }
        reportConfig(config, options.format, { strict: options.strict });
      },
    );
}
