// Before a saved plan is applied, every object it touches is read again and compared with the
// fingerprint taken when it was planned: a plan made against a world that has since moved is refused.
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { findByName, readAssociations } from '../jumpcloud/live.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { routes } from '../jumpcloud/routes.js';
import type { WireChannel, WireSettings, WireUserGroup } from '../jumpcloud/wire.js';
import { channelFingerprint, fingerprintOf, groupFingerprint } from '../plan/fingerprint.js';
import type { Change, Plan } from '../plan/plan.js';

export interface StaleChange {
  change: Change;
  reason: string;
}

async function currentFingerprint(client: JumpCloudClient, change: Change, settings: () => Promise<WireSettings>): Promise<string | undefined> {
  try {
    switch (change.kind) {
      case 'ApprovalFlow':
        return fingerprintOf(await client.get(routes.flow, { approvalFlowId: change.id! }));
      case 'GroupAssignment': {
        const group = await client.get<WireUserGroup>(routes.group, { id: change.id! });
        const managed = (change.after as { applications?: unknown } | undefined)?.applications !== undefined;
        const associations = managed ? (await readAssociations(client, [group])).get(group.id) : undefined;
        if (associations?.status === 'unknown') throw new Error(associations.reason);
        return groupFingerprint(group, associations?.status === 'ok' ? associations.value : undefined);
      }
      case 'WebhookSubscription': {
        const channel = await client.get<WireChannel>(routes.channel, { id: change.id! });
        const events = (await settings()).channelEvents?.find((c) => c.channelObjectId === channel.id)?.eventTypes ?? [];
        return channelFingerprint(channel, events);
      }
      case 'AccessRequestSettings':
        return fingerprintOf(await settings());
    }
  } catch (error) {
    if (error instanceof PlatformError && error.status === 404) return undefined;
    throw error;
  }
}

/** The changes whose live object is not as it was planned; empty when the plan is still good. */
export async function findStaleChanges(plan: Plan, client: JumpCloudClient): Promise<StaleChange[]> {
  let settingsRead: Promise<WireSettings> | undefined;
  const settings = (): Promise<WireSettings> => (settingsRead ??= client.get<WireSettings>(routes.settings));
  const stale: StaleChange[] = [];
  for (const change of plan.changes) {
    if (change.action === 'create') {
      if (change.kind !== 'AccessRequestSettings' && (await findByName(client, change.kind, change.name))) {
        stale.push({ change, reason: `a ${change.kind} named "${change.name}" now exists on the platform` });
      }
      continue;
    }
    const now = await currentFingerprint(client, change, settings);
    if (now === undefined) stale.push({ change, reason: `${change.kind} "${change.name}" (id ${change.id}) no longer exists` });
    else if (now !== change.liveFingerprint) stale.push({ change, reason: `${change.kind} "${change.name}" (id ${change.id}) changed since the plan was made` });
  }
  return stale;
}
