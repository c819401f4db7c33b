// Executes a Plan: in DESIGN section 3's order (groups, associations, channels, flows, settings,
// flow deletions, channel deletions), each phase with bounded concurrency. A failed change never
// stops the independent ones; a change whose prerequisite failed is skipped and says which.
import type { WebhookSubscription } from '../config/kinds.generated.js';
import { AccessctlError } from '../errors.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import {
  eventsToWire,
  flowToWire,
  groupToWire,
  settingsToWire,
  webhookToWire,
  type FlowModel,
  type GroupModel,
  type SecretSource,
  type SettingsModel,
  type WebhookModel,
} from '../jumpcloud/mapping.js';
import { findByName } from '../jumpcloud/live.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { routes } from '../jumpcloud/routes.js';
import type { WireChannelEvent, WireSettings } from '../jumpcloud/wire.js';
import type { Change, ManagedKind, Plan } from '../plan/plan.js';
import { readSecretValues } from './secret-values.js';

export type ChangeStatus = 'applied' | 'failed' | 'skipped';

export interface ChangeResult {
  change: Change;
  status: ChangeStatus;
  /** The live id after the change (a created object's new id). */
  id?: string;
  error?: { code: string; message: string; status?: number };
}

export interface ApplyOptions {
  client: JumpCloudClient;
  secrets: SecretSource;
  concurrency?: number;
  /** Awaited before each change is sent: the reconciler journals its intent here. */
  beforeChange?: (change: Change) => Promise<void>;
  /** Called after each change settles, for progress ("12/40 changes") and events. */
  onResult?: (result: ChangeResult, done: number, total: number) => void;
  /** Checked between changes: once true, no further change starts (the one in flight finishes). */
  stopping?: () => boolean;
}

export interface ApplyResult {
  results: ChangeResult[];
  applied: number;
  failed: number;
  skipped: number;
}

class ApplyFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Runs tasks with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(workers);
}

function errorOf(error: unknown): NonNullable<ChangeResult['error']> {
  if (error instanceof PlatformError) return { code: 'platform', message: error.message, ...(error.status === undefined ? {} : { status: error.status }) };
  if (error instanceof ApplyFailure) return { code: error.code, message: error.message };
  if (error instanceof AccessctlError) return { code: error.code, message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  const { client } = options;
  const concurrency = options.concurrency ?? 4;
  const results = new Map<Change, ChangeResult>();
  const total = plan.changes.length;
  const groupIds: Record<string, string> = { ...plan.references.groups };
  const channelIds = new Map<string, string>();
  const failedGroups = new Set<string>();

  const settle = (result: ChangeResult): void => {
    results.set(result.change, result);
    options.onResult?.(result, results.size, total);
  };
  const run = async (change: Change, work: () => Promise<string | undefined>): Promise<void> => {
    if (options.stopping?.()) {
      settle({ change, status: 'skipped', error: { code: 'stopping', message: 'not started: accessctl is shutting down' } });
      return;
    }
    try {
      await options.beforeChange?.(change);
      const id = await work();
      settle({ change, status: 'applied', ...(id === undefined ? {} : { id }) });
    } catch (error) {
      settle({ change, status: 'failed', error: errorOf(error) });
    }
  };
  const groupId = (name: string): string => {
    if (failedGroups.has(name)) throw new ApplyFailure(`user group "${name}" was not created (its change failed)`, 'dependency-failed');
    const id = groupIds[name];
    if (id === undefined) throw new ApplyFailure(`user group "${name}" has no known id`, 'unknown-reference');
    return id;
  };
  const ids = {
    group: groupId,
    user: (name: string): string => {
      const id = plan.references.users[name];
      if (id === undefined) throw new ApplyFailure(`user "${name}" has no known id`, 'unknown-reference');
      return id;
    },
  };
  const of = (kind: ManagedKind, action: Change['action']): Change[] => plan.changes.filter((c) => c.kind === kind && c.action === action);

  // 1. groups (create, rename, description)
  await inParallel([...of('GroupAssignment', 'create'), ...of('GroupAssignment', 'update')], concurrency, (change) =>
    run(change, async () => {
      const model: GroupModel = { name: change.name, spec: change.after as GroupModel['spec'] };
      const body = groupToWire(model);
      try {
        if (change.action === 'create') {
          const created = await client.create<{ id: string }>(routes.groups, {}, body, () => findByName(client, 'GroupAssignment', change.name));
          groupIds[change.name] = created.id;
          return created.id;
        }
        if (change.renamedFrom !== undefined || change.fields.some((f) => f.path === 'spec.description')) {
          await client.put(routes.group, { id: change.id! }, body);
        }
        groupIds[change.name] = change.id!;
        return change.id;
      } catch (error) {
        failedGroups.add(change.name);
        throw error;
      }
    }),
  );

  // 2. application associations of those groups
  const withAssociations = [...of('GroupAssignment', 'create'), ...of('GroupAssignment', 'update')].filter(
    (c) => results.get(c)?.status === 'applied' && (c.after as GroupModel['spec']).applications !== undefined,
  );
  await inParallel(withAssociations, concurrency, async (change) => {
    const before = new Set((change.before as GroupModel['spec'] | undefined)?.applications ?? []);
    const after = new Set((change.after as GroupModel['spec']).applications ?? []);
    const ops = [
      ...[...after].filter((a) => !before.has(a)).map((name) => ({ op: 'add' as const, name })),
      ...[...before].filter((a) => !after.has(a)).map((name) => ({ op: 'remove' as const, name })),
    ];
    try {
      for (const { op, name } of ops) {
        const id = plan.references.applications[name];
        if (id === undefined) throw new ApplyFailure(`application "${name}" has no known id`, 'unknown-reference');
        await client.post(routes.groupAssociations, { group_id: groupIds[change.name]! }, { op, type: 'application', id });
      }
    } catch (error) {
      // The group itself was written; its associations were not.
      settle({ change, status: 'failed', error: errorOf(error) });
    }
  });

  // 3. webhook channels (create, update)
  await inParallel([...of('WebhookSubscription', 'create'), ...of('WebhookSubscription', 'update')], concurrency, (change) =>
    run(change, async () => {
      const spec = change.config as WebhookSubscription['spec'] | undefined;
      if (!spec) throw new ApplyFailure('the plan does not carry this webhook\'s config; plan again', 'stale-plan');
      const declared = { name: change.name, object: { apiVersion: 'accessctl/v1' as const, kind: 'WebhookSubscription' as const, metadata: { name: change.name }, spec } };
      const values = readSecretValues(spec, options.secrets);
      const body = webhookToWire(declared as Parameters<typeof webhookToWire>[0], values);
      if (change.action === 'create') {
        const created = await client.create<{ id: string }>(routes.channels, {}, body, () => findByName(client, 'WebhookSubscription', change.name));
        channelIds.set(change.name, created.id);
        return created.id;
      }
      await client.put(routes.channel, { id: change.id! }, body);
      channelIds.set(change.name, change.id!);
      return change.id;
    }),
  );

  // 4. approval flows (create, update)
  await inParallel([...of('ApprovalFlow', 'create'), ...of('ApprovalFlow', 'update')], concurrency, (change) =>
    run(change, async () => {
      if (change.fields.some((f) => f.path === 'spec.category')) {
        throw new ApplyFailure('a flow\'s category cannot change in place on the platform; give the flow a new name to replace it', 'immutable-field');
      }
      const body = flowToWire({ name: change.name, spec: change.after as FlowModel['spec'] }, ids);
      if (change.action === 'create') {
        const created = await client.create<{ id: string }>(routes.flows, {}, body, () => findByName(client, 'ApprovalFlow', change.name));
        return created.id;
      }
      await client.put(routes.flow, { approvalFlowId: change.id! }, body);
      return change.id;
    }),
  );

  // 5. settings, with every channel's event subscriptions
  const settingsChange = of('AccessRequestSettings', 'update')[0];
  const webhookWrites = plan.changes.filter(
    (c) =>
      c.kind === 'WebhookSubscription' &&
      (c.action === 'delete' || (results.get(c)?.status === 'applied' && (c.action === 'create' || c.fields.some((f) => f.path.startsWith('spec.events'))))),
  );
  if (settingsChange || webhookWrites.length > 0) {
    const write = async (): Promise<string | undefined> => {
      const live = await client.get<WireSettings>(routes.settings);
      const events = new Map<string, string[]>((live.channelEvents ?? []).map((c) => [c.channelObjectId, c.eventTypes]));
      for (const change of webhookWrites) {
        if (change.action === 'delete') events.delete(change.id!);
        else events.set(channelIds.get(change.name)!, eventsToWire((change.after as WebhookModel['spec']).events));
      }
      const channelEvents: WireChannelEvent[] = [...events.entries()].filter(([, types]) => types.length > 0).map(([channelObjectId, eventTypes]) => ({ channelObjectId, eventTypes }));
      const body = settingsChange ? settingsToWire({ spec: settingsChange.after as SettingsModel['spec'] }, channelEvents) : { channelEvents };
      await client.put(routes.settings, {}, body);
      return undefined;
    };
    if (settingsChange) await run(settingsChange, write);
    else {
      // Only the event subscriptions changed: they belong to the webhook changes already counted.
      try {
        await write();
      } catch (error) {
        for (const change of webhookWrites) if (change.action !== 'delete') settle({ change, status: 'failed', error: errorOf(error) });
      }
    }
  }

  // 6. deletions: flows, then channels (a channel named in the settings cannot be deleted first)
  await inParallel(of('ApprovalFlow', 'delete'), concurrency, (change) =>
    run(change, async () => {
      await client.delete(routes.flow, { approvalFlowId: change.id! });
      return undefined;
    }),
  );
  await inParallel(of('WebhookSubscription', 'delete'), concurrency, (change) =>
    run(change, async () => {
      await client.delete(routes.channel, { id: change.id! });
      return undefined;
    }),
  );

  const ordered = plan.changes.map((change) => results.get(change) ?? { change, status: 'skipped' as const, error: { code: 'not-run', message: 'not run' } });
  return {
    results: ordered,
    applied: ordered.filter((r) => r.status === 'applied').length,
    failed: ordered.filter((r) => r.status === 'failed').length,
    skipped: ordered.filter((r) => r.status === 'skipped').length,
  };
}
