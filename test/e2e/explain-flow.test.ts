// `accessctl explain --flow NAME` as the real binary runs it: a flow's whole requester list through a
// pipe (--all-people, hundreds of kilobytes) arrives to its last byte before the process exits; a
// previous name's note goes to stderr, never into the JSON; an unknown flow is the exit code 1 a CI
// script sees, with the closest name on stderr.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputSchema, expectAccepted } from '../schemas/output-schema.js';
import { accessctl } from './binary.js';

const size = 8000;
const logins = Array.from({ length: size }, (_, i) => `eng${String(i).padStart(5, '0')}`);
let dir: string;
let snapshot: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-e2e-explain-flow-'));
  snapshot = join(dir, 'directory.yaml');
  const users = logins.map((u) => `      - { username: ${u}, email: ${u}@example.com, firstname: E, lastname: Ng }`);
  const groups = [
    `      - { name: Engineering User, members: [${logins.join(', ')}] }`,
    '      - { name: Engineering Admin }',
    '      - { name: Security Leads }',
    '      - { name: GitHub Admins }',
    '      - { name: GitHub Users }',
  ];
  await writeFile(snapshot, ['organizations:', '  - name: Big', '    users:', ...users, '    groups:', ...groups, ''].join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('accessctl explain --flow, the real binary', () => {
  it('prints every requester with --all-people through a pipe, to the last one, as JSON the schema accepts', async () => {
    const run = await accessctl(['explain', 'examples/access', '--flow', 'GitHub User', '--directory', snapshot, '--all-people', '--format', 'json'], {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { requesters: { people: { count: number; emails: string[] } } };
    expect(answer.requesters.people.count).toBe(size);
    expect(answer.requesters.people.emails.at(-1)).toBe(`${logins.at(-1)}@example.com`);
    expect(answer.requesters.people.emails).toHaveLength(size);
    expectAccepted(outputSchema('explain.schema.json'), answer);
  });

  it("finds a flow by a previous name, with the note on stderr and only the flow's JSON on stdout", async () => {
    const repo = join(dir, 'renamed');
    await cp('examples/access', repo, { recursive: true });
    const path = join(repo, 'flows', 'github-user.yaml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('  name: GitHub User\n', '  name: GitHub User\n  previousNames: [GitHub Member]\n'));
    const run = await accessctl(['explain', repo, '--flow', 'GitHub Member', '--directory', snapshot, '--format', 'json'], {});
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('accessctl: note: "GitHub Member" is a previous name of the flow "GitHub User" (metadata.previousNames): explaining it\n');
    const answer = JSON.parse(run.stdout) as { flow: string; requesters: { people: { count: number } } };
    expect(answer.flow).toBe('GitHub User');
    expect(answer.requesters.people.count).toBe(size);
    expectAccepted(outputSchema('explain.schema.json'), answer);
  });

  it('exits 1 for an unknown flow, naming the closest on stderr and printing nothing on stdout', async () => {
    const run = await accessctl(['explain', 'examples/access', '--flow', 'GitHub Usr', '--directory', snapshot], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('accessctl: the repo has no approval flow named "GitHub Usr"; did you mean "GitHub User"? It has GitHub Admin and GitHub User\n');
  });
});
