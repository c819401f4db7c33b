// How the README test reads the README: shell blocks, their markers and shown output, and when
// printed output counts as what the README shows.
import { describe, expect, it } from 'vitest';
import { compareOutput, parseReadme } from './readme-blocks.js';

const fence = '```';

describe('parseReadme', () => {
  it('finds shell blocks with their markers and the text block right after them', () => {
    const blocks = parseReadme(
      [
        '# Title',
        '',
        '<!-- readme-test: skip (needs a real org) -->',
        `${fence}sh`,
        'npx accessctl doctor',
        fence,
        '',
        `${fence}text`,
        'what it would print (a skipped block is not run, so this is not compared)',
        fence,
        '',
        '<!-- readme-test: serve 8081 (runs until stopped) -->',
        `${fence}sh`,
        'npx accessctl sandbox --port 8081',
        fence,
        '',
        `${fence}sh`,
        'npx accessctl validate examples/access',
        fence,
        'Some prose, so the next text block is not its output.',
        `${fence}text`,
        'an example',
        fence,
        `${fence}yaml`,
        'kind: Project',
        fence,
      ].join('\n'),
    );
    expect(blocks.map((b) => [b.line, b.commands, b.marker, b.output?.line])).toEqual([
      [4, 'npx accessctl doctor', { kind: 'skip', reason: 'needs a real org' }, 8],
      [13, 'npx accessctl sandbox --port 8081', { kind: 'serve', port: 8081, reason: 'runs until stopped' }, undefined],
      [17, 'npx accessctl validate examples/access', undefined, undefined],
    ]);
  });

  it('refuses a marker it cannot read, rather than running the block', () => {
    expect(() => parseReadme(['<!-- readme-test: skipp -->', `${fence}sh`, 'npm start', fence].join('\n'))).toThrow(/line 1: a readme-test marker must read/);
  });

  it('refuses a fence that is never closed', () => {
    expect(() => parseReadme([`${fence}sh`, 'npm start'].join('\n'))).toThrow(/line 1: a fence that is never closed/);
  });
});

describe('compareOutput', () => {
  it('matches after normalising ports, ids, times and operator keys', () => {
    const shown = 'sandbox: http://127.0.0.1:8080\nrequest 6b0ce0ab0000000000000000 at 2026-11-30T02:34:18.226Z\noperator key: sandbox_operator_…';
    const printed = 'sandbox: http://127.0.0.1:41234\nrequest 6b0ce0ff0000000000000001 at 2027-01-01T00:00:00.000Z\noperator key: sandbox_operator_abc123\n';
    expect(compareOutput(shown, printed, { prefix: false }).ok).toBe(true);
  });

  it('fails on a line that differs, and says what was printed', () => {
    const result = compareOutput('11 files, 11 objects: 0 errors, 0 warnings', '12 files, 12 objects: 0 errors, 0 warnings', { prefix: false });
    expect(result.ok).toBe(false);
    expect(result.diff).toContain('printed (normalised):\n12 files, 12 objects');
  });

  it('reads a line of … as any number of lines, and … in a line as any text', () => {
    expect(compareOutput('first\n…\nlast', 'first\nlast', { prefix: false }).ok).toBe(true);
    expect(compareOutput('first\n…\nlast', 'first\na\nb\nlast', { prefix: false }).ok).toBe(true);
    expect(compareOutput('GitHub … by admin', 'GitHub User by admin', { prefix: false }).ok).toBe(true);
    expect(compareOutput('first\n…\nlast', 'first\na\nlast but one', { prefix: false }).ok).toBe(false);
  });

  it('needs every printed line shown, unless the command is still running', () => {
    expect(compareOutput('a', 'a\nb', { prefix: false }).ok).toBe(false);
    expect(compareOutput('a', 'a\nb', { prefix: true }).ok).toBe(true);
    expect(compareOutput('a\nb', 'a', { prefix: true }).ok).toBe(false);
  });
});
