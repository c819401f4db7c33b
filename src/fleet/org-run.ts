// One run of one org of a fleet, the same run `reconcile` makes (plan, drift policy, break-glass,
// apply with the journal, events), on the org's resolved config, with the org's own client (its
// target, its key variable, its org id as x-org-id) and its state where the runner keeps it. The
// run is recorded in the org's history whatever happens, and says when the org should run next.
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ParseCache } from '../config/parse-cache.js';
import type { ConsoleModel } from '../console/model.js';
import type { EventSink } from '../events/sink.js';
import { AnswerMemo } from '../jumpcloud/answer-memo.js';
import { credentialFromEnv, JumpCloudClient, type ClientOptions } from '../jumpcloud/client.js';
import { AccessctlError } from '../errors.js';
import { PlanMemo } from '../pipeline/plan-memo.js';
import type { SayOnce } from '../reconcile/config-source.js';
import { persistentConflict, reconcileOnce, type Stop } from '../reconcile/run.js';
import { conflictStreak, CONFLICTS_BEFORE_FAILURE } from '../reconcile/schedule.js';
import type { RunFailure } from '../events/cloudevent.js';
import { TargetBinding } from '../reconcile/target-binding.js';
import { nextDelayMs } from './backoff.js';
import { readFleet, type FleetDefinition, type FleetMember } from './fleet-file.js';
import { failureStreak, type OrgRunRecord, type OrgRunResult } from './history.js';
import type { FleetMetrics } from './metrics.js';
import { orgEvents } from './org-events.js';
import type { OrgStateStore } from './org-state.js';
import { FolderCache, resolveOrg } from './resolve.js';

/** The org as the fleet file says now, or why it cannot be run. */
export type CurrentOrg = { ok: true; fleet: FleetDefinition; org: FleetMember } | { ok: false; removed: boolean; message: string };

/** Re-reads the fleet file, so each run follows its latest overlay, exclusions and interval. */
export async function currentOrg(fleetFile: string, name: string, cwd?: string): Promise<CurrentOrg> {
  const read = await readFleet(fleetFile, cwd);
  const errors = read.diagnostics.filter((d) => d.severity === 'error');
  if (read.fleet === undefined || errors.length > 0) {
    const first = errors[0];
    return {
      ok: false,
      removed: false,
      message: `the fleet file ${fleetFile} is invalid${first ? `: ${first.file}:${first.line}:${first.column} ${first.message}` : ''}`,
    };
  }
  const org = read.fleet.orgs.find((o) => o.name === name);
  if (org === undefined) return { ok: false, removed: true, message: `org ${name} is no longer in the fleet ${read.fleet.name}` };
  return { ok: true, fleet: read.fleet, org };
}

/** Each org's client, kept across its runs: keep-alive, and its own rate limit and back-off, so one org's 429s slow no other org. */
export class OrgClients {
  private readonly clients = new Map<string, { key: string; client: JumpCloudClient; memo: PlanMemo }>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly overrides: Partial<ClientOptions> = {},
  ) {}

  /** The org's client, and the memo of its last plan; or why there is none: its key variable is not set, or holds no usable key. */
  for(org: FleetMember): { client: JumpCloudClient; memo: PlanMemo } | { unusable: string } {
    let apiKey: string | undefined;
    try {
      apiKey = credentialFromEnv(this.env, org.keyVariable);
    } catch (error) {
      // A key with a newline or a space around it is that org's problem, said as such; the other orgs run.
      if (error instanceof AccessctlError) return { unusable: `${error.message} (the API key for org ${org.name})` };
      throw error;
    }
    if (!apiKey) return { unusable: `${org.keyVariable} is not set: export the API key for org ${org.name} (a multi-tenant key may serve every org)` };
    const key = `${org.target}\u0000${org.orgId}\u0000${org.keyVariable}`;
    const kept = this.clients.get(org.name);
    if (kept && kept.key === key) return { client: kept.client, memo: kept.memo };
    if (kept) void kept.client.close();
    // As a single reconciler does: an unchanged page is not parsed again, nor an unchanged plan made again.
    const client = new JumpCloudClient({ baseUrl: org.target, apiKey, orgId: org.orgId, answers: new AnswerMemo(), ...this.overrides });
    const memo = new PlanMemo();
    this.clients.set(org.name, { key, client, memo });
    return { client, memo };
  }

  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(all.map((c) => c.client.close()));
  }
}

export interface OrgRunOptions {
  fleetFile: string;
  org: string;
  state: OrgStateStore;
  clients: OrgClients;
  sinks: readonly EventSink[];
  metrics: FleetMetrics;
  log: Logger;
  env: NodeJS.ProcessEnv;
  worker: string;
  jobId?: string;
  /** Set once no further change may start; the change in flight finishes. */
  stopping: () => Stop | undefined;
  now?: () => number;
  random?: () => number;
  sayOnce?: SayOnce;
  cwd?: string;
  /** Parses kept between runs (a runner keeps one for its lifetime): a file unchanged since an earlier run, of any org, is not parsed again. */
  cache?: ParseCache;
  /** The org's page in the runner's console, fed with this run (when the runner serves one). */
  console?: ConsoleModel | undefined;
}

export interface OrgRunDone {
  record: OrgRunRecord;
  /** False when the org left the fleet: it is not scheduled again. */
  keep: boolean;
}

/** Runs the org once and records the run; throws only when the run could not be recorded (the state store is gone). */
export async function runOrg(options: OrgRunOptions): Promise<OrgRunDone> {
  const now = options.now ?? Date.now;
  const id = randomUUID();
  const log = options.log.child({ org: options.org });
  const startedAt = await options.state.startRun({ id, jobId: options.jobId });
  const before = await options.state.consecutiveFailures();
  const conflictsBefore = await options.state.conflictsInRow();
  const started = performance.now();
  options.console?.startNextRun();
  let result: OrgRunResult;
  let applied = 0;
  let failedCount = 0;
  let drifted = 0;
  let failures: OrgRunRecord['failures'] = [];
  let message: string;
  let intervalMs: number | undefined;
  let keep = true;
  let driftedObjects: OrgRunRecord['driftedObjects'] = [];
  let conflicts: RunFailure[] = [];
  try {
    const current = await currentOrg(options.fleetFile, options.org, options.cwd);
    if (!current.ok) {
      keep = !current.removed;
      result = 'error';
      message = current.message;
    } else {
      intervalMs = current.org.intervalMs;
      options.metrics.knowOrg(current.org.name, current.org.orgId);
      const made = options.clients.for(current.org);
      if ('unusable' in made) {
        result = 'error';
        message = made.unusable;
      } else {
        const fleetDir = dirname(resolve(options.cwd ?? process.cwd(), options.fleetFile));
        const events = orgEvents(options.console ? [...options.sinks, options.console.sink] : options.sinks, current.fleet.name, options.org);
        const outcome = await reconcileOnce({
          source: { kind: 'dir', dir: fleetDir },
          stateDir: `${current.fleet.name}/${options.org}`,
          state: options.state,
          load: async () => (await resolveOrg(current.fleet, current.org, new FolderCache(options.cwd, options.cache))).config,
          env: options.env,
          clients: TargetBinding.fixed(made.client, '--target'),
          memo: made.memo,
          events: events.fanout,
          metrics: options.metrics,
          log,
          allowHistoryRewrite: false,
          stopping: options.stopping,
          ...(options.now ? { now: options.now } : {}),
          ...(options.sayOnce ? { sayOnce: options.sayOnce } : {}),
          onPlan: (plan, desired, configDir) => options.console?.planned(plan, desired, configDir),
        });
        options.console?.runFinished(outcome);
        result = outcome.result;
        applied = outcome.applied;
        failedCount = outcome.failed;
        drifted = outcome.drifted;
        failures = outcome.failures;
        message = outcome.message;
        driftedObjects = events.driftedObjects();
        conflicts = outcome.conflicts ?? [];
      }
    }
  } catch (error) {
    result = 'error';
    message = error instanceof Error ? error.message : String(error);
  }
  // A run that could not be carried out says why here; one that ran has logged its own result.
  if (result === 'error') {
    log.error({ runId: id }, `org ${options.org}: the run could not be carried out: ${message}`);
    options.console?.runCrashed(message);
  }
  const inRow = conflictStreak(conflictsBefore, result);
  const consecutiveFailures = failureStreak(before, result, inRow);
  // A conflict is requeued soon (30 s, then 1 m; its streak stays as it was), not backed off; from
  // the CONFLICTS_BEFORE_FAILURE-th in a row on, it is a failure: an ERROR, the streak and the back-off.
  if (result === 'conflict' && inRow >= CONFLICTS_BEFORE_FAILURE)
    log.error({ runId: id, conflictsInRow: inRow, conflicts }, persistentConflict(inRow, conflicts));
  const nextRunAt =
    keep && intervalMs !== undefined
      ? new Date(
          now() + nextDelayMs({ intervalMs, consecutiveFailures, result, conflictsInRow: inRow, ...(options.random ? { random: options.random } : {}) }),
        ).toISOString()
      : null;
  const record: OrgRunRecord = {
    id,
    org: options.org,
    worker: options.worker,
    startedAt,
    finishedAt: null,
    result,
    applied,
    failed: failedCount,
    drifted,
    driftedObjects,
    failures,
    message,
    nextRunAt,
  };
  await options.state.finishRun(record, consecutiveFailures);
  options.metrics.recordOrgRun(options.org, result, (performance.now() - started) / 1000, new Date(now()), { applied, drifted, consecutiveFailures });
  return { record, keep };
}
