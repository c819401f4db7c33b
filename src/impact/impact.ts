// Access impact: effective access before (live) and after (desired) for each flow a plan changes,
// compared in people: who gains or loses the right to request, which approvals loosen or tighten,
// what is granted for how long. Each finding is widening, narrowing or neutral. Pure.
import { nameKey } from '../config/names.js';
import type { SourceLocation } from '../errors.js';
import type { FlowModel } from '../model/flow.js';
import { differenceSorted, sameSorted, type DirectoryView } from './directory.js';
import { adminOnlyRequesters, effectiveFlow, type EffectiveApprover, type EffectiveFlow, type EffectiveLevel } from './effective.js';
import { clipName, countOf, listNames, peopleList, type PeopleList } from './people.js';

export type ImpactDirection = 'widening' | 'narrowing' | 'neutral';

export type ImpactCode =
  | 'requesters-added'
  | 'requesters-removed'
  | 'no-requesters'
  | 'flow-enabled'
  | 'flow-disabled'
  | 'flow-deleted'
  | 'approval-automatic'
  | 'approval-manual'
  | 'approval-levels'
  | 'admins-only'
  | 'non-admin-approvers'
  | 'level-added'
  | 'level-removed'
  | 'level-require'
  | 'approvers-added'
  | 'approvers-removed'
  | 'approvers-renamed'
  | 'grant-group'
  | 'max-duration'
  | 'durations'
  | 'missing-manager'
  | 'no-eligible-approver'
  | 'pending-cancelled'
  | 'pending-kept'
  | 'more-lines';

/** The part of the flow's config an item comes from; the plan turns it into a file:line:col. */
export interface ImpactCause {
  field: 'flow' | 'enabled' | 'visibleTo' | 'grantGroup' | 'approval.type' | 'approval.nonAdminApprovers' | 'approval.levels' | 'access';
  /** For visibleTo: the group that brought the people in. */
  group?: string;
  /** For approval.levels: the level's index in the desired flow. */
  level?: number;
}

export interface ImpactItem {
  direction: ImpactDirection;
  code: ImpactCode;
  /** One line, such as "+14 people can now request GitHub Admin (via Engineering All)". */
  message: string;
  /** The people the line is about, by email, capped. */
  people?: PeopleList;
  cause: ImpactCause;
  /** Where the desired config says it (absent for deletions). */
  source?: SourceLocation;
}

export interface FlowImpact {
  /** The flow's name in git (create, update) or on the platform (delete). */
  flow: string;
  action: 'create' | 'update' | 'delete';
  renamedFrom?: string;
  /** The group the flow grants (after the change; before it for a deletion). */
  grantGroup: string;
  items: ImpactItem[];
  /** Requests pending on the live flow, and what the change does to them. */
  pendingRequests?: { count: number; effect: 'cancelled' | 'kept' };
  source?: SourceLocation;
}

export interface AccessImpact {
  /** `unknown` when the directory could not be read: nothing was compared, `reason` says why. */
  status: 'computed' | 'unknown';
  reason?: string;
  /** Whether the pending requests of changed flows were read (`not-needed` when no live flow changes). */
  pendingRequests: 'read' | 'not-needed' | 'unknown';
  flows: FlowImpact[];
  summary: Record<ImpactDirection, number>;
}

/** One flow change: the live model (update, delete) and the desired one (create, update). */
export interface FlowPair {
  name: string;
  action: 'create' | 'update' | 'delete';
  before?: FlowModel;
  after?: FlowModel;
  renamedFrom?: string;
  /** Pending requests of the live flow, when they were read. */
  pending?: number;
}

const formatMax = (flow: EffectiveFlow): string => flow.maxDuration ?? 'permanent';

function approverLabel(approver: EffectiveApprover, view: DirectoryView): string {
  switch (approver.kind) {
    case 'manager':
      return "the requester's manager";
    case 'admins':
      return 'administrators';
    case 'user':
      return clipName(approver.user === undefined ? approver.name : view.label(approver.user));
    case 'group':
      return clipName(approver.name);
  }
}

function approverKey(approver: EffectiveApprover): string {
  switch (approver.kind) {
    case 'manager':
    case 'admins':
      return approver.kind;
    case 'user':
      return `user:${approver.user ?? approver.name.toLowerCase()}`;
    case 'group':
      return `group:${nameKey(approver.name)}`;
  }
}

function levelKey(level: EffectiveLevel): string {
  return `${level.require}|${level.approvers.map(approverKey).sort().join('|')}`;
}

/** "level 2 (Security Leads, 3 people)". */
export function describeLevel(level: EffectiveLevel, index: number, view: DirectoryView): string {
  const labels = level.approvers.map((a) => approverLabel(a, view));
  const people = level.approvers.some((a) => a.kind === 'user' || a.kind === 'group') ? [countOf(level.people.length, 'person', 'people')] : [];
  const require = level.require === 'all' && level.approvers.length > 1 ? ['all of them'] : [];
  return `level ${index + 1} (${[listNames(labels, 5), ...people, ...require].join(', ')})`;
}

/** Groups among `via` holding any of `users`, most first: "Engineering All" or "A and B". */
function viaGroups(flow: EffectiveFlow, users: Int32Array): string[] {
  const counted = flow.visibleTo
    .map((v) => {
      let n = 0;
      let j = 0;
      for (const u of users) {
        while (j < v.members.length && v.members[j]! < u) j++;
        if (j < v.members.length && v.members[j] === u) n++;
      }
      return { group: v.group, n };
    })
    .filter((c) => c.n > 0);
  counted.sort((a, b) => b.n - a.n || (nameKey(a.group) < nameKey(b.group) ? -1 : 1));
  return counted.map((c) => c.group);
}

/** Longest common subsequence of level keys: which levels survive the change unchanged. */
function alignLevels(before: readonly string[], after: readonly string[]): [number, number][] {
  const n = before.length;
  const m = after.length;
  const table = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i]![j] = before[i] === after[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (before[i] === after[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return pairs;
}

/** A line is at most this long, and a flow has at most this many lines: a live flow can hold anything. */
export const MESSAGE_LIMIT = 1000;
export const ITEMS_PER_FLOW = 500;

class FlowDiff {
  readonly items: ImpactItem[] = [];
  /** Lines past ITEMS_PER_FLOW, counted. */
  dropped = 0;
  constructor(
    private readonly name: string,
    private readonly view: DirectoryView,
  ) {}

  add(direction: ImpactDirection, code: ImpactCode, message: string, cause: ImpactCause, people?: Int32Array | number[]): void {
    if (this.items.length >= ITEMS_PER_FLOW) {
      this.dropped++;
      return;
    }
    const text = message.length <= MESSAGE_LIMIT ? message : `${message.slice(0, MESSAGE_LIMIT - 1)}…`;
    this.items.push({ direction, code, message: text, cause, ...(people === undefined ? {} : { people: peopleList(this.view, people) }) });
  }

  get flow(): string {
    return clipName(this.name);
  }

  requestersAdded(after: EffectiveFlow, added: Int32Array, prefix: string): void {
    if (added.length === 0) return;
    const via = viaGroups(after, added);
    const cause: ImpactCause = via[0] === undefined ? { field: 'visibleTo' } : { field: 'visibleTo', group: via[0] };
    this.add(
      'widening',
      'requesters-added',
      `${prefix}${countOf(added.length, 'person', 'people')} can ${prefix === '' ? '' : 'now '}request ${this.flow} (via ${listNames(via)})`,
      cause,
      added,
    );
  }

  requestersRemoved(before: EffectiveFlow, removed: Int32Array): void {
    if (removed.length === 0) return;
    const via = viaGroups(before, removed);
    this.add(
      'narrowing',
      'requesters-removed',
      `-${countOf(removed.length, 'person', 'people')} can no longer request ${this.flow} (they were in ${listNames(via)})`,
      { field: 'visibleTo' },
      removed,
    );
  }

  levels(levels: readonly EffectiveLevel[], nonAdminApprovers: boolean): string {
    if (!nonAdminApprovers) return 'only administrators approve (nonAdminApprovers is off)';
    return levels.map((l, i) => describeLevel(l, i, this.view)).join(', then ');
  }

  approvalChanges(before: EffectiveFlow, after: EffectiveFlow): void {
    const b = before.approval;
    const a = after.approval;
    if (b.type === 'automatic' && a.type === 'automatic') return;
    if (a.type === 'automatic') {
      this.add('widening', 'approval-automatic', `automatic approval now grants ${clipName(after.grantGroup)} through ${this.flow}: nobody approves`, {
        field: 'approval.type',
      });
      return;
    }
    if (b.type === 'automatic') {
      this.add('narrowing', 'approval-manual', `${this.flow} now needs approval: ${this.levels(a.levels, a.nonAdminApprovers)}`, { field: 'approval.type' });
      return;
    }
    if (b.nonAdminApprovers !== a.nonAdminApprovers) {
      if (a.nonAdminApprovers)
        this.add('widening', 'non-admin-approvers', `${this.flow}: approvers other than administrators may now decide`, {
          field: 'approval.nonAdminApprovers',
        });
      else
        this.add('narrowing', 'non-admin-approvers', `${this.flow}: only administrators decide now (nonAdminApprovers is off)`, {
          field: 'approval.nonAdminApprovers',
        });
    }
    const beforeKeys = b.levels.map(levelKey);
    const afterKeys = a.levels.map(levelKey);
    const kept = alignLevels(beforeKeys, afterKeys);
    // Between two kept levels, the levels left over on each side are paired in order as changed;
    // the rest were removed or added.
    const anchors: [number, number][] = [...kept, [b.levels.length, a.levels.length]];
    let bi = 0;
    let ai = 0;
    for (const [bk, ak] of anchors) {
      const removed: number[] = [];
      const added: number[] = [];
      for (; bi < bk; bi++) removed.push(bi);
      for (; ai < ak; ai++) added.push(ai);
      while (removed.length > 0 && added.length > 0) {
        const from = removed.shift()!;
        const to = added.shift()!;
        this.levelChanged(b.levels[from]!, a.levels[to]!, to);
      }
      for (const r of removed)
        this.add('widening', 'level-removed', `${this.flow}: ${describeLevel(b.levels[r]!, r, this.view)} removed`, { field: 'approval.levels' });
      for (const x of added)
        this.add('narrowing', 'level-added', `${this.flow}: ${describeLevel(a.levels[x]!, x, this.view)} added`, { field: 'approval.levels', level: x });
      bi = bk + 1;
      ai = ak + 1;
    }
  }

  levelChanged(before: EffectiveLevel, after: EffectiveLevel, index: number): void {
    const cause: ImpactCause = { field: 'approval.levels', level: index };
    const label = `${this.flow}: level ${index + 1}`;
    if (before.require !== after.require) {
      if (after.require === 'any') this.add('widening', 'level-require', `${label} needs any one of its approvers instead of all of them`, cause);
      else this.add('narrowing', 'level-require', `${label} needs all of its approvers instead of any one`, cause);
    }
    const beforeKeys = new Map(before.approvers.map((a) => [approverKey(a), a]));
    const afterKeys = new Map(after.approvers.map((a) => [approverKey(a), a]));
    const gainedEntries = after.approvers.filter((a) => !beforeKeys.has(approverKey(a)));
    const lostEntries = before.approvers.filter((a) => !afterKeys.has(approverKey(a)));
    if (gainedEntries.length === 0 && lostEntries.length === 0 && sameSorted(before.people, after.people)) return;
    const gainedPeople = differenceSorted(after.people, before.people);
    const lostPeople = differenceSorted(before.people, after.people);
    const labels = (entries: EffectiveApprover[]): string => listNames(entries.map((e) => approverLabel(e, this.view)));
    const special = (entries: EffectiveApprover[]): boolean => entries.some((e) => e.kind === 'manager' || e.kind === 'admins');
    if (after.require === 'all') {
      // Every approver of an all-level must agree: one more approver is one more signature needed.
      if (gainedEntries.length > 0) this.add('narrowing', 'approvers-added', `${label} now also needs ${labels(gainedEntries)}`, cause, gainedPeople);
      if (lostEntries.length > 0) this.add('widening', 'approvers-removed', `${label} no longer needs ${labels(lostEntries)}`, cause, lostPeople);
      if (gainedEntries.length === 0 && lostEntries.length === 0) this.peopleShift(label, cause, gainedPeople, lostPeople);
      return;
    }
    if (gainedPeople.length > 0 || special(gainedEntries)) {
      const who = gainedEntries.length > 0 ? labels(gainedEntries) : 'more people';
      this.add(
        'widening',
        'approvers-added',
        `${label} can now also be approved by ${who}${gainedPeople.length > 0 ? ` (+${countOf(gainedPeople.length, 'person', 'people')})` : ''}`,
        cause,
        gainedPeople,
      );
    }
    if (lostPeople.length > 0 || special(lostEntries)) {
      const who = lostEntries.length > 0 ? labels(lostEntries) : 'some people';
      this.add(
        'narrowing',
        'approvers-removed',
        `${label} is no longer approved by ${who}${lostPeople.length > 0 ? ` (-${countOf(lostPeople.length, 'person', 'people')})` : ''}`,
        cause,
        lostPeople,
      );
    }
    if (gainedPeople.length === 0 && lostPeople.length === 0 && !special(gainedEntries) && !special(lostEntries)) {
      this.add(
        'neutral',
        'approvers-renamed',
        `${label} approvers are now ${labels(after.approvers)} instead of ${labels(before.approvers)}; the same ${countOf(after.people.length, 'person', 'people')} approve`,
        cause,
      );
    }
  }

  /** The same approver entries, different people in them (a group's members changed under a rename). */
  private peopleShift(label: string, cause: ImpactCause, gained: Int32Array, lost: Int32Array): void {
    if (gained.length > 0)
      this.add('widening', 'approvers-added', `${label} can now be approved by ${countOf(gained.length, 'more person', 'more people')}`, cause, gained);
    if (lost.length > 0)
      this.add('narrowing', 'approvers-removed', `${label} can no longer be approved by ${countOf(lost.length, 'person', 'people')}`, cause, lost);
  }

  durationChanges(before: EffectiveFlow, after: EffectiveFlow): void {
    const cause: ImpactCause = { field: 'access' };
    if (after.maxSeconds !== before.maxSeconds) {
      const direction = after.maxSeconds > before.maxSeconds ? 'widening' : 'narrowing';
      this.add(direction, 'max-duration', `${this.flow}: max duration ${formatMax(before)} → ${formatMax(after)}`, cause);
    } else if ((before.durations ?? []).join(',') !== (after.durations ?? []).join(',')) {
      this.add('neutral', 'durations', `${this.flow}: durations offered ${(before.durations ?? []).join(', ')} → ${(after.durations ?? []).join(', ')}`, cause);
    }
  }

  adminOnly(before: EffectiveFlow | undefined, after: EffectiveFlow): void {
    if (after.approval.type !== 'manual' || !after.approval.nonAdminApprovers) return;
    const now = adminOnlyRequesters(after, this.view);
    const then = before === undefined ? undefined : adminOnlyRequesters(before, this.view);
    const cause: ImpactCause = { field: 'approval.levels' };
    if (now.missingManager.length > 0 && (then === undefined || !sameSorted(now.missingManager, then.missingManager))) {
      this.add(
        'neutral',
        'missing-manager',
        `${this.flow}: ${countOf(now.missingManager.length, 'person', 'people')} who can request it ${now.missingManager.length === 1 ? 'has' : 'have'} no manager; their requests are Missing Data and wait for an administrator`,
        cause,
        now.missingManager,
      );
    }
    if (now.noEligibleApprover.length > 0 && (then === undefined || !sameSorted(now.noEligibleApprover, then.noEligibleApprover))) {
      this.add(
        'neutral',
        'no-eligible-approver',
        `${this.flow}: for ${countOf(now.noEligibleApprover.length, 'person', 'people')} who can request it, a level has nobody else to approve (no one approves their own request); an administrator must decide`,
        cause,
        now.noEligibleApprover,
      );
    }
  }
}

/** What one flow change does to access. */
export function flowImpact(pair: FlowPair, view: DirectoryView): FlowImpact {
  const before = pair.before === undefined ? undefined : effectiveFlow(pair.before, view);
  const after = pair.after === undefined ? undefined : effectiveFlow(pair.after, view);
  const d = new FlowDiff(pair.name, view);
  if (after !== undefined && before === undefined) {
    if (!after.enabled) d.add('neutral', 'flow-disabled', `${d.flow} is created disabled: nobody can request it`, { field: 'enabled' });
    else if (after.requesters.length === 0)
      d.add('neutral', 'no-requesters', `nobody can request ${d.flow} yet: its visibleTo groups have no active members`, { field: 'visibleTo' });
    else d.requestersAdded(after, after.requesters, '');
    if (after.approval.type === 'automatic')
      d.add('widening', 'approval-automatic', `automatic approval grants ${clipName(after.grantGroup)} through ${d.flow}: nobody approves`, {
        field: 'approval.type',
      });
    else if (!after.approval.nonAdminApprovers)
      d.add('neutral', 'admins-only', `${d.flow}: only administrators approve (nonAdminApprovers is off)`, { field: 'approval.nonAdminApprovers' });
    else d.add('neutral', 'approval-levels', `${d.flow} is approved by ${d.levels(after.approval.levels, true)}`, { field: 'approval.levels' });
    d.add(
      'neutral',
      'max-duration',
      after.maxDuration === null
        ? `${d.flow} grants ${clipName(after.grantGroup)} permanently`
        : `${d.flow} grants ${clipName(after.grantGroup)} for at most ${after.maxDuration}`,
      { field: 'access' },
    );
    d.adminOnly(undefined, after);
  } else if (before !== undefined && after === undefined) {
    if (before.enabled)
      d.add(
        'narrowing',
        'flow-deleted',
        `deleting ${d.flow}: ${countOf(before.requesters.length, 'person', 'people')} can no longer request it`,
        { field: 'flow' },
        before.requesters,
      );
    else d.add('neutral', 'flow-deleted', `deleting ${d.flow}, which is disabled: nobody could request it`, { field: 'flow' });
  } else if (before !== undefined && after !== undefined) {
    if (before.enabled && !after.enabled) {
      d.add(
        'narrowing',
        'flow-disabled',
        `${d.flow} is disabled: ${countOf(before.requesters.length, 'person', 'people')} can no longer request it`,
        { field: 'enabled' },
        before.requesters,
      );
    } else if (!before.enabled && after.enabled) {
      d.add(
        'widening',
        'flow-enabled',
        `${d.flow} is enabled: ${countOf(after.requesters.length, 'person', 'people')} can request it (via ${listNames(viaGroups(after, after.requesters))})`,
        { field: 'enabled' },
        after.requesters,
      );
    } else {
      d.requestersAdded(after, differenceSorted(after.requesters, before.requesters), '+');
      d.requestersRemoved(before, differenceSorted(before.requesters, after.requesters));
    }
    if (nameKey(before.grantGroup) !== nameKey(after.grantGroup)) {
      d.add(
        'widening',
        'grant-group',
        `${d.flow} now grants ${clipName(after.grantGroup)} instead of ${clipName(before.grantGroup)}`,
        { field: 'grantGroup' },
        after.requesters,
      );
    }
    d.approvalChanges(before, after);
    d.durationChanges(before, after);
    d.adminOnly(before, after);
  }
  let pendingRequests: FlowImpact['pendingRequests'];
  if (pair.pending !== undefined && pair.pending > 0 && pair.action !== 'create') {
    const requests = countOf(pair.pending, 'pending request');
    if (pair.action === 'delete') {
      pendingRequests = { count: pair.pending, effect: 'cancelled' };
      d.add('narrowing', 'pending-cancelled', `deleting ${d.flow} cancels ${requests}`, { field: 'flow' });
    } else {
      pendingRequests = { count: pair.pending, effect: 'kept' };
      d.add(
        'neutral',
        'pending-kept',
        `${requests} for ${d.flow} ${pair.pending === 1 ? 'keeps' : 'keep'} the flow as it was when submitted; the change applies to new requests`,
        { field: 'flow' },
      );
    }
  }
  if (d.dropped > 0) {
    // Kept as the last line whatever the cap: the reader must know the list is cut.
    d.items.push({ direction: 'neutral', code: 'more-lines', message: `${d.flow}: ${d.dropped} more lines not shown`, cause: { field: 'flow' } });
  }
  const grantGroup = (after ?? before)?.grantGroup ?? '';
  return {
    flow: pair.name,
    action: pair.action,
    ...(pair.renamedFrom === undefined ? {} : { renamedFrom: pair.renamedFrom }),
    grantGroup,
    items: d.items,
    ...(pendingRequests === undefined ? {} : { pendingRequests }),
  };
}

export function summarize(flows: readonly FlowImpact[]): Record<ImpactDirection, number> {
  const summary: Record<ImpactDirection, number> = { widening: 0, narrowing: 0, neutral: 0 };
  for (const flow of flows) for (const item of flow.items) summary[item.direction]++;
  return summary;
}

/** The impact of every flow change over one directory. */
export function accessImpact(pairs: readonly FlowPair[], view: DirectoryView, pendingRequests: AccessImpact['pendingRequests'] = 'not-needed'): AccessImpact {
  const flows = pairs.map((pair) => flowImpact(pair, view)).filter((f) => f.items.length > 0);
  return { status: 'computed', pendingRequests, flows, summary: summarize(flows) };
}

/** The impact when the directory could not be read: nothing compared, and why. */
export function unknownImpact(reason: string, pendingRequests: AccessImpact['pendingRequests']): AccessImpact {
  return { status: 'unknown', reason, pendingRequests, flows: [], summary: { widening: 0, narrowing: 0, neutral: 0 } };
}
