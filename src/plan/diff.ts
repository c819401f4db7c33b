// diff(desired, live, policy) -> Plan: a pure function. It matches objects by name (or a previous
// name, which makes a rename an update), compares their models field by field, applies the prune
// and deletion guards, and orders the changes the way apply must run them.
import type { WebhookChannelSpec } from '../config/kinds.generated.js';
import { nameKey, matchingPattern } from '../config/names.js';
import type { SourceLocation } from '../errors.js';
import type { ChannelModel } from '../model/channel.js';
import { sameFlowSpec, type FlowModel } from '../model/flow.js';
import type { GroupModel } from '../model/group.js';
import type { SettingsModel } from '../model/settings.js';
import { fieldChanges } from './field-diff.js';
import {
  PLAN_FORMAT_VERSION,
  type Blocked,
  type Change,
  type ChangeOf,
  type FieldChange,
  type Guards,
  type ManagedKind,
  type Plan,
  type PlanProblem,
  type References,
  type InSync,
  type Unmanageable,
  type Unmanaged,
  type UnsupportedKind,
} from './plan.js';

export interface DesiredEntry<M> {
  name: string;
  previousNames: readonly string[];
  model: M;
  /** Where the repo declares the object; read only for a change or a problem, so it may be found on first read. */
  readonly source: SourceLocation;
}

export interface LiveEntry<M> {
  id: string;
  name: string;
  model: M;
  /** The digest apply checks the object against; read only for a change, so it may be computed on first read. */
  readonly fingerprint: string;
}

/** A live object the mapping could not represent: it is matched by name, never changed. */
export interface UnmanageableEntry {
  id: string;
  name: string;
  reasons: string[];
}

export interface KindInput<M> {
  desired: DesiredEntry<M>[];
  /** 'unknown' when the live list failed or came back partial; 'unsupported' when the target has no such API. */
  live: LiveEntry<M>[] | 'unknown' | 'unsupported';
  unmanageable: UnmanageableEntry[];
}

export interface DiffInput {
  target: string;
  groups: KindInput<GroupModel> & {
    /** Name keys of desired groups that may be created when missing (spec.create). */
    creatable: ReadonlySet<string>;
  };
  flows: KindInput<FlowModel>;
  channels: KindInput<ChannelModel> & {
    /** The spec as written in git, by channel name: apply reads its secret references from the environment. */
    configs: ReadonlyMap<string, WebhookChannelSpec>;
  };
  settings: {
    desired: DesiredEntry<SettingsModel> | undefined;
    live: LiveEntry<SettingsModel> | 'unknown' | UnmanageableEntry[];
  };
  /** Why each unsupported kind is unsupported. */
  unsupported: UnsupportedKind[];
  /** Problems found while preparing the input (unknown references, missing secrets). */
  problems: PlanProblem[];
  warnings: PlanProblem[];
  references: References;
}

export type DeletionPolicy = Guards;

export const defaultDeletionPolicy: DeletionPolicy = { prune: {}, maxDeletions: 5, maxDeletionPercent: 25, protected: [] };

interface KindResult<K extends ManagedKind, S> {
  changes: ChangeOf<K, S>[];
  unmanaged: Unmanaged[];
  unmanageable: Unmanageable[];
  noop: number;
  inSync: InSync[];
}

const SPEC = ['spec'];

// Linear in the number of objects: every name key is computed once, live objects are numbered (the
// live entries, then the unmanageable ones) and their claims and the matches are kept in typed
// arrays by number, so matching leaves next to nothing for the collector.
function diffKind<K extends ManagedKind, M extends { spec: S }, S>(
  kind: K,
  input: KindInput<M>,
  live: LiveEntry<M>[],
  prune: boolean,
  problems: PlanProblem[],
  warnings: PlanProblem[],
  extraFields?: (desired: M, live: M) => FieldChange[],
  same?: (live: S, desired: S) => boolean,
): KindResult<K, S> {
  const result: KindResult<K, S> = { changes: [], unmanaged: [], unmanageable: [], noop: 0, inSync: [] };
  const unmanageableList = input.unmanageable;
  const total = live.length + unmanageableList.length;
  const idOf = (candidate: number): string => (candidate < live.length ? live[candidate]!.id : unmanageableList[candidate - live.length]!.id);
  // The first live object of each name key; any more of the same key in `others`, in list order.
  const byKey = new Map<string, number>();
  const others = new Map<string, number[]>();
  const nameOf = (candidate: number): string => (candidate < live.length ? live[candidate]!.name : unmanageableList[candidate - live.length]!.name);
  for (let candidate = 0; candidate < total; candidate++) {
    const key = nameKey(nameOf(candidate));
    if (byKey.get(key) === undefined) byKey.set(key, candidate);
    else others.set(key, [...(others.get(key) ?? []), candidate]);
  }
  const claimed = new Uint8Array(total);
  // A desired entry whose name matches several live objects is neither created nor matched, and
  // those live objects are neither deleted nor listed: the problem says what to do.
  const desiredList = input.desired;
  const ambiguous = new Uint8Array(desiredList.length);
  const matches = new Int32Array(desiredList.length).fill(-1);
  const desiredKeys = desiredList.map((desired) => nameKey(desired.name));
  const take = (name: string, at: number, key: string = nameKey(name)): number => {
    const first = byKey.get(key);
    if (first === undefined) return -1;
    const more = others.size === 0 ? undefined : others.get(key);
    if (more !== undefined) {
      const found = [first, ...more];
      const desired = desiredList[at]!;
      ambiguous[at] = 1;
      for (const candidate of found) claimed[candidate] = 1;
      problems.push({
        code: 'ambiguous-live-name',
        kind,
        name: desired.name,
        source: desired.source,
        message: `${found.length} live ${kind} objects are named "${name}" (ids ${found.map(idOf).join(', ')}); rename or delete all but one on the platform`,
      });
      return -1;
    }
    return claimed[first] === 1 ? -1 : first;
  };
  // Current names first, so a previous name never steals an object another entry is named for.
  for (let at = 0; at < desiredList.length; at++) {
    const candidate = take(desiredList[at]!.name, at, desiredKeys[at]);
    if (candidate !== -1) {
      claimed[candidate] = 1;
      matches[at] = candidate;
    }
  }
  for (let at = 0; at < desiredList.length; at++) {
    if (matches[at] !== -1 || ambiguous[at] === 1) continue;
    for (const previous of desiredList[at]!.previousNames) {
      const candidate = take(previous, at);
      if (candidate !== -1) {
        claimed[candidate] = 1;
        matches[at] = candidate;
        break;
      }
    }
  }
  const inSyncAt: number[] = [];
  // Live objects no desired entry claimed: deleted or unmanaged below, and compared with the creates.
  const leftLive: LiveEntry<M>[] = [];
  for (let at = 0; at < desiredList.length; at++) {
    if (ambiguous[at] === 1) continue;
    const desired = desiredList[at]!;
    const match = matches[at]!;
    if (match === -1) {
      result.changes.push({
        kind,
        action: 'create',
        name: desired.name,
        fields: fieldChanges(undefined, desired.model.spec, SPEC),
        after: desired.model.spec,
        source: desired.source,
      });
      continue;
    }
    if (match >= live.length) {
      const found = unmanageableList[match - live.length]!;
      result.unmanageable.push({ kind, name: found.name, id: found.id, reasons: found.reasons, source: desired.source });
      warnings.push({
        code: 'unmanageable',
        kind,
        name: desired.name,
        source: desired.source,
        message: `the live ${kind} "${found.name}" holds ${found.reasons.join('; ')}, which accessctl does not know; it is left as it is`,
      });
      continue;
    }
    const liveEntry = live[match]!;
    const renamed = liveEntry.name !== desired.name;
    // The kind's own equality first: on a no-op plan it is the only comparison made.
    if (!renamed && extraFields === undefined && same?.(liveEntry.model.spec, desired.model.spec) === true) {
      result.noop++;
      inSyncAt.push(at);
      continue;
    }
    const fields = fieldChanges(liveEntry.model.spec, desired.model.spec, SPEC);
    if (extraFields) fields.push(...extraFields(desired.model, liveEntry.model));
    if (renamed) fields.unshift({ path: 'metadata.name', before: liveEntry.name, after: desired.name });
    if (fields.length === 0) {
      result.noop++;
      inSyncAt.push(at);
      continue;
    }
    result.changes.push({
      kind,
      action: 'update',
      name: desired.name,
      id: liveEntry.id,
      fields,
      before: liveEntry.model.spec,
      after: desired.model.spec,
      source: desired.source,
      liveFingerprint: liveEntry.fingerprint,
      ...(renamed ? { renamedFrom: liveEntry.name } : {}),
    });
  }
  // In sync, by name key (the keys are at hand here; the plan lists them by kind, then name key).
  inSyncAt.sort((a, b) => (desiredKeys[a]! < desiredKeys[b]! ? -1 : desiredKeys[a]! > desiredKeys[b]! ? 1 : 0));
  result.inSync = new Array(inSyncAt.length);
  for (let i = 0; i < inSyncAt.length; i++) {
    const at = inSyncAt[i]!;
    result.inSync[i] = { kind, name: desiredList[at]!.name, id: live[matches[at]!]!.id };
  }
  for (let candidate = 0; candidate < total; candidate++) {
    if (claimed[candidate] === 1) continue;
    if (candidate >= live.length) {
      const { id, name, reasons } = unmanageableList[candidate - live.length]!;
      result.unmanageable.push({ kind, name, id, reasons });
      continue;
    }
    const entry = live[candidate]!;
    leftLive.push(entry);
    if (prune) {
      result.changes.push({
        kind,
        action: 'delete',
        name: entry.name,
        id: entry.id,
        fields: fieldChanges(entry.model.spec, undefined, SPEC),
        before: entry.model.spec,
        liveFingerprint: entry.fingerprint,
      });
    } else {
      result.unmanaged.push({ kind, name: entry.name, id: entry.id });
    }
  }
  hintRenames(kind, result.changes, leftLive, prune, warnings, same);
  return result;
}

/**
 * A create whose spec is exactly that of a live object the plan deletes (or leaves unmanaged) is
 * most likely a rename written without previousNames: say so where the new name is written. Only
 * when the plan creates something, so a no-op plan pays nothing; specs are bucketed by their JSON.
 */
function hintRenames<K extends ManagedKind, M extends { spec: S }, S>(
  kind: K,
  changes: readonly ChangeOf<K, S>[],
  leftLive: readonly LiveEntry<M>[],
  prune: boolean,
  warnings: PlanProblem[],
  same?: (live: S, desired: S) => boolean,
): void {
  if (leftLive.length === 0) return;
  const creates = changes.filter((change) => change.action === 'create');
  if (creates.length === 0) return;
  const bySpec = new Map<string, LiveEntry<M>[]>();
  for (const entry of leftLive) {
    const key = JSON.stringify(entry.model.spec);
    const bucket = bySpec.get(key);
    if (bucket === undefined) bySpec.set(key, [entry]);
    else bucket.push(entry);
  }
  for (const create of creates) {
    if (create.after === undefined) continue;
    const after = create.after;
    const twin = bySpec
      .get(JSON.stringify(after))
      ?.find((entry) => (same ? same(entry.model.spec, after) : fieldChanges(entry.model.spec, after, SPEC).length === 0));
    if (twin === undefined) continue;
    const fate = prune ? 'deletes' : 'leaves unmanaged';
    warnings.push({
      code: 'possible-rename',
      kind,
      name: create.name,
      ...(create.source === undefined ? {} : { source: create.source }),
      message: `the plan creates ${kind} "${create.name}" and ${fate} the live "${twin.name}" (id ${twin.id}), which is the same in every field: if this is a rename, list the old name in metadata.previousNames, so the object is renamed in place and keeps its id`,
    });
  }
}

/** Deletion guards: any one of them blocks the whole plan, and says why. */
function guardDeletions(
  changes: readonly Change[],
  liveCounts: Map<ManagedKind, number>,
  desiredCounts: Map<ManagedKind, number>,
  policy: DeletionPolicy,
): Blocked[] {
  const deletions = changes.filter((c) => c.action === 'delete');
  const blocked = new Map<Change, Blocked>();
  // One entry per deletion; a deletion stopped by several guards lists every reason.
  const block = (change: (typeof deletions)[number], reason: string): void => {
    const existing = blocked.get(change);
    if (existing) existing.reason = `${existing.reason}; ${reason}`;
    else blocked.set(change, { kind: change.kind, name: change.name, id: change.id, reason });
  };
  for (const change of deletions) {
    const pattern = matchingPattern(change.name, policy.protected);
    if (pattern !== undefined) block(change, `"${change.name}" matches the protected pattern "${pattern}"`);
  }
  if (deletions.length > policy.maxDeletions) {
    for (const change of deletions)
      block(change, `the plan deletes ${deletions.length} object${deletions.length === 1 ? '' : 's'}; guards.maxDeletions allows ${policy.maxDeletions}`);
  }
  for (const [kind, live] of liveCounts) {
    const ofKind = deletions.filter((c) => c.kind === kind);
    if (ofKind.length === 0 || live === 0) continue;
    const percent = (ofKind.length / live) * 100;
    if (ofKind.length === live && (desiredCounts.get(kind) ?? 0) === 0) {
      for (const change of ofKind) block(change, `the repo declares no ${kind} and the plan would delete all ${live} live ones; refusing to prune to empty`);
    } else if (percent > policy.maxDeletionPercent) {
      for (const change of ofKind)
        block(
          change,
          `the plan deletes ${ofKind.length} of ${live} live ${kind} object${live === 1 ? '' : 's'} (${percent.toFixed(0)}%); guards.maxDeletionPercent allows ${policy.maxDeletionPercent}%`,
        );
    }
  }
  return [...blocked.values()];
}

/** Guards checked on a plan as saved: apply runs them again, so an edited plan file cannot slip past. */
export function checkGuards(plan: Plan, policy: DeletionPolicy = plan.guards): Blocked[] {
  const liveCounts = new Map<ManagedKind, number>();
  const desiredCounts = new Map<ManagedKind, number>();
  for (const kind of ['ApprovalFlow', 'WebhookChannel', 'GroupAssignment'] as const) {
    const changes = plan.changes.filter((c) => c.kind === kind);
    const unchanged = plan.noop[kind] ?? 0;
    const unmanaged = plan.unmanaged.filter((u) => u.kind === kind).length;
    liveCounts.set(kind, unchanged + unmanaged + changes.filter((c) => c.action !== 'create').length);
    desiredCounts.set(kind, unchanged + changes.filter((c) => c.action !== 'delete').length);
  }
  return guardDeletions(plan.changes, liveCounts, desiredCounts, policy);
}

const KINDS_BY_NAME = Object.keys({ AccessRequestSettings: 0, ApprovalFlow: 0, GroupAssignment: 0, WebhookChannel: 0 } satisfies Record<
  ManagedKind,
  0
>).sort() as ManagedKind[];
const createOrder: ManagedKind[] = ['GroupAssignment', 'WebhookChannel', 'ApprovalFlow', 'AccessRequestSettings'];
const deleteOrder: ManagedKind[] = ['ApprovalFlow', 'WebhookChannel', 'GroupAssignment', 'AccessRequestSettings'];

/** Sorts by a key computed once per item, not once per comparison (a name key normalises Unicode). */
function sortedBy<T>(items: readonly T[], rank: (item: T) => number, name: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, rank: rank(item), key: nameKey(name(item)) }));
  keyed.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.item);
}

/** Groups, channels, flows, settings; then deletions of flows (see docs/architecture.md). */
export function orderChanges(changes: readonly Change[]): Change[] {
  const rank = (change: Change): number => (change.action === 'delete' ? 100 + deleteOrder.indexOf(change.kind) : createOrder.indexOf(change.kind));
  return sortedBy(changes, rank, (change) => change.name);
}

export function diff(input: DiffInput, policy: DeletionPolicy = defaultDeletionPolicy): Plan {
  const problems: PlanProblem[] = [...input.problems];
  const warnings: PlanProblem[] = [...input.warnings];
  const unknown: ManagedKind[] = [];
  const noop: Record<ManagedKind, number> = { GroupAssignment: 0, ApprovalFlow: 0, AccessRequestSettings: 0, WebhookChannel: 0 };
  const changes: Change[] = [];
  const unmanaged: Unmanaged[] = [];
  const unmanageable: Unmanageable[] = [];
  // Each kind's, sorted by name key as diffKind returns them.
  const inSync: Record<ManagedKind, InSync[]> = { AccessRequestSettings: [], ApprovalFlow: [], GroupAssignment: [], WebhookChannel: [] };
  const liveCounts = new Map<ManagedKind, number>();
  const desiredCounts = new Map<ManagedKind, number>();
  const unsupported = [...input.unsupported];

  /** The live side of a kind, or undefined after saying why there is none. */
  const liveOf = <M>(kind: ManagedKind, kindInput: KindInput<M>): LiveEntry<M>[] | undefined => {
    if (kindInput.live === 'unknown') {
      unknown.push(kind);
      return undefined;
    }
    if (kindInput.live === 'unsupported') {
      const reason = unsupported.find((u) => u.kind === kind)?.reason ?? 'this target does not serve it';
      for (const desired of kindInput.desired) {
        problems.push({
          code: 'unsupported-kind',
          kind,
          name: desired.name,
          source: desired.source,
          message: `${kind} is not supported by this target: ${reason}`,
        });
      }
      return undefined;
    }
    liveCounts.set(kind, kindInput.live.length);
    desiredCounts.set(kind, kindInput.desired.length);
    return kindInput.live;
  };
  const collect = <K extends ManagedKind, S>(kind: K, result: KindResult<K, S>, keep: (change: ChangeOf<K, S>) => boolean): void => {
    noop[kind] = result.noop;
    inSync[kind] = result.inSync;
    for (const change of result.changes) if (keep(change)) changes.push(change as Change);
    unmanageable.push(...result.unmanageable);
  };

  const liveGroups = liveOf('GroupAssignment', input.groups);
  if (liveGroups) {
    // Groups are never pruned: deleting one would revoke every access granted through it.
    const result = diffKind<'GroupAssignment', GroupModel, GroupModel['spec']>('GroupAssignment', input.groups, liveGroups, false, problems, warnings);
    collect('GroupAssignment', result, (change) => {
      if (change.action !== 'create' || input.groups.creatable.has(nameKey(change.name))) return true;
      problems.push({
        code: 'missing-group',
        kind: 'GroupAssignment',
        name: change.name,
        source: change.source,
        message: `user group "${change.name}" does not exist on the platform; create it there or set spec.create: true`,
      });
      return false;
    });
    // Live groups outside the repo are the directory's business, not unmanaged config.
  }

  const liveChannels = liveOf('WebhookChannel', input.channels);
  if (liveChannels) {
    // Channels are never pruned: the repo cannot tell its own channels from those made in the console.
    const result = diffKind<'WebhookChannel', ChannelModel, ChannelModel['spec']>(
      'WebhookChannel',
      input.channels,
      liveChannels,
      false,
      problems,
      warnings,
      secretFields,
    );
    noop.WebhookChannel = result.noop;
    inSync.WebhookChannel = result.inSync;
    unmanageable.push(...result.unmanageable);
    unmanaged.push(...result.unmanaged);
    for (const change of result.changes) {
      if (change.action === 'delete') continue;
      const config = input.channels.configs.get(change.name);
      if (config === undefined) throw new Error(`no config for channel "${change.name}"`);
      changes.push({ ...change, config });
    }
  }

  const liveFlows = liveOf('ApprovalFlow', input.flows);
  if (liveFlows) {
    const result = diffKind<'ApprovalFlow', FlowModel, FlowModel['spec']>(
      'ApprovalFlow',
      input.flows,
      liveFlows,
      policy.prune.ApprovalFlow === true,
      problems,
      warnings,
      undefined,
      sameFlowSpec,
    );
    collect('ApprovalFlow', result, () => true);
    unmanaged.push(...result.unmanaged);
  }

  const { desired: desiredSettings, live: liveSettings } = input.settings;
  if (desiredSettings) {
    if (liveSettings === 'unknown') {
      unknown.push('AccessRequestSettings');
    } else if (Array.isArray(liveSettings)) {
      for (const entry of liveSettings)
        unmanageable.push({ kind: 'AccessRequestSettings', name: entry.name, id: entry.id, reasons: entry.reasons, source: desiredSettings.source });
      warnings.push({
        code: 'unmanageable',
        kind: 'AccessRequestSettings',
        name: desiredSettings.name,
        source: desiredSettings.source,
        message: `the live settings hold ${liveSettings.flatMap((e) => e.reasons).join('; ')}, which accessctl does not know; they are left as they are`,
      });
    } else {
      const fields = fieldChanges(liveSettings.model.spec, desiredSettings.model.spec, ['spec']);
      if (fields.length === 0) {
        noop.AccessRequestSettings = 1;
        inSync.AccessRequestSettings = [{ kind: 'AccessRequestSettings', name: desiredSettings.name, id: liveSettings.id }];
      } else {
        changes.push({
          kind: 'AccessRequestSettings',
          action: 'update',
          name: desiredSettings.name,
          id: liveSettings.id,
          fields,
          before: liveSettings.model.spec,
          after: desiredSettings.model.spec,
          source: desiredSettings.source,
          liveFingerprint: liveSettings.fingerprint,
        });
      }
    }
  }

  const ordered = orderChanges(changes);
  // By kind, in the alphabetical order of the kinds' names, then by name key.
  const kindRank = (item: { kind: ManagedKind }): number => KINDS_BY_NAME.indexOf(item.kind);
  const byName = (item: { name: string }): string => item.name;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    target: input.target,
    changes: ordered,
    unmanaged: sortedBy(unmanaged, kindRank, byName),
    unmanageable: sortedBy(unmanageable, kindRank, byName),
    unsupported,
    blocked: guardDeletions(ordered, liveCounts, desiredCounts, policy),
    noop,
    // concat copies each kind's list whole; flatMap visits 10,000 entries one at a time.
    inSync: ([] as InSync[]).concat(...KINDS_BY_NAME.map((kind) => inSync[kind])),
    unknown,
    problems,
    warnings,
    references: input.references,
    guards: { prune: { ...policy.prune }, maxDeletions: policy.maxDeletions, maxDeletionPercent: policy.maxDeletionPercent, protected: [...policy.protected] },
  };
}

function secretFields(desired: ChannelModel, _live: ChannelModel): FieldChange[] {
  return desired.secrets === 'changed' ? [{ path: 'spec.secrets', sensitive: true, before: '(sensitive)', after: '(sensitive)' }] : [];
}
