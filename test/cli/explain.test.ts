// `accessctl explain`: what-if for one user over the repo's flows, against a real sandbox's
// directory (over HTTP) and a snapshot file: which flows, through which group, who approves; a
// user without a manager, a suspended user; unknown users and flows refused with a clear message.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowExplanation } from '../../src/impact/explain.js';
import { accessctl, type Run } from './in-process.js';
import { exampleSeedPath, startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const stackFrame = /\n\s+at .+:\d+:\d+/;

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'accessctl-explain-'));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function live(args: string[]): Promise<Run> {
  return accessctl(['explain', ...args, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
}

describe('accessctl explain against the sandbox', () => {
  it('says which flows erin can request, through which group, and who approves each level of her request', async () => {
    const run = await live([examples, '--user', 'erin.em']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `erin@example.com (erin.em) in the directory of ${h.sandbox.url}:`,
        '',
        'can request 1 of 2 flows:',
        '  GitHub Admin: grants GitHub Admins for at most P7D (PT8H, P1D, P7D)',
        '    via Engineering Admin',
        "    level 1 (the requester's manager): dana@example.com",
        '    level 2 (Security Leads, 2 people): grace@example.com, heidi@example.com',
        '',
        'cannot request:',
        '  GitHub User: erin@example.com is in none of its groups (Engineering User)',
        '',
      ].join('\n'),
    );
  });

  it('follows the live directory: a Security Lead who joins Engineering Admin is approved by the other lead only', async () => {
    const grace = await h.userId('grace.sec');
    const group = await h.groupId('Engineering Admin');
    expect((await h.call('POST', `/api/v2/usergroups/${group}/members`, { op: 'add', type: 'user', id: grace })).status).toBe(204);
    try {
      const run = await live([examples, '--user', 'grace@example.com', '--flow', 'github admin']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("    level 1 (the requester's manager): dana@example.com\n    level 2 (Security Leads, 2 people): heidi@example.com\n");
    } finally {
      await h.call('POST', `/api/v2/usergroups/${group}/members`, { op: 'remove', type: 'user', id: grace });
    }
  });
});

describe('accessctl explain against a snapshot file', () => {
  it('says an automatic flow is granted at once, for one flow with --flow', async () => {
    const run = await accessctl(['explain', examples, '--directory', exampleSeedPath, '--user', 'alice@example.com', '--flow', 'GitHub User']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'can request:\n  GitHub User: grants GitHub Users for at most P30D\n    via Engineering User\n    approval: granted at once (automatic approval)\n',
    );
  });

  it('says plainly that a user cannot request the one flow --flow names', async () => {
    const run = await accessctl(['explain', examples, '--directory', exampleSeedPath, '--user', 'heidi.sec', '--flow', 'GitHub Admin']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `heidi@example.com (heidi.sec) in the directory of ${exampleSeedPath}:`,
        '',
        'cannot request:',
        '  GitHub Admin: heidi@example.com is in none of its groups (Engineering Admin)',
        '',
      ].join('\n'),
    );
  });

  it('notes Missing Data for a requester without a manager, and says a suspended user cannot sign in', async () => {
    const repo = join(dir, 'all-hands');
    await cp(examples, repo, { recursive: true });
    await writeFile(
      join(repo, 'flows', 'all-hands.yaml'),
      'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata:\n  name: All Hands\nspec:\n  grantGroup: GitHub Users\n  visibleTo: [Engineering All]\n  approval:\n    type: manual\n    nonAdminApprovers: true\n    levels:\n      - approvers: [{manager: true}]\n  access:\n    duration: P1D\n',
    );
    const dana = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--user', 'dana.cto', '--flow', 'All Hands', '--format', 'json']);
    expect(dana.code).toBe(0);
    const answer = JSON.parse(dana.stdout) as { user: string; active: boolean; flows: FlowExplanation[] };
    expect(answer.user).toBe('dana@example.com');
    expect(answer.flows).toEqual([
      {
        flow: 'All Hands',
        grantGroup: 'GitHub Users',
        maxDuration: 'P1D',
        durations: ['P1D'],
        canRequest: true,
        via: ['Engineering All'],
        approval: {
          type: 'manual',
          levels: [{ level: 1, require: 'any', describes: "level 1 (the requester's manager)", people: { count: 0, emails: [] }, admins: false }],
          adminOnly: "the request is Missing Data: the flow names the requester's manager and this user has none, so only an administrator decides",
        },
      },
    ]);
    const oscar = await accessctl(['explain', repo, '--directory', exampleSeedPath, '--user', 'oscar', '--flow', 'All Hands']);
    expect(oscar.stdout).toContain('oscar@example.com (oscar), suspended or not yet activated, in the directory of');
    expect(oscar.stdout).toContain('  All Hands: oscar@example.com is suspended or not yet activated, and cannot sign in\n');
  });

  it('refuses an unknown user or flow, naming it, with exit 1 and no stack trace', async () => {
    const user = await accessctl(['explain', examples, '--directory', exampleSeedPath, '--user', 'mallory@example.com']);
    expect(user.code).toBe(1);
    expect(user.stderr).toBe(`accessctl: the directory of ${exampleSeedPath} has no user "mallory@example.com"\n`);
    const flow = await accessctl(['explain', examples, '--directory', exampleSeedPath, '--user', 'alice', '--flow', 'GitLab']);
    expect(flow.code).toBe(1);
    expect(flow.stderr).toBe('accessctl: the repo has no approval flow named "GitLab"; it has GitHub Admin and GitHub User\n');
    const noUser = await accessctl(['explain', examples, '--directory', exampleSeedPath]);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toBe('accessctl: explain needs --user EMAIL (what one user can request) or --flow NAME (who can request one flow)\n');
    const hostile = await accessctl(['explain', examples, '--directory', exampleSeedPath, '--user', 'x\u001b[2Jy']);
    expect(hostile.stderr).toContain('x\\u001b[2Jy');
    expect(hostile.stderr).not.toContain('\u001b');
    for (const r of [user, flow, noUser, hostile]) expect(r.stderr).not.toMatch(stackFrame);
  });
});
