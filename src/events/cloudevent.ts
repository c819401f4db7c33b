// The reconciler's events as CloudEvents 1.0 JSON envelopes, and one builder per event type. Every
// builder stamps the run (id, config commit, target), redacts secrets before anything leaves, and
// derives the event id from what makes it one logical event, so a re-send carries the same id.
import { createHash } from 'node:crypto';
import { AccessctlError } from '../errors.js';
import type { ChangeAction, FieldChange } from '../plan/plan.js';
import { redactFields, redactValue, type Redactor } from './redaction.js';

export type { FieldChange } from '../plan/plan.js';

export type AccessctlEventType =
  | 'accessctl.change.applied'
  | 'accessctl.change.failed'
  | 'accessctl.drift.detected'
  | 'accessctl.run.completed'
  | 'accessctl.change.skipped';

export const EVENT_TYPES: readonly AccessctlEventType[] = [
  'accessctl.change.applied',
  'accessctl.change.failed',
  'accessctl.drift.detected',
  'accessctl.run.completed',
  'accessctl.change.skipped',
];

/** The last commit that touched the object's file, as git tells it. */
export interface GitAttribution {
  commit: string;
  author: { name: string; email: string };
  /** ISO 8601 / RFC 3339. */
  date: string;
}

export interface AccessctlEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: AccessctlEventType;
  time: string;
  datacontenttype: 'application/json';
  subject?: string;
  data: Record<string, unknown>;
}

export interface RunContext {
  runId: string;
  /** The config commit SHA the run applied, or null when the config is not in git. */
  configCommit: string | null;
  /** The CloudEvents source: a URI-reference such as 'accessctl/reconcile' or the repo URL. */
  source: string;
  /** The platform API base URL; null before the reconciler has made its client (its first config was invalid). */
  target: string | null;
  /** Replaces known secret values inside any string of the event; see secretRedactor(). */
  redact?: Redactor | undefined;
}

export type { ChangeAction };

export interface ObjectChange {
  kind: string;
  name: string;
  action: ChangeAction;
  /** The live object's id, when known. */
  id?: string;
  fields: FieldChange[];
  attribution?: GitAttribution;
  /**
   * Tells this event apart from others of its run, type, object and action when the run id cannot:
   * a damaged journal entry that no longer names its run, or a later plan of the run (`plan 2`) that
   * changes the object again after another writer's conflict. Only part of the event id, never of its data.
   */
  occurrence?: string;
}

export interface ChangeError {
  code: string;
  message: string;
  /** The HTTP status the platform answered, when there was one. */
  status?: number;
}

export interface DriftReport {
  kind: string;
  name: string;
  id?: string;
  fields: FieldChange[];
  /** `correct` means the reconciler applies the desired state; `report` means it only tells. */
  policy: 'correct' | 'report';
  /** Set while the object's drift correction is paused by its annotation: until then it is only reported. */
  pausedUntil?: string;
  /** What correcting the drift would do; defaults to update. */
  action?: ChangeAction;
  attribution?: GitAttribution;
  /** As ObjectChange's: a later plan of the run that finds the object drifted again (`plan 2`). Only part of the event id. */
  occurrence?: string;
}

/**
 * suspended and outside-sync-window: the project said not to apply now; the run planned and
 * reported, and every change it would have made has an accessctl.change.skipped event.
 * stopped: SIGTERM or SIGINT cut the run short (reads, or changes not started); not a failure.
 * conflict: another writer kept changing what the run was about to write, through every re-plan; not a failure.
 */
export type RunResult = 'success' | 'partial' | 'failed' | 'no-op' | 'plan-only' | 'suspended' | 'outside-sync-window' | 'stopped' | 'conflict';

/** Why a planned change was not applied although nothing failed. */
export type SkipReason = 'suspended' | 'outside-sync-window' | 'drift-paused';

/** A change that failed, or was not started, and why. */
export interface RunFailure {
  kind: string;
  name: string;
  action: ChangeAction;
  reason: string;
}

export interface RunSummary {
  result: RunResult;
  applied: number;
  failed: number;
  drifted: number;
  /** Planned changes not applied because of a skip (suspend, sync window, paused drift). */
  skipped?: number;
  durationMs: number;
  message?: string;
  /** The failed changes, each with why (at most MAX_LISTED_FAILURES; `failuresNotListed` counts the rest). */
  failures?: readonly RunFailure[];
  /**
   * The changes another writer's conflict kept from being written in the run's last plan, each with
   * why (not failures: `failed` does not count them), listed as `failures` are (`conflictsNotListed`).
   */
  conflicts?: readonly RunFailure[];
  /** Set when the repo's Project names another target than the one the reconciler talks to. */
  targetMismatch?: { project: string; client: string; from: string; overridden: boolean };
}

/** The run summary event lists this many failures at most; the rest are counted. */
export const MAX_LISTED_FAILURES = 50;

/**
 * The namespace of accessctl's event ids (name-based UUIDs, RFC 9562 version 5). Fixed for good:
 * the same logical event gets the same id in every process, on every host, in every release.
 */
export const EVENT_ID_NAMESPACE = '32c5b303-6810-40a4-92e7-a6b112d454f6';

/** The version 5 UUID of `name` in `namespace` (RFC 9562, section 5.5): SHA-1 of both, version and variant bits set. */
export function nameBasedUuid(namespace: string, name: string): string {
  const hex = namespace.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new AccessctlError('internal', `a UUID namespace must be a UUID, not "${namespace}"`);
  const hash = createHash('sha1').update(Buffer.from(hex, 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const id = hash.subarray(0, 16).toString('hex');
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

/**
 * The id of an event: one logical event is its source, its run, its type and `key` (for an object's
 * event, the object and action). An event sent again (after a crash, by the next run settling the
 * journal, or because a sink refused it) has the same id, so a consumer that drops duplicates by
 * source and id, as CloudEvents allows, drops it; two distinct events never share one. The parts
 * are joined as a JSON array, so no two lists of parts make the same name.
 */
export function eventId(source: string, runId: string, type: AccessctlEventType, key: readonly string[]): string {
  return nameBasedUuid(EVENT_ID_NAMESPACE, JSON.stringify([source, runId, type, ...key]));
}

/**
 * What tells an object's event apart within its run and type: kind, name, action and the id of the
 * object the change found live. A create's id is left out: the platform gives it only once the
 * object is made, so the event of a create that landed and its re-send from the journal (which
 * wrote the intent before the id existed) must not differ by it. Two live objects of one name
 * (both pruned) differ by their ids.
 */
function objectKey(object: { kind: string; name: string; id?: string | undefined; occurrence?: string | undefined }, action: ChangeAction): string[] {
  return [object.kind, object.name, action, action === 'create' ? '' : (object.id ?? ''), ...(object.occurrence === undefined ? [] : [object.occurrence])];
}

function envelope(
  ctx: RunContext,
  type: AccessctlEventType,
  now: Date,
  key: readonly string[],
  data: Record<string, unknown>,
  subject?: string,
): AccessctlEvent {
  if (ctx.source.length === 0) throw new AccessctlError('internal', 'an event source must not be empty');
  if (Number.isNaN(now.getTime())) throw new AccessctlError('internal', 'an event time must be a valid date');
  const redact = ctx.redact ?? ((value: string) => value);
  const redacted = redactValue({ runId: ctx.runId, configCommit: ctx.configCommit, target: ctx.target, ...data }, redact);
  return {
    specversion: '1.0',
    id: eventId(ctx.source, ctx.runId, type, key),
    source: ctx.source,
    type,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    ...(subject === undefined ? {} : { subject: redact(subject) }),
    data: redacted as Record<string, unknown>,
  };
}

function objectData(
  ctx: RunContext,
  object: { kind: string; name: string; id?: string | undefined; fields: readonly FieldChange[]; attribution?: GitAttribution | undefined },
  action: ChangeAction,
) {
  const data: Record<string, unknown> = { kind: object.kind, name: object.name, action };
  if (object.id !== undefined) data['id'] = object.id;
  // Fields are redacted here (paths and sensitivity), then again as strings with the rest of data.
  data['fields'] = redactFields(object.fields, ctx.redact);
  data['attribution'] =
    object.attribution === undefined ? null : { commit: object.attribution.commit, author: { ...object.attribution.author }, date: object.attribution.date };
  return data;
}

/** `confirmedByRetry`: a retried request found that its first attempt had already landed. */
export function changeApplied(ctx: RunContext, change: ObjectChange & { confirmedByRetry?: boolean }, now: Date): AccessctlEvent {
  const data = objectData(ctx, change, change.action);
  if (change.confirmedByRetry) data['confirmedByRetry'] = true;
  return envelope(ctx, 'accessctl.change.applied', now, objectKey(change, change.action), data, `${change.kind}/${change.name}`);
}

export function changeFailed(ctx: RunContext, change: ObjectChange & { error: ChangeError }, now: Date): AccessctlEvent {
  const error: Record<string, unknown> = { code: change.error.code, message: change.error.message };
  if (change.error.status !== undefined) error['status'] = change.error.status;
  return envelope(
    ctx,
    'accessctl.change.failed',
    now,
    objectKey(change, change.action),
    { ...objectData(ctx, change, change.action), error },
    `${change.kind}/${change.name}`,
  );
}

export function driftDetected(ctx: RunContext, drift: DriftReport, now: Date): AccessctlEvent {
  const action = drift.action ?? 'update';
  const data: Record<string, unknown> = { ...objectData(ctx, drift, action), policy: drift.policy };
  if (drift.pausedUntil !== undefined) data['pausedUntil'] = drift.pausedUntil;
  return envelope(ctx, 'accessctl.drift.detected', now, objectKey(drift, action), data, `${drift.kind}/${drift.name}`);
}

/**
 * A planned change the run did not apply, on purpose: `reason` says which break-glass setting held
 * it back, and `until` when that ends (the suspension, the pause, or the next sync window opening).
 */
export function changeSkipped(ctx: RunContext, change: ObjectChange & { reason: SkipReason; until?: string | undefined }, now: Date): AccessctlEvent {
  const data: Record<string, unknown> = { ...objectData(ctx, change, change.action), reason: change.reason };
  data['until'] = change.until ?? null;
  return envelope(ctx, 'accessctl.change.skipped', now, objectKey(change, change.action), data, `${change.kind}/${change.name}`);
}

/** Lists `changes` under `field` in a summary's data, at most MAX_LISTED_FAILURES, counting the rest in `<field>NotListed`; nothing when there are none. */
function listChanges(data: Record<string, unknown>, field: 'failures' | 'conflicts', changes: readonly RunFailure[] | undefined): void {
  if (changes === undefined || changes.length === 0) return;
  data[field] = changes.slice(0, MAX_LISTED_FAILURES).map((f) => ({ kind: f.kind, name: f.name, action: f.action, reason: f.reason }));
  if (changes.length > MAX_LISTED_FAILURES) data[`${field}NotListed`] = changes.length - MAX_LISTED_FAILURES;
}

export function runCompleted(ctx: RunContext, summary: RunSummary, now: Date): AccessctlEvent {
  const data: Record<string, unknown> = {
    result: summary.result,
    applied: summary.applied,
    failed: summary.failed,
    drifted: summary.drifted,
    durationMs: summary.durationMs,
  };
  if (summary.skipped !== undefined) data['skipped'] = summary.skipped;
  if (summary.message !== undefined) data['message'] = summary.message;
  listChanges(data, 'failures', summary.failures);
  listChanges(data, 'conflicts', summary.conflicts);
  if (summary.targetMismatch !== undefined) data['targetMismatch'] = { ...summary.targetMismatch };
  // One summary per run: the run and the type are its identity.
  return envelope(ctx, 'accessctl.run.completed', now, [], data);
}
