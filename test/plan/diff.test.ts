// Specifies diff(input, policy) -> Plan: create, update, delete and no-op with field-level paths;
// renames through previousNames; prune per kind; the deletion guards (and checkGuards on a saved
// plan); unknown, unsupported and unmanageable live objects; the order apply runs changes in; and
// that diff is a pure function.
import { describe, expect, it } from 'vitest';
import type { FlowModel } from '../../src/model/flow.js';
import { checkGuards, defaultDeletionPolicy, diff, type DiffInput, type LiveEntry } from '../../src/plan/diff.js';
import { deepEqual } from '../../src/plan/field-diff.js';
import { isApplicable, type Change } from '../../src/plan/plan.js';
import { channel, desired, desiredChannels, emptyInput, flow, group, live, openPolicy, settings, unmanageable } from './builders.js';

const actions = (input: DiffInput, policy = openPolicy()) => diff(input, policy).changes.map((c) => `${c.action} ${c.kind} ${c.name}`);
const renamedFrom = (change: Change | undefined): string | undefined => (change?.action === 'update' ? change.renamedFrom : undefined);

describe('changes', () => {
  it('creates a desired object that is not live, with its fields, spec and source', () => {
    const input = emptyInput();
    const entry = desired(flow('GitHub Admin'));
    input.flows.desired = [entry];
    const plan = diff(input);
    expect(plan.changes).toHaveLength(1);
    const [change] = plan.changes;
    expect(change).toMatchObject({ kind: 'ApprovalFlow', action: 'create', name: 'GitHub Admin', after: entry.model.spec, source: entry.source });
    expect(change).not.toHaveProperty('id');
    expect(change!.fields).toEqual([{ path: 'spec', after: entry.model.spec }]);
  });

  it('updates a live object that differs, naming the field path spec.approval.levels[0].require', () => {
    const input = emptyInput();
    const before = flow('GitHub Admin');
    const after = flow('GitHub Admin', {
      approval: {
        levels: [
          { require: 'all', approvers: [{ manager: true }] },
          { require: 'any', approvers: [{ group: 'Security Leads' }] },
        ],
      },
    });
    input.flows.live = [live(before, 'f1')];
    input.flows.desired = [desired(after)];
    const plan = diff(input);
    expect(plan.changes).toEqual([
      {
        kind: 'ApprovalFlow',
        action: 'update',
        name: 'GitHub Admin',
        id: 'f1',
        fields: [{ path: 'spec.approval.levels[0].require', before: 'any', after: 'all' }],
        before: before.spec,
        after: after.spec,
        source: input.flows.desired[0]!.source,
        liveFingerprint: input.flows.live[0]!.fingerprint,
      },
    ]);
    expect(plan.noop.ApprovalFlow).toBe(0);
  });

  it('names each changed field on its own path', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('F', { visibleTo: ['A'], display: { color: '#000000' } }), 'f1')];
    input.flows.desired = [desired(flow('F', { visibleTo: ['A', 'B'], enabled: false, access: { durations: ['PT8H', 'P1D'] } }))];
    const fields = diff(input).changes[0]!.fields;
    expect(fields).toEqual([
      { path: 'spec.access.duration', before: 'P1D' },
      { path: 'spec.access.durations', after: ['PT8H', 'P1D'] },
      { path: 'spec.display.color', before: '#000000' },
      { path: 'spec.enabled', before: true, after: false },
      { path: 'spec.visibleTo', before: ['A'], after: ['A', 'B'] },
    ]);
  });

  it('counts an object that already matches as a no-op, not a change, and names it with its live id', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('F'), 'f1')];
    input.flows.desired = [desired(flow('F'))];
    input.groups.live = [live(group('G'), 'g1')];
    input.groups.desired = [desired(group('G'))];
    input.channels.live = [live(channel('W'), 'w1')];
    desiredChannels(input, [desired(channel('W', 'live'))]);
    input.settings.desired = desired(settings(), [], 'settings');
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.noop).toEqual({ GroupAssignment: 1, ApprovalFlow: 1, AccessRequestSettings: 1, WebhookChannel: 1 });
    expect(plan.inSync?.map((m) => `${m.kind}/${m.name}/${m.id}`)).toEqual([
      'AccessRequestSettings/settings/settings',
      'ApprovalFlow/F/f1',
      'GroupAssignment/G/g1',
      'WebhookChannel/W/w1',
    ]);
  });

  it('matches live objects by NFC and case-folded name', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Caf\u00e9 Access'), 'f1')];
    input.flows.desired = [desired(flow('Caf\u00e9 Access'), [], 'Cafe\u0301 Access')];
    const plan = diff(input);
    expect(plan.changes.filter((c) => c.action !== 'update')).toEqual([]);
  });

  it('updates settings that differ, under the settings id', () => {
    const input = emptyInput();
    input.settings.desired = desired(settings({ exposeApprovalProgress: true }), [], 'settings');
    const plan = diff(input);
    expect(plan.changes).toMatchObject([
      {
        kind: 'AccessRequestSettings',
        action: 'update',
        name: 'settings',
        id: 'settings',
        fields: [{ path: 'spec.exposeApprovalProgress', before: false, after: true }],
      },
    ]);
  });

  it('leaves the settings alone when the repo declares none', () => {
    const input = emptyInput();
    input.settings.live = live(settings({ resourceRequests: false }), 'settings');
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.noop.AccessRequestSettings).toBe(0);
  });

  it('marks changed channel secrets as a sensitive field without values', () => {
    const input = emptyInput();
    input.channels.live = [live(channel('W'), 'w1')];
    desiredChannels(input, [desired(channel('W', 'changed'))]);
    const plan = diff(input);
    expect(plan.changes).toMatchObject([
      { action: 'update', name: 'W', fields: [{ path: 'spec.secrets', sensitive: true, before: '(sensitive)', after: '(sensitive)' }] },
    ]);
  });

  it('does not plan a secret change it cannot know about', () => {
    const input = emptyInput();
    input.channels.live = [live(channel('W'), 'w1')];
    desiredChannels(input, [desired(channel('W', 'unknown'))]);
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.noop.WebhookChannel).toBe(1);
  });
});

describe('renames through previousNames', () => {
  it('makes a rename through previousNames an update with renamedFrom and a metadata.name field', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Github Admins'), 'f1'), live(flow('Other'), 'f2')];
    input.flows.desired = [desired(flow('GitHub Admin'), ['Github Admins']), desired(flow('Other'))];
    const plan = diff(input, openPolicy());
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ action: 'update', name: 'GitHub Admin', id: 'f1', renamedFrom: 'Github Admins' });
    expect(plan.changes[0]!.fields).toEqual([{ path: 'metadata.name', before: 'Github Admins', after: 'GitHub Admin' }]);
    expect(plan.unmanaged).toEqual([]);
    expect(plan.blocked).toEqual([]);
  });

  it('says a create that matches, field for field, a live object the plan deletes is likely a rename, at the new name', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('GitHub Admins (old)'), 'f1')];
    const renamed = desired(flow('GitHub Admins'));
    input.flows.desired = [renamed];
    const plan = diff(input, openPolicy({ prune: { ApprovalFlow: true } }));
    expect(actions(input, openPolicy({ prune: { ApprovalFlow: true } }))).toEqual([
      'create ApprovalFlow GitHub Admins',
      'delete ApprovalFlow GitHub Admins (old)',
    ]);
    expect(plan.warnings).toEqual([
      {
        code: 'possible-rename',
        kind: 'ApprovalFlow',
        name: 'GitHub Admins',
        source: renamed.source,
        message:
          'the plan creates ApprovalFlow "GitHub Admins" and deletes the live "GitHub Admins (old)" (id f1), which is the same in every field: if this is a rename, list the old name in metadata.previousNames, so the object is renamed in place and keeps its id',
      },
    ]);
  });

  it('says so too when the look-alike is left unmanaged, and says nothing when any field differs', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Old'), 'f1'), live(flow('Other', { enabled: false }), 'f2')];
    input.flows.desired = [desired(flow('New')), desired(flow('Another'))];
    input.flows.desired[1]!.model.spec.description = 'Not the same';
    const plan = diff(input, defaultDeletionPolicy);
    expect(plan.warnings.map((w) => [w.code, w.name, w.message.includes('leaves unmanaged the live "Old" (id f1)')])).toEqual([
      ['possible-rename', 'New', true],
    ]);
  });

  it('renames and updates fields in one change', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Old', { enabled: true }), 'f1')];
    input.flows.desired = [desired(flow('New', { enabled: false }), ['Something Else', 'old'])];
    const plan = diff(input, openPolicy());
    expect(plan.changes).toMatchObject([{ action: 'update', name: 'New', renamedFrom: 'Old' }]);
    expect(plan.changes[0]!.fields.map((f) => f.path)).toEqual(['metadata.name', 'spec.enabled']);
  });

  it('never lets a previous name steal an object another entry is named for', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('X'), 'fx')];
    // The renaming entry comes first, so only matching current names first can keep X for its owner.
    input.flows.desired = [desired(flow('Y'), ['X']), desired(flow('X'))];
    const plan = diff(input, openPolicy());
    expect(plan.changes.map((c) => `${c.action} ${c.name} ${renamedFrom(c) ?? ''}`.trim())).toEqual(['create Y']);
    expect(plan.noop.ApprovalFlow).toBe(1);
  });

  it('renames notification channels and groups the same way', () => {
    const input = emptyInput();
    input.channels.live = [live(channel('Old SIEM'), 'w1')];
    desiredChannels(input, [desired(channel('SIEM'), ['Old SIEM'])]);
    input.groups.live = [live(group('Old Team'), 'g1')];
    input.groups.desired = [desired(group('Team', { description: 'Old Team group' }), ['Old Team'])];
    const plan = diff(input, openPolicy());
    expect(plan.changes.map((c) => [c.kind, c.action, c.name, renamedFrom(c)])).toEqual([
      ['GroupAssignment', 'update', 'Team', 'Old Team'],
      ['WebhookChannel', 'update', 'SIEM', 'Old SIEM'],
    ]);
  });
});

describe('prune', () => {
  it('reports live objects not in git as unmanaged when prune is off', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('Keep'), 'f1'), live(flow('Stray'), 'f2')];
    input.flows.desired = [desired(flow('Keep'))];
    input.channels.live = [live(channel('Old Hook'), 'w1')];
    const plan = diff(input, defaultDeletionPolicy);
    expect(plan.changes).toEqual([]);
    expect(plan.unmanaged).toEqual([
      { kind: 'ApprovalFlow', name: 'Stray', id: 'f2' },
      { kind: 'WebhookChannel', name: 'Old Hook', id: 'w1' },
    ]);
  });

  it('deletes them when prune is on for their kind, and only for that kind', () => {
    const input = emptyInput();
    const stray = live(flow('Stray'), 'f2');
    input.flows.live = [live(flow('Keep'), 'f1'), stray];
    input.flows.desired = [desired(flow('Keep'))];
    input.channels.live = [live(channel('Old Hook'), 'w1'), live(channel('Hook'), 'w2')];
    desiredChannels(input, [desired(channel('Hook'))]);
    const plan = diff(input, openPolicy({ prune: { ApprovalFlow: true } }));
    expect(plan.changes).toEqual([
      {
        kind: 'ApprovalFlow',
        action: 'delete',
        name: 'Stray',
        id: 'f2',
        fields: expect.any(Array),
        before: stray.model.spec,
        liveFingerprint: stray.fingerprint,
      },
    ]);
    expect(plan.changes[0]!.fields).toEqual([{ path: 'spec', before: stray.model.spec }]);
    expect(plan.unmanaged).toEqual([{ kind: 'WebhookChannel', name: 'Old Hook', id: 'w1' }]);
    expect(plan.blocked).toEqual([]);
  });

  it("never prunes notification channels, even with prune on for them: the repo cannot tell its own from the console's", () => {
    const input = emptyInput();
    input.channels.live = [live(channel('Made In Console'), 'w1'), live(channel('Hook'), 'w2')];
    desiredChannels(input, [desired(channel('Hook'))]);
    const plan = diff(input, openPolicy());
    expect(plan.changes).toEqual([]);
    expect(plan.unmanaged).toEqual([{ kind: 'WebhookChannel', name: 'Made In Console', id: 'w1' }]);
    expect(plan.blocked).toEqual([]);
  });

  it('never prunes groups, and never lists live groups outside the repo as unmanaged', () => {
    const input = emptyInput();
    input.groups.live = [live(group('Managed'), 'g1'), live(group('Directory Only'), 'g2')];
    input.groups.desired = [desired(group('Managed'))];
    for (const policy of [defaultDeletionPolicy, openPolicy({ prune: { GroupAssignment: true } })]) {
      const plan = diff(input, policy);
      expect(plan.changes).toEqual([]);
      expect(plan.unmanaged).toEqual([]);
      expect(plan.blocked).toEqual([]);
    }
  });
});

describe('groups', () => {
  it("refuses a missing group without create as the problem 'missing-group'", () => {
    const input = emptyInput();
    const entry = desired(group('Ghosts'));
    input.groups.desired = [entry];
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.problems).toEqual([
      { code: 'missing-group', kind: 'GroupAssignment', name: 'Ghosts', source: entry.source, message: expect.stringContaining('spec.create: true') },
    ]);
    expect(isApplicable(plan)).toBe(false);
  });

  it('creates a missing group the repo marks create: true', () => {
    const input = emptyInput();
    input.groups.desired = [desired(group('New Team'))];
    input.groups.creatable = new Set(['new team']);
    const plan = diff(input);
    expect(plan.problems).toEqual([]);
    expect(plan.changes).toMatchObject([{ kind: 'GroupAssignment', action: 'create', name: 'New Team' }]);
  });
});

describe('deletion guards', () => {
  /** `count` live flows not in git beside one that is, so no kind is pruned to empty. */
  function strays(count: number, names = (i: number) => `Stray ${i}`): DiffInput {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'keep'), ...Array.from({ length: count }, (_, i) => live(flow(names(i)), `f${i}`))];
    return input;
  }

  it('blocks every deletion when there are more than maxDeletions, saying why', () => {
    const plan = diff(strays(3), openPolicy({ maxDeletions: 2 }));
    expect(plan.changes.filter((c) => c.action === 'delete')).toHaveLength(3);
    expect(plan.blocked).toEqual(
      [0, 1, 2].map((i) => ({ kind: 'ApprovalFlow', name: `Stray ${i}`, id: `f${i}`, reason: 'the plan deletes 3 objects; guards.maxDeletions allows 2' })),
    );
    expect(isApplicable(plan)).toBe(false);
  });

  it('allows exactly maxDeletions', () => {
    expect(diff(strays(2), openPolicy({ maxDeletions: 2 })).blocked).toEqual([]);
  });

  it('counts only deletions toward maxDeletions: a channel left out of git is never one', () => {
    const input = strays(1);
    desiredChannels(input, [desired(channel('Hook'))]);
    input.channels.live = [live(channel('Hook'), 'w0'), live(channel('Old'), 'w1')];
    const plan = diff(input, openPolicy({ maxDeletions: 1 }));
    expect(plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual(['delete Stray 0']);
    expect(plan.blocked).toEqual([]);
    expect(diff(strays(2), openPolicy({ maxDeletions: 1 })).blocked.map((b) => b.name)).toEqual(['Stray 0', 'Stray 1']);
  });

  it('blocks every deletion of a kind over maxDeletionPercent, saying why', () => {
    const plan = diff(strays(2), openPolicy({ maxDeletionPercent: 50 }));
    expect(plan.blocked).toEqual([
      {
        kind: 'ApprovalFlow',
        name: 'Stray 0',
        id: 'f0',
        reason: 'the plan deletes 2 of 3 live ApprovalFlow objects (67%); guards.maxDeletionPercent allows 50%',
      },
      {
        kind: 'ApprovalFlow',
        name: 'Stray 1',
        id: 'f1',
        reason: 'the plan deletes 2 of 3 live ApprovalFlow objects (67%); guards.maxDeletionPercent allows 50%',
      },
    ]);
  });

  it('allows exactly maxDeletionPercent', () => {
    expect(diff(strays(1), openPolicy({ maxDeletionPercent: 50 })).blocked).toEqual([]);
  });

  it('blocks a deletion whose name matches a protected glob, ignoring case, and names the pattern', () => {
    const plan = diff(
      strays(3, (i) => ['Prod Admin', 'prod readonly', 'Dev'][i]!),
      openPolicy({ protected: ['Prod*'] }),
    );
    expect(plan.blocked).toEqual([
      { kind: 'ApprovalFlow', name: 'Prod Admin', id: 'f0', reason: '"Prod Admin" matches the protected pattern "Prod*"' },
      { kind: 'ApprovalFlow', name: 'prod readonly', id: 'f1', reason: '"prod readonly" matches the protected pattern "Prod*"' },
    ]);
    expect(isApplicable(plan)).toBe(false);
  });

  it('lists a deletion once, with every guard that stops it', () => {
    const plan = diff(
      strays(2, (i) => `Prod ${i}`),
      openPolicy({ protected: ['Prod*'], maxDeletions: 1 }),
    );
    expect(plan.blocked.filter((b) => b.name === 'Prod 0').map((b) => b.reason)).toEqual([
      '"Prod 0" matches the protected pattern "Prod*"; the plan deletes 2 objects; guards.maxDeletions allows 1',
    ]);
  });

  it('refuses to prune a kind to empty however wide the limits are', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('A'), 'f1'), live(flow('B'), 'f2')];
    const plan = diff(input, openPolicy());
    expect(plan.changes.map((c) => c.action)).toEqual(['delete', 'delete']);
    expect(plan.blocked).toEqual([
      {
        kind: 'ApprovalFlow',
        name: 'A',
        id: 'f1',
        reason: 'the repo declares no ApprovalFlow and the plan would delete all 2 live ones; refusing to prune to empty',
      },
      {
        kind: 'ApprovalFlow',
        name: 'B',
        id: 'f2',
        reason: 'the repo declares no ApprovalFlow and the plan would delete all 2 live ones; refusing to prune to empty',
      },
    ]);
  });

  it('applies the default guards: prune off, at most 5 deletions and 25% of a kind', () => {
    expect(defaultDeletionPolicy).toEqual({ prune: {}, maxDeletions: 5, maxDeletionPercent: 25, protected: [] });
    const plan = diff(strays(1), { ...defaultDeletionPolicy, prune: { ApprovalFlow: true } });
    expect(plan.blocked.map((b) => b.reason)).toEqual(['the plan deletes 1 of 2 live ApprovalFlow objects (50%); guards.maxDeletionPercent allows 25%']);
  });
});

describe('unknown live lists', () => {
  it('plans nothing for a kind whose live list is unknown, and says so', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('New'))];
    input.flows.live = 'unknown';
    input.channels.live = [live(channel('Stray'), 'w1')];
    const plan = diff(input, openPolicy({ prune: {} }));
    expect(plan.changes).toEqual([]);
    expect(plan.unmanaged).toEqual([{ kind: 'WebhookChannel', name: 'Stray', id: 'w1' }]);
    expect(plan.unknown).toEqual(['ApprovalFlow']);
    expect(plan.noop.ApprovalFlow).toBe(0);
    expect(isApplicable(plan)).toBe(false);
  });

  it('never treats an unknown list as empty: nothing is pruned or created for it', () => {
    const input = emptyInput();
    desiredChannels(input, [desired(channel('Hook'))]);
    input.channels.live = 'unknown';
    input.groups.desired = [desired(group('Ghosts'))];
    input.groups.live = 'unknown';
    input.settings.desired = desired(settings({ resourceRequests: false }), [], 'settings');
    input.settings.live = 'unknown';
    const plan = diff(input, openPolicy());
    expect(plan.changes).toEqual([]);
    expect(plan.unmanaged).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(plan.problems).toEqual([]);
    expect([...plan.unknown].sort()).toEqual(['AccessRequestSettings', 'GroupAssignment', 'WebhookChannel']);
  });
});

describe('unmanageable live objects', () => {
  it('lists an unmanageable live flow and never deletes it, even with prune on and wide-open guards', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'f1')];
    input.flows.unmanageable = [unmanageable('Archived Flow', 'f2', ['status "archived"'])];
    const plan = diff(input, openPolicy());
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toEqual([{ kind: 'ApprovalFlow', name: 'Archived Flow', id: 'f2', reasons: ['status "archived"'] }]);
    expect(plan.unmanaged).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(isApplicable(plan)).toBe(true);
  });

  it('neither creates over nor updates a desired flow whose live namesake is unmanageable, and warns with its source', () => {
    const input = emptyInput();
    const entry = desired(flow('GitHub Admin', { enabled: false }));
    input.flows.desired = [entry];
    input.flows.unmanageable = [unmanageable('github admin', 'f9', ['approver type "okta_group" in level 1'])];
    const plan = diff(input, openPolicy());
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toEqual([
      { kind: 'ApprovalFlow', name: 'github admin', id: 'f9', reasons: ['approver type "okta_group" in level 1'], source: entry.source },
    ]);
    expect(plan.warnings).toEqual([
      {
        code: 'unmanageable',
        kind: 'ApprovalFlow',
        name: 'GitHub Admin',
        source: entry.source,
        message: 'the live ApprovalFlow "github admin" holds approver type "okta_group" in level 1, which accessctl does not know; it is left as it is',
      },
    ]);
    expect(plan.noop.ApprovalFlow).toBe(0);
  });

  it('does not rename an unmanageable flow through previousNames either', () => {
    const input = emptyInput();
    const entry = desired(flow('New Name'), ['Old Name']);
    input.flows.desired = [entry];
    input.flows.unmanageable = [unmanageable('Old Name', 'f3')];
    const plan = diff(input, openPolicy());
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toEqual([expect.objectContaining({ id: 'f3', source: entry.source })]);
    expect(plan.warnings.map((w) => w.code)).toEqual(['unmanageable']);
  });

  it('leaves settings holding an unknown value as they are, with a warning at the settings file', () => {
    const input = emptyInput();
    const entry = desired(settings({ resourceRequests: false }), [], 'settings');
    input.settings.desired = entry;
    input.settings.live = [unmanageable('settings', 'settings', ['event type "ACCESS_MANAGEMENT_SOMETHING_NEW"'])];
    const plan = diff(input);
    expect(plan.changes).toEqual([]);
    expect(plan.unmanageable).toEqual([
      { kind: 'AccessRequestSettings', name: 'settings', id: 'settings', reasons: ['event type "ACCESS_MANAGEMENT_SOMETHING_NEW"'], source: entry.source },
    ]);
    expect(plan.warnings).toEqual([expect.objectContaining({ code: 'unmanageable', kind: 'AccessRequestSettings', source: entry.source })]);
  });
});

describe('kinds the target does not support', () => {
  const reason = 'the target has no /api/v2/notifications/webhook/channels (it answered 404); JumpCloud publishes no such API';

  it('gives one unsupported-kind problem per declared entry, each with its source', () => {
    const input = emptyInput();
    const siem = desired(channel('SIEM'));
    const pager = desired(channel('Pager'));
    desiredChannels(input, [siem, pager]);
    input.channels.live = 'unsupported';
    input.unsupported = [{ kind: 'WebhookChannel', reason }];
    const plan = diff(input);
    expect(plan.problems).toEqual([
      {
        code: 'unsupported-kind',
        kind: 'WebhookChannel',
        name: 'SIEM',
        source: siem.source,
        message: `WebhookChannel is not supported by this target: ${reason}`,
      },
      {
        code: 'unsupported-kind',
        kind: 'WebhookChannel',
        name: 'Pager',
        source: pager.source,
        message: `WebhookChannel is not supported by this target: ${reason}`,
      },
    ]);
    expect(plan.unsupported).toEqual([{ kind: 'WebhookChannel', reason }]);
    expect(plan.unknown).toEqual([]);
    expect(plan.changes).toEqual([]);
  });

  it('blocks nothing else: with no channel declared the plan applies, and the other kinds are planned', () => {
    const input = emptyInput();
    input.channels.live = 'unsupported';
    input.unsupported = [{ kind: 'WebhookChannel', reason }];
    input.flows.desired = [desired(flow('GitHub Admin'))];
    input.settings.desired = desired(settings({ exposeApprovalProgress: true }), [], 'settings');
    const plan = diff(input);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['create ApprovalFlow GitHub Admin', 'update AccessRequestSettings settings']);
    expect(plan.problems).toEqual([]);
    expect(plan.unknown).toEqual([]);
    expect(plan.unsupported).toEqual([{ kind: 'WebhookChannel', reason }]);
    expect(isApplicable(plan)).toBe(true);
  });

  it('still plans the other kinds when channels are declared, so the plan shows them beside the problem', () => {
    const input = emptyInput();
    desiredChannels(input, [desired(channel('SIEM'))]);
    input.channels.live = 'unsupported';
    input.unsupported = [{ kind: 'WebhookChannel', reason }];
    input.flows.desired = [desired(flow('GitHub Admin'))];
    const plan = diff(input);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['create ApprovalFlow GitHub Admin']);
    expect(plan.problems.map((p) => p.code)).toEqual(['unsupported-kind']);
    expect(isApplicable(plan)).toBe(false);
  });
});

describe('checkGuards on a saved plan', () => {
  function blockedPlan() {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'keep'), live(flow('Prod Admin'), 'f0'), live(flow('Stray'), 'f1'), live(flow('Other'), 'f2')];
    return diff(input, openPolicy({ maxDeletions: 2, protected: ['Prod*'] }));
  }

  it('finds the same blocks diff found', () => {
    const plan = blockedPlan();
    expect(plan.blocked).toHaveLength(3);
    expect(checkGuards(plan)).toEqual(plan.blocked);
  });

  it('still blocks a plan whose blocked list was emptied by hand', () => {
    const edited = structuredClone(blockedPlan());
    edited.blocked = [];
    expect(isApplicable(edited)).toBe(true);
    expect(checkGuards(edited).map((b) => `${b.name}: ${b.reason}`)).toEqual([
      'Prod Admin: "Prod Admin" matches the protected pattern "Prod*"; the plan deletes 3 objects; guards.maxDeletions allows 2',
      'Other: the plan deletes 3 objects; guards.maxDeletions allows 2',
      'Stray: the plan deletes 3 objects; guards.maxDeletions allows 2',
    ]);
  });

  it('still refuses to prune a kind to empty when the blocked list was emptied', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('A'), 'f1'), live(flow('B'), 'f2')];
    const edited = diff(input, openPolicy());
    expect(edited.blocked).toHaveLength(2);
    edited.blocked = [];
    expect(checkGuards(edited).map((b) => b.reason)).toEqual([
      'the repo declares no ApprovalFlow and the plan would delete all 2 live ones; refusing to prune to empty',
      'the repo declares no ApprovalFlow and the plan would delete all 2 live ones; refusing to prune to empty',
    ]);
  });

  it('passes a plan whose deletions are within the guards', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'keep'), live(flow('Stray'), 'f1')];
    const plan = diff(input, openPolicy({ maxDeletions: 1 }));
    expect(plan.changes.map((c) => c.action)).toEqual(['delete']);
    expect(checkGuards(plan)).toEqual([]);
  });

  it('checks against a policy given at apply time rather than the one in the file', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Keep'))];
    input.flows.live = [live(flow('Keep'), 'keep'), live(flow('Stray'), 'f1')];
    const plan = diff(input, openPolicy());
    expect(checkGuards(plan, openPolicy({ protected: ['stray'] })).map((b) => b.name)).toEqual(['Stray']);
  });
});

describe('ambiguous live names', () => {
  it('reports two live objects with the same name as a problem naming both ids', () => {
    const input = emptyInput();
    const entry = desired(flow('Twin'));
    input.flows.desired = [entry];
    input.flows.live = [live(flow('Twin'), 'f1'), live(flow('TWIN'), 'f2')];
    const plan = diff(input);
    expect(plan.problems).toEqual([
      {
        code: 'ambiguous-live-name',
        kind: 'ApprovalFlow',
        name: 'Twin',
        source: entry.source,
        message: expect.stringMatching(/2 live ApprovalFlow objects are named "Twin" \(ids f1, f2\)/),
      },
    ]);
    expect(isApplicable(plan)).toBe(false);
  });
});

describe('ordering', () => {
  it('orders groups, channels, flows, settings, then flow deletions', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('B Flow')), desired(flow('A Flow', { enabled: false })), desired(flow('Keep'))];
    input.flows.live = [live(flow('A Flow'), 'f-a'), live(flow('Keep'), 'f-keep'), live(flow('Z Old Flow'), 'f-z')];
    desiredChannels(input, [desired(channel('New Hook')), desired(channel('Keep Hook'))]);
    input.channels.live = [live(channel('Keep Hook'), 'w-keep'), live(channel('Old Hook'), 'w-old')];
    input.groups.desired = [desired(group('New Team')), desired(group('Team', { description: 'changed' }))];
    input.groups.live = [live(group('Team'), 'g1')];
    input.groups.creatable = new Set(['new team']);
    input.settings.desired = desired(settings({ exposeApprovalProgress: true }), [], 'settings');
    expect(actions(input)).toEqual([
      'create GroupAssignment New Team',
      'update GroupAssignment Team',
      'create WebhookChannel New Hook',
      'update ApprovalFlow A Flow',
      'create ApprovalFlow B Flow',
      'update AccessRequestSettings settings',
      'delete ApprovalFlow Z Old Flow',
    ]);
  });

  it('orders the same way whatever order the input lists things in', () => {
    const build = (reverse: boolean): DiffInput => {
      const input = emptyInput();
      const flows = [desired(flow('C')), desired(flow('a')), desired(flow('B'))];
      const hooks = [desired(channel('Y')), desired(channel('x'))];
      input.flows.desired = reverse ? flows.reverse() : flows;
      desiredChannels(input, reverse ? hooks.reverse() : hooks);
      return input;
    };
    expect(actions(build(false))).toEqual([
      'create WebhookChannel x',
      'create WebhookChannel Y',
      'create ApprovalFlow a',
      'create ApprovalFlow B',
      'create ApprovalFlow C',
    ]);
    expect(actions(build(true))).toEqual(actions(build(false)));
  });
});

describe('purity', () => {
  function busyInput(): DiffInput {
    const input = emptyInput();
    input.flows.desired = [desired(flow('New', { enabled: false }), ['Old']), desired(flow('Fresh'))];
    input.flows.live = [live(flow('Old'), 'f1'), live(flow('Stray'), 'f2'), live(flow('Prod'), 'f3')];
    desiredChannels(input, [desired(channel('Hook', 'changed'))]);
    input.channels.live = [live(channel('Hook'), 'w1')];
    input.groups.desired = [desired(group('Ghosts'))];
    input.settings.desired = desired(settings({ resourceRequests: false }), [], 'settings');
    input.problems = [{ code: 'unknown-user', message: 'user "x" does not exist' }];
    input.warnings = [{ code: 'missing-secret', message: 'environment variable X is not set' }];
    return input;
  }

  it('returns deep-equal plans for the same input and does not mutate it', () => {
    const input = busyInput();
    const copy = structuredClone(input);
    const policy = openPolicy({ protected: ['Prod'], maxDeletions: 1 });
    const policyCopy = structuredClone(policy);
    const first = diff(input, policy);
    const second = diff(input, policy);
    expect(second).toEqual(first);
    expect(input).toEqual(copy);
    expect(policy).toEqual(policyCopy);
    expect(first.problems).not.toBe(input.problems);
    expect(first.warnings).not.toBe(input.warnings);
    expect(first.problems).toEqual([...input.problems, expect.objectContaining({ code: 'missing-group' })]);
    // Mutating the plan must not reach back into the input either.
    first.warnings.push({ code: 'x', message: 'x' });
    expect(input.warnings).toHaveLength(1);
  });
});

describe('ambiguous live names, by id', () => {
  it('neither creates a third object nor deletes the two when a live name is ambiguous', () => {
    const input = emptyInput();
    input.flows.desired = [desired(flow('Twin')), desired(flow('Other'))];
    input.flows.live = [live(flow('Twin'), 'f1'), live(flow('TWIN'), 'f2'), live(flow('Other'), 'f3')];
    const plan = diff(input, openPolicy());
    expect(plan.problems.map((p) => p.code)).toEqual(['ambiguous-live-name']);
    expect(plan.changes.map((c) => `${c.action} ${c.name}`)).toEqual([]);
  });
});

describe('field comparison', () => {
  it('treats a field set to undefined as a field left out, and nothing else as equal', () => {
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(deepEqual({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual({ 0: 'x' }, ['x'])).toBe(false);
    expect(deepEqual([1, 2], [1, 2, undefined])).toBe(false);
    // A key named like an inherited property is compared as a key, not found on the prototype.
    expect(deepEqual({}, { toString: 'x' })).toBe(false);
    expect(deepEqual({ toString: 'x' }, {})).toBe(false);
  });

  it('plans no change for a live field that is undefined where the repo leaves it out', () => {
    const input = emptyInput();
    const withUndefined = flow('F');
    (withUndefined.spec.display as Record<string, unknown>)['color'] = undefined;
    input.flows.live = [live(withUndefined, 'f1')];
    input.flows.desired = [desired(flow('F'))];
    expect(diff(input).changes).toEqual([]);
    expect(diff(input).noop.ApprovalFlow).toBe(1);
  });
});

describe('many objects', () => {
  it('lists unmanaged and unmanageable objects by kind, then by name key, whatever order they came in', () => {
    const input = emptyInput();
    input.flows.live = [live(flow('beta'), 'f1'), live(flow('Ärzte'), 'f2'), live(flow('Alpha'), 'f3')];
    input.flows.unmanageable = [unmanageable('zeta', 'f4'), unmanageable('Eta', 'f5')];
    input.channels.live = [live(channel('Zed'), 'w1'), live(channel('apex'), 'w2')];
    input.channels.unmanageable = [unmanageable('Mid', 'w3')];
    const plan = diff(input, defaultDeletionPolicy);
    expect(plan.unmanaged.map((u) => `${u.kind} ${u.name}`)).toEqual([
      'ApprovalFlow Alpha',
      'ApprovalFlow beta',
      'ApprovalFlow Ärzte',
      'WebhookChannel apex',
      'WebhookChannel Zed',
    ]);
    expect(plan.unmanageable.map((u) => `${u.kind} ${u.name}`)).toEqual(['ApprovalFlow Eta', 'ApprovalFlow zeta', 'WebhookChannel Mid']);
  });

  it('matches 3,000 flows by name and previous name, with an ambiguous pair and unmanageable ones among them, as it matches a few', () => {
    const input = emptyInput();
    const count = 3_000;
    const liveFlows: LiveEntry<FlowModel>[] = [];
    for (let i = 0; i < count; i++) {
      const name = `Flow ${i}`;
      if (i % 10 === 1) {
        // Renamed in git: found under its previous name.
        input.flows.desired.push(desired(flow(`Renamed ${i}`), [name]));
        liveFlows.push(live(flow(name), `f${i}`));
      } else if (i % 10 === 2) {
        // Changed in git.
        input.flows.desired.push(desired(flow(name, { enabled: false })));
        liveFlows.push(live(flow(name), `f${i}`));
      } else if (i % 10 === 3) {
        // Only in git: created.
        input.flows.desired.push(desired(flow(name)));
      } else if (i % 10 === 4) {
        // Only live: deleted.
        liveFlows.push(live(flow(name), `f${i}`));
      } else if (i % 10 === 5) {
        // Live but unknown to the mapping: left alone.
        input.flows.desired.push(desired(flow(name)));
        input.flows.unmanageable.push(unmanageable(name, `f${i}`));
      } else {
        input.flows.desired.push(desired(flow(name)));
        liveFlows.push(live(flow(name), `f${i}`));
      }
    }
    // Two live flows answer to one desired name.
    input.flows.desired.push(desired(flow('Twin')));
    liveFlows.push(live(flow('Twin'), 'twin-1'), live(flow('twin'), 'twin-2'));
    input.flows.live = liveFlows;
    const plan = diff(input, openPolicy());
    const tally = (action: string): number => plan.changes.filter((c) => c.action === action).length;
    expect(plan.changes.filter((c) => c.action === 'update' && c.renamedFrom !== undefined)).toHaveLength(count / 10);
    expect(tally('update')).toBe((2 * count) / 10);
    expect(tally('create')).toBe(count / 10);
    expect(tally('delete')).toBe(count / 10);
    expect(plan.unmanageable).toHaveLength(count / 10);
    expect(plan.noop.ApprovalFlow).toBe((5 * count) / 10);
    expect(plan.problems.map((p) => `${p.code} ${p.name}`)).toEqual(['ambiguous-live-name Twin']);
    expect(plan.changes.find((c) => c.name === 'Renamed 11')).toMatchObject({ action: 'update', id: 'f11', renamedFrom: 'Flow 11' });
    expect(plan.changes.find((c) => c.name === 'Flow 14')).toMatchObject({ action: 'delete', id: 'f14' });
  });

  it('reads the live fingerprint of the objects it changes, and of no other', () => {
    const input = emptyInput();
    const reads = new Map<string, number>();
    const counted = (entry: LiveEntry<FlowModel>): LiveEntry<FlowModel> => ({
      id: entry.id,
      name: entry.name,
      model: entry.model,
      get fingerprint() {
        reads.set(entry.id, (reads.get(entry.id) ?? 0) + 1);
        return entry.fingerprint;
      },
    });
    input.flows.live = [counted(live(flow('Same'), 'f1')), counted(live(flow('Changed'), 'f2')), counted(live(flow('Gone'), 'f3'))];
    input.flows.desired = [desired(flow('Same')), desired(flow('Changed', { enabled: false }))];
    const plan = diff(input, openPolicy());
    expect(plan.changes.map((c) => `${c.action} ${c.name} ${'liveFingerprint' in c ? c.liveFingerprint : ''}`)).toEqual([
      'update Changed sha256:f2000000',
      'delete Gone sha256:f3000000',
    ]);
    expect(Object.fromEntries(reads)).toEqual({ f2: 1, f3: 1 });
  });
});
