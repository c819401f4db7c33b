// Access impact on pairs of configs over one directory: each kind of change says what it does in
// people, is sorted as widening, narrowing or neutral, names people by email with a cap, and a
// change that leaves access as it was says nothing.
import { describe, expect, it } from 'vitest';
import { DirectoryView } from '../../src/impact/directory.js';
import { accessImpact, flowImpact, ITEMS_PER_FLOW, MESSAGE_LIMIT, type FlowPair, type ImpactItem } from '../../src/impact/impact.js';
import { PEOPLE_SHOWN } from '../../src/impact/people.js';
import type { FlowModel } from '../../src/model/flow.js';
import { automatic, directory, exampleDirectory, flow, level, manager } from './fixtures.js';

const example = new DirectoryView(exampleDirectory());

function update(before: FlowModel, after: FlowModel, view: DirectoryView = example, extra: Partial<FlowPair> = {}): ImpactItem[] {
  return flowImpact({ name: after.name, action: 'update', before, after, ...extra }, view).items;
}

const lines = (items: readonly ImpactItem[]): string[] => items.map((i) => `${i.direction}: ${i.message}`);

describe('who can request', () => {
  it('says how many people gain it, through which group, and names them by email', () => {
    const items = update(flow('GitHub Admin'), flow('GitHub Admin', { visibleTo: ['Engineering All'] }));
    expect(lines(items)).toEqual([
      'widening: +8 people can now request GitHub Admin (via Engineering All)',
      // dana, the CTO, joins the requesters and has no manager for level 1.
      'neutral: GitHub Admin: 1 person who can request it has no manager; their requests are Missing Data and wait for an administrator',
    ]);
    expect(items[0]?.people).toEqual({
      count: 8,
      emails: [
        'alice@example.com',
        'bob@example.com',
        'carol@example.com',
        'dana@example.com',
        'dave@example.com',
        'eve@example.com',
        'ivan@example.com',
        'judy@example.com',
      ],
    });
    expect(items[0]?.cause).toEqual({ field: 'visibleTo', group: 'Engineering All' });
  });

  it('caps the people it names and counts the rest', () => {
    const users: Record<string, object> = {};
    for (let i = 0; i < 40; i++) users[`user${String(i).padStart(2, '0')}`] = {};
    const view = directory(users, { Few: ['user00'], Many: Object.keys(users) });
    const [item] = update(flow('F', { visibleTo: ['Few'] }), flow('F', { visibleTo: ['Many'] }), view).filter((i) => i.code === 'requesters-added');
    expect(item?.message).toBe('+39 people can now request F (via Many)');
    expect(item?.people?.count).toBe(39);
    expect(item?.people?.emails).toHaveLength(PEOPLE_SHOWN);
    expect(item?.people?.emails[0]).toBe('user01@example.com');
  });

  it('says who loses it, and which group they were in', () => {
    const items = update(flow('GitHub Admin', { visibleTo: ['Engineering Admin', 'Security Leads'] }), flow('GitHub Admin'));
    expect(lines(items)).toEqual(['narrowing: -2 people can no longer request GitHub Admin (they were in Security Leads)']);
    expect(items[0]?.people?.emails).toEqual(['grace@example.com', 'heidi@example.com']);
  });

  it('does not count people who keep access through another group (visibility through several groups)', () => {
    const view = directory({ ann: {}, ben: {}, cat: {} }, { Ops: ['ann', 'ben'], Oncall: ['ben', 'cat'] });
    const items = update(flow('F', { visibleTo: ['Ops', 'Oncall'] }), flow('F', { visibleTo: ['Oncall'] }), view);
    expect(lines(items.filter((i) => i.code.startsWith('requesters')))).toEqual(['narrowing: -1 person can no longer request F (they were in Ops)']);
    expect(items[0]?.people?.emails).toEqual(['ann@example.com']);
  });

  it('says nothing when a visibleTo group is swapped for one with the same members', () => {
    const view = directory({ ann: {} }, { Old: ['ann'], New: ['ann'] });
    expect(update(flow('F', { visibleTo: ['Old'] }), flow('F', { visibleTo: ['New'] }), view).filter((i) => i.code.startsWith('requesters'))).toEqual([]);
  });

  it('says a disabled flow takes access from everyone who had it, and enabling gives it back', () => {
    expect(lines(update(flow('GitHub Admin'), flow('GitHub Admin', { enabled: false })))).toEqual([
      'narrowing: GitHub Admin is disabled: 2 people can no longer request it',
    ]);
    expect(lines(update(flow('GitHub Admin', { enabled: false }), flow('GitHub Admin')))).toEqual([
      'widening: GitHub Admin is enabled: 2 people can request it (via Engineering Admin)',
    ]);
  });
});

describe('how it is approved', () => {
  it('says automatic approval now grants the group', () => {
    const items = update(flow('GitHub Admin'), flow('GitHub Admin', { approval: { type: 'automatic', nonAdminApprovers: false, levels: [] } }));
    expect(lines(items)).toEqual(['widening: automatic approval now grants GitHub Admins through GitHub Admin: nobody approves']);
    expect(items[0]?.cause).toEqual({ field: 'approval.type' });
  });

  it('says a removed level in people', () => {
    const items = update(flow('GitHub Admin'), flow('GitHub Admin', { approval: { levels: [level([manager])] } }));
    expect(lines(items)).toEqual(['widening: GitHub Admin: level 2 (Security Leads, 2 people) removed']);
  });

  it('finds the removed level when the first one goes and the second moves up', () => {
    const items = update(flow('GitHub Admin'), flow('GitHub Admin', { approval: { levels: [level([{ group: 'Security Leads' }])] } }));
    expect(lines(items)).toEqual(["widening: GitHub Admin: level 1 (the requester's manager) removed"]);
  });

  it('says an added level narrows', () => {
    const items = update(
      flow('GitHub Admin'),
      flow('GitHub Admin', { approval: { levels: [level([manager]), level([{ group: 'Security Leads' }]), level([{ admins: true }])] } }),
    );
    expect(lines(items)).toEqual(['narrowing: GitHub Admin: level 3 (administrators) added']);
    expect(items[0]?.cause).toEqual({ field: 'approval.levels', level: 2 });
  });

  it('says who else can approve a level, and who no longer can', () => {
    const more = update(
      flow('GitHub Admin'),
      flow('GitHub Admin', { approval: { levels: [level([manager]), level([{ group: 'Security Leads' }, { group: 'Engineering Admin' }])] } }),
    );
    expect(lines(more)).toEqual(['widening: GitHub Admin: level 2 can now also be approved by Engineering Admin (+2 people)']);
    expect(more[0]?.people?.emails).toEqual(['erin@example.com', 'frank@example.com']);
    const fewer = update(flow('GitHub Admin'), flow('GitHub Admin', { approval: { levels: [level([manager]), level([{ user: 'grace@example.com' }])] } }));
    // grace stays an approver as a named user: only heidi is lost.
    expect(lines(fewer)).toEqual(['narrowing: GitHub Admin: level 2 is no longer approved by Security Leads (-1 person)']);
    expect(fewer[0]?.people?.emails).toEqual(['heidi@example.com']);
  });

  it("names the requester's manager added to or removed from a level without a count of people, which no list holds", () => {
    const withManager = flow('GitHub Admin', { approval: { levels: [level([manager]), level([{ group: 'Security Leads' }, manager])] } });
    const without = flow('GitHub Admin', { approval: { levels: [level([manager]), level([{ group: 'Security Leads' }])] } });
    expect(lines(update(without, withManager))).toEqual(["widening: GitHub Admin: level 2 can now also be approved by the requester's manager"]);
    expect(lines(update(withManager, without))).toEqual(["narrowing: GitHub Admin: level 2 is no longer approved by the requester's manager"]);
  });

  it('calls approvers swapped for the same people neutral', () => {
    const view = directory({ dana: {}, erin: { manager: 'dana' }, sec: {} }, { Eng: ['erin'], 'Security Leads': ['sec'], 'Security Team': ['sec'] });
    const items = update(
      flow('F', { visibleTo: ['Eng'] }),
      flow('F', { visibleTo: ['Eng'], approval: { levels: [level([manager]), level([{ group: 'Security Team' }])] } }),
      view,
    );
    expect(lines(items)).toEqual(['neutral: F: level 2 approvers are now Security Team instead of Security Leads; the same 1 person approve']);
  });

  it('says any-instead-of-all widens and all-instead-of-any narrows', () => {
    const all = flow('F', { approval: { levels: [level([manager, { group: 'Security Leads' }], 'all')] } });
    const any = flow('F', { approval: { levels: [level([manager, { group: 'Security Leads' }], 'any')] } });
    expect(lines(update(all, any))).toEqual(['widening: F: level 1 needs any one of its approvers instead of all of them']);
    expect(lines(update(any, all))).toEqual(['narrowing: F: level 1 needs all of its approvers instead of any one']);
  });

  it('says when only administrators decide, and when others may again', () => {
    expect(lines(update(flow('F'), flow('F', { approval: { nonAdminApprovers: false } })))).toEqual([
      'narrowing: F: only administrators decide now (nonAdminApprovers is off)',
    ]);
    expect(lines(update(flow('F', { approval: { nonAdminApprovers: false } }), flow('F')))).toEqual([
      'widening: F: approvers other than administrators may now decide',
    ]);
  });

  it('notes requesters without a manager (Missing Data) when a manager level appears', () => {
    const view = directory({ boss: {}, erin: { manager: 'boss' }, sec: {} }, { Eng: ['boss', 'erin'], 'Security Leads': ['sec'] });
    const items = update(
      flow('F', { visibleTo: ['Eng'], approval: { levels: [level([{ group: 'Security Leads' }])] } }),
      flow('F', { visibleTo: ['Eng'] }),
      view,
    );
    expect(lines(items)).toEqual([
      "narrowing: F: level 1 (the requester's manager) added",
      'neutral: F: 1 person who can request it has no manager; their requests are Missing Data and wait for an administrator',
    ]);
    expect(items[1]?.people?.emails).toEqual(['boss@example.com']);
  });
});

describe('what is granted, for how long', () => {
  it('says a longer maximum widens and a shorter one narrows', () => {
    expect(lines(update(flow('F', { access: { duration: 'P1D' } }), flow('F', { access: { duration: 'P7D' } })))).toEqual([
      'widening: F: max duration P1D → P7D',
    ]);
    expect(lines(update(flow('F', { access: { duration: 'P7D' } }), flow('F', { access: { durations: ['PT8H', 'P1D'] } })))).toEqual([
      'narrowing: F: max duration P7D → P1D',
    ]);
    expect(lines(update(flow('F', { access: { duration: 'P7D' } }), flow('F', { access: null })))).toEqual(['widening: F: max duration P7D → permanent']);
  });

  it('calls other durations under the same maximum neutral', () => {
    expect(lines(update(flow('F'), flow('F', { access: { durations: ['P1D', 'P7D'] } })))).toEqual(['neutral: F: durations offered PT8H, P1D, P7D → P1D, P7D']);
  });

  it('says a flow that now grants another group widens access to that group', () => {
    const items = update(flow('F'), flow('F', { grantGroup: 'GitHub Owners' }));
    expect(lines(items)).toEqual(['widening: F now grants GitHub Owners instead of GitHub Admins']);
    expect(items[0]?.people?.count).toBe(2);
  });
});

describe('whole flows', () => {
  it('says who can request a new flow, how it is approved and for how long', () => {
    const impact = flowImpact({ name: 'GitHub Admin', action: 'create', after: flow('GitHub Admin') }, example);
    expect(lines(impact.items)).toEqual([
      'widening: 2 people can request GitHub Admin (via Engineering Admin)',
      "neutral: GitHub Admin is approved by level 1 (the requester's manager), then level 2 (Security Leads, 2 people)",
      'neutral: GitHub Admin grants GitHub Admins for at most P7D',
    ]);
    const auto = flowImpact({ name: 'GitHub User', action: 'create', after: automatic('GitHub User') }, example);
    expect(lines(auto.items)[1]).toBe('widening: automatic approval grants GitHub Users through GitHub User: nobody approves');
  });

  it('says who loses a deleted flow and how many pending requests it cancels', () => {
    const impact = flowImpact({ name: 'GitHub Admin', action: 'delete', before: flow('GitHub Admin'), pending: 3 }, example);
    expect(lines(impact.items)).toEqual([
      'narrowing: deleting GitHub Admin: 2 people can no longer request it',
      'narrowing: deleting GitHub Admin cancels 3 pending requests',
    ]);
    expect(impact.pendingRequests).toEqual({ count: 3, effect: 'cancelled' });
    expect(impact.grantGroup).toBe('GitHub Admins');
  });

  it('says pending requests of an edited flow keep the flow as it was', () => {
    const impact = flowImpact({ name: 'F', action: 'update', before: flow('F'), after: flow('F', { description: 'new words' }), pending: 1 }, example);
    expect(lines(impact.items)).toEqual(['neutral: 1 pending request for F keeps the flow as it was when submitted; the change applies to new requests']);
    expect(impact.pendingRequests).toEqual({ count: 1, effect: 'kept' });
  });

  it('leaves out flows whose access does not change, such as a rename or a new description', () => {
    const impact = accessImpact(
      [
        { name: 'New name', action: 'update', before: flow('Old name'), after: flow('New name', { description: 'x' }), renamedFrom: 'Old name' },
        { name: 'GitHub Admin', action: 'update', before: flow('GitHub Admin'), after: flow('GitHub Admin', { visibleTo: ['Engineering All'] }) },
      ],
      example,
    );
    expect(impact.flows.map((f) => f.flow)).toEqual(['GitHub Admin']);
    expect(impact.summary).toEqual({ widening: 1, narrowing: 0, neutral: 1 });
  });

  it('keeps at most ITEMS_PER_FLOW lines of MESSAGE_LIMIT characters for a live flow that holds anything', () => {
    const levels = Array.from({ length: ITEMS_PER_FLOW + 100 }, (_, i) => level([{ group: `Group ${i}` }]));
    const items = update(flow('F', { approval: { levels } }), flow('F', { approval: { levels: [] } }));
    expect(items).toHaveLength(ITEMS_PER_FLOW + 1);
    expect(items.at(-1)).toMatchObject({ code: 'more-lines', message: 'F: 100 more lines not shown' });
    const durations = Array.from({ length: 3000 }, (_, i) => `PT${i + 1}S`);
    const [long] = update(flow('F', { access: { durations: [...durations, 'P1D'] } }), flow('F', { access: { durations: ['P1D'] } }));
    expect(long?.code).toBe('durations');
    expect(long?.message.length).toBe(MESSAGE_LIMIT);
  });

  it('clips a platform name that would make a line unbounded', () => {
    const long = 'G'.repeat(5000);
    const view = directory({ ann: {} }, { [long]: ['ann'] });
    const [item] = update(flow('F', { visibleTo: [] }), flow('F', { visibleTo: [long] }), view);
    expect(item?.message.length).toBeLessThan(400);
  });
});
