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

/** Requesters whose requests only an administrator can decide, by reason (nonAdminApprovers off aside). */
export interface AdminOnlyRequesters {
  missingManager: Int32Array;
  noEligibleApprover: Int32Array;
}

/**
 * The requesters of a manual flow who cannot be approved level by level: those without a manager
 * when the flow names the manager (Missing Data), and those for whom a level has nobody else left.
 * Cheap per requester: each approver entry is checked in constant time.
 */
export function adminOnlyRequesters(flow: EffectiveFlow, view: DirectoryView): AdminOnlyRequesters {
  const none = { missingManager: new Int32Array(0), noEligibleApprover: new Int32Array(0) };
  if (flow.approval.type !== 'manual' || !flow.approval.nonAdminApprovers) return none;
  const missing: number[] = [];
  const stuck: number[] = [];
  // Each approver entry, classified once: most can always be satisfied by someone else whoever
  // asks (administrators, a group of two or more), so only a few need a look per requester.
  type Check = 'always' | 'never' | 'manager' | { notSelf: number };
  const classify = (a: EffectiveApprover): Check => {
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
  };
  const ok = (check: Check, r: number): boolean =>
    check === 'always' ? true : check === 'never' ? false : check === 'manager' ? view.managerCanApprove(r) : check.notSelf !== r;
  let stuckForAll = false;
  const perRequester: { require: 'any' | 'all'; checks: Check[] }[] = [];
  for (const level of flow.approval.levels) {
    const checks = level.approvers.map(classify);
    if (level.require === 'any') {
      if (checks.includes('always')) continue;
      if (checks.every((c) => c === 'never')) stuckForAll = true;
    } else {
      if (checks.includes('never')) stuckForAll = true;
      if (checks.every((c) => c === 'always')) continue;
    }
    perRequester.push({ require: level.require, checks });
  }
  const requesters = flow.requesters;
  for (let k = 0; k < requesters.length; k++) {
    const r = requesters[k]!;
    if (flow.usesManager && view.manager(r) === undefined) {
      missing.push(r);
      continue;
    }
    let levelStuck = stuckForAll;
    for (let i = 0; i < perRequester.length && !levelStuck; i++) {
      const { require, checks } = perRequester[i]!;
      if (require === 'all') {
        for (let j = 0; j < checks.length && !levelStuck; j++) if (!ok(checks[j]!, r)) levelStuck = true;
      } else {
        let any = false;
        for (let j = 0; j < checks.length && !any; j++) if (ok(checks[j]!, r)) any = true;
        levelStuck = !any;
      }
    }
    if (levelStuck) stuck.push(r);
  }
  return { missingManager: Int32Array.from(missing), noEligibleApprover: Int32Array.from(stuck) };
}
