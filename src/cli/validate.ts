// `accessctl validate [DIR]`: schema, reference and policy checks, printed as text, JSON or GitHub
// annotations. Exit 0 when valid (warnings allowed unless --strict), 1 when not.
import { Command, Option } from 'commander';
import { countDiagnostics, promoteWarnings, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { renderDiagnostics, type DiagnosticFormat } from '../diagnostics/render.js';
import { loadConfig } from '../config/load.js';
import { AccessctlError } from '../errors.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check config files against the JSON Schemas, references and policy lints')
    .argument('[dir]', 'the config directory (or one file)', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--strict', 'treat warnings as errors', false)
    .action(async (dir: string, options: { format: DiagnosticFormat; strict: boolean }) => {
      const result = await loadConfig(dir);
      let diagnostics = sortDiagnostics(result.diagnostics);
      if (options.strict) diagnostics = promoteWarnings(diagnostics);
      const report = { files: result.files, objects: result.objects, diagnostics };
      process.stdout.write(renderDiagnostics(options.format, report, (file) => result.sources.get(file)?.displayText));
      if (countDiagnostics(diagnostics).errors > 0) {
        throw new AccessctlError('config-invalid', 'the config is invalid', { exitCode: 1 });
      }
    });
}
