// `accessctl test [DIR]`: runs the repo's AccessTest cases against its flows and a directory (the
// target's, or --directory FILE), like `opa test`. Exit 1 when any case fails or errs.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Declared } from '../config/desired.js';
import type { AccessTest } from '../config/kinds.generated.js';
import { loadConfig } from '../config/load.js';
import { countDiagnostics } from '../diagnostics/diagnostic.js';
import { AccessctlError } from '../errors.js';
import { caseTitle, FlowTable, runAccessTests } from '../impact/access-test.js';
import { renderNameWarnings, renderTestReport } from '../impact/render.js';
import { loadAccessContext } from '../pipeline/access-context.js';
import { printable } from '../plan/printable.js';
import { reportConfig } from './config-report.js';
import type { Runtime } from './runtime.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

interface TestFlags extends TargetFlags {
  directory?: string;
  org?: string;
  verbose: boolean;
  run?: RegExp;
  format: 'text' | 'json';
}

function pattern(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new InvalidArgumentError(`--run takes a regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The "test/case" names --run is matched against, as -v prints them. */
function caseNames(tests: readonly Declared<AccessTest>[]): string[] {
  return tests.flatMap((test) => test.object.spec.cases.map((c) => `${test.name}/${caseTitle(c)}`));
}

export function testCommand(runtime: Runtime): Command {
  const command = new Command('test')
    .description("run the repo's AccessTest cases against its flows and the target's directory (or a snapshot file)")
    .argument('[dir]', 'the config directory', '.')
    .option('--directory <file>', 'a directory snapshot in the sandbox seed format, instead of reading the target')
    .option('--org <name>', "the snapshot's organization, by name or id (when it holds several)")
    .option('-v, --verbose', 'print passing cases too, with their answers', false)
    .option('--run <pattern>', 'run only cases whose "test/case" name matches this regular expression', pattern)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  return withTargetOptions(command).action(
    runtime.action(async (dir: string, flags: TestFlags) => {
      const config = await loadConfig(dir);
      if (countDiagnostics(config.diagnostics).errors === 0) {
        // Decided from the config alone: the directory (the target, over HTTP) is read only for cases to run.
        const names = caseNames(config.desired.tests);
        if (names.length === 0) {
          if (flags.format === 'json') {
            const document = { ok: true, directory: null, passed: 0, failed: 0, errors: 0, skipped: 0, cases: [], warnings: [] };
            process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
          } else process.stdout.write(`${printable(dir)} declares no AccessTest cases: nothing to test\n`);
          return 0;
        }
        // A filter that runs nothing would pass green, as a typo in CI: refused, as pytest's "no tests collected".
        const only = flags.run;
        if (only !== undefined && !names.some((name) => only.test(name))) {
          throw new AccessctlError(
            'usage',
            `--run ${printable(JSON.stringify(only.source))} matches none of the ${names.length} case${names.length === 1 ? '' : 's'} (names are "test/case", as -v prints them)`,
            { subject: '--run' },
          );
        }
      }
      const context = await loadAccessContext({
        dir,
        config,
        directory: flags.directory,
        org: flags.org,
        target: flags.target,
        clientOptions: clientOverrides(flags),
      });
      if (!context.ok) {
        // Throws for the invalid config after printing its diagnostics.
        reportConfig(context.config, flags.format === 'json' ? 'json' : 'text');
        return 1;
      }
      const report = runAccessTests(context.config.desired.tests, new FlowTable(context.flows), context.view, flags.run);
      if (flags.format === 'json') {
        const failing = report.failed + report.errors;
        const document = {
          ok: failing === 0,
          directory: context.from,
          passed: report.passed,
          failed: report.failed,
          errors: report.errors,
          skipped: report.skipped,
          cases: report.results,
          warnings: context.unknown,
        };
        process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      } else {
        process.stderr.write(renderNameWarnings(context.unknown, context.from));
        process.stdout.write(renderTestReport(report, flags.verbose));
      }
      // The report says which cases failed; the exit code says that any did.
      return report.failed + report.errors > 0 ? 1 : 0;
    }),
  );
}
