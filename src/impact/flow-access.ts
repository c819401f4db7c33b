// The reverse of explaining a user: for one flow, who can request it (its requester groups and the
// people in them), who approves it level by level, what a requester gets and for how long, and the
// warnings about it (self-approval, empty or unknown groups, admin-only requests). Pure.
import type { Declared } from '../config/desired.js';
import type { ApprovalFlow } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { locate } from '../config/source.js';
import type { SourceLocation } from '../errors.js';
import { type DirectoryView, unionSorted } from './directory.js';
import { adminOnlyRequesters, type EffectiveApprover, type EffectiveFlow } from './effective.js';
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
  | 'admins-only';

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
    /** Everyone who can request the flow, each once whatever the groups they are in: none while it is disabled. */
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

/** Members of sorted `a` also in sorted `b`. */
function intersectSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out[k++] = x;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out.subarray(0, k);
}

function unknownMessage(what: 'group' | 'user', name: string, role: ReferenceRole): string {
  const quoted = JSON.stringify(clipName(name));
  switch (role.in) {
    case 'visibleTo':
      return `requester group ${quoted} is not in the directory: nobody can request through it`;
    case 'grantGroup':
      return `grant group ${quoted} is not in the directory: it is taken to have no members`;
    case 'level':
      return what === 'user'
        ? `approver ${quoted} of level ${role.level} is not in the directory: they approve nothing`
        : `approver group ${quoted} of level ${role.level} is not in the directory: it approves nothing`;
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
}

/** Who can request `flow`, who approves it, what it grants, and what is wrong with that. */
export function explainFlowAccess(flow: EffectiveFlow, view: DirectoryView, options: FlowAccessOptions = {}): FlowAccess {
  const shown = options.shown ?? PEOPLE_SHOWN;
  const people = (users: Iterable<number>): PeopleList => peopleList(view, users, shown);
  const name = clipName(flow.name);
  const warnings: FlowWarning[] = [];
  const warn = (code: FlowWarningCode, message: string, about?: Int32Array, source?: SourceLocation): void => {
    warnings.push({ code, message, ...(about === undefined ? {} : { people: people(about) }), ...(source === undefined ? {} : { source }) });
  };

  if (!flow.enabled) warn('flow-disabled', `${name} is disabled: nobody can request it`);
  else if (flow.requesters.length === 0) warn('no-requesters', `nobody can request ${name}: its requester groups have no active members`);

  const groups = flow.visibleTo.map((v): RequesterGroup => {
    const all = view.group(v.group)?.members.length ?? 0;
    return { group: v.group, known: v.known, members: people(v.members), inactive: all - v.members.length };
  });

  // Unknown names: at their place in the config when it was given, else as the effective flow sees them.
  if (options.references !== undefined) {
    const seen = new Set<string>();
    for (const ref of options.references) {
      const missing = ref.what === 'group' ? view.group(ref.name) === undefined : view.user(ref.name) === undefined;
      const key = `${ref.what}|${ref.role.in}|${ref.role.in === 'level' ? ref.role.level : ''}|${nameKey(ref.name)}`;
      if (!missing || seen.has(key)) continue;
      seen.add(key);
      warn(ref.what === 'group' ? 'unknown-group' : 'unknown-user', unknownMessage(ref.what, ref.name, ref.role), undefined, ref.source);
    }
  } else {
    for (const v of flow.visibleTo) if (!v.known) warn('unknown-group', unknownMessage('group', v.group, { in: 'visibleTo' }));
    if (flow.approval.type === 'manual') {
      flow.approval.levels.forEach((level, i) => {
        for (const a of level.approvers) {
          if (a.kind === 'group' && !a.known) warn('unknown-group', unknownMessage('group', a.name, { in: 'level', level: i + 1 }));
          if (a.kind === 'user' && a.user === undefined) warn('unknown-user', unknownMessage('user', a.name, { in: 'level', level: i + 1 }));
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
  const requesters = { people: people(flow.requesters), groups };
  const answer = (approval: FlowAccess['approval']): FlowAccess => ({
    ...base,
    requesters,
    approval,
    warnings,
    shown: Number.isFinite(shown) ? shown : null,
  });
  if (flow.approval.type === 'automatic') return answer({ type: 'automatic' });

  // The managers who approve for the flow's requesters: each requester's own, when they can approve.
  // A disabled flow has no requesters: its managers are those of the people who could request it.
  let managers: Int32Array | undefined;
  if (flow.usesManager) {
    const marked = new Uint8Array(view.users.length);
    const found: number[] = [];
    for (const r of flow.enabled ? flow.requesters : unionSorted(flow.visibleTo.map((v) => v.members))) {
      if (!view.managerCanApprove(r)) continue;
      const m = view.manager(r)!;
      if (marked[m] === 0) {
        marked[m] = 1;
        found.push(m);
      }
    }
    managers = Int32Array.from(found).sort();
  }

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
    const everyone = managers === undefined || !level.approvers.some((a) => a.kind === 'manager') ? level.people : unionSorted([level.people, managers]);
    // Nobody approves their own request: a requester who is also an approver leaves their own to the others.
    const both = intersectSorted(flow.requesters, level.people);
    if (both.length > 0) {
      warn(
        'requester-approves',
        `${countOf(both.length, 'person', 'people')} who can request ${name} also ${both.length === 1 ? 'approves' : 'approve'} its ${describeLevel(level, i, view)}: nobody approves their own request, so the level's other approvers decide theirs`,
        both,
      );
    }
    return {
      level: i + 1,
      require: level.require,
      describes: describeLevel(level, i, view),
      approvers,
      people: people(everyone),
      admins: level.approvers.some((a) => a.kind === 'admins'),
    };
  });

  if (!flow.approval.nonAdminApprovers) {
    warn('admins-only', `only administrators decide requests for ${name} (nonAdminApprovers is off): the approvers its levels name do not`);
  } else {
    const adminOnly = adminOnlyRequesters(flow, view);
    if (adminOnly.missingManager.length > 0) {
      const n = adminOnly.missingManager.length;
      warn(
        'missing-manager',
        `${countOf(n, 'person', 'people')} who can request ${name} ${n === 1 ? 'has' : 'have'} no manager; their requests are Missing Data and wait for an administrator`,
        adminOnly.missingManager,
      );
    }
    if (adminOnly.noEligibleApprover.length > 0) {
      warn(
        'no-eligible-approver',
        `for ${countOf(adminOnly.noEligibleApprover.length, 'person', 'people')} who can request ${name}, a level has nobody else to approve (no one approves their own request); an administrator must decide`,
        adminOnly.noEligibleApprover,
      );
    }
  }
  return answer({ type: 'manual', nonAdminApprovers: flow.approval.nonAdminApprovers, levels });
}
