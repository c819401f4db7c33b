// Every command's --help says things the same way: defaults as they are typed (30s, 4, main), never
// as JSON or in another unit; required options marked; examples and exit codes on the main commands.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { accessctl } from './in-process.js';

/** The help of every command and subcommand, by its path. */
async function everyHelp(): Promise<Map<string, string>> {
  const program = await buildProgram();
  const helps = new Map<string, string>();
  const walk = (command: Command, path: string): void => {
    helps.set(path, command.helpInformation());
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
  };
  for (const command of program.commands) walk(command, command.name());
  return helps;
}

/** Help text as one line per option: commander wraps descriptions over several lines. */
const unwrapped = (help: string): string => help.replace(/\n {20,}/g, ' ');

describe('--help', () => {
  it('shows --timeout in the unit it is typed in', async () => {
    const { code, stdout } = await accessctl(['plan', '--help']);
    expect(code).toBe(0);
    expect(unwrapped(stdout)).toMatch(/--timeout <duration> .*\(500ms, 30s, 2m\) \(default: 30s\)\n/);
    expect(stdout).not.toContain('30000');
  });

  it('formats every default the same way, as typed, and leaves out those that say nothing', async () => {
    for (const [path, help] of await everyHelp()) {
      expect(help, path).not.toMatch(/default: "/);
      expect(help, path).not.toMatch(/default: (false|\[\])/);
      expect(help, path).not.toMatch(/\(default [^:]/);
    }
    const run = unwrapped((await everyHelp()).get('fleet run') ?? '');
    expect(run).toMatch(/--concurrency <n> .* \(default: 4\)\n/);
    expect(run).toMatch(/--lock <mode> .* \(one of: wait, fail; default: fail\)\n/);
  });

  it('does not offer --target on fleet run, which refuses it (each org names its target)', async () => {
    const helps = await everyHelp();
    expect(helps.get('fleet run')).not.toContain('--target');
    expect(helps.get('fleet run')).toContain('--timeout');
    expect(helps.get('plan')).toContain('--target <url>');
  });

  it('marks required options', async () => {
    const helps = await everyHelp();
    expect(unwrapped(helps.get('request submit') ?? '')).toMatch(/--flow <name\|id> +the approval flow \(required\)\n/);
    expect(unwrapped(helps.get('explain') ?? '')).not.toMatch(/--user <email> .*\(required\)\n/);
    expect(unwrapped(helps.get('export') ?? '')).toMatch(/--out <dir> .*\(required\)\n/);
  });

  it('gives the main commands examples and their exit codes', async () => {
    for (const name of ['validate', 'plan', 'apply', 'reconcile', 'export', 'up']) {
      const { code, stdout } = await accessctl([name, '--help']);
      expect(code, name).toBe(0);
      expect(stdout, name).toMatch(/\nExamples:\n( {2}accessctl .*\n)+/);
      expect(stdout, name).toMatch(/\nExit codes[^\n]*:\n {2}0 {4}/);
    }
    expect((await accessctl(['plan', '--help'])).stdout).toMatch(/\n {2}2 {4}with --detailed-exitcode: the plan has changes\n/);
    expect((await accessctl(['reconcile', '--help'])).stdout).toMatch(/\n {2}3 {4}another reconciler holds the state directory/);
  });
});
