// The auditor's question about one flow, answered from the flows and a directory: who can request it
// (through which group), who approves it level by level, what a requester gets for how long, and the
// warnings that apply to it. Lists are capped with a count; everyone is named only when asked.
import { describe, expect, it } from 'vitest';
import { DirectoryView, type AccessDirectory } from '../../src/impact/directory.js';
import { effectiveFlow } from '../../src/impact/effective.js';
import { explainFlowAccess, type ApproverAccess, type FlowAccess, type FlowReference, type FlowWarning } from '../../src/impact/flow-access.js';
import { renderFlowAccess } from '../../src/impact/render.js';
import { automatic, directory, exampleDirectory, flow, level, manager } from './fixtures.js';

const example = new DirectoryView(exampleDirectory());

/** dana heads engineering; erin and frank report to her, alice to erin; oscar is suspended. */
const org = directory(
  {
    dana: {},
    erin: { manager: 'dana' },
    frank: { manager: 'dana' },
    grace: { manager: 'dana' },
    heidi: { manager: 'grace' },
    alice: { manager: 'erin' },
    oscar: { suspended: true },
  },
  { 'Eng Admin': ['erin', 'frank'], 'Eng All': ['erin', 'frank', 'alice', 'oscar'], 'Security Leads': ['grace', 'heidi'], Empty: [], Gone: ['oscar'] },
);

const emails = (...names: string[]): string[] => names.map((n) => `${n}@example.com`);
const codes = (answer: FlowAccess): string[] => answer.warnings.map((w) => w.code);
const warning = (answer: FlowAccess, code: FlowWarning['code']): FlowWarning | undefined => answer.warnings.find((w) => w.code === code);
function levels(answer: FlowAccess) {
  if (answer.approval.type !== 'manual') throw new Error(`${answer.flow} is not manual`);
  return answer.approval.levels;
}

describe('who can request a flow', () => {
  it('lists every user who can request the flow through any requester group, each once overall', () => {
    const answer = explainFlowAccess(effectiveFlow(flow('Prod', { visibleTo: ['Eng Admin', 'Eng All'] }), org), org);
    expect(answer.requesters.people).toEqual({ count: 3, emails: emails('alice', 'erin', 'frank') });
    expect(answer.requesters.groups).toEqual([
      { group: 'Eng Admin', known: true, members: { count: 2, emails: emails('erin', 'frank') }, inactive: 0 },
      { group: 'Eng All', known: true, members: { count: 3, emails: emails('alice', 'erin', 'frank') }, inactive: 1 },
    ]);
  });

  it('never lists a member who cannot sign in as a requester, and counts them apart', () => {
    const answer = explainFlowAccess(effectiveFlow(automatic('All', { visibleTo: ['Eng All'] }), org), org);
    expect(answer.requesters.people.emails).not.toContain('oscar@example.com');
    expect(answer.requesters.groups[0]).toMatchObject({ inactive: 1, members: { count: 3 } });
  });

  it('answers for a disabled flow what would apply if it were enabled, and says so', () => {
    const answer = explainFlowAccess(effectiveFlow(flow('GitHub Admin', { enabled: false }), example), example);
    expect(answer.enabled).toBe(false);
    expect(answer.requesters.people).toEqual({ count: 2, emails: ['erin@example.com', 'frank@example.com'] });
    expect(answer.requesters.groups[0]?.members.emails).toEqual(['erin@example.com', 'frank@example.com']);
    expect(warning(answer, 'flow-disabled')?.message).toBe(
      'GitHub Admin is disabled: nobody can request it; this answer is who could request it and who would approve if it were enabled',
    );
    // Its approvers are those who would approve once it is enabled: erin's and frank's manager.
    expect(levels(answer)[0]?.approvers).toEqual([{ kind: 'manager', people: { count: 1, emails: ['dana@example.com'] } }]);
    const text = renderFlowAccess(answer, 'dir.yaml');
    expect(text).toContain('\ncan be requested by nobody while it is disabled; if it were enabled, by 2 people, through its requester group:\n');
    expect(text).toContain('\napproval, level by level, if it were enabled:\n');
  });

  it("computes a disabled flow's warnings from those who could request it, as its managers", () => {
    // Security Leads request and approve; dana has no manager: each warning as if it were enabled.
    const f = flow('Sec', { enabled: false, visibleTo: ['Security Leads', 'Eng Admin'], approval: { levels: [level([{ group: 'Security Leads' }])] } });
    const answer = explainFlowAccess(effectiveFlow(f, org), org);
    expect(warning(answer, 'requester-approves')?.message).toBe(
      "2 people who could request Sec if it were enabled also approve its level 1 (Security Leads, 2 people): nobody approves their own request, so the level's other approvers decide theirs",
    );
    const managed = explainFlowAccess(
      effectiveFlow(flow('Top', { enabled: false, visibleTo: ['Engineering All'], approval: { levels: [level([manager])] } }), example),
      example,
    );
    expect(warning(managed, 'missing-manager')).toEqual({
      code: 'missing-manager',
      message: '1 person who could request Top if it were enabled has no manager; their requests would be Missing Data and wait for an administrator',
      people: { count: 1, emails: ['dana@example.com'] },
    });
  });
});

describe('who approves it, and what a requester gets', () => {
  it("names each level's approvers as the flow holds them: the requesters' managers, users, group members, administrators", () => {
    const f = flow('Prod', {
      visibleTo: ['Eng Admin'],
      approval: { levels: [level([manager, { user: 'dana' }]), level([{ group: 'Security Leads' }, { admins: true }], 'all')] },
    });
    const answer = explainFlowAccess(effectiveFlow(f, org), org);
    const [first, second] = levels(answer);
    expect(first?.approvers).toEqual<ApproverAccess[]>([
      { kind: 'manager', people: { count: 1, emails: emails('dana') } },
      { kind: 'user', name: 'dana@example.com', known: true, active: true },
    ]);
    expect(first?.people).toEqual({ count: 1, emails: emails('dana') });
    expect(second).toMatchObject({ level: 2, require: 'all', admins: true, people: { count: 2, emails: emails('grace', 'heidi') } });
    expect(second?.approvers).toContainEqual({ kind: 'admins' });
    expect(second?.approvers).toContainEqual({
      kind: 'group',
      name: 'Security Leads',
      known: true,
      members: { count: 2, emails: emails('grace', 'heidi') },
      inactive: 0,
    });
  });

  it("lists as managers only those of the flow's requesters who can approve: each requester's own", () => {
    const answer = explainFlowAccess(effectiveFlow(flow('Prod', { visibleTo: ['Eng All'] }), org), org);
    // alice's manager is erin, erin's and frank's is dana; oscar cannot sign in, so his manager is not counted for him.
    expect(levels(answer)[0]?.approvers[0]).toEqual({ kind: 'manager', people: { count: 2, emails: emails('dana', 'erin') } });
  });

  it('says which group a requester joins on approval, for at most how long, and which durations they pick from', () => {
    const timed = explainFlowAccess(effectiveFlow(flow('GitHub Admin'), example), example);
    expect(timed).toMatchObject({ grantGroup: 'GitHub Admins', maxDuration: 'P7D', durations: ['PT8H', 'P1D', 'P7D'] });
    const permanent = explainFlowAccess(effectiveFlow(flow('Forever', { access: null }), example), example);
    expect(permanent).toMatchObject({ maxDuration: null, durations: null });
  });

  it('says an automatic flow is granted at once, with nobody to approve', () => {
    const answer = explainFlowAccess(effectiveFlow(automatic('GitHub User'), example), example);
    expect(answer.approval).toEqual({ type: 'automatic' });
    expect(answer.warnings).toEqual([]);
  });
});

describe('the warnings that apply to the flow', () => {
  it('warns about requesters who also approve their own flow, naming them and the level', () => {
    const f = flow('Sec', { visibleTo: ['Security Leads', 'Eng Admin'], approval: { levels: [level([{ group: 'Security Leads' }])] } });
    const answer = explainFlowAccess(effectiveFlow(f, org), org);
    expect(warning(answer, 'requester-approves')).toEqual({
      code: 'requester-approves',
      message:
        "2 people who can request Sec also approve its level 1 (Security Leads, 2 people): nobody approves their own request, so the level's other approvers decide theirs",
      people: { count: 2, emails: emails('grace', 'heidi') },
    });
  });

  it('warns about empty requester and approver groups, and an approver who cannot sign in', () => {
    const f = flow('Prod', { visibleTo: ['Eng Admin', 'Empty'], approval: { levels: [level([{ group: 'Gone' }, { user: 'oscar' }, manager])] } });
    const answer = explainFlowAccess(effectiveFlow(f, org), org);
    expect(answer.warnings.filter((w) => w.code === 'empty-group' || w.code === 'inactive-approver').map((w) => w.message)).toEqual([
      'requester group "Empty" has no active members: nobody can request through it',
      'approver group "Gone" of level 1 has no active members (1 member cannot sign in): it approves nothing',
      'approver "oscar@example.com" of level 1 cannot sign in (suspended or not yet activated): they approve nothing',
    ]);
  });

  it('warns about groups and users the directory does not have, and that nobody can request the flow', () => {
    const f = flow('Prod', { visibleTo: ['Contractors'], approval: { levels: [level([{ group: 'Auditors' }, { user: 'mallory' }])] } });
    const answer = explainFlowAccess(effectiveFlow(f, org), org);
    expect(answer.requesters.groups[0]).toMatchObject({ group: 'Contractors', known: false, members: { count: 0 } });
    expect(answer.warnings.map((w) => [w.code, w.message])).toEqual([
      ['no-requesters', 'nobody can request Prod: its requester group has no active members'],
      ['unknown-group', 'requester group "Contractors" is not in the directory: nobody can request through it'],
      ['unknown-group', 'approver group "Auditors" of level 1 is not in the directory: it approves nothing'],
      ['unknown-user', 'approver "mallory" of level 1 is not in the directory: they approve nothing'],
    ]);
  });

  it('warns that requesters without a manager, or alone at a level, wait for an administrator', () => {
    const noManager = explainFlowAccess(
      effectiveFlow(flow('Top', { visibleTo: ['Engineering All'], approval: { levels: [level([manager])] } }), example),
      example,
    );
    expect(warning(noManager, 'missing-manager')).toMatchObject({ people: { count: 1, emails: ['dana@example.com'] } });
    const alone = directory({ ann: {}, ben: {} }, { Ops: ['ann', 'ben'], Lead: ['ann'] });
    const answer = explainFlowAccess(effectiveFlow(flow('Prod', { visibleTo: ['Ops'], approval: { levels: [level([{ group: 'Lead' }])] } }), alone), alone);
    expect(warning(answer, 'no-eligible-approver')).toMatchObject({
      message:
        'for 1 person who can request Prod, its level 1 (Lead, 1 person) cannot pass: the only one who could approve it is themselves, and no one approves their own request; an administrator must decide',
      people: { count: 1, emails: ['ann@example.com'] },
    });
    // ann is left alone at the level: she is not also told that its other approvers decide for her.
    expect(codes(answer)).toEqual(['no-eligible-approver']);
  });

  it('says only administrators decide when nonAdminApprovers is off, in the approval and with no warning (a valid flow is so)', () => {
    const f = flow('Locked', { approval: { nonAdminApprovers: false, levels: [level([{ admins: true }])] } });
    const answer = explainFlowAccess(effectiveFlow(f, example), example);
    expect(answer.approval).toMatchObject({ type: 'manual', nonAdminApprovers: false });
    expect(answer.warnings).toEqual([]);
    expect(renderFlowAccess(answer, 'dir.yaml')).toContain('\napproval, level by level (only administrators decide: nonAdminApprovers is off):\n');
  });

  it('gives the example flows no warnings', () => {
    for (const f of [flow('GitHub Admin'), automatic('GitHub User')]) expect(explainFlowAccess(effectiveFlow(f, example), example).warnings).toEqual([]);
  });
});

describe('groups the repo creates', () => {
  // Nothing of "New Admins", "New Requesters" or "New Approvers" is in the directory yet; all three are `create: true`.
  const f = flow('Prod', {
    grantGroup: 'New Admins',
    visibleTo: ['Eng Admin', 'New Requesters'],
    approval: { levels: [level([manager, { group: 'New Approvers' }])] },
  });
  const creates = ['New Admins', 'new requesters', 'New Approvers'];

  it('does not call a group the repo creates missing, and says what its being created empty means for requesting and approving', () => {
    const answer = explainFlowAccess(effectiveFlow(f, org), org, { creates });
    expect(answer.warnings.map((w) => [w.code, w.message])).toEqual([
      [
        'group-to-create',
        'requester group "New Requesters" is not in the directory yet: apply creates it, with no members, so nobody can request through it until it has some',
      ],
      [
        'group-to-create',
        'approver group "New Approvers" of level 1 is not in the directory yet: apply creates it, with no members, so it approves nothing until it has some',
      ],
    ]);
  });

  it('says nothing of a grant group the repo creates, and names one it does not create as nothing to grant', () => {
    const grant = flow('GitHub Admin', { grantGroup: 'New Admins' });
    expect(explainFlowAccess(effectiveFlow(grant, example), example, { creates }).warnings).toEqual([]);
    expect(explainFlowAccess(effectiveFlow(grant, example), example).warnings).toEqual([]);
  });

  it('warns about located names as it does without them: a created group, and a missing grant group that is not created', () => {
    const references: FlowReference[] = [
      { what: 'group', name: 'New Requesters', role: { in: 'visibleTo' }, source: { file: 'f.yaml', line: 3, column: 1 } },
      { what: 'group', name: 'New Admins', role: { in: 'grantGroup' }, source: { file: 'f.yaml', line: 4, column: 1 } },
    ];
    const created = explainFlowAccess(effectiveFlow(f, org), org, { creates, references });
    expect(created.warnings.map((w) => [w.code, w.source?.line])).toEqual([['group-to-create', 3]]);
    const missing = explainFlowAccess(effectiveFlow(f, org), org, { references });
    expect(missing.warnings.map((w) => [w.code, w.message])).toEqual([
      ['unknown-group', 'requester group "New Requesters" is not in the directory: nobody can request through it'],
      ['unknown-group', 'grant group "New Admins" is not in the directory, and the repo does not create it (create: true): there is no group to grant'],
    ]);
  });

  it('treats a group the directory has as it is, whatever the repo says of creating it', () => {
    const answer = explainFlowAccess(effectiveFlow(flow('Prod', { visibleTo: ['Eng Admin'] }), org), org, { creates: ['Eng Admin'] });
    expect(codes(answer)).not.toContain('group-to-create');
    expect(answer.requesters.people.count).toBe(2);
  });
});

describe('a requester who approves a `require: all` level', () => {
  const team = directory(
    { boss: {}, grace: { manager: 'boss' }, heidi: { manager: 'boss' }, ivan: { manager: 'boss' } },
    { Leads: ['grace', 'heidi'], Ops: ['ivan'], Trio: ['grace', 'heidi', 'ivan'] },
  );

  it('says once that only an administrator decides when the requester is a user the level needs, never that the others decide', () => {
    const f = flow('All', { visibleTo: ['Leads'], approval: { levels: [level([{ user: 'grace' }, { group: 'Ops' }], 'all')] } });
    const answer = explainFlowAccess(effectiveFlow(f, team), team);
    expect(answer.warnings).toEqual([
      {
        code: 'no-eligible-approver',
        message:
          'for 1 person who can request All, its level 1 (grace@example.com and Ops, 2 people, all of them) cannot pass: one of the approvers it needs (require: all) is only themselves, and no one approves their own request; an administrator must decide',
        people: { count: 1, emails: ['grace@example.com'] },
      },
    ]);
  });

  it('says every other approver of the level decides for a requester in a group it names', () => {
    const f = flow('All', { visibleTo: ['Leads'], approval: { levels: [level([{ group: 'Trio' }, { user: 'boss' }], 'all')] } });
    const answer = explainFlowAccess(effectiveFlow(f, team), team);
    expect(answer.warnings).toEqual([
      {
        code: 'requester-approves',
        message:
          '2 people who can request All also approve its level 1 (Trio and boss@example.com, 4 people, all of them): nobody approves their own request, so their own needs every other approver of the level (each other member of a group it names)',
        people: { count: 2, emails: ['grace@example.com', 'heidi@example.com'] },
      },
    ]);
  });
});

describe('why a level cannot pass', () => {
  // pat manages themselves; quinn's manager (sam) is suspended; rita's is tom, who can approve.
  const staff = directory(
    { pat: { manager: 'pat' }, sam: { suspended: true }, quinn: { manager: 'sam' }, tom: {}, rita: { manager: 'tom' } },
    { Staff: ['pat', 'quinn', 'rita'] },
  );
  const stuck = (answer: FlowAccess) => answer.warnings.filter((w) => w.code === 'no-eligible-approver').map((w) => [w.message, w.people?.emails]);

  it('names a manager who is the requester themselves, and one who cannot sign in, each apart', () => {
    const answer = explainFlowAccess(effectiveFlow(flow('Prod', { visibleTo: ['Staff'], approval: { levels: [level([manager])] } }), staff), staff);
    expect(stuck(answer)).toEqual([
      [
        "for 1 person who can request Prod, its level 1 (the requester's manager) cannot pass: it names their manager, and they are their own manager; an administrator must decide",
        ['pat@example.com'],
      ],
      [
        "for 1 person who can request Prod, its level 1 (the requester's manager) cannot pass: it names their manager, who cannot sign in (suspended or not yet activated); an administrator must decide",
        ['quinn@example.com'],
      ],
    ]);
    // Only tom, rita's manager, approves as a manager.
    expect(levels(answer)[0]?.approvers).toEqual([{ kind: 'manager', people: { count: 1, emails: ['tom@example.com'] } }]);
  });

  it('names an approver who approves nothing under `all`, for everyone, and every cause of an `any` level', () => {
    const all = flow('Prod', { visibleTo: ['Staff'], approval: { levels: [level([{ admins: true }]), level([{ user: 'tom' }, { user: 'mallory' }], 'all')] } });
    expect(stuck(explainFlowAccess(effectiveFlow(all, staff), staff))).toEqual([
      [
        'for 3 people who can request Prod, its level 2 (tom@example.com and mallory, 1 person, all of them) cannot pass: one of the approvers it needs (require: all) approves nothing (not in the directory, cannot sign in, or no active members); an administrator must decide',
        ['pat@example.com', 'quinn@example.com', 'rita@example.com'],
      ],
    ]);
    const any = flow('Prod', { visibleTo: ['Staff'], approval: { levels: [level([manager, { user: 'sam' }])] } });
    expect(stuck(explainFlowAccess(effectiveFlow(any, staff), staff))).toEqual([
      [
        "for 1 person who can request Prod, its level 1 (the requester's manager and sam@example.com, 0 people) cannot pass: it names their manager, and they are their own manager; its other approvers approve nothing (not in the directory, cannot sign in, or no active members); an administrator must decide",
        ['pat@example.com'],
      ],
      [
        "for 1 person who can request Prod, its level 1 (the requester's manager and sam@example.com, 0 people) cannot pass: it names their manager, who cannot sign in (suspended or not yet activated); its other approvers approve nothing (not in the directory, cannot sign in, or no active members); an administrator must decide",
        ['quinn@example.com'],
      ],
    ]);
  });
});

describe('a flow visible to no group', () => {
  it('says nobody can request it because it is visible to no group, not that its groups are empty', () => {
    const answer = explainFlowAccess(effectiveFlow(automatic('Nobody', { visibleTo: [] }), org), org);
    expect(answer.warnings).toEqual([{ code: 'no-requesters', message: 'nobody can request Nobody: it is visible to no group (visibleTo is empty)' }]);
    expect(renderFlowAccess(answer, 'dir.yaml')).toContain('\ncan be requested by nobody: it is visible to no group\n');
  });

  it('says of several empty requester groups that none has active members', () => {
    const answer = explainFlowAccess(effectiveFlow(automatic('Nobody', { visibleTo: ['Empty', 'Gone'] }), org), org);
    expect(warning(answer, 'no-requesters')?.message).toBe('nobody can request Nobody: none of its requester groups has active members');
  });
});

describe('a huge requester group', () => {
  const size = 5000;
  const users = Array.from({ length: size }, (_, i) => `u${String(i).padStart(5, '0')}`);
  const big: AccessDirectory = {
    users: users.map((u) => ({ id: u, email: `${u}@example.com`, username: u, active: true })),
    groups: [{ id: 'g', name: 'Everyone', memberIds: users }],
  };
  const view = new DirectoryView(big);
  const everyone = effectiveFlow(automatic('Wiki', { visibleTo: ['Everyone'] }), view);

  it('names the first 10 people of each list by default, with the count of all of them', () => {
    const answer = explainFlowAccess(everyone, view);
    expect(answer.shown).toBe(10);
    expect(answer.requesters.people.count).toBe(size);
    expect(answer.requesters.people.emails).toEqual(users.slice(0, 10).map((u) => `${u}@example.com`));
    expect(renderFlowAccess(answer, 'big.yaml')).toContain(
      `  Everyone (5,000 people): ${users
        .slice(0, 10)
        .map((u) => `${u}@example.com`)
        .join(', ')} and 4,990 more\n`,
    );
    expect(renderFlowAccess(answer, 'big.yaml')).toContain('each list names its first 10 people; --all-people names everyone\n');
  });

  it('names everyone, in order, when asked', () => {
    const answer = explainFlowAccess(everyone, view, { shown: Number.POSITIVE_INFINITY });
    expect(answer.shown).toBeNull();
    expect(answer.requesters.groups[0]?.members.emails).toEqual(users.map((u) => `${u}@example.com`));
    expect(renderFlowAccess(answer, 'big.yaml')).not.toContain('more');
  });
});

describe('the answer in text', () => {
  it('says what GitHub Admin grants, who can request it through which group, and who approves each level', () => {
    const answer = explainFlowAccess(effectiveFlow(flow('GitHub Admin'), example), example);
    expect(renderFlowAccess(answer, 'examples/directory.yaml')).toBe(
      [
        'GitHub Admin in the directory of examples/directory.yaml:',
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

  it('lists the warnings with the people they are about, and escapes names from the config and the directory', () => {
    const hostile = directory({ ann: {} }, { 'Ops\u001b[2J': ['ann'] });
    const f = flow('Prod\u001b[31m', { visibleTo: ['Ops\u001b[2J'], approval: { levels: [level([{ group: 'Ops\u001b[2J' }])] } });
    const text = renderFlowAccess(explainFlowAccess(effectiveFlow(f, hostile), hostile), 'dir.yaml');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('Prod\\u001b[31m in the directory of dir.yaml:');
    expect(text).toContain('1 warning:\n  for 1 person who can request Prod\\u001b[31m, its level 1 (Ops\\u001b[2J, 1 person) cannot pass');
    expect(text).toContain('\n    ann@example.com\n');
  });
});
