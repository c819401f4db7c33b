// Prints what loading the config found, the same way for validate, plan and apply, and stops the
// command (exit 1, nothing sent to the platform) when there are errors.
import type { LoadResult } from '../config/load.js';
import { countDiagnostics, promoteWarnings, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { renderDiagnostics, type DiagnosticFormat } from '../diagnostics/render.js';
import { AccessctlError } from '../errors.js';

export function reportConfig(config: LoadResult, format: DiagnosticFormat, options: { strict?: boolean } = {}): void {
  let diagnostics = sortDiagnostics(config.diagnostics);
  if (options.strict) diagnostics = promoteWarnings(diagnostics);
  const report = { files: config.files, objects: config.objects, diagnostics };
  process.stdout.write(renderDiagnostics(format, report, (file) => config.sources.get(file)?.displayText));
  if (countDiagnostics(diagnostics).errors > 0) throw new AccessctlError('config-invalid', 'the config is invalid', { exitCode: 1 });
}
