// `accessctl doctor [DIR]`: probes a target read-only before the first apply against a real org, and
// says what accessctl can manage there. Exit 0 when every kind the repo uses can be managed, 1 if not.
import { Command, Option } from 'commander';
import { countDiagnostics } from '../diagnostics/diagnostic.js';
import { emptyDesiredState, type DesiredState } from '../config/desired.js';
import { loadConfig } from '../config/load.js';
import { renderDoctorJson, renderDoctorText } from '../doctor/render.js';
import { runDoctor } from '../doctor/probe.js';
import { AccessctlError } from '../errors.js';
import { reportConfig } from './config-report.js';
import type { Runtime } from './runtime.js';
import { withTargetOptions, type TargetFlags } from './target-options.js';

interface DoctorFlags extends TargetFlags {
  format: 'text' | 'json';
}

export function doctorCommand(runtime: Runtime): Command {
  const command = new Command('doctor')
    .description('probe a target read-only: the key, each published endpoint, the extensions, live enum values, and what accessctl can manage there')
    .argument('[dir]', 'a config directory: also check that every kind it uses can be managed there')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'));
  return withTargetOptions(command).action(async (dir: string | undefined, flags: DoctorFlags) => {
    let desired: DesiredState | undefined;
    if (dir !== undefined) {
      const config = await loadConfig(dir);
      if (countDiagnostics(config.diagnostics).errors > 0) return reportConfig(config, flags.format);
      desired = config.desired;
    }
    await runtime.clientFor(flags, async (clients) => {
      const client = clients.for(desired ?? emptyDesiredState());
      const report = await runDoctor(client, desired);
      process.stdout.write(flags.format === 'json' ? renderDoctorJson(report) : renderDoctorText(report));
      if (!report.ok) throw new AccessctlError('platform', 'the target is not ready for this repo; see above', { exitCode: 1 });
    });
  });
}
