// One reconcile run, level-triggered: read the config (a directory or a git checkout) and the live
// state afresh, plan, correct what the drift policy allows, emit an event for everything done, and
// record the result. Nothing is remembered between runs except what is on disk in the state dir.
import { randomUUID } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { applyPlan, type ChangeResult } from '../apply/apply.js';
import { configRootIn } from '../config/discover.js';
import { channelSecretRefs } from '../config/channel-secrets.js';
import type { DriftPolicy, WebhookChannel } from '../config/kinds.generated.js';
import { changeApplied, changeFailed, driftDetected, runCompleted, type AccessctlEvent, type GitAttribution, type RunContext, type RunResult } from '../events/cloudevent.js';
import type { EventFanout } from '../events/fanout.js';
import { secretRedactor } from '../events/redaction.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { makePlan } from '../pipeline/make-plan.js';
import { fingerprintOf } from '../jumpcloud/fingerprint.js';
import { isApplicable, whyNotApplicable, type Change, type ManagedKind, type Plan } from '../plan/plan.js';
import { summaryLine } from '../plan/render-text.js';
import type { GitSource } from './git-source.js';
import { IntentJournal } from './journal.js';
import { readLastApplied, writeLastApplied } from './last-applied.js';
import type { ReconcileMetrics } from './metrics.js';

export type ConfigSource = { kind: 'dir'; dir: string } | { kind: 'git'; git: GitSource; path: string };

export interface ReconcileOptions {
  source: ConfigSource;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** One client for the reconciler's lifetime: keep-alive, and request counts that only grow. */
  client: JumpCloudClient;
  events: EventFanout;
  metrics: ReconcileMetrics;
  log: Logger;
  allowHistoryRewrite: boolean;
  /** Once true, no further change starts; the one in flight finishes. */
  stopping: () => boolean;
  /** Called with each run's plan before anything is applied (up prints the first one). */
  onPlan?: (plan: Plan) => void;
}

export interface RunOutcome {
  result: RunResult;
  applied: number;
  failed: number;
  drifted: number;
  message: string;
}

const SECRET_VARIABLES = ['JUMPCLOUD_API_KEY', 'ACCESSCTL_GIT_TOKEN', 'ACCESSCTL_EVENTS_WEBHOOK_SECRET'];

/** The values no event may carry: the keys accessctl runs with and every channel secret. */
function secretsOf(env: NodeJS.ProcessEnv, channels: readonly WebhookChannel['spec'][]): string[] {
  const names = new Set(SECRET_VARIABLES);
  for (const spec of channels) for (const ref of channelSecretRefs(spec)) names.add(ref.env);
  return [...names].flatMap((name) => (env[name] ? [env[name]] : []));
}

/**
 * Settles what a killed run left in the journal: a change the live state no longer needs landed
 * (its event goes out now); one still planned did not (a failed event; this run applies it).
 */
async function settleLeftovers(journal: IntentJournal, plan: Plan, ctx: RunContext, emit: (events: AccessctlEvent[]) => Promise<void>): Promise<void> {
  for (const { entry, intent } of await journal.leftovers()) {
    const pending = plan.changes.some((c) => c.kind === intent.kind && c.name === intent.name && c.action === intent.action);
    const then: RunContext = { ...ctx, runId: intent.runId, configCommit: intent.configCommit };
    const object = { kind: intent.kind, name: intent.name, action: intent.action, fields: intent.fields, ...(intent.id ? { id: intent.id } : {}) };
    await emit([
      pending
        ? changeFailed(then, { ...object, error: { code: 'interrupted', message: 'the run stopped before this change finished; a later run applies it' } }, new Date())
        : changeApplied(then, object, new Date()),
    ]);
    await journal.strike(entry);
  }
}

function driftPolicy(policies: Partial<Record<ManagedKind, DriftPolicy>>, kind: ManagedKind): DriftPolicy {
  return policies[kind] ?? 'correct';
}

export async function reconcileOnce(options: ReconcileOptions): Promise<RunOutcome> {
  const started = Date.now();
  const runId = randomUUID();
  const { log, events, metrics } = options;
  let configDir: string;
  let commit: string | null = null;
  let planOnly: string | undefined;
  let checkout: { git: GitSource; dir: string } | undefined;
  const last = await readLastApplied(options.stateDir);

  if (options.source.kind === 'git') {
    const { git, path } = options.source;
    const synced = await git.sync();
    if (synced.warning) log.warn({ runId }, synced.warning);
    commit = synced.commit;
    configDir = configRootIn(synced.dir, path);
    checkout = { git, dir: synced.dir };
    if (last?.commit && last.commit !== commit && !(await git.isAncestor(last.commit, commit)) && !options.allowHistoryRewrite) {
      planOnly = `the new head ${commit.slice(0, 12)} does not descend from the last applied commit ${last.commit.slice(0, 12)} (history was rewritten); planning only. Pass --allow-history-rewrite to apply it.`;
      log.warn({ runId }, planOnly);
    }
  } else {
    configDir = options.source.dir;
  }

  const ctx: RunContext = { runId, configCommit: commit, source: 'accessctl/reconcile', target: options.client.target, redact: secretRedactor(secretsOf(options.env, [])) };
  const emit = async (batch: AccessctlEvent[]): Promise<void> => {
    for (const failure of await events.emit(batch)) log.warn({ runId, sink: failure.sink }, failure.message);
  };
  const finish = async (outcome: RunOutcome): Promise<RunOutcome> => {
    const seconds = (Date.now() - started) / 1000;
    metrics.recordRun(outcome.result, seconds, new Date());
    await emit([runCompleted(ctx, { result: outcome.result, applied: outcome.applied, failed: outcome.failed, drifted: outcome.drifted, durationMs: Math.round(seconds * 1000), message: outcome.message }, new Date())]);
    log.info({ runId, result: outcome.result, applied: outcome.applied, failed: outcome.failed, drifted: outcome.drifted }, outcome.message);
    return outcome;
  };

  const run = await makePlan({ dir: configDir, env: options.env, client: options.client });
  if (!run.ok) {
    const errors = run.config.diagnostics.filter((d) => d.severity === 'error');
    const message = `the config is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}); first: ${errors[0] ? `${errors[0].file}:${errors[0].line}:${errors[0].column} ${errors[0].message}` : ''}`;
    return finish({ result: 'failed', applied: 0, failed: 0, drifted: 0, message });
  }
  const { plan, client, config } = run;
  // Now the config is known, so are the variables its channels read secrets from.
  ctx.redact = secretRedactor(secretsOf(options.env, config.desired.channels.map((c) => c.object.spec)));
  try {
    options.onPlan?.(plan);
    // Who last changed each planned object's file: one git log for the whole run, not one per change.
    const source = (change: Change): string | undefined => (change.action === 'delete' ? undefined : change.source.file);
    const idOf = (change: Change): string | undefined => (change.action === 'create' ? undefined : change.id);
    const attributions = new Map<string, GitAttribution>();
    if (checkout) {
      const files = [...new Set(plan.changes.flatMap((c) => source(c) ?? []))];
      const found = await checkout.git.lastChanges(files.map((file) => relative(checkout!.dir, resolve(file))));
      for (const file of files) {
        const change = found.get(relative(checkout.dir, resolve(file)));
        if (change) attributions.set(file, { commit: change.commit, author: change.author, date: change.date });
      }
    }
    const attribute = async (file: string): Promise<GitAttribution | undefined> => attributions.get(file);
    const journal = new IntentJournal(options.stateDir);
    await settleLeftovers(journal, plan, ctx, emit);
    const desiredDigest = fingerprintOf([...config.sources.keys()].sort().map((file) => config.sources.get(file)?.displayText));
    // Live changes while the desired state stayed put are drift; changes right after a new config are not.
    const isDrift = last !== undefined && last.config === desiredDigest;
    const policies = config.desired.project?.object.spec?.drift ?? {};
    const drifted = isDrift ? plan.changes : [];
    const reported = drifted.filter((c) => driftPolicy(policies, c.kind) === 'report');
    if (drifted.length > 0) {
      for (const change of drifted) metrics.recordDrift(change.kind);
      await emit(
        await Promise.all(
          drifted.map(async (change) => {
            const file = source(change);
            const attribution = file ? await attribute(file) : undefined;
            return driftDetected(ctx, { kind: change.kind, name: change.name, ...(idOf(change) ? { id: idOf(change) } : {}), fields: change.fields, policy: driftPolicy(policies, change.kind), action: change.action, ...(attribution ? { attribution } : {}) }, new Date());
          }),
        ),
      );
    }
    if (!isApplicable(plan)) {
      const reasons = whyNotApplicable(plan);
      return await finish({ result: 'failed', applied: 0, failed: 0, drifted: drifted.length, message: `nothing applied: ${reasons.join('; ')}` });
    }
    if (planOnly) return await finish({ result: 'plan-only', applied: 0, failed: 0, drifted: drifted.length, message: planOnly });
    const toApply: Plan = { ...plan, changes: plan.changes.filter((c) => !reported.includes(c)) };
    if (toApply.changes.length === 0) {
      await writeLastApplied(options.stateDir, { commit, config: desiredDigest });
      return await finish({ result: 'no-op', applied: 0, failed: 0, drifted: drifted.length, message: `${summaryLine(plan)}; nothing to apply` });
    }
    // Each change's event goes out as soon as the change settles, not at the end of the run.
    const emitted: Promise<void>[] = [];
    const eventFor = async (r: ChangeResult): Promise<AccessctlEvent> => {
      const file = source(r.change);
      const attribution = file ? await attribute(file) : undefined;
      const id = r.id ?? idOf(r.change);
      const object = { kind: r.change.kind, name: r.change.name, action: r.change.action, fields: r.change.fields, ...(id ? { id } : {}), ...(attribution ? { attribution } : {}) };
      return r.status === 'applied' ? changeApplied(ctx, { ...object, ...(r.confirmedByRetry ? { confirmedByRetry: true } : {}) }, new Date()) : changeFailed(ctx, { ...object, error: r.error ?? { code: r.status, message: r.status } }, new Date());
    };
    const entries = new Map<Change, string>();
    const result = await applyPlan(toApply, {
      client,
      secrets: (name) => options.env[name],
      stopping: options.stopping,
      beforeChange: async (change) => {
        const sourceFile = source(change);
        entries.set(
          change,
          await journal.record({ runId, configCommit: commit, kind: change.kind, name: change.name, action: change.action, fields: change.fields, ...(idOf(change) ? { id: idOf(change) } : {}), ...(sourceFile ? { sourceFile } : {}) }),
        );
      },
      onResult: (outcome) => {
        if (outcome.status === 'applied') metrics.recordChange(outcome.change.kind, outcome.change.action);
        const entry = entries.get(outcome.change);
        emitted.push(
          eventFor(outcome)
            .then((event) => emit([event]))
            .then(() => (entry ? journal.strike(entry) : undefined)),
        );
      },
    });
    await Promise.all(emitted);
    const notApplied = result.failed + result.skipped;
    if (notApplied === 0) await writeLastApplied(options.stateDir, { commit, config: desiredDigest });
    const message = `${summaryLine(plan)}; applied ${result.applied}, failed ${result.failed}, skipped ${result.skipped}`;
    return await finish({ result: notApplied === 0 ? 'success' : result.applied > 0 ? 'partial' : 'failed', applied: result.applied, failed: notApplied, drifted: drifted.length, message });
  } finally {
    metrics.recordApiRequests(client.requests.entries());
  }
}
