// The plan as a value: what would change on the platform, field by field, plus what is unmanaged,
// what a guard blocked and what could not be known. Computed by diff(), rendered, saved and applied
// by separate code. Its JSON form is described by schemas/plan.schema.json.
import type { WebhookChannelSpec } from '../config/kinds.generated.js';
import type { AccessImpact } from '../impact/impact.js';
import type { ChannelSpecModel } from '../model/channel.js';
import type { FlowSpecModel } from '../model/flow.js';
import type { GroupSpecModel } from '../model/group.js';
import type { SettingsSpecModel } from '../model/settings.js';
import type { SourceLocation } from '../errors.js';

// 3: liveFingerprint digests only what a write would replace (2 digested the whole object as read).
export const PLAN_FORMAT_VERSION = 3;

export type ManagedKind = 'GroupAssignment' | 'ApprovalFlow' | 'AccessRequestSettings' | 'WebhookChannel';

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

interface ChangeBase {
  /** The name in git (for create/update) or on the platform (for delete). */
  name: string;
  fields: FieldChange[];
}

export interface CreateChange<K extends ManagedKind, S> extends ChangeBase {
  kind: K;
  action: 'create';
  /** The desired object (secrets as references). */
  after: S;
  /** Where the object is declared. */
  source: SourceLocation;
}

export interface UpdateChange<K extends ManagedKind, S> extends ChangeBase {
  kind: K;
  action: 'update';
  /** The live object's id. */
  id: string;
  /** The live object in config terms (secrets masked). */
  before: S;
  after: S;
  source: SourceLocation;
  /** A digest of the live object as planned; apply refuses to touch it if the digest changed. */
  liveFingerprint: string;
  /** Set when an update renames the live object through metadata.previousNames. */
  renamedFrom?: string;
}

export interface DeleteChange<K extends ManagedKind, S> extends ChangeBase {
  kind: K;
  action: 'delete';
  id: string;
  before: S;
  liveFingerprint: string;
}

export type ChangeOf<K extends ManagedKind, S> = CreateChange<K, S> | UpdateChange<K, S> | DeleteChange<K, S>;

export type FlowChange = ChangeOf<'ApprovalFlow', FlowSpecModel>;
/** Groups are never deleted: that would revoke every access granted through them. */
export type GroupChange = CreateChange<'GroupAssignment', GroupSpecModel> | UpdateChange<'GroupAssignment', GroupSpecModel>;
/** Channels carry their spec as written, whose secret references apply reads from the environment. Never deleted. */
export type ChannelChange =
  | (CreateChange<'WebhookChannel', ChannelSpecModel> & { config: WebhookChannelSpec })
  | (UpdateChange<'WebhookChannel', ChannelSpecModel> & { config: WebhookChannelSpec });
/** The settings record always exists: it is only ever updated. */
export type SettingsChange = UpdateChange<'AccessRequestSettings', SettingsSpecModel>;

export type Change = FlowChange | GroupChange | ChannelChange | SettingsChange;

/** Live ids of the names the changes use, so a saved plan applies without resolving names again. */
export interface References {
  groups: Record<string, string>;
  users: Record<string, string>;
  applications: Record<string, string>;
  /** Notification channels, by the name (or id: label) the settings use -> the id as the platform writes it. */
  channels: Record<string, string>;
  /** How the platform writes channel ids, for channels created during apply. */
  channelIdEncoding: 'hex' | 'base64';
}

export interface Unmanaged {
  kind: ManagedKind;
  name: string;
  id: string;
}

/** A live object that already matches git: no change, but its id is known. */
export interface InSync {
  kind: ManagedKind;
  name: string;
  id: string;
}

/** A live object holding a value the mapping does not know: shown, never changed. */
export interface Unmanageable {
  kind: ManagedKind;
  name: string;
  id: string;
  /** Each unknown value and where it is, such as `status "archived"`. */
  reasons: string[];
  /** Where the repo declares the object, when it does. */
  source?: SourceLocation;
}

/** A kind the target does not serve (a sandbox extension JumpCloud does not publish). */
export interface UnsupportedKind {
  kind: ManagedKind;
  reason: string;
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
  /** The org the plan was made for (x-org-id), when one was in use: a saved plan applies only to it. */
  orgId?: string;
  /** Ordered as apply must run them: groups, associations, channels, flows, settings, then deletions. */
  changes: Change[];
  unmanaged: Unmanaged[];
  /** Live objects the mapping cannot represent faithfully: never changed, never deleted. */
  unmanageable: Unmanageable[];
  /** Kinds this target does not serve; they block nothing else. */
  unsupported: UnsupportedKind[];
  /** When a guard blocks, the whole plan is blocked: nothing may be applied. */
  blocked: Blocked[];
  /** How many objects per kind already match. */
  noop: Record<ManagedKind, number>;
  /** The objects that already match, with their live ids; absent from plans saved before it was added. */
  inSync?: InSync[];
  /** Kinds whose live list failed or came back partial: nothing about them is known. */
  unknown: ManagedKind[];
  /** Problems that make the plan unusable, such as a reference to a group that does not exist. */
  problems: PlanProblem[];
  /** Things worth knowing that do not stop the plan, such as secrets not compared. */
  warnings: PlanProblem[];
  references: References;
  /** The deletion policy the plan was made under: apply checks a saved plan against it again. */
  guards: Guards;
  /**
   * What the flow changes do to who can get access, in people. Absent from plans made by diff()
   * alone; the plan pipeline adds it (reading the directory only when a flow changes).
   */
  impact?: AccessImpact;
}

export interface Guards {
  prune: Partial<Record<ManagedKind, boolean>>;
  maxDeletions: number;
  maxDeletionPercent: number;
  protected: string[];
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}

export function isApplicable(plan: Plan): boolean {
  return plan.blocked.length === 0 && plan.problems.length === 0 && plan.unknown.length === 0;
}

/** Why a plan cannot be applied, one line each (empty when it can): what plan, apply, reconcile and GitHub all say. */
export function whyNotApplicable(plan: Plan): string[] {
  const where = (source: SourceLocation | undefined): string => (source ? `${source.file}:${source.line}:${source.column}: ` : '');
  return [
    ...plan.problems.map((p) => `${where(p.source)}${p.message}`),
    // How to allow blocked deletions is said once, after the last guard's reason.
    ...blockedByReason(plan.blocked).map(
      ({ reason, objects }, i, all) => `${reason}: blocks ${namedObjects(objects, 5)}${i === all.length - 1 ? `; ${GUARD_ADVICE}` : ''}`,
    ),
    ...plan.unknown.map((kind) => `${kind}: the live list could not be read`),
  ];
}

/** What lets blocked deletions through, said once with them. */
export const GUARD_ADVICE =
  'to allow them, raise the guard under spec.guards in accessctl.yaml (apply also takes --max-deletions and --max-deletion-percent for one run), or delete fewer at a time';

/** GUARD_ADVICE as a sentence of its own, as the rendered plans print it under the blocked deletions. */
export const GUARD_ADVICE_SENTENCE = `${GUARD_ADVICE.charAt(0).toUpperCase()}${GUARD_ADVICE.slice(1)}.`;

/**
 * The blocked deletions grouped by why, in plan order: a guard usually stops every deletion of a
 * plan or of a kind, and saying its reason once per object buries it.
 */
export function blockedByReason(blocked: readonly Blocked[]): { reason: string; objects: Blocked[] }[] {
  const groups = new Map<string, Blocked[]>();
  for (const entry of blocked) {
    const group = groups.get(entry.reason);
    if (group === undefined) groups.set(entry.reason, [entry]);
    else group.push(entry);
  }
  return [...groups].map(([reason, objects]) => ({ reason, objects }));
}

/** `ApprovalFlow "A", ApprovalFlow "B" and 3 more`: at most `most` named. */
export function namedObjects(objects: readonly { kind: string; name: string }[], most: number): string {
  const named = objects.slice(0, most).map((o) => `${o.kind} "${o.name}"`);
  const more = objects.length - named.length;
  if (more > 0) return `${named.join(', ')} and ${more} more`;
  return named.length <= 1 ? named.join('') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}

export function countByAction(plan: Plan): Record<ChangeAction, number> {
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, delete: 0 };
  for (const change of plan.changes) counts[change.action]++;
  return counts;
}

/** The plan bound to the org it was made for (placed after its target, as the JSON shows it); unchanged without one. */
export function forOrg(plan: Plan, orgId: string | undefined): Plan {
  if (orgId === undefined) return plan;
  const { formatVersion, target, ...rest } = plan;
  return { formatVersion, target, orgId, ...rest };
}

/** Where a plan was made, as its headers say it: the target, and the org when one was in use. */
export function planWhere(plan: Pick<Plan, 'target' | 'orgId'>, show: (text: string) => string = (text) => text): string {
  return plan.orgId === undefined ? show(plan.target) : `${show(plan.target)}, org ${show(plan.orgId)}`;
}
