// The reconciler's log on a terminal: human-readable, coloured unless NO_COLOR is set (no-color.org).
// A real pseudo-terminal comes from util-linux's `script`, so the TTY branch is the one under test.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../e2e/binary.js';

function logOnTerminal(env: Record<string, string>): Promise<string> {
  const logger = join(root, 'dist', 'cli', 'logger.js');
  const program = `import(${JSON.stringify(logger)}).then((m) => m.createLogger('info').info('run finished'))`;
  return new Promise((resolve, reject) => {
    execFile(
      'script',
      ['-qec', `${process.execPath} -e ${JSON.stringify(program)}`, '/dev/null'],
      { env: { PATH: process.env['PATH'], ...env }, timeout: 30_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

describe('the log on a terminal', () => {
  it('is coloured by default', async () => {
    const out = await logOnTerminal({});
    expect(out).toContain('run finished');
    expect(out).toContain('\u001b[');
  });

  it('has no colour when NO_COLOR is set', async () => {
    const out = await logOnTerminal({ NO_COLOR: '1' });
    expect(out).toContain('INFO: run finished');
    expect(out).not.toContain('\u001b[');
  });
});
