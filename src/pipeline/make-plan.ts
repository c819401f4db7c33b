// Wires the stages into one plan run: load and validate the config, read the live state through
// the caller's client, map both sides and diff them under the project's deletion policy. The I/O is
// here; every stage it calls is a function of its inputs. The caller owns (and closes) the client.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { countDiagnostics } from '../diagnostics/diagnostic.js';
import type { DesiredState } from '../config/desired.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { AccessctlError } from '../errors.js';
import { clientOptionsFromEnv, JumpCloudClient, type ClientOptions } from '../jumpcloud/client.js';
import { readLive } from '../jumpcloud/live.js';
import { projectTargetOf } from '../jumpcloud/target.js';
import { nameKey } from '../config/names.js';
import { defaultDeletionPolicy, diff, type DeletionPolicy } from '../plan/diff.js';
import { prepareDiffInput } from '../jumpcloud/diff-input.js';
import type { SecretSource } from '../jumpcloud/channel-mapping.js';
import type { PlanMemo } from './plan-memo.js';
import { forOrg, type Plan } from '../plan/plan.js';
import { withAccessImpact } from './plan-impact.js';

/**
 * What the live state is read through: a client, or a function that makes one for the valid
 * config's desired state (its Project may name the target). Either way the caller made it and
 * closes it; makePlan never hands one back.
 */
export type ClientFor = JumpCloudClient | ((desired: DesiredState) => JumpCloudClient);

export interface PlanRunOptions {
  /** The config directory. */
  dir: string;
  client: ClientFor;
  /** Where channel secrets are read from, to compare them (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Flag overrides of the project's deletion policy (--prune, --max-deletions). */
  adjustPolicy?: (policy: DeletionPolicy) => DeletionPolicy;
  /** Reads and checks the config (default loadConfig(dir)); a fleet gives each org its resolved config. */
  load?: (dir: string) => Promise<LoadResult>;
  /** The last plan and its inputs, kept by a long-lived caller (the reconciler): the same inputs again give it back. */
  memo?: PlanMemo;
}

/**
 * invalid: the config has errors (nothing was sent); unplannable: the config is valid but no plan
 * could be made (no key, a bad target, the platform refused or was unreachable): `error` says why,
 * and throwing it gives the CLI's usual message and exit code; planned: the plan, and whether it is
 * the memo's plan from before (`reused`, never without a memo).
 */
export type PlanRun =
  | { status: 'invalid'; config: LoadResult }
  | { status: 'unplannable'; config: LoadResult; error: AccessctlError }
  | { status: 'planned'; config: LoadResult; plan: Plan; reused: boolean };

export function deletionPolicy(desired: DesiredState): DeletionPolicy {
  const spec = desired.project?.object.spec;
  return {
    prune: { ...spec?.prune },
    maxDeletions: spec?.guards?.maxDeletions ?? defaultDeletionPolicy.maxDeletions,
    maxDeletionPercent: spec?.guards?.maxDeletionPercent ?? defaultDeletionPolicy.maxDeletionPercent,
    protected: spec?.guards?.protected ?? [],
  };
}

export interface MakeClientOptions {
  /** --target, when given. */
  target?: string | undefined;
  env?: NodeJS.ProcessEnv;
  clientOptions?: Partial<ClientOptions>;
}

/** A client for the target and org resolved from --target, the environment and the desired state's Project (target.ts). The caller closes it. */
export function makeClient(desired: DesiredState, options: MakeClientOptions): JumpCloudClient {
  const env = options.env ?? process.env;
  return new JumpCloudClient({ ...clientOptionsFromEnv(env, options.target, projectTargetOf(desired)), ...options.clientOptions });
}

/**
 * The client of one command run, made on first use for the config it is asked for, and closed by
 * the command that created the scope (see withClientScope). A second config gets the same client.
 */
export class ClientScope {
  private made: JumpCloudClient | undefined;

  constructor(private readonly options: MakeClientOptions) {}

  /** The client, made now for `desired` if this scope has none yet. */
  readonly for = (desired: DesiredState): JumpCloudClient => (this.made ??= makeClient(desired, this.options));

  /** The client made so far, if any. */
  get client(): JumpCloudClient | undefined {
    return this.made;
  }

  async close(): Promise<void> {
    const made = this.made;
    this.made = undefined;
    await made?.close();
  }
}

/** Runs `use` with a client scope and closes whatever client it made, however `use` ends. */
export async function withClientScope<T>(options: MakeClientOptions, use: (scope: ClientScope) => Promise<T>): Promise<T> {
  const scope = new ClientScope(options);
  try {
    return await use(scope);
  } finally {
    await scope.close();
  }
}

export function configErrors(config: LoadResult): Diagnostic[] {
  return config.diagnostics.filter((d) => d.severity === 'error');
}

/** The channel API is a sandbox extension: it is read only when the repo keeps channels or names one. */
export function needsChannelApi(desired: DesiredState): boolean {
  return desired.channels.length > 0 || (desired.settings?.object.spec.webhooks ?? []).some((w) => typeof w.channel === 'string');
}

/** Validates, then plans. An invalid config stops before any request is sent; nothing here throws an AccessctlError. */
export async function makePlan(options: PlanRunOptions): Promise<PlanRun> {
  const config = await (options.load ?? loadConfig)(options.dir);
  if (countDiagnostics(config.diagnostics).errors > 0) return { status: 'invalid', config };
  try {
    return { status: 'planned', config, ...(await planValid(config.desired, options)) };
  } catch (error) {
    if (error instanceof AccessctlError) return { status: 'unplannable', config, error };
    throw error;
  }
}

/**
 * Whether any flow names a user as an approver (then the live users are read). Plain indexed
 * loops: it looks at every level of every flow, 10,000 flows in a large repo, once per plan and
 * so mostly unoptimised, where some() with closures, or for-of, allocates at every step.
 */
export function namesUserApprover(desired: DesiredState): boolean {
  const flows = desired.flows;
  for (let f = 0; f < flows.length; f++) {
    const levels = flows[f]!.object.spec.approval.levels;
    if (levels === undefined) continue;
    for (let l = 0; l < levels.length; l++) {
      const approvers = levels[l]!.approvers;
      for (let a = 0; a < approvers.length; a++) if (approvers[a]!.user !== undefined) return true;
    }
  }
  return false;
}

/** Whether the repo sets the icon of the flow of a name (current or previous): only those live icons are compared. */
export function iconsManaged(desired: DesiredState): (name: string) => boolean {
  const keys = new Set<string>();
  for (const flow of desired.flows) {
    if (flow.object.spec.display === undefined) continue;
    for (const name of [flow.name, ...(flow.object.metadata.previousNames ?? [])]) keys.add(nameKey(name));
  }
  return (name) => keys.size > 0 && keys.has(nameKey(name));
}

async function planValid(desired: DesiredState, options: PlanRunOptions): Promise<{ plan: Plan; reused: boolean }> {
  const client = typeof options.client === 'function' ? options.client(desired) : options.client;
  const managedGroups = new Set<string>();
  for (const group of desired.groups) {
    if (group.object.spec.applications === undefined) continue;
    for (const name of [group.name, ...(group.object.metadata.previousNames ?? [])]) managedGroups.add(nameKey(name));
  }
  const live = await readLive(client, {
    associationsOf: (groups) => groups.filter((g) => managedGroups.has(nameKey(g.name))),
    desiredUserApprovers: options.memo ? options.memo.namesUserApprover(desired, namesUserApprover) : namesUserApprover(desired),
    channels: needsChannelApi(desired),
    // Under a memo the same predicate and the same kept pages come back, so unchanged pages are not mapped again.
    managesDisplay: options.memo ? options.memo.iconsManaged(desired, iconsManaged) : iconsManaged(desired),
    ...(options.memo ? { flowPages: options.memo.flowPages } : {}),
  });
  const env = options.env ?? process.env;
  const secrets: SecretSource = (name) => env[name];
  const policy = options.adjustPolicy ? options.adjustPolicy(deletionPolicy(desired)) : deletionPolicy(desired);
  const make = (read: SecretSource): Plan => diff(prepareDiffInput(desired, live, read), policy);
  const { plan, reused } = options.memo ? options.memo.plan(desired, live, secrets, policy, make) : { plan: make(secrets), reused: false };
  return { plan: forOrg(await withAccessImpact(plan, desired, live, client), client.orgId), reused };
}
