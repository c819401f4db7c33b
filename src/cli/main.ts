// The accessctl command line: registers each command and owns the single place where errors
// become messages and exit codes. Commands themselves stay thin.
import { type Argument, Command, CommanderError, type Option } from 'commander';
import { AccessctlError, formatLocation } from '../errors.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { createRuntime, type Runtime } from './runtime.js';
import { packageVersion } from './version.js';

/**
 * Each command by name, in help order, and how to make it. A command's module (and everything it
 * imports) loads only when that command runs or help lists it: `--version` and `validate` stay
 * quick because they do not load the platform client, the sandbox or the reconciler.
 */
const commands: ReadonlyArray<readonly [name: string, make: (runtime: Runtime) => Promise<Command>]> = [
  ['validate', async () => (await import('./validate.js')).validateCommand()],
  ['plan', async (runtime) => (await import('./plan.js')).planCommand(runtime)],
  ['apply', async (runtime) => (await import('./apply.js')).applyCommand(runtime)],
  ['export', async (runtime) => (await import('./export.js')).exportCommand(runtime)],
  ['doctor', async (runtime) => (await import('./doctor.js')).doctorCommand(runtime)],
  ['reconcile', async (runtime) => (await import('./reconcile.js')).reconcileCommand(runtime)],
  ['up', async (runtime) => (await import('./up.js')).upCommand(runtime)],
  ['sandbox', async () => (await import('./sandbox.js')).sandboxCommand()],
  ['request', async () => (await import('./request.js')).requestCommand()],
  ['events', async () => (await import('./events.js')).eventsCommand()],
  ['github', async (runtime) => (await import('./github.js')).githubCommand(runtime)],
  ['test', async (runtime) => (await import('./test.js')).testCommand(runtime)],
  ['explain', async () => (await import('./explain.js')).explainCommand()],
  ['fleet', async (runtime) => (await import('./fleet.js')).fleetCommand(runtime)],
];

/**
 * The commands `argv` needs: none to print the version, the one it names (`accessctl NAME ...` or
 * `accessctl help NAME`), or else all of them, since the program's help (asked for, or shown after
 * an error such as an unknown command) lists every command.
 */
function commandsFor(argv: readonly string[] | undefined): typeof commands {
  const [first, second] = argv?.slice(2) ?? [];
  // commander prints the version and stops before it looks at any command
  if (first === '-V' || first === '--version') return [];
  const name = first === 'help' ? second : first;
  const named = commands.filter(([candidate]) => candidate === name);
  return named.length > 0 ? named : commands;
}

/**
 * `argv` as commander should see it. A command name no command has is an error even with --help or
 * after `help`: commander would print the program's help and exit 0, as if `impact --help` had worked.
 * Without the help flag, commander reports the unknown command with its did-you-mean and exits 1.
 */
export function withoutHelpForUnknown(argv: readonly string[]): readonly string[] {
  const [first, second] = argv.slice(2);
  const asksHelpAbout = first === 'help' && second !== undefined;
  const name = asksHelpAbout ? second : first;
  if (name === undefined || name.startsWith('-') || (first === 'help' && !asksHelpAbout)) return argv;
  if (commands.some(([candidate]) => candidate === name)) return argv;
  const rest = argv.slice(asksHelpAbout ? 3 : 2).filter((arg) => arg !== '--help' && arg !== '-h');
  return [...argv.slice(0, 2), ...rest];
}

/** A value as help shows it: as it is typed on the command line (30s, main, 4), never as JSON. */
function typed(value: unknown): string {
  return Array.isArray(value) ? value.map(typed).join(', ') : String(value);
}

/**
 * What help says after a description, the same way for every option and argument: required, the
 * choices, and the default as typed. A default that says nothing (a flag's false, an empty list
 * of a repeatable option) is left out, and a default the command describes itself is shown as it says.
 */
function notes(item: Option | Argument, description: string): string {
  const extra: string[] = [];
  const option = 'flags' in item ? item : undefined;
  if (option?.mandatory) extra.push('required');
  if (item.argChoices) extra.push(`one of: ${item.argChoices.join(', ')}`);
  const takesValue = option === undefined || option.required || option.optional;
  const value = item.defaultValue as unknown;
  const silent = value === undefined || value === false || (Array.isArray(value) && value.length === 0);
  if (takesValue && !option?.negate && (item.defaultValueDescription || !silent)) extra.push(`default: ${item.defaultValueDescription || typed(value)}`);
  if (option?.envVar !== undefined) extra.push(`env: ${option.envVar}`);
  return extra.length === 0 ? description : `${description} (${extra.join('; ')})`.trim();
}

/** Applies the help's notes to a command and every subcommand (subcommands made before this copy settings only when made). */
function configureNotes(command: Command): void {
  command.configureHelp({
    optionDescription: (option) => notes(option, option.description),
    argumentDescription: (argument) => notes(argument, argument.description),
  });
  for (const subcommand of command.commands) configureNotes(subcommand);
}

/**
 * After a usage error, a command (and each of its subcommands) prints its one-line usage and where
 * its options are, not its whole help: the error would scroll away above thirty lines of options.
 */
function hintAfterErrors(command: Command, path: string): void {
  command.showHelpAfterError(`Usage: ${path} ${command.usage()}\nRun '${path} --help' for its options.`);
  for (const subcommand of command.commands) hintAfterErrors(subcommand, `${path} ${subcommand.name()}`);
}

/**
 * The program; `runtime` is the process's own unless a test passes its own. With `argv` (as
 * process.argv) it holds only the command `argv` runs; without, every command.
 */
export async function buildProgram(runtime: Runtime = createRuntime(), argv?: readonly string[]): Promise<Command> {
  const program = new Command('accessctl')
    .description('JumpCloud Access Requests as code: approval flows, groups, settings and webhooks kept in git')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const made = await Promise.all(commandsFor(argv).map(([, make]) => make(runtime)));
  for (const command of made) program.addCommand(command);
  // addCommand does not pass settings down; subcommands need the same error handling and output.
  for (const command of program.commands) {
    command.copyInheritedSettings(program);
    configureNotes(command);
    hintAfterErrors(command, `accessctl ${command.name()}`);
  }
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
    const args = withoutHelpForUnknown(argv);
    const program = await buildProgram(runtime, args);
    await program.parseAsync(args as string[], { from: 'node' });
    return runtime.exitCode;
  } catch (error) {
    return reportError(error);
  }
}
