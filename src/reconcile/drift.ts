// Which planned changes are drift, per object: a live difference is drift when the object's own
// desired state is what it was when the platform last matched it; otherwise the repo changed and it
// is a change. Editing another file, or restarting, never turns one into the other. Pure functions.
import type { DesiredState } from '../config/desired.js';
import type { DriftPolicy } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { fingerprintOf } from '../jumpcloud/fingerprint.js';
import type { Change, ManagedKind } from '../plan/plan.js';

/** Per object key (see objectKey), the digest of its desired state. */
export type ObjectDigests = Readonly<Record<string, string>>;

/** An object's identity across runs: its kind and its name as names compare. */
export function objectKey(kind: ManagedKind, name: string): string {
  return `${kind}/${nameKey(name)}`;
}

interface Declared {
  name: string;
  object: { metadata: { annotations?: unknown } & Record<string, unknown> } & Record<string, unknown>;
}

// A config object from the reconciler's parse cache is deep-frozen and comes back every run while
// its file is unchanged: its digest cannot change, so it is computed once, and its key with it.
const frozenDigests = new WeakMap<object, { kind: ManagedKind; name: string; key: string; digest: string }>();

/**
 * The digest of each managed object the repo declares. Annotations are left out: they say how
 * accessctl treats the object (pausing its drift correction, say), not what it should be, so
 * adding one must not make the object's live difference look like a change to apply.
 */
export function desiredDigests(desired: DesiredState): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const flow of desired.flows) addDigest(digests, 'ApprovalFlow', flow as unknown as Declared);
  for (const group of desired.groups) addDigest(digests, 'GroupAssignment', group as unknown as Declared);
  for (const channel of desired.channels) addDigest(digests, 'WebhookChannel', channel as unknown as Declared);
  if (desired.settings) addDigest(digests, 'AccessRequestSettings', desired.settings as unknown as Declared);
  return digests;
}

function addDigest(digests: Record<string, string>, kind: ManagedKind, declared: Declared): void {
  const object = declared.object;
  const kept = frozenDigests.get(object);
  if (kept !== undefined && kept.kind === kind && kept.name === declared.name) {
    digests[kept.key] = kept.digest;
    return;
  }
  const { metadata, ...rest } = object;
  const { annotations: _annotations, ...identity } = metadata;
  const digest = fingerprintOf({ ...rest, metadata: identity });
  const key = objectKey(kind, declared.name);
  if (Object.isFrozen(object)) frozenDigests.set(object, { kind, name: declared.name, key, digest });
  digests[key] = digest;
}

/**
 * What this run does with a planned change. apply: a change to the repo, or drift the kind's
 * policy corrects; report: drift under a `report` policy; paused: drift of an object whose drift
 * correction is paused by its annotation.
 */
export type Handling = 'apply' | 'report' | 'paused';

export interface ClassifiedChange {
  change: Change;
  key: string;
  /** A live difference while the object's desired state stayed as last applied. */
  drift: boolean;
  handling: Handling;
  /** The kind's policy, for drift. */
  policy?: DriftPolicy;
  /** When the pause of a paused object's drift correction ends. */
  pausedUntil?: string;
}

export interface ClassifyInput {
  /** Digests as last applied; undefined when nothing is known (every difference is then a change). */
  baseline: ObjectDigests | undefined;
  current: ObjectDigests;
  policies: Partial<Record<ManagedKind, DriftPolicy>>;
  /** Objects whose drift correction is paused now, by key, with when the pause ends. */
  paused: ReadonlyMap<string, string>;
}

/** Whether a change is drift. A delete is drift when the repo did not hold the object at the last apply either. */
function isDrift(change: Change, key: string, input: ClassifyInput): boolean {
  const { baseline, current } = input;
  if (baseline === undefined) return false;
  if (change.action === 'delete') return !Object.hasOwn(baseline, key);
  return Object.hasOwn(baseline, key) && baseline[key] === current[key];
}

export function classifyChanges(changes: readonly Change[], input: ClassifyInput): ClassifiedChange[] {
  return changes.map((change) => {
    const key = objectKey(change.kind, change.name);
    if (!isDrift(change, key, input)) return { change, key, drift: false, handling: 'apply' };
    const policy = input.policies[change.kind] ?? 'correct';
    if (policy === 'report') return { change, key, drift: true, handling: 'report', policy };
    const pausedUntil = input.paused.get(key);
    if (pausedUntil !== undefined) return { change, key, drift: true, handling: 'paused', policy, pausedUntil };
    return { change, key, drift: true, handling: 'apply', policy };
  });
}

export interface NextDigestsInput {
  baseline: ObjectDigests | undefined;
  current: ObjectDigests;
  classified: readonly ClassifiedChange[];
  /** The changes that landed this run. */
  applied: ReadonlySet<Change>;
  /** Keys of live objects the repo no longer declares that still exist (unmanaged, or a delete that did not land). */
  stillLive: ReadonlySet<string>;
}

/**
 * The digests to record after a run. An object the platform now matches (no change, or its change
 * landed) gets its current digest; one still differing keeps the digest it had, so its difference
 * stays drift or change as it was. An object the repo dropped is remembered while it still lives,
 * so pruning it later is a change, not drift.
 */
export function nextDigests(input: NextDigestsInput): Record<string, string> {
  const pending = new Set<string>();
  for (const c of input.classified) if (!input.applied.has(c.change)) pending.add(c.key);
  const next: Record<string, string> = {};
  const { baseline, current } = input;
  for (const key in current) {
    if (!pending.has(key)) next[key] = current[key] as string;
    else if (baseline !== undefined && Object.hasOwn(baseline, key)) next[key] = baseline[key] ?? (current[key] as string);
  }
  if (baseline !== undefined && input.stillLive.size > 0) {
    for (const key in baseline) if (!Object.hasOwn(current, key) && input.stillLive.has(key)) next[key] = baseline[key] as string;
  }
  return next;
}
