// main.ts loads a command's module only when that command runs or help lists it: the program
// built for an argv holds just the command it names, none for --version, and every command
// (in help order) when it names none, as the program's help needs.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

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
