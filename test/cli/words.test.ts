// The words a new user reads (issue 13, point 17): help that offers only what a command takes and
// marks what it needs, counts and articles that agree, and no "undefined" in a refusal.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSavedPlan } from '../../src/apply/saved-plan.js';
import { buildProgram } from '../../src/cli/main.js';
import { diff } from '../../src/plan/diff.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { emptyInput, flow, live, openPolicy } from '../plan/builders.js';

/** Every command, loaded once: help only reads it. */
const program = await buildProgram();

/** The help text of the command at `path`, as `accessctl ... --help` prints it. */
function help(...path: string[]): string {
  let command: Command | undefined = program;
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  if (command === undefined) throw new Error(`no command ${path.join(' ')}`);
  return command.helpInformation();
}

/** The help line (with its wrapped continuation) of one option. */
function optionHelp(text: string, flag: string): string {
  const at = text.indexOf(`  ${flag} `);
  if (at === -1) return '';
  const rest = text.slice(at).split('\n');
  const lines = [rest[0] ?? ''];
  for (const line of rest.slice(1)) {
    if (!/^ {20,}\S/.test(line)) break;
    lines.push(line.trim());
  }
  return lines.join(' ');
}

describe('help', () => {
  it('offers --duration on request approve only: a denial grants nothing to shorten', () => {
    expect(help('request', 'approve')).toContain('--duration <iso>');
    expect(help('request', 'deny')).not.toContain('--duration');
  });

  it('describes --sha of github comment as the commit the comment names, not a check run', () => {
    const comment = optionHelp(help('github', 'comment'), '--sha <sha>');
    expect(comment).toContain('the commit the comment says it ran on');
    expect(comment).not.toContain('check run');
    expect(optionHelp(help('github', 'check'), '--sha <sha>')).toContain('the commit the check run is attached to');
  });

  it('marks --out of export as required, in the usage line and the option', () => {
    const text = help('export');
    expect(text).toMatch(/^Usage: accessctl export --out <dir> \[options\]$/m);
    expect(optionHelp(text, '--out <dir>')).toMatch(/\(must be empty unless --force\) \(required\)$/);
  });
});

describe('counts and articles', () => {
  it('says "1 object" when a guard stops one deletion, and "2 objects" for two', () => {
    for (const [names, words] of [
      [['Stray'], 'the plan deletes 1 object;'],
      [['Stray', 'Other'], 'the plan deletes 2 objects;'],
    ] as const) {
      const input = emptyInput();
      input.flows.live = names.map((name, i) => live(flow(name), `f${i}`));
      const plan = diff(input, openPolicy({ maxDeletions: 0 }));
      expect(plan.blocked.map((b) => b.reason)).toEqual(names.map(() => expect.stringContaining(words)));
    }
  });
});

describe('a markdown plan cut to its budget', () => {
  it('says "1 more unmanaged object" and "2 more unmanaged objects"', () => {
    const input = emptyInput();
    input.flows.live = ['F0', 'F1', 'F2', 'F3'].map((name, i) => live(flow(name), `f${i}`));
    const plan = diff(input);
    // Every unmanaged line is as long; the list gets an eighth of the budget.
    const line = '- ApprovalFlow **F0** (`f0`)\n'.length;
    expect(renderMarkdown(plan, 8 * 3 * line + 7)).toContain('\n1 more unmanaged object not shown.\n');
    expect(renderMarkdown(plan, 8 * 2 * line + 7)).toContain('\n2 more unmanaged objects not shown.\n');
  });
});

describe('a saved plan without a format', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'accessctl-words-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says it has no formatVersion instead of "plan format undefined"', async () => {
    const path = join(dir, 'plan.json');
    await writeFile(path, JSON.stringify({ changes: [] }));
    const refused = await readSavedPlan(path).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    const message = (refused as Error).message;
    expect(message).not.toContain('undefined');
    expect(message).toBe(`${path} has no formatVersion (not a plan saved by \`accessctl plan --out\`); this accessctl applies format 3: plan again`);
  });
});
