// `accessctl validate [DIR]`: schema, reference and policy checks, printed as text, JSON or GitHub
// annotations. Exit 0 when valid (warnings allowed unless --strict), 1 when not.
import { Command, Option } from 'commander';
import type { DiagnosticFormat } from '../diagnostics/render.js';
import { loadConfig } from '../config/load.js';
import { reportConfig } from './config-report.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check config files against the JSON Schemas, references and policy lints')
    .argument('[dir]', 'the config directory (or one file)', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .option('--strict', 'treat warnings as errors', false)
    .action(async (dir: string, options: { format: DiagnosticFormat; strict: boolean }) => {
      reportConfig(await loadConfig(dir), options.format, { strict: options.strict });
    });
}
