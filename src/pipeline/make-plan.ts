// Wires the stages into one plan run: load and validate the config, read the live state through
// the client, map both sides and diff them under the project's deletion policy. The I/O is here;
// every stage it calls is a function of its inputs.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { countDiagnostics } from '../diagnostics/diagnostic.js';
import type { DesiredState } from '../config/desired.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { clientOptionsFromEnv, JumpCloudClient, type ClientOptions } from '../jumpcloud/client.js';
import { readLive } from '../jumpcloud/live.js';
import { nameKey } from '../config/names.js';
import { defaultDeletionPolicy, diff, type DeletionPolicy } from '../plan/diff.js';
import { prepareDiffInput } from '../jumpcloud/diff-input.js';
import type { Plan } from '../plan/plan.js';
import { withAccessImpact } from './plan-impact.js';

export interface PlanRunOptions {
  dir: string;
  target?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests: a prepared client. */
  client?: JumpCloudClient;
  clientOptions?: Partial<ClientOptions>;
  /** Flag overrides of the project's deletion policy (--prune, --max-deletions). */
  adjustPolicy?: (policy: DeletionPolicy) => DeletionPolicy;
}

export type PlanRun =
  | { ok: false; config: LoadResult }
  | { ok: true; config: LoadResult; plan: Plan; client: JumpCloudClient };

export function deletionPolicy(desired: DesiredState): DeletionPolicy {
  const spec = desired.project?.object.spec;
  return {
    prune: { ...spec?.prune },
    maxDeletions: spec?.guards?.maxDeletions ?? defaultDeletionPolicy.maxDeletions,
    maxDeletionPercent: spec?.guards?.maxDeletionPercent ?? defaultDeletionPolicy.maxDeletionPercent,
    protected: spec?.guards?.protected ?? [],
  };
}

export function makeClient(desired: DesiredState, options: Pick<PlanRunOptions, 'target' | 'env' | 'clientOptions'>): JumpCloudClient {
  const env = options.env ?? process.env;
  const project = desired.project?.object.spec?.target;
  return new JumpCloudClient({ ...clientOptionsFromEnv(env, options.target, project), ...options.clientOptions });
}

export function configErrors(config: LoadResult): Diagnostic[] {
  return config.diagnostics.filter((d) => d.severity === 'error');
}

/** The channel API is a sandbox extension: it is read only when the repo keeps channels or names one. */
export function needsChannelApi(desired: DesiredState): boolean {
  return desired.channels.length > 0 || (desired.settings?.object.spec.webhooks ?? []).some((w) => typeof w.channel === 'string');
}

/** Validates, then plans. An invalid config stops before any request is sent. */
export async function makePlan(options: PlanRunOptions): Promise<PlanRun> {
  const config = await loadConfig(options.dir);
  if (countDiagnostics(config.diagnostics).errors > 0) return { ok: false, config };
  const { desired } = config;
  const client = options.client ?? makeClient(desired, options);
  const managedGroups = new Set<string>();
  for (const group of desired.groups) {
    if (group.object.spec.applications === undefined) continue;
    for (const name of [group.name, ...(group.object.metadata.previousNames ?? [])]) managedGroups.add(nameKey(name));
  }
  const live = await readLive(client, {
    associationsOf: (groups) => groups.filter((g) => managedGroups.has(nameKey(g.name))),
    desiredUserApprovers: desired.flows.some((f) => (f.object.spec.approval.levels ?? []).some((l) => l.approvers.some((a) => a.user !== undefined))),
    channels: needsChannelApi(desired),
  });
  const env = options.env ?? process.env;
  const input = prepareDiffInput(desired, live, (name) => env[name]);
  const policy = options.adjustPolicy ? options.adjustPolicy(deletionPolicy(desired)) : deletionPolicy(desired);
  return { ok: true, config, plan: await withAccessImpact(diff(input, policy), desired, live, client), client };
}
