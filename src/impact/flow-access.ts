// The reverse of explaining a user: for one flow, who can request it (its requester groups and the
// people in them), who approves it level by level, what a requester gets and for how long, and the
// warnings about it (self-approval, empty or unknown groups, requests only an administrator can
// decide, and why). A disabled flow is answered as if it were enabled, and says so. Pure.
import type { Declared } from '../config/desired.js';
import type { ApprovalFlow } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { locate } from '../config/source.js';
import type { SourceLocation } from '../errors.js';
import { type DirectoryView, intersectSorted, unionSorted } from './directory.js';
import { adminOnlyRequesters, type EffectiveApprover, type EffectiveFlow, type EffectiveLevel, type StuckCause, type StuckRequesters } from './effective.js';
import { describeLevel } from './impact.js';
import { clipName, countOf, PEOPLE_SHOWN, peopleList, type PeopleList } from './people.js';

/** One of the flow's visibleTo groups. */
export interface RequesterGroup {
  group: string;
  /** False when the directory has no such group: it is taken to have no members. */
  known: boolean;
  /** Its active members: who can request the flow through it (while the flow is enabled). */
  members: PeopleList;
  /** Members who cannot sign in (staged or suspended), so cannot request: counted, not listed. */
  inactive: number;
}

export type ApproverAccess =
  /** `people`: the managers of the flow's requesters who can approve for them (active, not themselves). */
  | { kind: 'manager'; people: PeopleList }
  | { kind: 'admins' }
  /** `name`: the user's email (else username) when the directory has them, else as the config writes it. */
  | { kind: 'user'; name: string; known: boolean; active: boolean }
  | { kind: 'group'; name: string; known: boolean; members: PeopleList; inactive: number };

export interface LevelAccess {
  /** 1-based. */
  level: number;
  require: 'any' | 'all';
  /** The level as the flow writes it: "level 2 (Security Leads, 2 people)". */
  describes: string;
  approvers: ApproverAccess[];
  /** Everyone who may approve the level for some requester: its users, group members and the requesters' managers. */
  people: PeopleList;
  /** Whether administrators are among the level's approvers. */
  admins: boolean;
}

export type FlowWarningCode =
  | 'flow-disabled'
  | 'no-requesters'
  | 'unknown-group'
  | 'unknown-user'
  | 'empty-group'
  | 'inactive-approver'
  | 'requester-approves'
  | 'missing-manager'
  | 'no-eligible-approver'
  | 'group-to-create';

export interface FlowWarning {
  code: FlowWarningCode;
  /** One line, such as "2 people who can request GitHub Admin also approve level 2 (Security Leads, 2 people)…". */
  message: string;
  /** The people it is about, capped as every list of the answer. */
  people?: PeopleList;
  /** Where the config writes the name (unknown names, when the flow's config was given). */
  source?: SourceLocation;
}

export interface FlowAccess {
  flow: string;
  enabled: boolean;
  grantGroup: string;
  /** The longest access, or null for permanent access. */
  maxDuration: string | null;
  /** The durations a requester picks from (one for a fixed duration); null for permanent access. */
  durations: string[] | null;
  requesters: {
    /**
     * Everyone who can request the flow, each once whatever the groups they are in. For a disabled
     * flow (which nobody can request), who could request it if it were enabled, as the whole answer is.
     */
    people: PeopleList;
    groups: RequesterGroup[];
  };
  approval: { type: 'automatic' } | { type: 'manual'; nonAdminApprovers: boolean; levels: LevelAccess[] };
  warnings: FlowWarning[];
  /** How many people each list names at most; null when every person is listed. */
  shown: number | null;
}

/** Where a name a flow writes is used: its requester groups, its grant, or an approval level (1-based). */
export type ReferenceRole = { in: 'visibleTo' } | { in: 'grantGroup' } | { in: 'level'; level: number };

/** A group or user name the flow's config writes, and where. */
export interface FlowReference {
  what: 'group' | 'user';
  name: string;
  role: ReferenceRole;
  source: SourceLocation;
}

/** Every group and user name a declared flow writes, located in its file. */
export function flowReferences(declared: Declared<ApprovalFlow>): FlowReference[] {
  const spec = declared.object.spec;
  const refs: FlowReference[] = [];
  spec.visibleTo.forEach((name, i) => {
    refs.push({ what: 'group', name, role: { in: 'visibleTo' }, source: locate(declared.source, ['spec', 'visibleTo', i]) });
  });
  const levels = spec.approval.type === 'manual' ? (spec.approval.levels ?? []) : [];
  levels.forEach((level, li) => {
    level.approvers.forEach((approver, ai) => {
      const at = ['spec', 'approval', 'levels', li, 'approvers', ai] as const;
      const role: ReferenceRole = { in: 'level', level: li + 1 };
      if (approver.user !== undefined) refs.push({ what: 'user', name: approver.user, role, source: locate(declared.source, [...at, 'user']) });
      else if (approver.group !== undefined) refs.push({ what: 'group', name: approver.group, role, source: locate(declared.source, [...at, 'group']) });
    });
  });
  refs.push({ what: 'group', name: spec.grantGroup, role: { in: 'grantGroup' }, source: locate(declared.source, ['spec', 'grantGroup']) });
  return refs;
}

function unknownMessage(what: 'group' | 'user', name: string, role: ReferenceRole): string {
  const quoted = JSON.stringify(clipName(name));
  switch (role.in) {
    case 'visibleTo':
      return `requester group ${quoted} is not in the directory: nobody can request through it`;
    case 'grantGroup':
      return `grant group ${quoted} is not in the directory, and the repo does not create it (create: true): there is no group to grant`;
    case 'level':
      return what === 'user'
        ? `approver ${quoted} of level ${role.level} is not in the directory: they approve nothing`
        : `approver group ${quoted} of level ${role.level} is not in the directory: it approves nothing`;
  }
}

/**
 * A group the directory lacks that the repo creates (`create: true`): apply makes it, empty. Said
 * where the emptiness matters (requesting, approving); as the grant, nothing is wrong with it.
 */
function toCreateMessage(name: string, role: ReferenceRole): string | undefined {
  const quoted = JSON.stringify(clipName(name));
  switch (role.in) {
    case 'visibleTo':
      return `requester group ${quoted} is not in the directory yet: apply creates it, with no members, so nobody can request through it until it has some`;
    case 'grantGroup':
      return undefined;
    case 'level':
      return `approver group ${quoted} of level ${role.level} is not in the directory yet: apply creates it, with no members, so it approves nothing until it has some`;
  }
}

/** Why a level cannot pass for some requesters, in words: one clause per cause. */
function causeClause(cause: StuckCause, require: 'any' | 'all', mixed: boolean): string {
  const nothing = '(not in the directory, cannot sign in, or no active members)';
  switch (cause) {
    case 'self':
      return require === 'all'
        ? 'one of the approvers it needs (require: all) is only themselves, and no one approves their own request'
        : 'the only one who could approve it is themselves, and no one approves their own request';
    case 'own-manager':
      return 'it names their manager, and they are their own manager';
    case 'manager-inactive':
      return 'it names their manager, who cannot sign in (suspended or not yet activated)';
    case 'no-approver':
      if (require === 'all') return `one of the approvers it needs (require: all) approves nothing ${nothing}`;
      return mixed ? `its other approvers approve nothing ${nothing}` : `none of its approvers can approve ${nothing}`;
  }
}

export interface FlowAccessOptions {
  /** How many people each list names; Infinity for everyone. PEOPLE_SHOWN by default. */
  shown?: number;
  /**
   * The names the flow's config writes, located (flowReferences): unknown ones are warned about at
   * their place. Without them the unknown names are read off the effective flow, unlocated.
   */
  references?: readonly FlowReference[];
  /**
   * The groups the repo declares with `create: true`, by name: one the directory lacks is made by
   * apply, with no members, so it is said to be created, not missing (as `explain --user` resolves it).
   */
  creates?: Iterable<string>;
}

/**
 * Who can request `flow`, who approves it, what it grants, and what is wrong with that. A disabled
 * flow is answered as it would be if it were enabled, and its first warning says so.
 */
export function explainFlowAccess(flow: EffectiveFlow, view: DirectoryView, options: FlowAccessOptions = {}): FlowAccess {
  const shown = options.shown ?? PEOPLE_SHOWN;
  const people = (users: Iterable<number>): PeopleList => peopleList(view, users, shown);
  const name = clipName(flow.name);
  const warnings: FlowWarning[] = [];
  const warn = (code: FlowWarningCode, message: string, about?: Int32Array, source?: SourceLocation): void => {
    warnings.push({ code, message, ...(about === undefined ? {} : { people: people(about) }), ...(source === undefined ? {} : { source }) });
  };
  const creates = new Set<string>();
  for (const group of options.creates ?? []) creates.add(nameKey(group));

  // Who can request it; for a disabled flow, who could if it were enabled: the rest is computed from them.
  const requesters = flow.enabled ? flow.requesters : unionSorted(flow.visibleTo.map((v) => v.members));
  const who = flow.enabled ? `who can request ${name}` : `who could request ${name} if it were enabled`;
  if (!flow.enabled)
    warn('flow-disabled', `${name} is disabled: nobody can request it; this answer is who could request it and who would approve if it were enabled`);
  if (requesters.length === 0) {
    const nobody = flow.enabled ? `nobody can request ${name}` : `nobody could request ${name} even if it were enabled`;
    const why =
      flow.visibleTo.length === 0
        ? 'it is visible to no group (visibleTo is empty)'
        : flow.visibleTo.length === 1
          ? 'its requester group has no active members'
          : 'none of its requester groups has active members';
    warn('no-requesters', `${nobody}: ${why}`);
  }

  const groups = flow.visibleTo.map((v): RequesterGroup => {
    const all = view.group(v.group)?.members.length ?? 0;
    return { group: v.group, known: v.known, members: people(v.members), inactive: all - v.members.length };
  });

  // Names the directory lacks: at their place in the config when it was given, else as the effective
  // flow sees them. A group the repo creates is not missing: apply makes it, empty.
  const missingName = (what: 'group' | 'user', ref: string, role: ReferenceRole, source?: SourceLocation): void => {
    if (what === 'user') warn('unknown-user', unknownMessage('user', ref, role), undefined, source);
    else if (!creates.has(nameKey(ref))) warn('unknown-group', unknownMessage('group', ref, role), undefined, source);
    else {
      const message = toCreateMessage(ref, role);
      if (message !== undefined) warn('group-to-create', message, undefined, source);
    }
  };
  if (options.references !== undefined) {
    const seen = new Set<string>();
    for (const ref of options.references) {
      const missing = ref.what === 'group' ? view.group(ref.name) === undefined : view.user(ref.name) === undefined;
      const key = `${ref.what}|${ref.role.in}|${ref.role.in === 'level' ? ref.role.level : ''}|${nameKey(ref.name)}`;
      if (!missing || seen.has(key)) continue;
      seen.add(key);
      missingName(ref.what, ref.name, ref.role, ref.source);
    }
  } else {
    for (const v of flow.visibleTo) if (!v.known) missingName('group', v.group, { in: 'visibleTo' });
    if (flow.approval.type === 'manual') {
      flow.approval.levels.forEach((level, i) => {
        for (const a of level.approvers) {
          if (a.kind === 'group' && !a.known) missingName('group', a.name, { in: 'level', level: i + 1 });
          if (a.kind === 'user' && a.user === undefined) missingName('user', a.name, { in: 'level', level: i + 1 });
        }
      });
    }
  }

  for (const g of groups) {
    if (!g.known || g.members.count > 0) continue;
    const inactive = g.inactive > 0 ? ` (${countOf(g.inactive, 'member')} cannot sign in)` : '';
    warn('empty-group', `requester group ${JSON.stringify(clipName(g.group))} has no active members${inactive}: nobody can request through it`);
  }

  const base = { flow: flow.name, enabled: flow.enabled, grantGroup: flow.grantGroup, maxDuration: flow.maxDuration, durations: flow.durations };
  const requesting = { people: people(requesters), groups };
  const answer = (approval: FlowAccess['approval']): FlowAccess => ({
    ...base,
    requesters: requesting,
    approval,
    warnings,
    shown: Number.isFinite(shown) ? shown : null,
  });
  if (flow.approval.type === 'automatic') return answer({ type: 'automatic' });

  // The managers who approve for the flow's requesters: each requester's own, when they can approve.
  let managers: Int32Array | undefined;
  if (flow.usesManager) {
    const marked = new Uint8Array(view.users.length);
    const found: number[] = [];
    for (const r of requesters) {
      if (!view.managerCanApprove(r)) continue;
      const m = view.manager(r)!;
      if (marked[m] === 0) {
        marked[m] = 1;
        found.push(m);
      }
    }
    managers = Int32Array.from(found).sort();
  }

  // Requests an administrator must decide, and where each requester's request stops: a requester
  // stopped at or before a level never has it decided by its approvers.
  const adminOnly = adminOnlyRequesters(flow, view, requesters);
  const stopsAt = new Int32Array(view.users.length).fill(-1);
  for (const r of adminOnly.missingManager) stopsAt[r] = 0;
  for (const group of adminOnly.stuck) for (const r of group.people) stopsAt[r] = group.level;

  // The config may name a user by username where the flow holds their email: matched as the same person.
  const userSource = (user: number, level: number): SourceLocation | undefined =>
    options.references?.find((r) => r.what === 'user' && r.role.in === 'level' && r.role.level === level && view.user(r.name) === user)?.source;

  // One approver entry of level i (0-based) as the answer lists it, warning when it can approve nothing.
  const approverOf = (a: EffectiveApprover, i: number): ApproverAccess => {
    switch (a.kind) {
      case 'manager':
        return { kind: 'manager', people: people(managers ?? []) };
      case 'admins':
        return { kind: 'admins' };
      case 'user': {
        const known = a.user !== undefined;
        const active = known && view.isActive(a.user!);
        if (known && !active)
          warn(
            'inactive-approver',
            `approver ${JSON.stringify(clipName(view.label(a.user!)))} of level ${i + 1} cannot sign in (suspended or not yet activated): they approve nothing`,
            undefined,
            userSource(a.user!, i + 1),
          );
        return { kind: 'user', name: clipName(known ? view.label(a.user!) : a.name), known, active };
      }
      case 'group': {
        const all = view.group(a.name)?.members.length ?? 0;
        if (a.known && a.members.length === 0) {
          const inactive = all > 0 ? ` (${countOf(all, 'member')} cannot sign in)` : '';
          warn('empty-group', `approver group ${JSON.stringify(clipName(a.name))} of level ${i + 1} has no active members${inactive}: it approves nothing`);
        }
        return { kind: 'group', name: a.name, known: a.known, members: people(a.members), inactive: all - a.members.length };
      }
    }
  };
  const levels = flow.approval.levels.map((level, i): LevelAccess => {
    const approvers = level.approvers.map((a) => approverOf(a, i));
    const describes = describeLevel(level, i, view);
    const everyone = managers === undefined || !level.approvers.some((a) => a.kind === 'manager') ? level.people : unionSorted([level.people, managers]);
    // Nobody approves their own request: a requester who is also an approver of a level is left out
    // of it for their own. Under `any` the others decide; under `all` every other approver must (each
    // other member of a group, as the platform fixes a level's approvers). A requester whose request
    // stops at or before this level is told so once, below, not that the others decide.
    const both = intersectSorted(requesters, level.people).filter((r) => stopsAt[r] === -1 || stopsAt[r]! > i);
    if (both.length > 0) {
      const rest =
        level.require === 'all'
          ? 'so their own needs every other approver of the level (each other member of a group it names)'
          : "so the level's other approvers decide theirs";
      warn(
        'requester-approves',
        `${countOf(both.length, 'person', 'people')} ${who} also ${both.length === 1 ? 'approves' : 'approve'} its ${describes}: nobody approves their own request, ${rest}`,
        both,
      );
    }
    return {
      level: i + 1,
      require: level.require,
      describes,
      approvers,
      people: people(everyone),
      admins: level.approvers.some((a) => a.kind === 'admins'),
    };
  });

  // nonAdminApprovers off needs no warning: a valid flow then names only administrators, and the
  // answer's approval says so. Otherwise, who waits for an administrator, and why.
  if (adminOnly.missingManager.length > 0) {
    const n = adminOnly.missingManager.length;
    warn(
      'missing-manager',
      `${countOf(n, 'person', 'people')} ${who} ${n === 1 ? 'has' : 'have'} no manager; their requests ${flow.enabled ? 'are' : 'would be'} Missing Data and wait for an administrator`,
      adminOnly.missingManager,
    );
  }
  for (const group of adminOnly.stuck) warn('no-eligible-approver', stuckMessage(group, flow.approval.levels[group.level]!, who, view), group.people);
  return answer({ type: 'manual', nonAdminApprovers: flow.approval.nonAdminApprovers, levels });
}

/** "for 2 people who can request X, its level 1 (…) cannot pass: <why>; an administrator must decide". */
function stuckMessage(group: StuckRequesters, level: EffectiveLevel, who: string, view: DirectoryView): string {
  const why = group.causes.map((cause) => causeClause(cause, level.require, group.causes.length > 1)).join('; ');
  return `for ${countOf(group.people.length, 'person', 'people')} ${who}, its ${describeLevel(level, group.level, view)} cannot pass: ${why}; an administrator must decide`;
}
