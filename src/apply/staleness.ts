// Before a saved plan is applied, its org is checked and every object it touches is read again and
// compared with the fingerprint taken when it was planned: a plan made against a world that has
// since moved, or for another org, is refused.
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { channelFingerprint, flowFingerprint, groupFingerprint, settingsFingerprint } from '../jumpcloud/fingerprint.js';
import { findByName, readAssociations } from '../jumpcloud/live.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { routes } from '../jumpcloud/routes.js';
import { checkSavedPlanOrg } from './saved-plan.js';
import type { WireUserGroup } from '../jumpcloud/wire.js';
import type { Change, Plan } from '../plan/plan.js';

export interface StaleChange {
  change: Change;
  reason: string;
}

type Existing = Exclude<Change, { action: 'create' }>;

/**
 * The fingerprint of a group as read now, with its application associations read too when the
 * repo manages them (as the plan digested it).
 */
export async function groupFingerprintNow(client: JumpCloudClient, group: WireUserGroup, managesApplications: boolean): Promise<string> {
  const associations = managesApplications ? (await readAssociations(client, [group])).get(group.id) : undefined;
  if (associations !== undefined && associations.status !== 'ok') throw new Error(associations.reason);
  return groupFingerprint(group, associations?.status === 'ok' ? associations.value : undefined);
}

async function currentFingerprint(client: JumpCloudClient, change: Existing): Promise<string | undefined> {
  try {
    switch (change.kind) {
      case 'ApprovalFlow':
        return flowFingerprint(await client.get(routes.flow, { approvalFlowId: change.id }));
      case 'GroupAssignment':
        return await groupFingerprintNow(client, await client.get<WireUserGroup>(routes.group, { id: change.id }), change.after.applications !== undefined);
      case 'WebhookChannel':
        return channelFingerprint(await client.get(routes.channel, { id: change.id }));
      case 'AccessRequestSettings':
        return settingsFingerprint(await client.get(routes.settings));
    }
  } catch (error) {
    if (error instanceof PlatformError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * The changes whose live object is not as it was planned; empty when the plan is still good. A plan
 * for another org than the client's is refused first, before any read: its ids mean nothing there.
 */
export async function findStaleChanges(plan: Plan, client: JumpCloudClient): Promise<StaleChange[]> {
  checkSavedPlanOrg(plan, client.orgId);
  const stale: StaleChange[] = [];
  for (const change of plan.changes) {
    if (change.action === 'create') {
      if (await findByName(client, change.kind, change.name))
        stale.push({ change, reason: `${/^[AEIOU]/.test(change.kind) ? 'an' : 'a'} ${change.kind} named "${change.name}" now exists on the platform` });
      continue;
    }
    const now = await currentFingerprint(client, change);
    if (now === undefined) stale.push({ change, reason: `${change.kind} "${change.name}" (id ${change.id}) no longer exists` });
    else if (now !== change.liveFingerprint)
      stale.push({ change, reason: `${change.kind} "${change.name}" (id ${change.id}) changed since the plan was made` });
  }
  return stale;
}
