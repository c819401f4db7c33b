// Effective access on directories with the awkward cases: a requester without a manager (Missing
// Data), a requester who is also an approver (no self-approval), visibility through several groups,
// a disabled flow, an empty group, and users who cannot sign in.
import { describe, expect, it } from 'vitest';
import { DirectoryView } from '../../src/impact/directory.js';
import { adminOnlyRequesters, effectiveFlow, requestableVia, routeFor } from '../../src/impact/effective.js';
import { automatic, directory, exampleDirectory, flow, level, manager, usernames } from './fixtures.js';

const example = new DirectoryView(exampleDirectory());
const must = (n: number | undefined): number => {
  if (n === undefined) throw new Error('no such user');
  return n;
};

describe('who can request a flow', () => {
  it('is every active member of its visibleTo groups, on the example directory', () => {
    const admin = effectiveFlow(flow('GitHub Admin'), example);
    expect(usernames(example, admin.requesters)).toEqual(['erin.em', 'frank.em']);
    const user = effectiveFlow(automatic('GitHub User'), example);
    expect(usernames(example, user.requesters)).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'ivan', 'judy']);
  });

  it('counts a member of several visibleTo groups once, and knows every group they come through', () => {
    const view = directory({ ann: {}, ben: {}, cat: {} }, { Ops: ['ann', 'ben'], Oncall: ['ben', 'cat'], Leads: ['ben'] });
    const f = effectiveFlow(flow('Prod', { visibleTo: ['Leads', 'Oncall', 'Ops'] }), view);
    expect(usernames(view, f.requesters)).toEqual(['ann', 'ben', 'cat']);
    expect(f.requesters.length).toBe(3);
    expect(requestableVia(f, must(view.user('ben')))).toEqual(['Leads', 'Oncall', 'Ops']);
    expect(requestableVia(f, must(view.user('ann')))).toEqual(['Ops']);
  });

  it('is nobody for a disabled flow, though its groups are still known', () => {
    const f = effectiveFlow(flow('GitHub Admin', { enabled: false }), example);
    expect(f.requesters.length).toBe(0);
    expect(f.visibleTo.map((v) => v.group)).toEqual(['Engineering Admin']);
  });

  it('is nobody through an empty group or a group the directory does not have', () => {
    const view = directory({ ann: {} }, { Empty: [] });
    expect(effectiveFlow(flow('F', { visibleTo: ['Empty'] }), view).requesters.length).toBe(0);
    const missing = effectiveFlow(flow('F', { visibleTo: ['Nowhere'] }), view);
    expect(missing.requesters.length).toBe(0);
    expect(missing.visibleTo[0]?.known).toBe(false);
  });

  it('leaves out suspended users: oscar is in Engineering All but cannot sign in', () => {
    const f = effectiveFlow(automatic('All', { visibleTo: ['Engineering All'] }), example);
    expect(usernames(example, f.requesters)).not.toContain('oscar');
    expect(f.requesters.length).toBe(10);
  });

  it('matches group names as the config does: NFC and case-folded', () => {
    const view = directory({ ann: {} }, { 'Café Team': ['ann'] });
    expect(effectiveFlow(flow('F', { visibleTo: ['CAFE\u0301 team'] }), view).requesters.length).toBe(1);
  });
});

describe('who approves a request', () => {
  it("goes to the requester's manager, then any Security Lead, for erin on the example", () => {
    const f = effectiveFlow(flow('GitHub Admin'), example);
    const route = routeFor(f, must(example.user('erin.em')), example);
    expect(route.type).toBe('manual');
    if (route.type !== 'manual') return;
    expect(route.adminOnly).toBeUndefined();
    expect(route.levels.map((l) => usernames(example, l.people))).toEqual([['dana.cto'], ['grace.sec', 'heidi.sec']]);
    expect(route.levels[0]?.manager).toBe(example.user('dana.cto'));
  });

  it('is automatic for an automatic flow', () => {
    expect(routeFor(effectiveFlow(automatic('GitHub User'), example), must(example.user('alice')), example)).toEqual({ type: 'automatic' });
  });

  it('is Missing Data for a requester without a manager when a level names the manager', () => {
    const view = directory({ boss: {}, sec: {} }, { Admins: ['boss'], 'Security Leads': ['sec'] });
    const f = effectiveFlow(flow('F', { visibleTo: ['Admins'] }), view);
    const route = routeFor(f, must(view.user('boss')), view);
    expect(route.type === 'manual' && route.adminOnly).toEqual({ reason: 'missing-manager' });
    expect(usernames(view, adminOnlyRequesters(f, view).missingManager)).toEqual(['boss']);
    // Without a manager level, no manager is needed.
    const groupOnly = effectiveFlow(flow('G', { visibleTo: ['Admins'], approval: { levels: [level([{ group: 'Security Leads' }])] } }), view);
    expect(routeFor(groupOnly, must(view.user('boss')), view)).toMatchObject({ type: 'manual', levels: [{ stuck: false }] });
    expect(adminOnlyRequesters(groupOnly, view).missingManager.length).toBe(0);
  });

  it('never lets requesters approve their own request: a Security Lead requesting sees only the other leads', () => {
    const view = directory({ dana: {}, grace: { manager: 'dana' }, heidi: { manager: 'grace' } }, { 'Security Leads': ['grace', 'heidi'] });
    const f = effectiveFlow(flow('F', { visibleTo: ['Security Leads'] }), view);
    const grace = routeFor(f, must(view.user('grace')), view);
    expect(grace.type === 'manual' && grace.levels.map((l) => usernames(view, l.people))).toEqual([['dana'], ['heidi']]);
    // heidi's manager is grace, who may approve level 1 for her; level 2 leaves grace only.
    const heidi = routeFor(f, must(view.user('heidi')), view);
    expect(heidi.type === 'manual' && heidi.levels.map((l) => usernames(view, l.people))).toEqual([['grace'], ['grace']]);
    expect(adminOnlyRequesters(f, view).noEligibleApprover.length).toBe(0);
  });

  it('needs an administrator when the requester is the only approver a level has', () => {
    const view = directory({ dana: {}, grace: { manager: 'dana' } }, { 'Security Leads': ['grace'] });
    const f = effectiveFlow(flow('F', { visibleTo: ['Security Leads'] }), view);
    const route = routeFor(f, must(view.user('grace')), view);
    expect(route.type === 'manual' && route.adminOnly).toEqual({ reason: 'no-eligible-approver', level: 1 });
    expect(route.type === 'manual' && route.levels[1]).toMatchObject({ people: [], stuck: true });
    expect(usernames(view, adminOnlyRequesters(f, view).noEligibleApprover)).toEqual(['grace']);
  });

  it('is stuck on an empty approver group for everyone, unless administrators also approve that level', () => {
    const view = directory({ dana: {}, erin: { manager: 'dana' } }, { Eng: ['erin'], 'Security Leads': [] });
    const stuck = effectiveFlow(flow('F', { visibleTo: ['Eng'] }), view);
    expect(routeFor(stuck, must(view.user('erin')), view)).toMatchObject({ adminOnly: { reason: 'no-eligible-approver', level: 1 } });
    const withAdmins = effectiveFlow(
      flow('F', { visibleTo: ['Eng'], approval: { levels: [level([manager]), level([{ group: 'Security Leads' }, { admins: true }])] } }),
      view,
    );
    const route = routeFor(withAdmins, must(view.user('erin')), view);
    expect(route.type === 'manual' && route.adminOnly).toBeUndefined();
    expect(route.type === 'manual' && route.levels[1]).toMatchObject({ people: [], admins: true, stuck: false });
  });

  it('needs every approver of an all-level to be someone else', () => {
    const view = directory({ ann: {}, ben: {}, cat: {} }, { Eng: ['ann', 'ben'] });
    const f = effectiveFlow(flow('F', { visibleTo: ['Eng'], approval: { levels: [level([{ user: 'ann@example.com' }, { user: 'cat' }], 'all')] } }), view);
    expect(routeFor(f, must(view.user('ann')), view)).toMatchObject({ adminOnly: { reason: 'no-eligible-approver', level: 0 } });
    expect(routeFor(f, must(view.user('ben')), view)).toMatchObject({ levels: [{ require: 'all', stuck: false }] });
    expect(usernames(view, adminOnlyRequesters(f, view).noEligibleApprover)).toEqual(['ann']);
  });

  it('is administrators only when nonAdminApprovers is off', () => {
    const f = effectiveFlow(flow('GitHub Admin', { approval: { nonAdminApprovers: false } }), example);
    expect(routeFor(f, must(example.user('erin.em')), example)).toMatchObject({ adminOnly: { reason: 'admins-only' } });
  });

  it('does not count a suspended manager as an approver', () => {
    const view = directory({ boss: { suspended: true }, ann: { manager: 'boss' }, sec: {} }, { Eng: ['ann'], 'Security Leads': ['sec'] });
    const f = effectiveFlow(flow('F', { visibleTo: ['Eng'] }), view);
    expect(view.isActive(must(view.user('boss')))).toBe(false);
    expect(routeFor(f, must(view.user('ann')), view)).toMatchObject({
      adminOnly: { reason: 'no-eligible-approver', level: 0 },
      levels: [{ people: [] }, { people: [2] }],
    });
  });
});

describe('what a flow grants', () => {
  it('keeps the longest duration and the ones offered, or permanent access', () => {
    const f = effectiveFlow(flow('F', { access: { durations: ['PT8H', 'P7D', 'P1D'] } }), example);
    expect(f.maxDuration).toBe('P7D');
    expect(f.maxSeconds).toBe(7 * 86_400);
    const permanent = effectiveFlow(flow('F', { access: null }), example);
    expect(permanent.maxDuration).toBeNull();
    expect(permanent.maxSeconds).toBe(Number.POSITIVE_INFINITY);
  });
});
