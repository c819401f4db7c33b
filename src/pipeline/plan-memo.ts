// The plan a long-lived caller (the reconciler) made last, with what it was made from. The plan is
// a pure function of the desired state, the live state, the secrets it compared and the deletion
// policy; when all four are the very same values again (checked by identity, which costs next to
// nothing: the parse cache and the answer memo hand back the same objects), so is the plan.
import type { Declared, DesiredState } from '../config/desired.js';
import type { SecretSource } from '../jumpcloud/channel-mapping.js';
import { FlowPageMemo, type LiveFlows } from '../jumpcloud/live-flows.js';
import type { Known, LiveWire } from '../jumpcloud/live.js';
import { deepFreeze } from '../model/frozen.js';
import type { DeletionPolicy } from '../plan/diff.js';
import type { Plan } from '../plan/plan.js';

interface Made {
  desired: DesiredState;
  live: LiveWire;
  /** Every secret the plan read, with the value it read. */
  secrets: Map<string, string | undefined>;
  policy: string;
  plan: Plan;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same declared object: its parsed document is the very same (the object is that document's data). */
function sameDeclared(a: Declared<unknown> | undefined, b: Declared<unknown> | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.source === b.source);
}

/**
 * The same declared objects, kind by kind, in the same order. A reissued load has new lists, and a
 * fleet's org new wrappers, around the same parsed documents of unchanged files.
 */
export function sameDesired(a: DesiredState, b: DesiredState): boolean {
  if (a === b) return true;
  for (const key of Object.keys(a) as (keyof DesiredState)[]) {
    const left: Declared<unknown>[] | Declared<unknown> | undefined = a[key];
    const right: Declared<unknown>[] | Declared<unknown> | undefined = b[key];
    if (Array.isArray(left) && Array.isArray(right)) {
      if (left.length !== right.length) return false;
      for (let i = 0; i < left.length; i++) if (!sameDeclared(left[i], right[i])) return false;
    } else if (Array.isArray(left) || Array.isArray(right) || !sameDeclared(left, right)) return false;
  }
  return true;
}

function sameKnown<T>(a: Known<T> | { status: 'not-read' }, b: Known<T> | { status: 'not-read' }): boolean {
  if (a.status !== b.status) return false;
  if (a.status !== 'ok' || b.status !== 'ok') return 'reason' in a && 'reason' in b ? a.reason === b.reason : true;
  return Array.isArray(a.value) && Array.isArray(b.value) ? sameItems(a.value, b.value) : a.value === b.value;
}

/**
 * The same live flows: the same pages. The flows are mapped as they are read, so their entries
 * are new in every read; their pages are what stays the same.
 */
function sameFlows(a: Known<LiveFlows>, b: Known<LiveFlows>): boolean {
  if (a.status !== 'ok' || b.status !== 'ok') return sameKnown(a, b);
  const [left, right] = [a.value.pages, b.value.pages];
  return left.length === right.length && left.every((page, i) => page.same(right[i]!));
}

/** The same live objects (item by item), lists that failed alike, and the same associations. */
export function sameLive(a: LiveWire, b: LiveWire): boolean {
  if (a.target !== b.target || a.associations.size !== b.associations.size) return false;
  const sameLists =
    sameKnown(a.groups, b.groups) &&
    sameKnown(a.users, b.users) &&
    sameKnown(a.applications, b.applications) &&
    sameFlows(a.flows, b.flows) &&
    sameKnown(a.channels, b.channels) &&
    sameKnown(a.settings, b.settings);
  if (!sameLists) return false;
  for (const [group, known] of a.associations) {
    const other = b.associations.get(group);
    if (other === undefined || !sameKnown(known, other)) return false;
  }
  return true;
}

export class PlanMemo {
  private made: Made | undefined;
  private userApprovers: { desired: DesiredState; names: boolean } | undefined;
  private icons: { desired: DesiredState; manages: (name: string) => boolean } | undefined;
  /** The flow pages mapped last, and the directory index they were mapped with. */
  readonly flowPages = new FlowPageMemo();
  private reusedCount = 0;

  /** Plans handed back as made before. */
  get reused(): number {
    return this.reusedCount;
  }

  /** Whether the desired flows name a user approver: the answer for these very declared objects, or `compute`'s. */
  namesUserApprover(desired: DesiredState, compute: (desired: DesiredState) => boolean): boolean {
    if (this.userApprovers === undefined || !sameDesired(this.userApprovers.desired, desired)) {
      this.userApprovers = { desired, names: compute(desired) };
    }
    return this.userApprovers.names;
  }

  /** Which flows' icons the repo sets: the very predicate made for these declared objects before, or `compute`'s. */
  iconsManaged(desired: DesiredState, compute: (desired: DesiredState) => (name: string) => boolean): (name: string) => boolean {
    if (this.icons === undefined || !sameDesired(this.icons.desired, desired)) this.icons = { desired, manages: compute(desired) };
    return this.icons.manages;
  }

  /**
   * The plan for these inputs: the one made last when they are the same, else `make`'s, which reads
   * secrets only through the source it is given (so that which secrets it compared is known). The
   * plan is frozen when kept: whoever changed it would change the next cycle's.
   */
  plan(
    desired: DesiredState,
    live: LiveWire,
    secrets: SecretSource,
    policy: DeletionPolicy,
    make: (secrets: SecretSource) => Plan,
  ): { plan: Plan; reused: boolean } {
    const policyText = JSON.stringify(policy);
    const made = this.made;
    if (
      made !== undefined &&
      made.policy === policyText &&
      sameDesired(made.desired, desired) &&
      sameLive(made.live, live) &&
      [...made.secrets].every(([name, value]) => secrets(name) === value)
    ) {
      this.reusedCount++;
      return { plan: made.plan, reused: true };
    }
    const read = new Map<string, string | undefined>();
    const plan = make((name) => {
      const value = secrets(name);
      read.set(name, value);
      return value;
    });
    deepFreeze(plan);
    this.made = { desired, live, secrets: read, policy: policyText, plan };
    return { plan, reused: false };
  }
}
