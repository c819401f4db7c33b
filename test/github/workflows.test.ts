// The workflows a config repo copies (examples/github) and the composite action they use: valid
// YAML, a trust-model comment, least privilege, pull_request only, and only accessctl commands that exist.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = join(repo, 'examples', 'github');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const actionFile = join(repo, '.github', 'actions', 'accessctl', 'action.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { environment?: string; steps: Step[]; permissions?: unknown }>;
}

function load(path: string): { text: string; value: unknown } {
  const text = readFileSync(path, 'utf8');
  const doc = parseDocument(text);
  expect(
    doc.errors.map((e) => e.message),
    path,
  ).toEqual([]);
  return { text, value: doc.toJS() as unknown };
}
const workflow = (file: string): Workflow => load(join(dir, file)).value as Workflow;
const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((job) => job.steps);

/** Every accessctl command line a workflow runs: the action's `command` input and `accessctl ...` in run scripts. */
function commandLines(w: Workflow): string[] {
  const out: string[] = [];
  for (const step of steps(w)) {
    if (step.uses?.includes('/.github/actions/accessctl') && step.with?.['command']) out.push(step.with['command']);
    for (const match of (step.run ?? '').matchAll(/(?:^|[\s;&|])accessctl\s+([^\n;&|]+)/g)) out.push(match[1] ?? '');
  }
  return out;
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(repo, 'bin', 'accessctl.js'), ...args],
      { cwd: repo, env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' } },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

/** The command names in a commander help text's Commands: section. */
function listed(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1] ?? '').filter((name) => name !== 'help');
}

const program = await buildProgram();

function optionsOf(path: string[]): string[] {
  let command: Command | undefined = program;
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  if (!command) return [];
  return command.options.flatMap((o) => [o.long ?? '', o.short ?? '']).filter((f) => f !== '');
}

let topLevel: string[];
let githubSubcommands: string[];
beforeAll(async () => {
  const [top, github] = await Promise.all([run(['--help']), run(['github', '--help'])]);
  topLevel = listed(top);
  githubSubcommands = listed(github);
});

describe('the example workflows', () => {
  it('are the three a config repo needs', () => {
    expect(files).toEqual(['apply.yml', 'drift.yml', 'pull-request.yml']);
  });

  it.each(files)('%s parses as YAML, opens with a trust-model comment and declares read-only contents permissions', (file) => {
    const { text } = load(join(dir, file));
    expect(text.split('\n')[0]).toMatch(/^# Trust model: /);
    const w = workflow(file);
    expect(typeof w.permissions).toBe('object');
    expect(w.permissions).toMatchObject({ contents: 'read' });
    expect(JSON.stringify(w.permissions)).not.toContain('write-all');
  });

  it.each(files)('%s uses only pull_request for pull requests, never pull_request_target', (file) => {
    const events = Object.keys(workflow(file).on);
    expect(events).not.toContain('pull_request_target');
    expect(events.filter((e) => e.startsWith('pull_request'))).toEqual(file === 'pull-request.yml' ? ['pull_request'] : []);
  });

  it.each(files)('%s puts no expression inside a shell script, where it could inject code', (file) => {
    for (const step of steps(workflow(file))) expect(step.run ?? '').not.toContain('${{');
  });

  it.each(files)('%s names only accessctl commands and flags that exist', (file) => {
    const lines = commandLines(workflow(file));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const words = line.split(/\s+/).filter((w) => w !== '');
      const name = words[0] ?? '';
      const flags = words.filter((w) => w.startsWith('-'));
      expect(topLevel, `${line}: not an accessctl command`).toContain(name);
      const path = name === 'github' ? ['github', words[1] ?? ''] : [name];
      if (name === 'github') expect(githubSubcommands, line).toContain(words[1]);
      for (const flag of flags) expect(optionsOf(path), `${line}: ${flag}`).toContain(flag);
    }
  });

  it('pull-request.yml asks for exactly contents read, pull-requests write and checks write, and runs validate, github comment and github check', () => {
    const w = workflow('pull-request.yml');
    expect(w.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', checks: 'write' });
    const names = commandLines(w).map((line) =>
      line
        .split(' ')
        .slice(0, line.startsWith('github') ? 2 : 1)
        .join(' '),
    );
    expect(names).toEqual(expect.arrayContaining(['validate', 'github comment', 'github check']));
  });

  it('apply.yml runs on push to main in a protected environment, in a concurrency group that never cancels an apply', () => {
    const w = workflow('apply.yml');
    expect(Object.keys(w.on)).toEqual(['push']);
    expect(w.on['push']).toMatchObject({ branches: ['main'] });
    expect(w.concurrency).toEqual({ group: 'accessctl-apply', 'cancel-in-progress': false });
    expect(Object.values(w.jobs).every((job) => typeof job.environment === 'string')).toBe(true);
    expect(commandLines(w).some((line) => line.startsWith('apply '))).toBe(true);
    // Without a terminal, apply refuses to plan and apply unless told not to ask.
    for (const line of commandLines(w).filter((l) => l.startsWith('apply ') && !l.includes('--dry-run'))) expect(line).toContain('--auto-approve');
  });

  it('drift.yml runs reconcile --once on a schedule, serialised with apply', () => {
    const w = workflow('drift.yml');
    expect(w.on).toHaveProperty('schedule');
    expect(w.concurrency).toEqual({ group: 'accessctl-apply', 'cancel-in-progress': false });
    expect(commandLines(w)).toEqual([expect.stringMatching(/^reconcile \S+ --once$/)]);
  });
});

describe('the composite action', () => {
  it('sets up Node, installs accessctl and runs the given command, with inputs reaching scripts only through env', () => {
    const { text, value } = load(actionFile);
    expect(text.startsWith('# ')).toBe(true);
    const action = value as { inputs: Record<string, { required?: boolean }>; runs: { using: string; steps: (Step & { env?: Record<string, string> })[] } };
    expect(action.inputs['command']?.required).toBe(true);
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps.some((s) => s.uses?.startsWith('actions/setup-node@'))).toBe(true);
    for (const step of action.runs.steps) expect(step.run ?? '').not.toContain('${{');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell array expansion, not a JavaScript template
    expect(action.runs.steps.map((s) => s.run ?? '').join('\n')).toContain('accessctl "${args[@]}"');
  });
});
