// The accessctl command line: registers each command and owns the single place where errors
// become messages and exit codes. Commands themselves stay thin.
import { Command, CommanderError } from 'commander';
import { AccessctlError, formatLocation } from '../errors.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { applyCommand } from './apply.js';
import { doctorCommand } from './doctor.js';
import { eventsCommand } from './events.js';
import { explainCommand } from './explain.js';
import { exportCommand } from './export.js';
import { fleetCommand } from './fleet.js';
import { githubCommand } from './github.js';
import { planCommand } from './plan.js';
import { reconcileCommand } from './reconcile.js';
import { requestCommand } from './request.js';
import { createRuntime, type Runtime } from './runtime.js';
import { sandboxCommand } from './sandbox.js';
import { testCommand } from './test.js';
import { upCommand } from './up.js';
import { validateCommand } from './validate.js';
import { packageVersion } from './version.js';

/** The program; `runtime` is the process's own unless a test passes its own. */
export function buildProgram(runtime: Runtime = createRuntime()): Command {
  const program = new Command('accessctl')
    .description('JumpCloud Access Requests as code: approval flows, groups, settings and webhooks kept in git')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.addCommand(validateCommand());
  program.addCommand(planCommand(runtime));
  program.addCommand(applyCommand(runtime));
  program.addCommand(exportCommand(runtime));
  program.addCommand(doctorCommand(runtime));
  program.addCommand(reconcileCommand(runtime));
  program.addCommand(upCommand(runtime));
  program.addCommand(sandboxCommand());
  program.addCommand(requestCommand());
  program.addCommand(eventsCommand());
  program.addCommand(githubCommand(runtime));
  program.addCommand(testCommand(runtime));
  program.addCommand(explainCommand());
  program.addCommand(fleetCommand(runtime));
  // addCommand does not pass settings down; subcommands need the same error handling and output.
  for (const command of program.commands) command.copyInheritedSettings(program);
  return program;
}

/** Maps anything thrown by a command to an exit code, printing a message without a stack trace for user errors. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed the message, or the help that was asked for (exit 0) or implied (exit 1)
    return error.exitCode;
  }
  if (error instanceof AccessctlError) {
    if (error.code !== 'config-invalid') {
      const where = error.location ? `${formatLocation(error.location)}: ` : '';
      // A platform refusal carries its reasons field by field; they are the part the user can act on.
      const text = error instanceof PlatformError ? error.report : error.message;
      process.stderr.write(`accessctl: ${where}${text}\n`);
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`accessctl: internal error: ${message}\n`);
  if (process.env['ACCESSCTL_DEBUG'] && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  } else {
    process.stderr.write('This is a bug in accessctl; set ACCESSCTL_DEBUG=1 for details and please report it.\n');
  }
  return 70;
}

/** Runs the program and returns its exit code, which bin/accessctl.js sets on the process: the one place it is set. */
export async function main(argv: readonly string[], runtime: Runtime = createRuntime()): Promise<number> {
  try {
    const program = buildProgram(runtime);
    await program.parseAsync(argv as string[], { from: 'node' });
    return runtime.exitCode;
  } catch (error) {
    return reportError(error);
  }
}
