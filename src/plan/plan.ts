// The plan as a value: what would change on the platform, field by field, plus what is unmanaged,
// what a guard blocked and what could not be known. Computed by diff(), rendered, saved and applied
// by separate code. Its JSON form is described by schemas/plan.schema.json.
import type { SourceLocation } from '../errors.js';

export const PLAN_FORMAT_VERSION = 1;

export type ManagedKind = 'GroupAssignment' | 'ApprovalFlow' | 'AccessRequestSettings' | 'WebhookSubscription';

export type ChangeAction = 'create' | 'update' | 'delete';

/** One field that differs. Paths are in the config's own terms, such as spec.approval.levels[0].require. */
export interface FieldChange {
  path: string;
  /** Absent for a field being added. Secret-bearing fields carry only "(sensitive)". */
  before?: unknown;
  /** Absent for a field being removed. */
  after?: unknown;
  sensitive?: boolean;
}

export interface Change {
  kind: ManagedKind;
  action: ChangeAction;
  /** The name in git (for create/update) or on the platform (for delete). */
  name: string;
  /** The live object's id, for update and delete. */
  id?: string;
  /** Set when an update renames the live object through metadata.previousNames. */
  renamedFrom?: string;
  fields: FieldChange[];
  /** The desired object (secrets as references), for create and update. */
  after?: unknown;
  /** The live object in config terms (secrets masked), for update and delete. */
  before?: unknown;
  /** Where the object is declared, for create and update. */
  source?: SourceLocation;
  /** A digest of the live object as planned; apply refuses to touch it if the digest changed. */
  liveFingerprint?: string;
  /** For webhooks: the spec as written in git, whose secret references apply reads from the environment. */
  config?: unknown;
}

/** Live ids of the names the changes use, so a saved plan applies without resolving names again. */
export interface References {
  groups: Record<string, string>;
  users: Record<string, string>;
  applications: Record<string, string>;
}

export interface Unmanaged {
  kind: ManagedKind;
  name: string;
  id: string;
}

export interface Blocked {
  kind: ManagedKind;
  name: string;
  id?: string;
  /** Why the guard stopped it: over maxDeletions, over maxDeletionPercent, a protected name. */
  reason: string;
}

export interface PlanProblem {
  /** A stable kebab-case identifier, such as unknown-group or list-failed. */
  code: string;
  message: string;
  kind?: ManagedKind;
  name?: string;
  source?: SourceLocation;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  /** The API base URL the plan was made against. */
  target: string;
  /** Ordered as apply must run them: groups, associations, channels, flows, settings, then deletions. */
  changes: Change[];
  unmanaged: Unmanaged[];
  /** When a guard blocks, the whole plan is blocked: nothing may be applied. */
  blocked: Blocked[];
  /** How many objects per kind already match. */
  noop: Record<ManagedKind, number>;
  /** Kinds whose live list failed or came back partial: nothing about them is known. */
  unknown: ManagedKind[];
  /** Problems that make the plan unusable, such as a reference to a group that does not exist. */
  problems: PlanProblem[];
  /** Things worth knowing that do not stop the plan, such as secrets not compared. */
  warnings: PlanProblem[];
  references: References;
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}

export function isApplicable(plan: Plan): boolean {
  return plan.blocked.length === 0 && plan.problems.length === 0 && plan.unknown.length === 0;
}

export function countByAction(plan: Plan): Record<ChangeAction, number> {
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, delete: 0 };
  for (const change of plan.changes) counts[change.action]++;
  return counts;
}
