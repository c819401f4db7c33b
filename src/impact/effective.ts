// Effective access: for each flow, who can request it, how a request is approved (and by whom, for
// a given requester) and what it grants for how long. A pure function of flows and a directory.
import { durationSeconds } from '../config/duration.js';
import type { ApprovalLevelModel, ApproverModel, FlowModel } from '../model/flow.js';
import { type DirectoryView, sortedHas, unionSorted } from './directory.js';

export type EffectiveApprover =
  | { kind: 'manager' }
  | { kind: 'admins' }
  /** `user` is undefined when the directory has no such user. */
  | { kind: 'user'; name: string; user: number | undefined }
  /** `members`: the group's active members; `known` is false when the directory has no such group. */
  | { kind: 'group'; name: string; members: Int32Array; known: boolean };

export interface EffectiveLevel {
  require: 'any' | 'all';
  approvers: EffectiveApprover[];
  /** Active people the level's user and group approvers name (the requester's manager aside). */
  people: Int32Array;
}

export type EffectiveApproval = { type: 'automatic' } | { type: 'manual'; nonAdminApprovers: boolean; levels: EffectiveLevel[] };

export interface VisibleVia {
  group: string;
  /** Active members. */
  members: Int32Array;
  known: boolean;
}

export interface EffectiveFlow {
  name: string;
  enabled: boolean;
  grantGroup: string;
  /** The flow's visibleTo groups, each with its active members. */
  visibleTo: VisibleVia[];
  /** Active users who can request the flow, sorted: none when it is disabled. */
  requesters: Int32Array;
  approval: EffectiveApproval;
  /** The longest access a request can get, in seconds; Infinity for permanent access. */
  maxSeconds: number;
  /** The longest duration as written, or null for permanent access. */
  maxDuration: string | null;
  /** The durations a requester picks from (one for a fixed duration); null for permanent access. */
  durations: string[] | null;
  /** Whether the flow uses the requester's manager as an approver anywhere. */
  usesManager: boolean;
}

function approverOf(approver: ApproverModel, view: DirectoryView): EffectiveApprover {
  if ('manager' in approver) return { kind: 'manager' };
  if ('admins' in approver) return { kind: 'admins' };
  if ('user' in approver) return { kind: 'user', name: approver.user, user: view.user(approver.user) };
  const group = view.group(approver.group);
  return { kind: 'group', name: approver.group, members: group?.active ?? new Int32Array(0), known: group !== undefined };
}

function levelOf(level: ApprovalLevelModel, view: DirectoryView): EffectiveLevel {
  const approvers = level.approvers.map((a) => approverOf(a, view));
  const sets: Int32Array[] = [];
  for (const a of approvers) {
    if (a.kind === 'group') sets.push(a.members);
    else if (a.kind === 'user' && a.user !== undefined && view.isActive(a.user)) sets.push(Int32Array.of(a.user));
  }
  return { require: level.require, approvers, people: unionSorted(sets) };
}

/** Effective access of one flow over the directory. */
export function effectiveFlow(flow: FlowModel, view: DirectoryView): EffectiveFlow {
  const { spec } = flow;
  const visibleTo = spec.visibleTo.map((name): VisibleVia => {
    const group = view.group(name);
    return { group: name, members: group?.active ?? new Int32Array(0), known: group !== undefined };
  });
  const requesters = spec.enabled ? unionSorted(visibleTo.map((v) => v.members)) : new Int32Array(0);
  const approval: EffectiveApproval =
    spec.approval.type === 'automatic'
      ? { type: 'automatic' }
      : { type: 'manual', nonAdminApprovers: spec.approval.nonAdminApprovers, levels: spec.approval.levels.map((l) => levelOf(l, view)) };
  let durations: string[] | null = null;
  if (spec.access !== null) durations = 'duration' in spec.access ? [spec.access.duration] : [...spec.access.durations];
  let maxSeconds = Number.POSITIVE_INFINITY;
  let maxDuration: string | null = null;
  if (durations !== null) {
    maxSeconds = 0;
    for (const d of durations) {
      const s = durationSeconds(d) ?? 0;
      if (s >= maxSeconds) {
        maxSeconds = s;
        maxDuration = d;
      }
    }
  }
  const usesManager = spec.approval.type === 'manual' && spec.approval.levels.some((l) => l.approvers.some((a) => 'manager' in a));
  return {
    name: flow.name,
    enabled: spec.enabled,
    grantGroup: spec.grantGroup,
    visibleTo,
    requesters,
    approval,
    maxSeconds,
    maxDuration,
    durations,
    usesManager,
  };
}

export function effectiveAccess(flows: readonly FlowModel[], view: DirectoryView): EffectiveFlow[] {
  return flows.map((flow) => effectiveFlow(flow, view));
}

/** Whether `user` can request `flow`, and through which of its visibleTo groups. */
export function requestableVia(flow: EffectiveFlow, user: number): string[] {
  return flow.visibleTo.filter((v) => sortedHas(v.members, user)).map((v) => v.group);
}

/** One level as it stands for one requester. */
export interface LevelRoute {
  require: 'any' | 'all';
  /** Active people who may approve this level for the requester: never the requester. */
  people: number[];
  /** The requester's manager, when the level names the manager and there is one who can approve. */
  manager?: number;
  /** Whether administrators are among the level's approvers. */
  admins: boolean;
  /** Whether no one but an administrator can complete the level (nobody eligible is left). */
  stuck: boolean;
}

/** Why only an administrator can decide a requester's request. */
export type AdminOnlyReason =
  /** The flow's nonAdminApprovers is off. */
  | 'admins-only'
  /** The flow names the requester's manager and the requester has none: the request is Missing Data. */
  | 'missing-manager'
  /** A level has nobody left who may approve (self-approval is never allowed). */
  | 'no-eligible-approver';

export type RequestRoute = { type: 'automatic' } | { type: 'manual'; levels: LevelRoute[]; adminOnly?: { reason: AdminOnlyReason; level?: number } };

/** Who would approve `requester`'s request for `flow`, level by level. */
export function routeFor(flow: EffectiveFlow, requester: number, view: DirectoryView): RequestRoute {
  if (flow.approval.type === 'automatic') return { type: 'automatic' };
  const manager = view.manager(requester);
  const levels = flow.approval.levels.map((level): LevelRoute => {
    const people = new Set<number>();
    let eligibleManager: number | undefined;
    let admins = false;
    // Per approver entry: can anyone (other than the requester) satisfy it?
    const satisfiable: boolean[] = [];
    for (const approver of level.approvers) {
      switch (approver.kind) {
        case 'admins':
          admins = true;
          satisfiable.push(true);
          break;
        case 'manager': {
          const ok = manager !== undefined && manager !== requester && view.isActive(manager);
          if (ok) {
            eligibleManager = manager;
            people.add(manager);
          }
          satisfiable.push(ok);
          break;
        }
        case 'user': {
          const ok = approver.user !== undefined && approver.user !== requester && view.isActive(approver.user);
          if (ok) people.add(approver.user!);
          satisfiable.push(ok);
          break;
        }
        case 'group': {
          let any = false;
          for (const m of approver.members) {
            if (m === requester) continue;
            people.add(m);
            any = true;
          }
          satisfiable.push(any);
          break;
        }
      }
    }
    const stuck = level.require === 'all' ? satisfiable.some((s) => !s) : !satisfiable.some((s) => s);
    return {
      require: level.require,
      people: [...people].sort((a, b) => a - b),
      ...(eligibleManager === undefined ? {} : { manager: eligibleManager }),
      admins,
      stuck,
    };
  });
  if (!flow.approval.nonAdminApprovers) return { type: 'manual', levels, adminOnly: { reason: 'admins-only' } };
  if (flow.usesManager && manager === undefined) return { type: 'manual', levels, adminOnly: { reason: 'missing-manager' } };
  const stuckAt = levels.findIndex((l) => l.stuck);
  if (stuckAt >= 0) return { type: 'manual', levels, adminOnly: { reason: 'no-eligible-approver', level: stuckAt } };
  return { type: 'manual', levels };
}

/** Why a level cannot pass for a requester, entry by entry. */
export type StuckCause =
  /** An entry names nobody but the requester (a user entry, or a group of one), and no one approves their own request. */
  | 'self'
  /** A manager entry, and the requester is their own manager. */
  | 'own-manager'
  /** A manager entry, and the requester's manager cannot sign in. */
  | 'manager-inactive'
  /** An entry names nobody who can approve: a name the directory lacks, a user who cannot sign in, a group without active members. */
  | 'no-approver';

const CAUSE_ORDER: readonly StuckCause[] = ['self', 'own-manager', 'manager-inactive', 'no-approver'];

/** Requesters whose requests stop at the same level for the same causes. */
export interface StuckRequesters {
  /** 0-based: the first level that cannot pass for them. */
  level: number;
  /** Why, in CAUSE_ORDER: under `all` the causes of the entries that fail, under `any` of every entry. */
  causes: StuckCause[];
  people: Int32Array;
}

/** Requesters whose requests only an administrator can decide, by reason (nonAdminApprovers off aside). */
export interface AdminOnlyRequesters {
  missingManager: Int32Array;
  noEligibleApprover: Int32Array;
  /** `noEligibleApprover` by the level they stop at and why, by level. */
  stuck: StuckRequesters[];
}

/**
 * One approver entry, classified once: most can always be satisfied by someone else whoever asks
 * (administrators, a group of two or more), so only a few need a look per requester.
 */
type EntryCheck = 'always' | 'never' | 'manager' | { notSelf: number };

function entryCheck(a: EffectiveApprover, view: DirectoryView): EntryCheck {
  switch (a.kind) {
    case 'admins':
      return 'always';
    case 'manager':
      return 'manager';
    case 'user':
      return a.user === undefined || !view.isActive(a.user) ? 'never' : { notSelf: a.user };
    case 'group':
      return a.members.length === 0 ? 'never' : a.members.length === 1 ? { notSelf: a.members[0]! } : 'always';
  }
}

/** Whether someone other than `requester` can satisfy the entry for them (a missing manager fails). */
function entryPasses(check: EntryCheck, requester: number, view: DirectoryView): boolean {
  if (check === 'always') return true;
  if (check === 'never') return false;
  if (check === 'manager') return view.managerCanApprove(requester);
  return check.notSelf !== requester;
}

function causeOf(check: EntryCheck, requester: number, view: DirectoryView): StuckCause {
  if (check === 'manager') return view.manager(requester) === requester ? 'own-manager' : 'manager-inactive';
  return check === 'never' ? 'no-approver' : 'self';
}

/**
 * The requesters of a manual flow who cannot be approved level by level: those without a manager
 * when the flow names the manager (Missing Data), and those for whom a level has nobody else left,
 * with the level and why. `requesters` defaults to the flow's (a disabled flow has none): pass its
 * groups' members to ask what would happen if it were enabled. Cheap per requester: each approver
 * entry is checked in constant time.
 */
export function adminOnlyRequesters(flow: EffectiveFlow, view: DirectoryView, requesters: Int32Array = flow.requesters): AdminOnlyRequesters {
  const none = { missingManager: new Int32Array(0), noEligibleApprover: new Int32Array(0), stuck: [] };
  if (flow.approval.type !== 'manual' || !flow.approval.nonAdminApprovers) return none;
  const missing: number[] = [];
  const stuck: number[] = [];
  // The levels someone may be stuck at, in order: one that passes whoever asks is left out.
  const perRequester: { level: number; require: 'any' | 'all'; checks: EntryCheck[] }[] = [];
  flow.approval.levels.forEach((level, index) => {
    const checks = level.approvers.map((a) => entryCheck(a, view));
    if (level.require === 'any' ? checks.includes('always') : checks.every((c) => c === 'always')) return;
    perRequester.push({ level: index, require: level.require, checks });
  });
  const groups = new Map<string, { level: number; causes: StuckCause[]; people: number[] }>();
  for (let k = 0; k < requesters.length; k++) {
    const r = requesters[k]!;
    if (flow.usesManager && view.manager(r) === undefined) {
      missing.push(r);
      continue;
    }
    for (const { level, require, checks } of perRequester) {
      let fails = 0;
      for (let j = 0; j < checks.length; j++) if (!entryPasses(checks[j]!, r, view)) fails++;
      if (require === 'all' ? fails === 0 : fails < checks.length) continue;
      stuck.push(r);
      const found = new Set<StuckCause>();
      for (const c of checks) if (!entryPasses(c, r, view)) found.add(causeOf(c, r, view));
      if (found.size === 0) found.add('no-approver');
      const causes = CAUSE_ORDER.filter((c) => found.has(c));
      const key = `${level}|${causes.join(',')}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { level, causes, people: [r] });
      else group.people.push(r);
      break;
    }
  }
  const byLevel = [...groups.values()].sort(
    (a, b) => a.level - b.level || CAUSE_ORDER.indexOf(a.causes[0]!) - CAUSE_ORDER.indexOf(b.causes[0]!) || a.causes.length - b.causes.length,
  );
  return {
    missingManager: Int32Array.from(missing),
    noEligibleApprover: Int32Array.from(stuck),
    stuck: byLevel.map((g) => ({ level: g.level, causes: g.causes, people: Int32Array.from(g.people) })),
  };
}
