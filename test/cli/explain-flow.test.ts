// `accessctl explain --flow NAME` without --user: the auditor's question about one flow (who can
// request it, who approves it, what they get, what is wrong with it), from a snapshot file and from a
// real sandbox's directory over HTTP; its JSON against schemas/explain.schema.json; a huge requester
// group capped unless --all-people; unknown flows and questions without a subject refused.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApproverAccess, FlowAccess, FlowWarning, LevelAccess, RequesterGroup } from '../../src/impact/flow-access.js';
import type { PeopleList } from '../../src/impact/people.js';
import { exampleSeedPath, startHarness, type Harness } from '../sandbox/harness.js';
import {
  copy,
  enumOf,
  exactly,
  expectAccepted,
  expectRefused,
  keysOf,
  outputSchema,
  schemaJson,
  type AllKeys,
  type RequiredKeys,
} from '../schemas/output-schema.js';
import { accessctl } from './in-process.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const validate = outputSchema('explain.schema.json');
const stackFrame = /\n\s+at .+:\d+:\d+/;

type Answer = FlowAccess & { directory: string };

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-explain-flow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function offline(args: string[]) {
  return accessctl(['explain', ...args, '--directory', exampleSeedPath]);
}

async function answerJson(args: string[], env: Record<string, string> = {}): Promise<Answer> {
  const run = await accessctl(['explain', ...args, '--format', 'json'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Answer;
}

/** A copy of the example repo, with `edit` applied to one of its flow files. */
async function exampleCopy(name: string, file: string, edit: (text: string) => string): Promise<string> {
  const repo = join(dir, name);
  await cp(examples, repo, { recursive: true });
  const path = join(repo, 'flows', file);
  await writeFile(path, edit(await readFile(path, 'utf8')));
  return repo;
}

describe('accessctl explain --flow NAME: who can request it, who approves, what they get', () => {
  it('answers for GitHub Admin from a snapshot file: its grant, requesters by group, and approvers level by level', async () => {
    const run = await offline([examples, '--flow', 'GitHub Admin']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `GitHub Admin in the directory of ${exampleSeedPath}:`,
        '',
        'grants GitHub Admins for at most P7D (PT8H, P1D, P7D)',
        '',
        'can be requested by 2 people, through its requester group:',
        '  Engineering Admin (2 people): erin@example.com, frank@example.com',
        '',
        'approval, level by level:',
        "  level 1 (the requester's manager):",
        "    each requester's manager (1 person): dana@example.com",
        '  level 2 (Security Leads, 2 people):',
        '    group Security Leads (2 people): grace@example.com, heidi@example.com',
        '',
        'no warnings',
        '',
      ].join('\n'),
    );
  });

  it('finds the flow by its name as the config compares names (case ignored), and says an automatic flow needs nobody', async () => {
    const run = await offline([examples, '--flow', 'github user']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('GitHub User in the directory of');
    expect(run.stdout).toContain(
      '\ncan be requested by 7 people, through its requester group:\n  Engineering User (7 people): alice@example.com, bob@example.com, carol@example.com, dave@example.com, eve@example.com, ivan@example.com, judy@example.com\n',
    );
    expect(run.stdout).toContain('\napproval: automatic: granted at once, nobody approves\n');
  });

  it("gives the same answer from the target's directory, read over HTTP", async () => {
    const h: Harness = await startHarness();
    try {
      const live = await answerJson([examples, '--flow', 'GitHub Admin', '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
      const snapshot = await answerJson([examples, '--flow', 'GitHub Admin', '--directory', exampleSeedPath]);
      expect(live.directory).toBe(h.sandbox.url);
      expect({ ...live, directory: '' }).toEqual({ ...snapshot, directory: '' });
      expectAccepted(validate, live);
    } finally {
      await h.close();
    }
  });

  it('warns, in the answer, about a requester group the directory lacks at its file:line:col and a requester who approves their own flow', async () => {
    const repo = await exampleCopy('warnings', 'github-admin.yaml', (text) =>
      text.replace('visibleTo: [Engineering Admin]', 'visibleTo: [Engineering Admin, Contractors, Security Leads]'),
    );
    const run = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--flow', 'GitHub Admin']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(
      [
        'can be requested by 4 people, through its 3 requester groups:',
        '  Contractors: not in the directory',
        '  Engineering Admin (2 people): erin@example.com, frank@example.com',
        '  Security Leads (2 people): grace@example.com, heidi@example.com',
      ].join('\n'),
    );
    expect(run.stdout).toContain(
      [
        '2 warnings:',
        `  ${join(repo, 'flows', 'github-admin.yaml')}:10:34: requester group "Contractors" is not in the directory: nobody can request through it`,
        "  2 people who can request GitHub Admin also approve its level 2 (Security Leads, 2 people): nobody approves their own request, so the level's other approvers decide theirs",
        '    grace@example.com, heidi@example.com',
      ].join('\n'),
    );
    const answer = await answerJson([repo, '--directory', exampleSeedPath, '--flow', 'GitHub Admin']);
    expect(answer.warnings.map((w) => w.code)).toEqual(['unknown-group', 'requester-approves']);
    expect(answer.warnings[0]?.source).toEqual({ file: join(repo, 'flows', 'github-admin.yaml'), line: 10, column: 34 });
    expectAccepted(validate, answer);
  });

  it('does not call a group the repo creates missing, as --user does not: a fresh org without GitHub Admins, and a requester group to create', async () => {
    // The org before the first apply: GitHub Admins (create: true in the repo) is not there yet.
    const seed = await readFile(exampleSeedPath, 'utf8');
    const fresh = join(dir, 'fresh-directory.yaml');
    await writeFile(
      fresh,
      seed
        .replace('      - name: GitHub Admins\n        description: Owners of the GitHub organisation, granted through the GitHub Admin flow\n', '')
        .replace('groups: [GitHub Users, GitHub Admins]', 'groups: [GitHub Users]'),
    );
    expect(await readFile(fresh, 'utf8')).not.toContain('GitHub Admins');
    const pristine = await accessctl(['explain', examples, '--directory', fresh, '--flow', 'GitHub Admin']);
    expect(pristine.stderr).toBe('');
    expect(pristine.stdout).toContain('\nno warnings\n');
    const user = await accessctl(['explain', examples, '--directory', fresh, '--user', 'erin.em']);
    expect(user.stderr).toBe('');

    const repo = await exampleCopy('to-create', 'github-admin.yaml', (text) =>
      text.replace('visibleTo: [Engineering Admin]', 'visibleTo: [Engineering Admin, On Call]'),
    );
    await writeFile(
      join(repo, 'groups', 'on-call.yaml'),
      'apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: On Call\nspec:\n  create: true\n',
    );
    const run = await accessctl(['explain', repo, '--directory', fresh, '--flow', 'GitHub Admin']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        '1 warning:',
        `  ${join(repo, 'flows', 'github-admin.yaml')}:10:34: requester group "On Call" is not in the directory yet: apply creates it, with no members, so nobody can request through it until it has some`,
        '',
      ].join('\n'),
    );
    const answer = await answerJson([repo, '--directory', fresh, '--flow', 'GitHub Admin']);
    expect(answer.warnings.map((w) => w.code)).toEqual(['group-to-create']);
    expectAccepted(validate, answer);
  });

  it('explains a flow by one of its previousNames, saying on stderr which flow that is now', async () => {
    const repo = await exampleCopy('renamed', 'github-admin.yaml', (text) =>
      text.replace('  name: GitHub Admin\n', '  name: GitHub Admin\n  previousNames: [GitHub Owner]\n'),
    );
    const current = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--flow', 'GitHub Admin']);
    const old = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--flow', 'github owner']);
    expect(old.code).toBe(0);
    expect(old.stderr).toBe('accessctl: note: "github owner" is a previous name of the flow "GitHub Admin" (metadata.previousNames): explaining it\n');
    expect(old.stdout).toBe(current.stdout);
    const json = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--flow', 'GitHub Owner', '--format', 'json']);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as Answer;
    expect(answer.flow).toBe('GitHub Admin');
    expectAccepted(validate, answer);
    const user = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--flow', 'GitHub Owner', '--user', 'erin.em']);
    expect(user.code).toBe(0);
    expect(user.stderr).toContain('is a previous name of the flow "GitHub Admin"');
    expect(user.stdout).toContain('\ncan request:\n  GitHub Admin: grants GitHub Admins');
  });

  it('locates an approver who cannot sign in where the config names them', async () => {
    const repo = await exampleCopy('suspended', 'github-admin.yaml', (text) =>
      text.replace('          - group: Security Leads\n', '          - group: Security Leads\n          - user: oscar\n'),
    );
    const answer = await answerJson([repo, '--directory', exampleSeedPath, '--flow', 'GitHub Admin']);
    expect(answer.warnings).toEqual([
      {
        code: 'inactive-approver',
        message: 'approver "oscar@example.com" of level 2 cannot sign in (suspended or not yet activated): they approve nothing',
        source: { file: join(repo, 'flows', 'github-admin.yaml'), line: 21, column: 19 },
      },
    ]);
    expectAccepted(validate, answer);
  });

  it('refuses an unknown flow name and suggests the closest, with exit 1 and no stack trace', async () => {
    const typo = await offline([examples, '--flow', 'GitHb Admin']);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toBe(
      'accessctl: the repo has no approval flow named "GitHb Admin"; did you mean "GitHub Admin"? It has GitHub Admin and GitHub User\n',
    );
    const far = await offline([examples, '--flow', 'Payroll']);
    expect(far.code).toBe(1);
    expect(far.stderr).toBe('accessctl: the repo has no approval flow named "Payroll"; it has GitHub Admin and GitHub User\n');
    for (const r of [typo, far]) expect(r.stderr).not.toMatch(stackFrame);
  });

  it('refuses a question without --user or --flow, and --all-people with --user, before reading anything', async () => {
    const neither = await accessctl(['explain', join(dir, 'no-such-repo')]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toBe('accessctl: explain needs --user EMAIL (what one user can request) or --flow NAME (who can request one flow)\n');
    const both = await accessctl(['explain', join(dir, 'no-such-repo'), '--user', 'erin.em', '--all-people']);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe("accessctl: --all-people lists a flow's people: use it with --flow NAME and without --user\n");
  });
});

describe('a huge requester group', () => {
  const size = 1500;
  const logins = Array.from({ length: size }, (_, i) => `eng${String(i).padStart(4, '0')}`);
  let repo: string;
  let snapshot: string;

  beforeAll(async () => {
    repo = join(dir, 'huge');
    await cp(examples, repo, { recursive: true });
    snapshot = join(dir, 'huge-directory.yaml');
    const users = [
      '      - { username: boss, email: boss@example.com, firstname: B, lastname: Oss }',
      '      - { username: lead, email: lead@example.com, firstname: L, lastname: Ead, manager: boss }',
      ...logins.map((u) => `      - { username: ${u}, email: ${u}@example.com, firstname: E, lastname: Ng, manager: boss }`),
    ];
    const groups = [
      `      - { name: Engineering Admin, members: [${logins.join(', ')}] }`,
      '      - { name: Engineering User, members: [lead] }',
      '      - { name: Security Leads, members: [lead] }',
      '      - { name: GitHub Admins }',
      '      - { name: GitHub Users }',
    ];
    await writeFile(snapshot, ['organizations:', '  - name: Big', '    users:', ...users, '    groups:', ...groups, ''].join('\n'));
  });

  it('names the first 10 requesters with "and N more" by default, and says how to see everyone', async () => {
    const run = await accessctl(['explain', repo, '--directory', snapshot, '--flow', 'GitHub Admin']);
    expect(run.code).toBe(0);
    const first = logins.slice(0, 10).map((u) => `${u}@example.com`);
    expect(run.stdout).toContain(`\n  Engineering Admin (1,500 people): ${first.join(', ')} and 1,490 more\n`);
    expect(run.stdout).toContain('\neach list names its first 10 people; --all-people names everyone\n');
    expect(run.stdout.length).toBeLessThan(2000);
    const answer = await answerJson([repo, '--directory', snapshot, '--flow', 'GitHub Admin']);
    expect(answer.shown).toBe(10);
    expect(answer.requesters.people).toEqual({ count: size, emails: first });
    expectAccepted(validate, answer);
  });

  it('names every requester with --all-people, in text and JSON', async () => {
    const everyone = logins.map((u) => `${u}@example.com`);
    const run = await accessctl(['explain', repo, '--directory', snapshot, '--flow', 'GitHub Admin', '--all-people']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`\n  Engineering Admin (1,500 people): ${everyone.join(', ')}\n`);
    expect(run.stdout).not.toContain('--all-people names everyone');
    const answer = await answerJson([repo, '--directory', snapshot, '--flow', 'GitHub Admin', '--all-people']);
    expect(answer.shown).toBeNull();
    expect(answer.requesters.groups[0]?.members).toEqual({ count: size, emails: everyone });
    expectAccepted(validate, answer);
  });
});

describe('schemas/explain.schema.json for the answer about one flow', () => {
  it('refuses copies broken on purpose, each for the reason meant', async () => {
    const repo = await exampleCopy('schema', 'github-admin.yaml', (text) =>
      text.replace('visibleTo: [Engineering Admin]', 'visibleTo: [Engineering Admin, Nowhere]'),
    );
    const answer = await answerJson([repo, '--directory', exampleSeedPath, '--flow', 'GitHub Admin']);
    expectAccepted(validate, answer);
    const { requesters: _requesters, ...withoutRequesters } = copy(answer);
    expectRefused(validate, withoutRequesters, 'required', '');
    const code = copy(answer);
    code.warnings[0]!.code = 'odd' as FlowWarning['code'];
    expectRefused(validate, code, 'enum', '/warnings/0/code');
    const kind = copy(answer);
    if (kind.approval.type !== 'manual') throw new Error('GitHub Admin is manual');
    kind.approval.levels[0]!.approvers[0] = { kind: 'robot' } as unknown as ApproverAccess;
    expectRefused(validate, kind, 'oneOf', '/approval/levels/0/approvers/0');
    expectRefused(validate, { ...copy(answer), shown: 0 }, 'minimum', '/shown');
    expectRefused(validate, { ...copy(answer), user: 'erin@example.com' }, 'required', '');
  });

  it('lists the fields, required fields and values of the types', () => {
    const defs = schemaJson('explain.schema.json').$defs ?? {};
    expect(keysOf(defs['flowAccess'])).toEqual({
      properties: exactly<keyof Answer>()([
        'flow',
        'directory',
        'enabled',
        'grantGroup',
        'maxDuration',
        'durations',
        'requesters',
        'approval',
        'warnings',
        'shown',
      ]),
      required: exactly<RequiredKeys<Answer>>()([
        'flow',
        'directory',
        'enabled',
        'grantGroup',
        'maxDuration',
        'durations',
        'requesters',
        'approval',
        'warnings',
        'shown',
      ]),
    });
    expect(keysOf(defs['requesterGroup'])).toEqual({
      properties: exactly<keyof RequesterGroup>()(['group', 'known', 'members', 'inactive']),
      required: exactly<RequiredKeys<RequesterGroup>>()(['group', 'known', 'members', 'inactive']),
    });
    expect(keysOf(defs['flowLevel'])).toEqual({
      properties: exactly<keyof LevelAccess>()(['level', 'require', 'describes', 'approvers', 'people', 'admins']),
      required: exactly<RequiredKeys<LevelAccess>>()(['level', 'require', 'describes', 'approvers', 'people', 'admins']),
    });
    expect(keysOf(defs['flowWarning'])).toEqual({
      properties: exactly<keyof FlowWarning>()(['code', 'message', 'people', 'source']),
      required: exactly<RequiredKeys<FlowWarning>>()(['code', 'message']),
    });
    expect(keysOf(defs['listedPeople'])).toEqual({
      properties: exactly<keyof PeopleList>()(['count', 'emails']),
      required: exactly<RequiredKeys<PeopleList>>()(['count', 'emails']),
    });
    const approvers = (defs['approver'] as { oneOf?: { properties?: Record<string, unknown> }[] }).oneOf ?? [];
    expect(approvers.flatMap((a) => Object.keys(a.properties ?? {})).sort()).toEqual(
      exactly<AllKeys<ApproverAccess>>()(['kind', 'people', 'kind', 'kind', 'name', 'known', 'active', 'kind', 'name', 'known', 'members', 'inactive']),
    );
    expect(enumOf(defs['flowWarning']?.properties?.['code'])).toEqual(
      exactly<FlowWarning['code']>()([
        'flow-disabled',
        'no-requesters',
        'unknown-group',
        'unknown-user',
        'empty-group',
        'inactive-approver',
        'requester-approves',
        'missing-manager',
        'no-eligible-approver',
        'group-to-create',
      ]),
    );
  });
});
