// main.ts loads a command's module only when that command runs or help lists it: the program
// built for an argv holds just the command it names, none for --version, and every command
// (in help order) when it names none, as the program's help needs.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { accessctl } from './in-process.js';

const names = async (...args: string[]): Promise<string[]> =>
  (await buildProgram(undefined, ['node', 'accessctl', ...args])).commands.map((command) => command.name());

const every = ['validate', 'plan', 'apply', 'export', 'doctor', 'reconcile', 'up', 'sandbox', 'request', 'events', 'github', 'test', 'explain', 'fleet'];

describe('buildProgram', () => {
  it('holds no command for --version and -V', async () => {
    expect(await names('--version')).toEqual([]);
    expect(await names('-V')).toEqual([]);
  });

  it('holds only the command argv names, or asks help about', async () => {
    expect(await names('validate', 'examples/access')).toEqual(['validate']);
    expect(await names('fleet', 'status', '--help')).toEqual(['fleet']);
    expect(await names('help', 'plan')).toEqual(['plan']);
  });

  it('holds every command, in help order, when argv names none: no command, an unknown one, or --help', async () => {
    for (const args of [[], ['valdate'], ['--help'], ['help'], ['help', 'nothing']]) expect(await names(...args), args.join(' ')).toEqual(every);
    expect((await buildProgram()).commands.map((command) => command.name())).toEqual(every);
  });
});

describe('usage errors', () => {
  it('print the error, the one-line usage and where the options are, not the whole help', async () => {
    const { code, stderr } = await accessctl(['plan', '--no-such-flag']);
    expect(code).toBe(1);
    expect(stderr).toBe("error: unknown option '--no-such-flag'\nUsage: accessctl plan [options] [dir]\nRun 'accessctl plan --help' for its options.\n");
  });

  it('name a subcommand by its whole path', async () => {
    const { code, stderr } = await accessctl(['github', 'comment', '--no-such-flag']);
    expect(code).toBe(1);
    expect(stderr).toContain("Usage: accessctl github comment [options] [dir]\nRun 'accessctl github comment --help' for its options.\n");
    expect(stderr).not.toContain('--pr');
  });

  it('list every command after an unknown one', async () => {
    const { code, stderr } = await accessctl(['valdate']);
    expect(code).toBe(1);
    for (const name of every) expect(stderr).toContain(`  ${name}`);
  });

  it('refuse an unknown command even with --help or after help, with exit 1 and a did-you-mean', async () => {
    for (const args of [['impact', '--help'], ['help', 'impact'], ['impact', '-h'], ['impact']]) {
      const { code, stdout, stderr } = await accessctl(args);
      expect(code, args.join(' ')).toBe(1);
      expect(stdout, args.join(' ')).toBe('');
      expect(stderr.split('\n')[0], args.join(' ')).toBe("error: unknown command 'impact'");
    }
    const typo = await accessctl(['valdate', '--help']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^error: unknown command 'valdate'\n\(Did you mean validate\?\)\n/);
  });

  it('still answer --help and help NAME for a real command with exit 0', async () => {
    for (const args of [['plan', '--help'], ['help', 'plan'], ['--help'], ['help']]) {
      const { code, stdout } = await accessctl(args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).toMatch(/^Usage: accessctl/);
    }
  });
});
