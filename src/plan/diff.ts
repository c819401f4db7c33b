// diff(desired, live, policy) -> Plan: a pure function. It matches objects by name (or a previous
// name, which makes a rename an update), compares their models field by field, applies the prune
// and deletion guards, and orders the changes the way apply must run them.
import { nameKey, matchingPattern } from '../config/names.js';
import type { SourceLocation } from '../errors.js';
import type { FlowModel, GroupModel, SettingsModel, WebhookModel } from '../jumpcloud/mapping.js';
import { fieldChanges } from './field-diff.js';
import { PLAN_FORMAT_VERSION, type Blocked, type Change, type ManagedKind, type Plan, type PlanProblem, type References, type Unmanaged } from './plan.js';

export interface DesiredEntry<M> {
  name: string;
  previousNames: readonly string[];
  model: M;
  source: SourceLocation;
  /** The spec as written, carried into the change when apply needs it (webhooks' secret references). */
  config?: unknown;
}

export interface LiveEntry<M> {
  id: string;
  name: string;
  model: M;
  fingerprint: string;
}

export interface KindInput<M> {
  desired: DesiredEntry<M>[];
  /** 'unknown' when the live list failed or came back partial. */
  live: LiveEntry<M>[] | 'unknown';
}

export interface DiffInput {
  target: string;
  groups: KindInput<GroupModel> & {
    /** Name keys of desired groups that may be created when missing (spec.create). */
    creatable: ReadonlySet<string>;
  };
  flows: KindInput<FlowModel>;
  webhooks: KindInput<WebhookModel>;
  settings: { desired: DesiredEntry<SettingsModel> | undefined; live: LiveEntry<SettingsModel> | 'unknown' };
  /** Problems found while preparing the input (unknown references, missing secrets). */
  problems: PlanProblem[];
  warnings: PlanProblem[];
  references: References;
}

export interface DeletionPolicy {
  prune: Partial<Record<ManagedKind, boolean>>;
  maxDeletions: number;
  maxDeletionPercent: number;
  protected: readonly string[];
}

export const defaultDeletionPolicy: DeletionPolicy = { prune: {}, maxDeletions: 5, maxDeletionPercent: 25, protected: [] };

interface Model {
  spec: unknown;
}

interface KindResult {
  changes: Change[];
  unmanaged: Unmanaged[];
  noop: number;
}

function diffKind<M extends Model>(
  kind: ManagedKind,
  input: KindInput<M>,
  policy: DeletionPolicy,
  problems: PlanProblem[],
  extraFields: (desired: M, live: M) => Change['fields'] = () => [],
): KindResult {
  const result: KindResult = { changes: [], unmanaged: [], noop: 0 };
  if (input.live === 'unknown') return result;
  const liveByKey = new Map<string, LiveEntry<M>[]>();
  for (const entry of input.live) {
    const key = nameKey(entry.name);
    liveByKey.set(key, [...(liveByKey.get(key) ?? []), entry]);
  }
  const claimed = new Set<LiveEntry<M>>();
  // A desired entry whose name matches several live objects is neither created nor matched, and
  // those live objects are neither deleted nor listed: the problem says what to do.
  const ambiguous = new Set<DesiredEntry<M>>();
  const take = (name: string, desired: DesiredEntry<M>): LiveEntry<M> | undefined => {
    const found = liveByKey.get(nameKey(name)) ?? [];
    if (found.length > 1) {
      ambiguous.add(desired);
      for (const entry of found) claimed.add(entry);
      problems.push({
        code: 'ambiguous-live-name',
        kind,
        name: desired.name,
        source: desired.source,
        message: `${found.length} live ${kind} objects are named "${name}" (ids ${found.map((f) => f.id).join(', ')}); rename or delete all but one on the platform`,
      });
      return undefined;
    }
    const entry = found[0];
    return entry && !claimed.has(entry) ? entry : undefined;
  };
  // Current names first, so a previous name never steals an object another entry is named for.
  const matches = new Map<DesiredEntry<M>, { live: LiveEntry<M>; renamedFrom?: string }>();
  for (const desired of input.desired) {
    const live = take(desired.name, desired);
    if (live) {
      claimed.add(live);
      matches.set(desired, { live });
    }
  }
  for (const desired of input.desired) {
    if (matches.has(desired) || ambiguous.has(desired)) continue;
    for (const previous of desired.previousNames) {
      const live = take(previous, desired);
      if (live) {
        claimed.add(live);
        matches.set(desired, { live, renamedFrom: live.name });
        break;
      }
    }
  }
  for (const desired of input.desired) {
    if (ambiguous.has(desired)) continue;
    const match = matches.get(desired);
    if (!match) {
      result.changes.push({
        kind,
        action: 'create',
        name: desired.name,
        fields: fieldChanges(undefined, desired.model.spec, ['spec']),
        after: desired.model.spec,
        source: desired.source,
        ...(desired.config === undefined ? {} : { config: desired.config }),
      });
      continue;
    }
    const fields = [...fieldChanges(match.live.model.spec, desired.model.spec, ['spec']), ...extraFields(desired.model, match.live.model)];
    const renamed = match.live.name !== desired.name;
    if (renamed) fields.unshift({ path: 'metadata.name', before: match.live.name, after: desired.name });
    if (fields.length === 0) {
      result.noop++;
      continue;
    }
    const change: Change = {
      kind,
      action: 'update',
      name: desired.name,
      id: match.live.id,
      fields,
      before: match.live.model.spec,
      after: desired.model.spec,
      source: desired.source,
      liveFingerprint: match.live.fingerprint,
      ...(desired.config === undefined ? {} : { config: desired.config }),
    };
    if (renamed) change.renamedFrom = match.live.name;
    result.changes.push(change);
  }
  for (const live of input.live) {
    if (claimed.has(live)) continue;
    if (policy.prune[kind]) {
      result.changes.push({ kind, action: 'delete', name: live.name, id: live.id, fields: fieldChanges(live.model.spec, undefined, ['spec']), before: live.model.spec, liveFingerprint: live.fingerprint });
    } else {
      result.unmanaged.push({ kind, name: live.name, id: live.id });
    }
  }
  return result;
}

/** Deletion guards: any one of them blocks the whole plan, and says why. */
function guardDeletions(changes: readonly Change[], liveCounts: Map<ManagedKind, number>, desiredCounts: Map<ManagedKind, number>, policy: DeletionPolicy): Blocked[] {
  const deletions = changes.filter((c) => c.action === 'delete');
  const blocked = new Map<Change, Blocked>();
  // One entry per deletion; a deletion stopped by several guards lists every reason.
  const block = (change: Change, reason: string): void => {
    const existing = blocked.get(change);
    if (existing) existing.reason = `${existing.reason}; ${reason}`;
    else blocked.set(change, { kind: change.kind, name: change.name, ...(change.id ? { id: change.id } : {}), reason });
  };
  for (const change of deletions) {
    const pattern = matchingPattern(change.name, policy.protected);
    if (pattern !== undefined) block(change, `"${change.name}" matches the protected pattern "${pattern}"`);
  }
  if (deletions.length > policy.maxDeletions) {
    for (const change of deletions) block(change, `the plan deletes ${deletions.length} objects; guards.maxDeletions allows ${policy.maxDeletions}`);
  }
  for (const [kind, live] of liveCounts) {
    const ofKind = deletions.filter((c) => c.kind === kind);
    if (ofKind.length === 0 || live === 0) continue;
    const percent = (ofKind.length / live) * 100;
    if (ofKind.length === live && (desiredCounts.get(kind) ?? 0) === 0) {
      for (const change of ofKind) block(change, `the repo declares no ${kind} and the plan would delete all ${live} live ones; refusing to prune to empty`);
    } else if (percent > policy.maxDeletionPercent) {
      for (const change of ofKind) block(change, `the plan deletes ${ofKind.length} of ${live} live ${kind} objects (${percent.toFixed(0)}%); guards.maxDeletionPercent allows ${policy.maxDeletionPercent}%`);
    }
  }
  return [...blocked.values()];
}

const createOrder: ManagedKind[] = ['GroupAssignment', 'WebhookSubscription', 'ApprovalFlow', 'AccessRequestSettings'];
const deleteOrder: ManagedKind[] = ['ApprovalFlow', 'WebhookSubscription', 'GroupAssignment', 'AccessRequestSettings'];

/** DESIGN section 3: groups, channels, flows, settings; then deletions of flows, then of channels. */
export function orderChanges(changes: readonly Change[]): Change[] {
  const rank = (change: Change): number =>
    change.action === 'delete' ? 100 + deleteOrder.indexOf(change.kind) : createOrder.indexOf(change.kind);
  return [...changes].sort((a, b) => rank(a) - rank(b) || (nameKey(a.name) < nameKey(b.name) ? -1 : nameKey(a.name) > nameKey(b.name) ? 1 : 0));
}

export function diff(input: DiffInput, policy: DeletionPolicy = defaultDeletionPolicy): Plan {
  const problems: PlanProblem[] = [...input.problems];
  const unknown: ManagedKind[] = [];
  const noop: Record<ManagedKind, number> = { GroupAssignment: 0, ApprovalFlow: 0, AccessRequestSettings: 0, WebhookSubscription: 0 };
  const changes: Change[] = [];
  const unmanaged: Unmanaged[] = [];
  const liveCounts = new Map<ManagedKind, number>();
  const desiredCounts = new Map<ManagedKind, number>();

  // Groups are never pruned: deleting one would revoke every access granted through it.
  const groupPolicy: DeletionPolicy = { ...policy, prune: { ...policy.prune, GroupAssignment: false } };
  const kinds: [ManagedKind, KindInput<Model>, DeletionPolicy, ((d: Model, l: Model) => Change['fields'])?][] = [
    ['GroupAssignment', input.groups, groupPolicy],
    ['WebhookSubscription', input.webhooks as KindInput<Model>, policy, (d, l) => secretFields(d as WebhookModel, l as WebhookModel)],
    ['ApprovalFlow', input.flows, policy],
  ];
  for (const [kind, kindInput, kindPolicy, extra] of kinds) {
    if (kindInput.live === 'unknown') {
      unknown.push(kind);
      continue;
    }
    liveCounts.set(kind, kindInput.live.length);
    desiredCounts.set(kind, kindInput.desired.length);
    const result = diffKind(kind, kindInput, kindPolicy, problems, extra);
    noop[kind] = result.noop;
    for (const change of result.changes) {
      if (kind === 'GroupAssignment' && change.action === 'create' && !input.groups.creatable.has(nameKey(change.name))) {
        problems.push({
          code: 'missing-group',
          kind,
          name: change.name,
          ...(change.source ? { source: change.source } : {}),
          message: `user group "${change.name}" does not exist on the platform; create it there or set spec.create: true`,
        });
      } else {
        changes.push(change);
      }
    }
    // Live groups outside the repo are the directory's business, not unmanaged config.
    if (kind !== 'GroupAssignment') unmanaged.push(...result.unmanaged);
  }

  const { desired: desiredSettings, live: liveSettings } = input.settings;
  if (desiredSettings) {
    if (liveSettings === 'unknown') {
      unknown.push('AccessRequestSettings');
    } else {
      const fields = fieldChanges(liveSettings.model.spec, desiredSettings.model.spec, ['spec']);
      if (fields.length === 0) noop.AccessRequestSettings = 1;
      else {
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
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    target: input.target,
    changes: ordered,
    unmanaged: unmanaged.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : nameKey(a.name) < nameKey(b.name) ? -1 : 1)),
    blocked: guardDeletions(ordered, liveCounts, desiredCounts, policy),
    noop,
    unknown,
    problems,
    warnings: [...input.warnings],
    references: input.references,
  };
}

function secretFields(desired: WebhookModel, _live: WebhookModel): Change['fields'] {
  return desired.secrets === 'changed' ? [{ path: 'spec.secrets', sensitive: true, before: '(sensitive)', after: '(sensitive)' }] : [];
}
