// Executes a Plan: groups, their application associations, channels, flows, settings, then flow
// deletions, each phase with bounded concurrency. Every update is read-modify-write. A failed change
// never stops the independent ones; one whose prerequisite failed is skipped; each settles once.
import { AccessctlError, type ErrorCode } from '../errors.js';
import { readChannelSecrets, channelWriteBody, type SecretSource } from '../jumpcloud/channel-mapping.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { flowCreateBody, flowSetBody, immutableFlowFields, type IdLookup } from '../jumpcloud/flow-mapping.js';
import { groupCreateBody, groupPutBody } from '../jumpcloud/group-mapping.js';
import { flowFingerprint, settingsFingerprint } from '../jumpcloud/fingerprint.js';
import { findByName } from '../jumpcloud/live.js';
import { mapBounded } from '../jumpcloud/map-bounded.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { objectIdHex } from '../jumpcloud/protobuf-json.js';
import { routes } from '../jumpcloud/routes.js';
import { channelIdForWrite, settingsPutBody } from '../jumpcloud/settings-mapping.js';
import type { WireFlow, WireSettings, WireUserGroup } from '../jumpcloud/wire.js';
import { channelIdOfLabel } from '../model/settings.js';
import type { Change, ChannelChange, FlowChange, GroupChange, Plan, SettingsChange } from '../plan/plan.js';
import { groupFingerprintNow } from './staleness.js';

export type ChangeStatus = 'applied' | 'failed' | 'skipped';

/** Why a change did not apply. The first three are the stop's doing, not the platform's. */
export type ChangeErrorCode =
  | 'not-started' // the stop came before the change began: nothing journalled, nothing sent
  | 'stopped-before-send' // the stop cut it short before any write went out that could land (in a read, held at the 429 gate, or only ever refused with a 429)
  | 'stopped-after-send' // the stop cut it short after a write went out that may have landed
  | 'platform'
  | 'missing-secret'
  | 'dependency-failed'
  | 'unknown-reference'
  | 'immutable-field'
  | 'changed-since-plan' // a fresh read before the write found what the write would replace changed since the plan was made
  | 'not-run'
  | Exclude<ErrorCode, 'usage'>;

export interface ChangeResult {
  change: Change;
  status: ChangeStatus;
  /** The live id after the change (a created object's new id). */
  id?: string;
  /** Set when a retried request found its first attempt had already succeeded. */
  confirmedByRetry?: boolean;
  error?: { code: ChangeErrorCode; message: string; status?: number };
}

export interface ApplyOptions {
  client: JumpCloudClient;
  secrets: SecretSource;
  concurrency?: number;
  /** Awaited before each change is sent: the reconciler journals its intent here. */
  beforeChange?: (change: Change) => Promise<void>;
  /** Called once per change when it settles, for progress ("12/40 changes") and events. */
  onResult?: (result: ChangeResult, done: number, total: number) => void;
  /**
   * Checked between changes: once true, no further change starts (the one in flight finishes). A
   * string says why (a lost lock), in each not-started change's message.
   */
  stopping?: () => boolean | string;
}

export interface ApplyResult {
  results: ChangeResult[];
  applied: number;
  failed: number;
  skipped: number;
}

/**
 * A whole-record PUT replaces what another writer changed since the plan was made: the fresh read
 * the write is built from is checked against the plan's fingerprint first, so the change is refused
 * rather than the other writer's work lost. The next plan sees both.
 */
function unchangedSincePlan(change: Extract<Change, { action: 'update' }>, now: string): void {
  if (now !== change.liveFingerprint) {
    throw new ApplyFailure(
      `${change.kind} "${change.name}" changed on the platform since the plan was made (someone else wrote it); not overwritten, and the next plan shows both`,
      'changed-since-plan',
    );
  }
}

class ApplyFailure extends Error {
  constructor(
    message: string,
    readonly code: ChangeErrorCode,
  ) {
    super(message);
  }
}

/** What a change's work reports when it succeeds. */
interface Done {
  id?: string;
  confirmedByRetry?: boolean;
}

/** `wrote`: an earlier write of the same change went out (a group's create before its associations). */
function errorOf(error: unknown, wrote: boolean): NonNullable<ChangeResult['error']> {
  // A call the client's stop cut short is not the platform's answer: the reconciler tells it apart
  // from a failure, and whether anything may have landed from a change that did nothing.
  if (error instanceof PlatformError && error.stopped) {
    return { code: wrote || error.mayHaveLanded ? 'stopped-after-send' : 'stopped-before-send', message: error.message };
  }
  if (error instanceof PlatformError) return { code: 'platform', message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  if (error instanceof ApplyFailure) return { code: error.code, message: error.message };
  if (error instanceof AccessctlError) return { code: error.code === 'usage' ? 'missing-secret' : error.code, message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { client } = options;
  const concurrency = options.concurrency ?? 4;
  const results = new Map<Change, ChangeResult>();
  const total = plan.changes.length;
  const groupIds: Record<string, string> = { ...plan.references.groups };
  const channelIds: Record<string, string> = { ...plan.references.channels };
  // Each group whose change did not land: whether it was a create, and whether another writer's conflict refused it.
  const failedGroups = new Map<string, { created: boolean; conflict: boolean }>();
  const failedChannels = new Set<string>();

  /** Settles a change exactly once: a second settlement of the same change is a bug, not an event. */
  const settle = (result: ChangeResult): void => {
    if (results.has(result.change)) throw new Error(`change ${result.change.kind} "${result.change.name}" settled twice`);
    results.set(result.change, result);
    options.onResult?.(result, results.size, total);
  };
  /** `work` calls `wrote()` once a write of its change has been answered, for a change that makes several. */
  const run = async (change: Change, work: (wrote: () => void) => Promise<Done>): Promise<void> => {
    const stop = options.stopping?.();
    if (stop) {
      const why = typeof stop === 'string' ? stop : 'accessctl is shutting down';
      settle({ change, status: 'skipped', error: { code: 'not-started', message: `not started: ${why}` } });
      return;
    }
    let wrote = false;
    try {
      await options.beforeChange?.(change);
      const done = await work(() => {
        wrote = true;
      });
      settle({ change, status: 'applied', ...(done.id === undefined ? {} : { id: done.id }), ...(done.confirmedByRetry ? { confirmedByRetry: true } : {}) });
    } catch (error) {
      settle({ change, status: 'failed', error: errorOf(error, wrote) });
    }
  };
  const inParallel = async <C extends Change>(changes: readonly C[], work: (change: C, wrote: () => void) => Promise<Done>): Promise<void> => {
    await mapBounded(changes, concurrency, (change) => run(change, (wrote) => work(change, wrote)));
  };
  const ids: IdLookup = {
    group: (name) => {
      const failed = failedGroups.get(name);
      if (failed?.created === true) throw new ApplyFailure(`user group "${name}" was not created (its change failed)`, 'dependency-failed');
      if (failed !== undefined)
        throw new ApplyFailure(
          `the change of user group "${name}" was not written (${failed.conflict ? 'another writer changed the group since the plan' : 'it failed'})`,
          'dependency-failed',
        );
      const id = groupIds[name];
      if (id === undefined) throw new ApplyFailure(`user group "${name}" has no known id`, 'unknown-reference');
      return id;
    },
    user: (name) => {
      const id = plan.references.users[name];
      if (id === undefined) throw new ApplyFailure(`user "${name}" has no known id`, 'unknown-reference');
      return id;
    },
  };

  const groups = plan.changes.filter((c): c is GroupChange => c.kind === 'GroupAssignment');
  const channels = plan.changes.filter((c): c is ChannelChange => c.kind === 'WebhookChannel');
  const flows = plan.changes.filter((c): c is FlowChange => c.kind === 'ApprovalFlow');
  const settings = plan.changes.find((c): c is SettingsChange => c.kind === 'AccessRequestSettings');

  // 1. groups, with their application associations: one change, settled once both are written
  await inParallel(groups, async (change, wrote) => {
    try {
      let id: string;
      if (change.action === 'create') {
        const created = await client.create<{ id: string }>(routes.groups, {}, groupCreateBody({ name: change.name, spec: change.after }), () =>
          findByName(client, 'GroupAssignment', change.name),
        );
        wrote();
        id = created.id;
      } else {
        id = change.id;
        if (change.renamedFrom !== undefined || change.fields.some((f) => f.path === 'spec.description')) {
          const live = await client.get<WireUserGroup>(routes.group, { id });
          unchangedSincePlan(change, await groupFingerprintNow(client, live, change.after.applications !== undefined));
          await client.put(routes.group, { id }, groupPutBody(live, { name: change.name, spec: change.after }));
          wrote();
        }
      }
      groupIds[change.name] = id;
      const confirmed = await writeAssociations(change, id, wrote);
      return { id, confirmedByRetry: confirmed };
    } catch (error) {
      failedGroups.set(change.name, { created: change.action === 'create', conflict: error instanceof ApplyFailure && error.code === 'changed-since-plan' });
      throw error;
    }
  });

  /** Adds and removes the group's application associations; true when a retry confirmed one. */
  async function writeAssociations(change: GroupChange, groupId: string, wrote: () => void): Promise<boolean> {
    const wanted = change.after.applications;
    if (wanted === undefined) return false;
    const before = new Set(change.action === 'update' ? (change.before.applications ?? []) : []);
    const after = new Set(wanted);
    const ops = [
      ...[...after].filter((a) => !before.has(a)).map((name) => ({ op: 'add' as const, name })),
      ...[...before].filter((a) => !after.has(a)).map((name) => ({ op: 'remove' as const, name })),
    ];
    let confirmed = false;
    for (const { op, name } of ops) {
      const id = plan.references.applications[name];
      if (id === undefined) throw new ApplyFailure(`application "${name}" has no known id`, 'unknown-reference');
      const outcome = await client.relate(routes.groupAssociations, { group_id: groupId }, { op, type: 'application', id });
      wrote();
      confirmed ||= outcome.confirmedByRetry;
    }
    return confirmed;
  }

  // 2. notification channels (a sandbox extension)
  await inParallel(channels, async (change) => {
    try {
      const { values, missing } = readChannelSecrets(change.config, options.secrets);
      if (missing.length > 0) {
        const names = missing.map((m) => m.env).join(', ');
        throw new ApplyFailure(
          `environment variable${missing.length === 1 ? '' : 's'} ${names} ${missing.length === 1 ? 'is' : 'are'} not set`,
          'missing-secret',
        );
      }
      const body = channelWriteBody(change.name, change.config, values);
      if (change.action === 'create') {
        const created = await client.create<{ id: string }>(routes.channels, {}, body, () => findByName(client, 'WebhookChannel', change.name));
        channelIds[change.name] = channelIdForWrite(objectIdHex(created.id) ?? created.id, plan.references.channelIdEncoding);
        return { id: created.id };
      }
      await client.put(routes.channel, { id: change.id }, body);
      return { id: change.id };
    } catch (error) {
      failedChannels.add(change.name);
      throw error;
    }
  });

  // 3. approval flows
  await inParallel(
    flows.filter((c) => c.action !== 'delete'),
    async (change) => {
      if (change.action === 'update' && change.fields.some((f) => (immutableFlowFields as readonly string[]).includes(f.path))) {
        throw new ApplyFailure("a flow's category cannot change in place on the platform; give the flow a new name to replace it", 'immutable-field');
      }
      const model = { name: change.name, spec: change.after };
      if (change.action === 'create') {
        const created = await client.create<{ id: string }>(routes.flows, {}, flowCreateBody(model, ids), () =>
          findByName(client, 'ApprovalFlow', change.name),
        );
        return { id: created.id };
      }
      const live = await client.get<WireFlow>(routes.flow, { approvalFlowId: change.id });
      unchangedSincePlan(change, flowFingerprint(live));
      await client.put(routes.flow, { approvalFlowId: change.id }, flowSetBody(live, model, ids));
      return { id: change.id };
    },
  );

  // 4. settings, with the channel subscriptions, from the record as it is now
  if (settings) {
    await run(settings, async () => {
      const channelId = (label: string): string => {
        if (failedChannels.has(label)) throw new ApplyFailure(`notification channel "${label}" was not created (its change failed)`, 'dependency-failed');
        const id = channelIds[label];
        if (id !== undefined) return id;
        const hex = channelIdOfLabel(label);
        if (hex !== undefined) return channelIdForWrite(hex, plan.references.channelIdEncoding);
        throw new ApplyFailure(`notification channel "${label}" has no known id`, 'unknown-reference');
      };
      const live = await client.get<WireSettings>(routes.settings);
      if (settings.action === 'update') unchangedSincePlan(settings, settingsFingerprint(live));
      await client.put(routes.settings, {}, settingsPutBody(live, { spec: settings.after }, channelId));
      return {};
    });
  }

  // 5. deletions of flows (channels and groups are never deleted)
  await inParallel(
    flows.filter((c) => c.action === 'delete'),
    async (change) => {
      const outcome = await client.remove(routes.flow, { approvalFlowId: change.id });
      return { confirmedByRetry: outcome.confirmedByRetry };
    },
  );

  const ordered = plan.changes.map(
    (change): ChangeResult => results.get(change) ?? { change, status: 'skipped', error: { code: 'not-run', message: 'not run' } },
  );
  return {
    results: ordered,
    applied: ordered.filter((r) => r.status === 'applied').length,
    failed: ordered.filter((r) => r.status === 'failed').length,
    skipped: ordered.filter((r) => r.status === 'skipped').length,
  };
}
