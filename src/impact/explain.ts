// What-if for one user: which flows they can request and through which group, and for each, who
// would approve their request level by level. Pure; `accessctl explain` and AccessTest answers use it.
import type { DirectoryView } from './directory.js';
import { requestableVia, routeFor, type AdminOnlyReason, type EffectiveFlow, type RequestRoute } from './effective.js';
import { describeLevel } from './impact.js';
import { clipName, describePeople, listNames, peopleList, type PeopleList } from './people.js';

export interface LevelExplanation {
  /** 1-based. */
  level: number;
  require: 'any' | 'all';
  /** The level as the flow writes it: "level 2 (Security Leads, 2 people)". */
  describes: string;
  /** Who may approve it for this user (never the user). */
  people: PeopleList;
  admins: boolean;
  /** The user's manager, when the level names the manager. */
  manager?: string;
}

export interface FlowExplanation {
  flow: string;
  grantGroup: string;
  /** The longest access, or null for permanent access. */
  maxDuration: string | null;
  durations: string[] | null;
  canRequest: boolean;
  /** The flow's visibleTo groups the user is in (active users only). */
  via: string[];
  /** Why the user cannot request the flow. */
  reason?: string;
  /** How the user's request would be decided; absent when they cannot request it. */
  approval?: { type: 'automatic' } | { type: 'manual'; levels: LevelExplanation[]; adminOnly?: string };
}

const adminOnlyText: Record<AdminOnlyReason, (level?: number) => string> = {
  'admins-only': () => 'only an administrator decides: the flow does not let other approvers decide (nonAdminApprovers is off)',
  'missing-manager': () => "the request is Missing Data: the flow names the requester's manager and this user has none, so only an administrator decides",
  'no-eligible-approver': (level) =>
    `level ${(level ?? 0) + 1} has nobody but the requester to approve it (no one approves their own request), so only an administrator decides`,
};

export function adminOnlySentence(route: RequestRoute): string | undefined {
  if (route.type !== 'manual' || route.adminOnly === undefined) return undefined;
  return adminOnlyText[route.adminOnly.reason](route.adminOnly.level);
}

/** Why `user` cannot request `flow`, or undefined when they can. */
export function whyNot(flow: EffectiveFlow, user: number, view: DirectoryView): string | undefined {
  if (!flow.enabled) return `${clipName(flow.name)} is disabled`;
  if (!view.isActive(user)) return `${view.label(user)} is suspended or not yet activated, and cannot sign in`;
  if (requestableVia(flow, user).length > 0) return undefined;
  const groups = flow.visibleTo.map((v) => v.group);
  if (groups.length === 0) return `${clipName(flow.name)} is visible to no group`;
  return `${view.label(user)} is in none of its groups (${listNames(groups, 5)})`;
}

export function explainFlow(flow: EffectiveFlow, user: number, view: DirectoryView): FlowExplanation {
  const base = { flow: flow.name, grantGroup: flow.grantGroup, maxDuration: flow.maxDuration, durations: flow.durations };
  const reason = whyNot(flow, user, view);
  if (reason !== undefined) return { ...base, canRequest: false, via: [], reason };
  const route = routeFor(flow, user, view);
  if (route.type === 'automatic' || flow.approval.type === 'automatic')
    return { ...base, canRequest: true, via: requestableVia(flow, user), approval: { type: 'automatic' } };
  const definitions = flow.approval.levels;
  // Missing Data and admin-only flows wait for an administrator whatever the levels say.
  const onlyAdmins = route.adminOnly?.reason === 'admins-only' || route.adminOnly?.reason === 'missing-manager';
  const levels = route.levels.map(
    (level, i): LevelExplanation => ({
      level: i + 1,
      require: level.require,
      describes: describeLevel(definitions[i]!, i, view),
      people: peopleList(view, onlyAdmins ? [] : level.people),
      admins: level.admins,
      ...(level.manager === undefined ? {} : { manager: view.label(level.manager) }),
    }),
  );
  const adminOnly = adminOnlySentence(route);
  return {
    ...base,
    canRequest: true,
    via: requestableVia(flow, user),
    approval: { type: 'manual', levels, ...(adminOnly === undefined ? {} : { adminOnly }) },
  };
}

export function explainUser(flows: readonly EffectiveFlow[], user: number, view: DirectoryView): FlowExplanation[] {
  return flows.map((flow) => explainFlow(flow, user, view));
}

/** One level in words: "dana@example.com (the requester's manager)" or "grace@example.com, heidi@example.com". */
export function levelInWords(level: LevelExplanation): string {
  const parts: string[] = [];
  if (level.people.count > 0) parts.push(describePeople(level.people));
  if (level.admins) parts.push('any administrator');
  if (parts.length === 0) parts.push('nobody (an administrator must decide)');
  const who = parts.join(' or ');
  return level.require === 'all' && level.people.count > 1 ? `all of ${who}` : who;
}

/** The approval of an explained flow in one line, for test answers. */
export function approvalInWords(explanation: FlowExplanation): string {
  const approval = explanation.approval;
  if (approval === undefined) return 'cannot be requested';
  if (approval.type === 'automatic') return 'granted at once (automatic approval)';
  const levels = approval.levels.map((l) => `level ${l.level}: ${levelInWords(l)}`).join('; then ');
  return approval.adminOnly === undefined ? levels : `${levels} (${approval.adminOnly})`;
}
