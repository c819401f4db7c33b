// One reconcile run, level-triggered, as a short sequence of named steps: sync the source, plan,
// classify drift (a pure function), hold back what break-glass says, apply with the journal, record
// the state and finish. Nothing is remembered between runs except what is in the state directory,
// so a run that SIGTERM or SIGINT cuts short ends as stopped, not failed: the next one reads again;
// and a run whose only failures were another writer's conflicts plans again at once (a few times).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { applyPlan, type ApplyResult, type ChangeErrorCode, type ChangeResult } from '../apply/apply.js';
import { channelSecretRefs } from '../config/channel-secrets.js';
import type { DesiredState } from '../config/desired.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import type { ParseCache } from '../config/parse-cache.js';
import type { WebhookChannel } from '../config/kinds.generated.js';
import {
  changeApplied,
  changeFailed,
  changeSkipped,
  driftDetected,
  runCompleted,
  type AccessctlEvent,
  type GitAttribution,
  type RunContext,
  type RunFailure,
  type RunResult,
  type SkipReason,
} from '../events/cloudevent.js';
import type { EventFanout, SinkFailure } from '../events/fanout.js';
import { secretRedactor } from '../events/redaction.js';
import { AccessctlError } from '../errors.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { makePlan, type PlanRun } from '../pipeline/make-plan.js';
import type { PlanMemo } from '../pipeline/plan-memo.js';
import { isApplicable, whyNotApplicable, type Change, type Plan } from '../plan/plan.js';
import { summaryLine, type HeldChanges } from '../plan/render-text.js';
import { applyGate, pausedDrift, type ApplyGate } from './break-glass.js';
import { syncSource, type ConfigSource, type SayOnce, type SyncedConfig } from './config-source.js';
import { classifyChanges, desiredDigests, nextDigests, objectKey, type ClassifiedChange } from './drift.js';
import { IntentJournal, type Intent, type IntentFailure, type JournalNotice, type RecoveredObject } from './journal.js';
import { baselineOf, isRepoFormat, readLastApplied, writeLastApplied, type LastApplied, type StoredLastApplied } from './last-applied.js';
import type { ReconcileMetrics } from './metrics.js';
import { movedTarget, type TargetBinding, type TargetMismatch } from './target-binding.js';

export type { ConfigSource } from './config-source.js';

/** Why no further change may start. */
export interface Stop {
  why: string;
  /** False once another reconciler may own the state directory (the lock was lost): nothing more is recorded there. */
  stateIsOurs: boolean;
}

/**
 * The stop that ends a run as stopped rather than failed: the caller's own (SIGTERM, SIGINT, a
 * worker shutting down). A lost lock is a failure: another reconciler may be applying.
 */
function signalStop(options: RunOptions): Stop | undefined {
  const stop = options.stopping();
  return stop?.stateIsOurs === true ? stop : undefined;
}

/** A change the stop left undone: never started, or cut short by the client's stop (before or after a write went out). */
function cutShortByStop(r: ChangeResult): boolean {
  const code = r.error?.code;
  return code === 'not-started' || code === 'stopped-before-send' || code === 'stopped-after-send';
}

export interface RunOptions {
  source: ConfigSource;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** The reconciler's client, owned by its caller: made on the first valid config for the target resolveTarget picks. */
  clients: TargetBinding;
  events: EventFanout;
  metrics: ReconcileMetrics;
  log: Logger;
  allowHistoryRewrite: boolean;
  /** Set once no further change may start (a signal, a lost lock); the client's stop cuts short the change in flight, or its write finishes. */
  stopping: () => Stop | undefined;
  /** Called with each run's plan, the desired state it was made from and the config directory read, before anything is applied (up prints the first plan; the console lists the objects). */
  onPlan?: (plan: Plan, desired: DesiredState, configDir: string, held: HeldChanges) => void;
  /** The clock, in ms since the epoch: suspend, sync windows, pauses and event times are read from it. */
  now?: () => number;
  /** Says a notice once for the reconciler's lifetime; without it, once per run. */
  sayOnce?: SayOnce;
  /** Where the last-applied state and the intent journal are kept (default: files in stateDir). A fleet keeps an org's in Postgres. */
  state?: RunState;
  /** Reads and checks the config in the synced directory (default loadConfig); a fleet resolves an org's base and overlay. */
  load?: (configDir: string) => Promise<LoadResult>;
  /** Parses kept between runs (the loop keeps one for its lifetime), used by the default load: an unchanged file is not parsed again. */
  cache?: ParseCache;
  /** The last plan and its inputs (the loop keeps one for its lifetime): a cycle whose inputs are all the same gets the same plan, unmade. */
  memo?: PlanMemo;
}

/**
 * What a run reads and writes between runs: the last-applied state and the intent journal. A journal
 * that can amend an entry keeps a failed change's error in it, so a later run settling the entry
 * sends that error again; one that cannot has the entry settled from the live state alone.
 */
export interface RunState {
  readLastApplied(): Promise<StoredLastApplied | undefined>;
  writeLastApplied(value: LastApplied): Promise<void>;
  readonly journal: Pick<IntentJournal, 'record' | 'strike' | 'leftovers'> & Partial<Pick<IntentJournal, 'amend'>>;
}

/** The state as files in a state directory, as `reconcile` keeps it. */
export function fileRunState(stateDir: string): RunState {
  return {
    readLastApplied: () => readLastApplied(stateDir),
    writeLastApplied: (value) => writeLastApplied(stateDir, value),
    journal: new IntentJournal(stateDir),
  };
}

export interface SkippedChange {
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  reason: SkipReason;
  /** When the suspension or pause ends, or the next sync window opens. */
  until?: string;
}

export interface RunOutcome {
  runId: string;
  result: RunResult;
  applied: number;
  /** Changes that failed or were not started. */
  failed: number;
  drifted: number;
  /** Each failed change with why; also logged at ERROR and listed in the run's summary. */
  failures: RunFailure[];
  /** Changes planned but held back on purpose (suspended, outside a sync window, drift paused). */
  skipped: SkippedChange[];
  /**
   * Changes not written because another writer changed their object since the plan was made
   * (`changed-since-plan`), with those that waited on one: logged at WARN, not failures. Only what
   * the run's last plan left so; conflicts a re-plan resolved are in the message and the metrics.
   */
  conflicts?: RunFailure[];
  /** Set when the repo's Project names another target than the reconciler's client. */
  targetMismatch?: TargetMismatch;
  message: string;
}

const SECRET_VARIABLES = ['JUMPCLOUD_API_KEY', 'ACCESSCTL_GIT_TOKEN', 'ACCESSCTL_EVENTS_WEBHOOK_SECRET'];

/** The values no event may carry: the keys accessctl runs with and every channel secret. */
function secretsOf(env: NodeJS.ProcessEnv, channels: readonly WebhookChannel['spec'][]): string[] {
  const names = new Set(SECRET_VARIABLES);
  for (const spec of channels) for (const ref of channelSecretRefs(spec)) names.add(ref.env);
  return [...names].flatMap((name) => (env[name] ? [env[name]] : []));
}

/** The run's identity, its event context and its log: what every step reports through. */
class RunReport {
  readonly runId = randomUUID();
  readonly ctx: RunContext;
  readonly now: () => number;
  readonly skipped: SkippedChange[] = [];
  targetMismatch: TargetMismatch | undefined;
  /** Sinks that refused a change's event, with why: the run did not do all it should have. */
  private readonly undelivered = new Map<string, string>();
  private keptEntries = 0;
  private readonly journalErrors: string[] = [];
  private readonly started = performance.now();

  constructor(private readonly options: RunOptions) {
    this.now = options.now ?? Date.now;
    this.ctx = {
      runId: this.runId,
      configCommit: null,
      source: 'accessctl/reconcile',
      target: options.clients.target ?? null,
      redact: secretRedactor(secretsOf(options.env, [])),
    };
  }

  get log(): Logger {
    return this.options.log;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** Emits a batch; resolves with the sinks that did not take it (each also logged at WARN). */
  async emit(batch: AccessctlEvent[]): Promise<SinkFailure[]> {
    if (batch.length === 0) return [];
    const failures = await this.options.events.emit(batch);
    for (const failure of failures) this.log.warn({ runId: this.runId, sink: failure.sink }, failure.message);
    return failures;
  }

  /**
   * Emits the event of a journalled change and strikes its entry only once every sink took it: an
   * event a sink refused keeps the entry, so the next run settles it and sends the event again.
   * Never rejects: what went wrong is kept for the run's result.
   */
  async emitJournalled(event: AccessctlEvent, journal: RunState['journal'], entry: string | undefined, whenKept?: () => Promise<void>): Promise<void> {
    let failures: SinkFailure[];
    try {
      failures = await this.emit([event]);
    } catch (error) {
      failures = [{ sink: 'events', code: 'internal', message: error instanceof Error ? error.message : String(error) }];
    }
    if (failures.length > 0) {
      for (const failure of failures) this.undelivered.set(failure.sink, failure.message);
      if (entry !== undefined) {
        this.keptEntries++;
        await whenKept?.();
      }
      return;
    }
    if (entry !== undefined) await this.strike(journal, entry);
  }

  /**
   * Keeps a failed change's error in its journal entry before the event goes out, so a run that
   * settles the entry later (this one died first, or a sink refused the event) sends the error the
   * platform gave, not one guessed from the live state. It is redacted as the event is.
   */
  async keepFailure(journal: RunState['journal'], journalled: { entry: string; intent: Intent }, error: IntentFailure): Promise<void> {
    const redact = this.ctx.redact ?? ((text: string) => text);
    const failure: IntentFailure = { code: error.code, message: redact(error.message), ...(error.status === undefined ? {} : { status: error.status }) };
    await this.amend(
      journal,
      journalled.entry,
      { ...journalled.intent, failure },
      "the failure's event is sent now, but should a later run settle the entry, its event gives a reason read from the live state instead of the platform's",
    );
  }

  /**
   * Marks an applied change's entry as landed once a sink refused its event, so the run that sends
   * it again sends the same `change.applied`, whatever the live state says by then.
   */
  async keepLanded(journal: RunState['journal'], journalled: { entry: string; intent: Intent }, id: string | undefined): Promise<void> {
    const intent: Intent = { ...journalled.intent, ...(id === undefined ? {} : { id }), landed: true };
    await this.amend(journal, journalled.entry, intent, "the next run sends the change's refused event again, judged from the live state");
  }

  /** Rewrites an entry with what its run learnt; one that cannot be rewritten only loses that: a WARN saying `otherwise`. */
  private async amend(journal: RunState['journal'], entry: string, intent: Intent, otherwise: string): Promise<void> {
    if (journal.amend === undefined) return;
    try {
      await journal.amend(entry, intent);
    } catch (problem) {
      const message = problem instanceof Error ? problem.message : String(problem);
      this.log.warn({ runId: this.runId, entry }, `${message}; ${otherwise}`);
    }
  }

  /**
   * Strikes a settled entry; one that cannot be removed is an error of the run, not of the process.
   * `after` says what the next run does with it (by default: its event was sent, and is sent again).
   */
  async strike(
    journal: RunState['journal'],
    entry: string,
    after = 'its event was sent, and the next run settles the entry again (a second event for the same change)',
  ): Promise<void> {
    try {
      await journal.strike(entry);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.journalErrors.push(message);
      this.log.error({ runId: this.runId, entry }, `${message}; ${after}`);
    }
  }

  /**
   * What this run could not keep of its promise that no change goes without its event, in words, or
   * undefined when it kept it: sinks that refused a change's event, journal entries it could not strike.
   */
  private journalTrouble(): string | undefined {
    const parts: string[] = [];
    if (this.undelivered.size > 0) {
      const sinks = [...this.undelivered].map(([sink, message]) => `${sink} (${message})`).join('; ');
      parts.push(
        `change events not delivered to ${sinks}; ${this.keptEntries} journal entr${this.keptEntries === 1 ? 'y is' : 'ies are'} kept, and the next run sends ${this.keptEntries === 1 ? 'its event' : 'their events'} again`,
      );
    }
    if (this.journalErrors.length > 0) parts.push(`journal entries not removed: ${this.journalErrors.join('; ')}`);
    return parts.length === 0 ? undefined : parts.join('; ');
  }

  /** Counts, emits and logs the run's end: at ERROR when anything failed, with every failure listed. */
  async finish(finished: Omit<RunOutcome, 'runId' | 'skipped' | 'targetMismatch'>): Promise<RunOutcome> {
    // The platform may quote a secret back in a reason: the summary, like every event, carries none.
    const redact = this.ctx.redact ?? ((text: string) => text);
    const outcome = this.withJournalTrouble(finished);
    const full: RunOutcome = {
      runId: this.runId,
      ...outcome,
      message: redact(outcome.message),
      failures: outcome.failures.map((f) => ({ ...f, reason: redact(f.reason) })),
      ...(outcome.conflicts === undefined ? {} : { conflicts: outcome.conflicts.map((f) => ({ ...f, reason: redact(f.reason) })) }),
      skipped: this.skipped,
      ...(this.targetMismatch ? { targetMismatch: this.targetMismatch } : {}),
    };
    const seconds = (performance.now() - this.started) / 1000;
    this.options.metrics.recordRun(full.result, seconds, this.date());
    const mismatch = full.targetMismatch;
    await this.emit([
      runCompleted(
        this.ctx,
        {
          result: full.result,
          applied: full.applied,
          failed: full.failed,
          drifted: full.drifted,
          skipped: full.skipped.length,
          durationMs: Math.round(seconds * 1000),
          message: full.message,
          failures: full.failures,
          ...(full.conflicts === undefined ? {} : { conflicts: full.conflicts }),
          ...(mismatch ? { targetMismatch: { project: mismatch.project, client: mismatch.client, from: mismatch.from, overridden: mismatch.overridden } } : {}),
        },
        this.date(),
      ),
    ]);
    const fields = {
      runId: this.runId,
      result: full.result,
      applied: full.applied,
      failed: full.failed,
      drifted: full.drifted,
      skipped: full.skipped.length,
      ...(full.failures.length > 0 ? { failures: full.failures } : {}),
      ...(full.conflicts !== undefined && full.conflicts.length > 0 ? { conflicts: full.conflicts } : {}),
    };
    const failing = full.failures.length > 0 || full.result === 'failed' || full.result === 'partial' || full.result === 'plan-only';
    if (failing) this.log.error(fields, full.message);
    // A stop or another writer's conflict is not a failure, but the run did not do all it set out to: one warning says what it left.
    else if (full.result === 'stopped' || full.result === 'conflict' || (full.conflicts?.length ?? 0) > 0) this.log.warn(fields, full.message);
    else this.log.info(fields, full.message);
    return full;
  }

  /**
   * A run whose change events did not all reach the sinks, or whose journal could not be struck, is
   * not healthy: a success is partial, a run with nothing to apply failed, and the summary says why.
   * A stopped run is so too (partial when it applied something, else failed): the stop stays named
   * at the head of its summary, but --once exits 1 and the loop and fleet count it as failing.
   */
  private withJournalTrouble(outcome: Omit<RunOutcome, 'runId' | 'skipped' | 'targetMismatch'>): Omit<RunOutcome, 'runId' | 'skipped' | 'targetMismatch'> {
    const trouble = this.journalTrouble();
    if (trouble === undefined) return outcome;
    const downgraded: Partial<Record<RunResult, RunResult>> = {
      success: 'partial',
      'no-op': 'failed',
      suspended: 'failed',
      'outside-sync-window': 'failed',
      stopped: outcome.applied > 0 ? 'partial' : 'failed',
      conflict: outcome.applied > 0 ? 'partial' : 'failed',
    };
    return { ...outcome, result: downgraded[outcome.result] ?? outcome.result, message: `${outcome.message}; ${trouble}` };
  }

  /**
   * A run the stop cut short: no failure, nothing more recorded than what landed, and one line
   * naming what was left undone. The next run reads both sides again and carries on from there.
   */
  stopped(stop: Stop, cutShort: readonly string[], applied: number, drifted: number, conflicts: RunFailure[] = []): Promise<RunOutcome> {
    const landed = applied === 0 ? 'nothing applied' : `applied ${applied} before the stop`;
    return this.finish({
      result: 'stopped',
      applied,
      failed: 0,
      drifted,
      failures: [],
      ...(conflicts.length > 0 ? { conflicts } : {}),
      message: `stopped (${stop.why}): cut short: ${cutShort.join('; ')}; ${landed}; the next run reads the config and the platform again`,
    });
  }

  /** A run that ends before applying anything more, with why: partial when an earlier plan of the run applied something. */
  failed(message: string, drifted = 0, applied = 0): Promise<RunOutcome> {
    return this.finish({ result: applied > 0 ? 'partial' : 'failed', applied, failed: 0, drifted, failures: [], message });
  }
}

export async function reconcileOnce(options: RunOptions): Promise<RunOutcome> {
  const run = new RunReport(options);
  const said = new Set<string>();
  const sayOnce: SayOnce =
    options.sayOnce ??
    ((key, level, message) => {
      if (said.has(key)) return;
      said.add(key);
      options.log[level]({}, message);
    });
  const synced = await syncSource(options.source, options.env, sayOnce);
  run.ctx.configCommit = synced.commit;
  if (synced.warning) run.log.warn({ runId: run.runId }, synced.warning);
  const state = options.state ?? fileRunState(options.stateDir);
  const stored = await state.readLastApplied();
  const planOnly = await historyRewritten(synced, stored, options.allowHistoryRewrite);
  if (planOnly) run.log.warn({ runId: run.runId }, planOnly);

  let client: JumpCloudClient | undefined;
  const replanning: Replanning = { plan: 1, applied: 0, drifted: new Set(), held: new Set(), landed: new Set(), resolved: [] };
  // The conflicts of the plan before, which the next plan is to resolve: a stop before it leaves them so.
  let pending: RunFailure[] = [];
  try {
    for (;;) {
      // A stop between plans makes no further plan: its reads, drift and skip events would all be for nothing.
      const between = replanning.plan > 1 ? signalStop(options) : undefined;
      if (between) {
        const objects = [...new Set(pending.map(objectName))].join(', ');
        return await run.stopped(
          between,
          [`plan ${replanning.plan}, for another writer's change since the plan to ${objects}`],
          replanning.applied,
          replanning.drifted.size,
          pending,
        );
      }
      const planned = await makePlan({
        dir: synced.configDir,
        load: options.load ?? ((dir) => loadConfig(dir, process.cwd(), { cache: options.cache })),
        env: options.env,
        ...(options.memo ? { memo: options.memo } : {}),
        client: (desired) => {
          const bound = options.clients.bind(desired);
          client = bound.client;
          run.ctx.target = bound.client.target;
          run.targetMismatch = bound.mismatch;
          if (bound.mismatch) sayOnce(`target:${bound.mismatch.project}:${bound.mismatch.client}`, 'warn', bound.mismatch.message);
          if (bound.mismatch && !bound.mismatch.overridden) throw movedTarget(bound.mismatch);
          return bound.client;
        },
      });
      // Now the config is known, so are the variables its channels read secrets from.
      run.ctx.redact = secretRedactor(
        secretsOf(
          options.env,
          planned.config.desired.channels.map((c) => c.object.spec),
        ),
      );
      // Only a call the stop itself cut short: a plan that failed for another reason, stop or not, is a failure.
      const stop = signalStop(options);
      if (planned.status === 'unplannable' && stop && planned.error instanceof PlatformError && planned.error.stopped) {
        return await run.stopped(
          stop,
          [`reading the live state (${planned.error.message})${replannedWords(replanning)}`],
          replanning.applied,
          replanning.drifted.size,
          pending,
        );
      }
      if (planned.status !== 'planned')
        return await run.failed(`${whyNoPlan(planned)}${replannedWords(replanning)}`, replanning.drifted.size, replanning.applied);
      options.metrics.recordPlan(planned.reused ? 'reused' : 'new');
      // A plan was made, so the client function was called and set the client.
      if (client === undefined) throw new AccessctlError('internal', 'a plan was made without a client');
      // A re-plan reads the state the plan before it recorded: what it applied is last applied now.
      const now = replanning.plan === 1 ? stored : await state.readLastApplied();
      const ended = await reconcilePlanned(
        options,
        run,
        { synced, stored: now, state, planOnly, config: planned.config, plan: planned.plan, client },
        replanning,
      );
      if ('outcome' in ended) return ended.outcome;
      // Every change that did not land was refused by another writer's change: read both sides again and plan at once.
      replanning.applied += ended.applied;
      replanning.resolved.push(...ended.conflicts);
      pending = ended.conflicts;
      replanning.plan++;
    }
  } finally {
    if (client) options.metrics.recordApiRequests(client.requests.entries());
  }
}

/**
 * The ERROR of the CONFLICTS_BEFORE_FAILURE-th run in a row (and each after) that ended `conflict`:
 * which objects another writer keeps changing, and that it now counts as a failed run.
 */
export function persistentConflict(inRow: number, conflicts: readonly RunFailure[]): string {
  const objects = [...new Set(conflicts.map(objectName))];
  return `${inRow} runs in a row ended in a conflict (each after ${MAX_PLANS_PER_RUN} plans): another writer keeps changing ${objects.length > 0 ? objects.join(', ') : 'what the run is about to write'} (another reconciler, a script or a person on the same org); counted as a failed run from now on, until a run gets through`;
}

/** An object as summaries name it: `Kind "name"`. */
function objectName(c: { kind: string; name: string }): string {
  return `${c.kind} "${c.name}"`;
}

/** A change as summaries name it: `action Kind "name"`. */
function changeName(c: { kind: string; name: string; action: string }): string {
  return `${c.action} ${objectName(c)}`;
}

/**
 * How many plans a run makes at most: its first, and one more after each round of conflicts (a
 * change refused because another writer changed its object since the plan). A writer that races
 * every plan cannot keep the run going: after the last, the run ends `conflict` and the next run
 * comes soon (CONFLICT_REQUEUE_MS), without the failure back-off.
 */
export const MAX_PLANS_PER_RUN = 3;

/** What the run's earlier plans did, carried into the next plan of the same run. */
interface Replanning {
  /** The plan being worked from: 1 for the run's first. */
  plan: number;
  /** Changes earlier plans of the run applied. */
  applied: number;
  /** The objects whose drift the run has reported (a re-plan does not report it again), and whose paused drift it has skipped. */
  drifted: Set<string>;
  held: Set<string>;
  /**
   * The objects an earlier plan of the run changed, since that plan last reported their drift: one
   * drifted again by the next plan was changed back by another writer after the run wrote it, and
   * that drift is new, so it is reported again.
   */
  landed: Set<string>;
  /** The conflicts that made the run plan again, in order. */
  resolved: RunFailure[];
}

/**
 * What sets a plan's events apart from the earlier plans' events of the same run (which share its
 * run id): none for the first plan, `plan N` after. A re-plan may change, or find drifted, an object
 * an earlier plan already changed (another writer changed it back in between): a distinct event
 * that must not carry the id of the first, or a consumer dropping copies by id would lose it.
 */
function occurrenceOf(replanning: Replanning): string | undefined {
  return replanning.plan === 1 ? undefined : `plan ${replanning.plan}`;
}

/** What a run's summary adds when it planned more than once: how often, and which objects another writer changed. */
function replannedWords(replanning: Replanning): string {
  if (replanning.plan === 1) return '';
  const times = replanning.plan - 1;
  const objects = [...new Set(replanning.resolved.map(objectName))].join(', ');
  return `; re-planned ${times === 1 ? 'once' : `${times} times`} after another writer changed ${objects} since the plan${replanning.applied > 0 ? ` (the earlier plans applied ${replanning.applied})` : ''}`;
}

/** With --repo: a head that does not descend from the last applied commit is only planned, unless allowed. */
async function historyRewritten(synced: SyncedConfig, stored: StoredLastApplied | undefined, allowed: boolean): Promise<string | undefined> {
  const last = stored?.commit;
  const commit = synced.commit;
  if (!synced.branch || !last || commit === null || last === commit || allowed) return undefined;
  if (await synced.branch.isAncestor(last, commit)) return undefined;
  return `the new head ${commit.slice(0, 12)} does not descend from the last applied commit ${last.slice(0, 12)} (history was rewritten); planning only. Pass --allow-history-rewrite to apply it.`;
}

function whyNoPlan(planned: Exclude<PlanRun, { status: 'planned' }>): string {
  if (planned.status === 'unplannable') return `no plan could be made: ${planned.error.message}`;
  const errors = planned.config.diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  return `the config is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}); first: ${first ? `${first.file}:${first.line}:${first.column} ${first.message}` : ''}`;
}

interface Planned {
  synced: SyncedConfig;
  stored: StoredLastApplied | undefined;
  state: RunState;
  planOnly: string | undefined;
  config: LoadResult;
  plan: Plan;
  client: JumpCloudClient;
}

/** How one plan of a run ended: the run's outcome, or conflicts only, for the run to plan again. */
type PlanEnd = { outcome: RunOutcome } | { conflicts: RunFailure[]; applied: number };

async function reconcilePlanned(options: RunOptions, run: RunReport, planned: Planned, replanning: Replanning): Promise<PlanEnd> {
  const { config, plan, synced } = planned;
  const { desired } = config;
  const done = async (outcome: Promise<RunOutcome>): Promise<PlanEnd> => ({ outcome: await outcome });
  // Reads the stop cut short leave lists unknown: such a plan is no failure, and too partial to settle
  // the journal with. A list that failed on its own is a failure, stop or not: it goes on to say so.
  const stop = signalStop(options);
  const unread = unreadLists(plan);
  if (stop && unread.stopped.length > 0 && unread.failed.length === 0)
    return done(run.stopped(stop, [`reading the live ${unread.stopped.join(', ')}${replannedWords(replanning)}`], replanning.applied, replanning.drifted.size));
  // Who last changed each planned object's file: one git walk for the whole run, not one per change.
  const attributions = await synced.attribute([...new Set(plan.changes.flatMap((c) => sourceFile(c) ?? []))]);
  const journal = planned.state.journal;
  // A re-plan leaves the journal to the next run: what is left in it now is this run's own, kept for a refused event.
  if (replanning.plan === 1) await settleLeftovers(journal, plan, run);

  const now = run.now();
  const current = desiredDigests(desired);
  const baseline = baselineOf(planned.stored, current, config);
  if (replanning.plan === 1 && planned.stored && isRepoFormat(planned.stored)) {
    run.log.info(
      { runId: run.runId },
      `the state ${options.stateDir} is in the format of an earlier version (one digest for the whole repo); ${baseline ? 'the repo is unchanged since, so every object counts as last applied' : 'the repo changed since, so every difference counts as a change'}; it is rewritten per object after this run`,
    );
  }
  const spec = desired.project?.object.spec;
  const classified = classifyChanges(plan.changes, { baseline, current, policies: spec?.drift ?? {}, paused: pausedDrift(desired, now) });
  // Drift an earlier plan of this run reported (or whose paused drift it skipped) is not told twice,
  // unless that plan wrote the object since: then another writer changed it back, a drift of its own.
  const newDrift = classified.filter((c) => !replanning.drifted.has(c.key) || replanning.landed.has(c.key));
  const newPaused = classified.filter((c) => !replanning.held.has(c.key));
  for (const c of classified) {
    if (c.drift) {
      replanning.drifted.add(c.key);
      replanning.landed.delete(c.key);
    }
    if (c.handling === 'paused') replanning.held.add(c.key);
  }
  const drifted = replanning.drifted.size;
  const held = heldChanges(classified);
  // Once drift is classified, so a printed plan can list the drift it holds back apart from its changes.
  options.onPlan?.(plan, desired, synced.configDir, held);
  await reportDrift(newDrift, attributions, run, options.metrics, occurrenceOf(replanning));

  if (!isApplicable(plan)) {
    const reasons = whyNotApplicable(plan);
    for (const reason of reasons) run.log.error({ runId: run.runId, reason }, `the plan cannot be applied: ${reason}`);
    return done(run.failed(`nothing applied: ${reasons.join('; ')}${replannedWords(replanning)}`, drifted, replanning.applied));
  }
  if (planned.planOnly) return done(run.finish({ result: 'plan-only', applied: 0, failed: 0, drifted, failures: [], message: planned.planOnly }));

  const gate = applyGate(spec, now);
  options.metrics.recordHold(gate.open ? undefined : gate.reason);
  if (!gate.open) {
    // Paused drift an earlier plan of the run skipped has its skip already: not emitted or counted twice.
    await holdBack(
      classified.filter((c) => c.handling !== 'paused' || newPaused.includes(c)),
      gate,
      attributions,
      run,
      options.metrics,
    );
    return done(
      run.finish({
        result: gate.reason,
        applied: replanning.applied,
        failed: 0,
        drifted,
        failures: [],
        message: `${summaryLine(plan, held)}; ${gate.message}${replannedWords(replanning)}`,
      }),
    );
  }
  await skipPaused(newPaused, attributions, run, options.metrics);

  const toApply = classified.filter((c) => c.handling === 'apply').map((c) => c.change);
  if (toApply.length === 0) {
    await recordState(planned, { baseline, current, classified, applied: new Set() });
    return done(
      run.finish({
        // A re-plan that finds nothing left to do ends a run whose earlier plans applied something: a success.
        result: replanning.applied > 0 ? 'success' : 'no-op',
        applied: replanning.applied,
        failed: 0,
        drifted,
        failures: [],
        message: `${summaryLine(plan, held)}; nothing to apply${replannedWords(replanning)}`,
      }),
    );
  }
  const mayReplan = replanning.plan < MAX_PLANS_PER_RUN;
  const applied = await applyWithJournal({ ...plan, changes: toApply }, planned.client, journal, attributions, options, run, {
    mayReplan,
    occurrence: occurrenceOf(replanning),
  });
  const landed = new Set(applied.result.results.filter((r) => r.status === 'applied').map((r) => r.change));
  for (const c of classified) if (landed.has(c.change)) replanning.landed.add(c.key);
  if (options.stopping()?.stateIsOurs !== false) await recordState(planned, { baseline, current, classified, applied: landed });
  return finishApplied(applied, summaryLine(plan, held), drifted, options, run, replanning);
}

/** The lists the live state was not read for, as the plan names them ("approval flows"): those the stop cut short, and those that failed. */
function unreadLists(plan: Plan): { stopped: string[]; failed: string[] } {
  const named = (code: 'live-stopped' | 'live-unknown'): string[] => [
    ...new Set(
      plan.problems.flatMap((p) =>
        p.code === code ? [/^(?:could not read|did not finish reading) the live ([^:]+)/.exec(p.message)?.[1] ?? p.kind ?? p.message] : [],
      ),
    ),
  ];
  // live-stopped: a read the stop cut short; live-unknown: a list that failed (the stop may have come too).
  return { stopped: named('live-stopped'), failed: named('live-unknown') };
}

/**
 * The end of a plan that applied: each change that did not land is counted and logged at ERROR, and
 * listed in the summary; but a change the stop left undone (as onResult judged it, once) is no
 * failure, and a run with nothing else undone ends as stopped. A change another writer's conflict
 * refused is no failure either: logged at WARN, counted apart; when nothing else failed the run
 * plans again (applyWithJournal said so), or, after its last plan, ends `conflict`.
 */
async function finishApplied(
  applied: AppliedWithJournal,
  summary: string,
  drifted: number,
  options: RunOptions,
  run: RunReport,
  replanning: Replanning,
): Promise<PlanEnd> {
  const { result, undone, sorted } = applied;
  const redact = run.ctx.redact ?? ((text: string) => text);
  const stop = undone?.stop;
  const left = result.results.filter((r) => undone?.changes.has(r.change) === true);
  const failures = sorted.failed.map((r) => failureOf(r, options.stopping(), redact));
  const conflicts = sorted.conflicts.map((r) => failureOf(r, options.stopping(), redact));
  for (const r of sorted.conflicts) if (r.error?.code === 'changed-since-plan') options.metrics.recordConflict(r.change.kind, r.change.action);
  const total = replanning.applied + result.applied;
  const fields = (c: RunFailure) => ({ runId: run.runId, kind: c.kind, name: c.name, action: c.action, reason: c.reason, plan: replanning.plan });
  if (applied.replan) {
    for (const c of conflicts)
      run.log.warn(
        fields(c),
        `${changeName(c)} not written: ${c.reason}; re-planning now (plan ${replanning.plan + 1} of at most ${MAX_PLANS_PER_RUN} in this run)`,
      );
    return { conflicts, applied: result.applied };
  }
  const lastPlan = replanning.plan >= MAX_PLANS_PER_RUN;
  const after =
    lastPlan && failures.length === 0 && !stop
      ? `this was the run's last plan (${MAX_PLANS_PER_RUN} of ${MAX_PLANS_PER_RUN}, each ended by another writer's conflict); the next run plans it again`
      : 'the next run plans it again';
  for (const c of conflicts) run.log.warn(fields(c), `${changeName(c)} not written: ${c.reason}; ${after}`);
  const conflictWords =
    conflicts.length === 0
      ? ''
      : `; not written, as another writer changed them since the plan (the next run plans them again): ${conflicts.map(changeName).join(', ')}`;
  if (stop && left.length > 0 && failures.length === 0) {
    const named = (code: ChangeErrorCode): string[] => left.filter((r) => r.error?.code === code).map((r) => changeName(r.change));
    const inFlight = named('stopped-after-send');
    const unsent = named('stopped-before-send');
    const notStarted = named('not-started');
    const outcome = run.stopped(
      stop,
      [
        ...(inFlight.length > 0 ? [`after a write went out: ${inFlight.join(', ')} (it may have landed; the next run settles it from the live state)`] : []),
        ...(unsent.length > 0 ? [`before anything was sent: ${unsent.join(', ')}`] : []),
        ...(notStarted.length > 0 ? [`not started: ${notStarted.join(', ')}`] : []),
        ...(conflicts.length > 0 ? [`not written for another writer's change since the plan: ${conflicts.map(changeName).join(', ')}`] : []),
      ],
      total,
      drifted,
      conflicts,
    );
    return { outcome: await outcome };
  }
  for (const failure of failures) {
    options.metrics.recordFailedChange(failure.kind, failure.action);
    run.log.error(
      { runId: run.runId, kind: failure.kind, name: failure.name, action: failure.action, reason: failure.reason },
      `${changeName(failure)} failed: ${failure.reason}`,
    );
  }
  const listed = failures.length === 0 ? '' : `; failed: ${failures.map((f) => `${changeName(f)} (${f.reason})`).join('; ')}`;
  const leftWords = stop && left.length > 0 ? `; stopped (${stop.why}) before ${left.map((r) => changeName(r.change)).join(', ')}` : '';
  // The counts as apply gave them, unless a conflict is among them: then it is counted apart from the failures.
  const counts =
    conflicts.length === 0 && replanning.plan === 1
      ? `applied ${result.applied}, failed ${result.failed}, skipped ${result.skipped}`
      : `applied ${total}, failed ${result.failed - conflicts.length}${conflicts.length > 0 ? `, not written for a conflict ${conflicts.length}` : ''}, skipped ${result.skipped}`;
  const outcome = run.finish({
    result: failures.length > 0 ? (total > 0 ? 'partial' : 'failed') : conflicts.length > 0 ? 'conflict' : 'success',
    applied: total,
    failed: failures.length,
    drifted,
    failures,
    ...(conflicts.length > 0 ? { conflicts } : {}),
    message: `${summary}; ${counts}${listed}${conflictWords}${replannedWords(replanning)}${leftWords}`,
  });
  return { outcome: await outcome };
}

/**
 * The changes of one apply that did not land and were not left undone by the stop: those refused
 * because another writer changed their object since the plan (`changed-since-plan`), and the rest.
 * A change that failed only because its prerequisite did (`dependency-failed`) goes with the
 * conflicts when they are all that failed: the prerequisite was one of them.
 */
interface NotLanded {
  conflicts: ChangeResult[];
  failed: ChangeResult[];
}

function sortNotLanded(results: readonly ChangeResult[], undone: ReadonlySet<Change> | undefined): NotLanded {
  const notLanded = results.filter((r) => r.status !== 'applied' && undone?.has(r.change) !== true);
  const conflicts = notLanded.filter((r) => r.error?.code === 'changed-since-plan');
  const others = notLanded.filter((r) => r.error?.code !== 'changed-since-plan');
  if (conflicts.length > 0 && others.every((r) => r.error?.code === 'dependency-failed')) return { conflicts: [...conflicts, ...others], failed: [] };
  return { conflicts, failed: others };
}

function sourceFile(change: Change): string | undefined {
  return change.action === 'delete' ? undefined : change.source.file;
}

function idOf(change: Change): string | undefined {
  return change.action === 'create' ? undefined : change.id;
}

/** The event fields of a change: kind, name, action, fields, id and, when git knows it, who last changed its file. */
function objectOf(change: Change, attributions: ReadonlyMap<string, GitAttribution>, id = idOf(change)) {
  const file = sourceFile(change);
  const attribution = file === undefined ? undefined : attributions.get(file);
  return { kind: change.kind, name: change.name, action: change.action, fields: change.fields, ...(id ? { id } : {}), ...(attribution ? { attribution } : {}) };
}

/** How a leftover change stands in the live state: it landed, it did not, or the live state cannot tell. */
type Settled = { landed: true } | { landed: false; code: 'interrupted' | 'outcome-unknown'; message: string };

/** Whether the plan's live state holds an object of this kind and name (as the platform names it now). */
function liveHas(plan: Plan, kind: Intent['kind'], name: string): boolean {
  // The settings record always exists.
  if (kind === 'AccessRequestSettings') return true;
  const named = (o: { kind: string; name: string }): boolean => o.kind === kind && o.name === name;
  if ((plan.inSync ?? []).some(named) || plan.unmanaged.some(named) || plan.unmanageable.some(named) || plan.blocked.some(named)) return true;
  return plan.changes.some((c) => c.kind === kind && (c.action === 'delete' ? c.name === name : c.action === 'update' && (c.renamedFrom ?? c.name) === name));
}

/**
 * Settles a leftover change from the live state the plan was made from, never from the config
 * alone: a change still planned did not land (this run applies it); a create landed only if its
 * object exists, a delete only if its object is gone; an update landed if its object now matches
 * the config. An update of an object the config no longer declares cannot be told, and says so.
 */
export function settleFromLive(intent: Pick<Intent, 'kind' | 'name' | 'action'>, plan: Plan): Settled {
  const { kind, name, action } = intent;
  const pending = plan.changes.some((c) => c.kind === kind && c.name === name && c.action === action);
  if (pending) return { landed: false, code: 'interrupted', message: 'the run stopped before this change finished; a later run applies it' };
  const live = liveHas(plan, kind, name);
  const declared = (plan.inSync ?? []).some((o) => o.kind === kind && o.name === name) || kind === 'AccessRequestSettings';
  switch (action) {
    case 'create':
      return live
        ? { landed: true }
        : {
            landed: false,
            code: 'interrupted',
            message: 'the run stopped before this create landed: the object does not exist, and the config no longer asks for it',
          };
    case 'delete':
      return live
        ? {
            landed: false,
            code: 'interrupted',
            message: 'the run stopped before this delete landed: the object still exists, and the config no longer asks to delete it',
          }
        : { landed: true };
    case 'update':
      if (declared) return { landed: true };
      return live
        ? {
            landed: false,
            code: 'outcome-unknown',
            message: `the run stopped during this update, and the config no longer declares the object: whether it landed is unknown; check ${kind} "${name}" on the platform`,
          }
        : {
            landed: false,
            code: 'outcome-unknown',
            message: `the run stopped during this update, and the object no longer exists: whether it landed before it went is unknown`,
          };
  }
}

/** Logs what reading the journal reported: an entry moved aside as damaged, or left for a writer that may still run. */
function reportJournal(notice: JournalNotice, run: RunReport): void {
  if (notice.type === 'corrupt') run.log.warn({ runId: run.runId, entry: notice.entry, movedTo: notice.movedTo }, notice.message);
  else run.log.warn({ runId: run.runId, entry: notice.entry, writer: { pid: notice.writer.pid, host: notice.writer.host } }, notice.message);
}

/**
 * The event a leftover change never had (or had, if its run died before striking the entry), as the
 * live state settles it: under the run that made the change, so it carries the id that run gave it.
 * `occurrence` sets apart an entry that no longer names its run, settled under this run.
 */
function settledEvent(
  intent: Pick<Intent, 'runId' | 'configCommit' | 'kind' | 'name' | 'action' | 'fields' | 'id' | 'failure' | 'landed' | 'occurrence'>,
  plan: Plan,
  run: RunReport,
  occurrence?: string,
): AccessctlEvent {
  const then: RunContext = { ...run.ctx, runId: intent.runId, configCommit: intent.configCommit };
  // The entry's own occurrence (a later plan of its run) keeps the id its run's event had.
  const apart = occurrence ?? intent.occurrence;
  const object = {
    kind: intent.kind,
    name: intent.name,
    action: intent.action,
    fields: intent.fields,
    ...(intent.id ? { id: intent.id } : {}),
    ...(apart === undefined ? {} : { occurrence: apart }),
  };
  // Its run heard how the change ended and kept it: the event says what that run's event said.
  if (intent.failure !== undefined) return changeFailed(then, { ...object, error: intent.failure }, run.date());
  if (intent.landed === true) return changeApplied(then, object, run.date());
  const settled = settleFromLive(intent, plan);
  return settled.landed
    ? changeApplied(then, object, run.date())
    : changeFailed(then, { ...object, error: { code: settled.code, message: settled.message } }, run.date());
}

/**
 * Settles what a killed run left in the journal, each from the live state (settleFromLive), or from
 * the failure its run kept in it, with the event its change never had (or that a sink refused); an
 * entry is struck only once every sink took that event. A damaged entry that still names its object
 * is settled the same way (with no fields: they are lost), and stays where it was put aside for the operator.
 */
async function settleLeftovers(journal: RunState['journal'], plan: Plan, run: RunReport): Promise<void> {
  const damaged: { entry: string; object: RecoveredObject }[] = [];
  const leftovers = await journal.leftovers((notice) => {
    reportJournal(notice, run);
    if (notice.type === 'corrupt' && notice.recovered) damaged.push({ entry: notice.entry, object: notice.recovered });
  });
  // A kind whose live list could not be read says nothing of whether the change landed: a later run
  // settles it. A kept failure needs no live state.
  const settleable = (o: { kind: Intent['kind']; failure?: IntentFailure | undefined }): boolean => o.failure !== undefined || !plan.unknown.includes(o.kind);
  for (const { entry, intent } of leftovers) if (settleable(intent)) await run.emitJournalled(settledEvent(intent, plan, run), journal, entry);
  for (const { entry, object } of damaged) {
    if (!settleable(object)) continue;
    // Without its run it is settled under this one, set apart by its entry from this run's own change of the object.
    const intent = { ...object, runId: object.runId ?? run.runId, configCommit: null, fields: [] };
    await run.emitJournalled(settledEvent(intent, plan, run, object.runId === undefined ? `journal entry ${entry}` : undefined), journal, undefined);
  }
}

/** One drift event per drifted object, saying what the run does with it: correct, report, or report while paused. */
async function reportDrift(
  classified: readonly ClassifiedChange[],
  attributions: ReadonlyMap<string, GitAttribution>,
  run: RunReport,
  metrics: ReconcileMetrics,
  occurrence: string | undefined,
): Promise<void> {
  const drifted = classified.filter((c) => c.drift);
  for (const { change } of drifted) metrics.recordDrift(change.kind);
  await run.emit(
    drifted.map((c) =>
      driftDetected(
        run.ctx,
        {
          ...objectOf(c.change, attributions),
          policy: c.handling === 'apply' ? 'correct' : 'report',
          ...(c.pausedUntil ? { pausedUntil: c.pausedUntil } : {}),
          ...(occurrence === undefined ? {} : { occurrence }),
        },
        run.date(),
      ),
    ),
  );
}

function skip(
  c: ClassifiedChange,
  reason: SkipReason,
  until: string | undefined,
  attributions: ReadonlyMap<string, GitAttribution>,
  run: RunReport,
  metrics: ReconcileMetrics,
): AccessctlEvent {
  run.skipped.push({ kind: c.change.kind, name: c.change.name, action: c.change.action, reason, ...(until ? { until } : {}) });
  metrics.recordSkip(c.change.kind, reason);
  return changeSkipped(run.ctx, { ...objectOf(c.change, attributions), reason, until }, run.date());
}

/** Suspended or outside the sync windows: every change the run would have made is skipped, each with an event. */
async function holdBack(
  classified: readonly ClassifiedChange[],
  gate: Exclude<ApplyGate, { open: true }>,
  attributions: ReadonlyMap<string, GitAttribution>,
  run: RunReport,
  metrics: ReconcileMetrics,
): Promise<void> {
  const events = classified
    .filter((c) => c.handling !== 'report')
    .map((c) =>
      c.handling === 'paused'
        ? skip(c, 'drift-paused', c.pausedUntil, attributions, run, metrics)
        : skip(c, gate.reason, gate.until, attributions, run, metrics),
    );
  await run.emit(events);
  run.log.warn({ runId: run.runId, reason: gate.reason, until: gate.until, skipped: events.length }, gate.message);
}

/** Drift of objects whose correction is paused by their annotation: skipped, each with an event. */
async function skipPaused(
  classified: readonly ClassifiedChange[],
  attributions: ReadonlyMap<string, GitAttribution>,
  run: RunReport,
  metrics: ReconcileMetrics,
): Promise<void> {
  const paused = classified.filter((c) => c.handling === 'paused');
  await run.emit(paused.map((c) => skip(c, 'drift-paused', c.pausedUntil, attributions, run, metrics)));
  for (const c of paused)
    run.log.info(
      { runId: run.runId, kind: c.change.kind, name: c.change.name, until: c.pausedUntil },
      `drift of ${c.change.kind} "${c.change.name}" reported, not corrected: paused until ${c.pausedUntil}`,
    );
}

/** The drift this run holds back: the summary counts it apart from the changes it makes. */
function heldChanges(classified: readonly ClassifiedChange[]): HeldChanges {
  return {
    reported: classified.filter((c) => c.handling === 'report').map((c) => c.change),
    paused: classified.filter((c) => c.handling === 'paused').map((c) => c.change),
  };
}

/**
 * What applying left: the results, the changes the caller's own stop left undone, with that stop
 * (judged once, as each settled), what did not land sorted into conflicts and failures, and
 * whether the run plans again (only conflicts, no stop, and plans left).
 */
interface AppliedWithJournal {
  result: ApplyResult;
  undone: { stop: Stop; changes: ReadonlySet<Change> } | undefined;
  sorted: NotLanded;
  replan: boolean;
}

/**
 * Applies the changes, each journalled before it is sent and its event emitted as soon as it settles.
 * While the run may plan again (`mayReplan`), a change another writer's conflict refused, or that
 * waited on one, keeps its error in its entry at once (before any later change is journalled), but
 * its event waits until the apply ends: if the run plans again, nothing of it was sent (the check
 * comes before any write) and the new plan makes it anew, so its entry is struck with no event;
 * otherwise it gets the failure event it always had. A run killed in between leaves the entry with
 * its error, so the next run settles it with the platform's reason, not one read from the live state.
 */
async function applyWithJournal(
  plan: Plan,
  client: JumpCloudClient,
  journal: RunState['journal'],
  attributions: ReadonlyMap<string, GitAttribution>,
  options: RunOptions,
  run: RunReport,
  { mayReplan, occurrence }: { mayReplan: boolean; occurrence: string | undefined },
): Promise<AppliedWithJournal> {
  const emitted: Promise<void>[] = [];
  const entries = new Map<Change, { entry: string; intent: Intent }>();
  const errorFor = (r: ChangeResult): IntentFailure => ({ ...(r.error ?? { code: r.status }), message: failureOf(r, options.stopping()).reason });
  const eventFor = (r: ChangeResult, error: IntentFailure = errorFor(r)): AccessctlEvent => {
    const object = { ...objectOf(r.change, attributions, r.id ?? idOf(r.change)), ...(occurrence === undefined ? {} : { occurrence }) };
    if (r.status === 'applied') return changeApplied(run.ctx, { ...object, ...(r.confirmedByRetry ? { confirmedByRetry: true } : {}) }, run.date());
    return changeFailed(run.ctx, { ...object, error }, run.date());
  };
  // A change the stop left undone has no event: one never started or cut short before anything was
  // sent did nothing (its entry is struck now), and one cut short after a write went out keeps its
  // entry, so the next run settles it from the live state (it may have landed). Judged here, once:
  // a lock lost after the signal does not turn these into failures that never had an event.
  let stop: Stop | undefined;
  const undone = new Set<Change>();
  const refused: { outcome: ChangeResult; journalled: { entry: string; intent: Intent }; error: IntentFailure; kept: Promise<void> }[] = [];
  let conflictSeen = false;
  /** A failure, kept in its entry before its event goes out: the event waits for it. */
  const keepThenEmit = (outcome: ChangeResult, journalled: { entry: string; intent: Intent }, error: IntentFailure, kept: Promise<void>): Promise<void> =>
    kept.then(() => run.emitJournalled(eventFor(outcome, error), journal, journalled.entry));
  const result = await applyPlan(plan, {
    client,
    secrets: (name) => options.env[name],
    stopping: () => options.stopping() !== undefined,
    beforeChange: async (change) => {
      // A refused change's error is in its entry before a later change is journalled (and sent).
      await Promise.all(refused.map((r) => r.kept));
      const file = sourceFile(change);
      const id = idOf(change);
      const intent: Intent = {
        runId: run.runId,
        configCommit: run.ctx.configCommit,
        kind: change.kind,
        name: change.name,
        action: change.action,
        fields: change.fields,
        ...(id ? { id } : {}),
        ...(file ? { sourceFile: file } : {}),
        ...(occurrence === undefined ? {} : { occurrence }),
      };
      entries.set(change, { entry: await journal.record(intent), intent });
    },
    onResult: (outcome) => {
      if (outcome.status === 'applied') options.metrics.recordChange(outcome.change.kind, outcome.change.action);
      const journalled = entries.get(outcome.change);
      const entry = journalled?.entry;
      const signal = cutShortByStop(outcome) ? signalStop(options) : undefined;
      if (signal) {
        stop ??= signal;
        undone.add(outcome.change);
        if (outcome.error?.code === 'stopped-before-send' && entry !== undefined) emitted.push(run.strike(journal, entry));
        return;
      }
      // A prerequisite settles before the changes that need it, so one waiting on a conflict comes after it.
      const code = outcome.error?.code;
      // A change that failed (not one a stop cut short, which may have landed: the live state tells)
      // keeps its error in its entry first, so a later run settling the entry sends the same error.
      if (outcome.status !== 'applied' && journalled !== undefined && !cutShortByStop(outcome)) {
        const error = errorFor(outcome);
        const kept = run.keepFailure(journal, journalled, error);
        if (mayReplan && (code === 'changed-since-plan' || (code === 'dependency-failed' && conflictSeen))) {
          conflictSeen = true;
          refused.push({ outcome, journalled, error, kept });
          return;
        }
        emitted.push(keepThenEmit(outcome, journalled, error, kept));
        return;
      }
      const applied = outcome.status === 'applied' && journalled !== undefined ? journalled : undefined;
      emitted.push(run.emitJournalled(eventFor(outcome), journal, entry, applied && (() => run.keepLanded(journal, applied, outcome.id))));
    },
  });
  const sorted = sortNotLanded(result.results, stop ? undone : undefined);
  const replan = mayReplan && options.stopping() === undefined && sorted.failed.length === 0 && sorted.conflicts.length > 0;
  for (const { outcome, journalled, error, kept } of refused) {
    emitted.push(
      replan
        ? kept.then(() =>
            run.strike(
              journal,
              journalled.entry,
              'the next run settles the entry, sending a change.failed (changed-since-plan) for a change this run planned again',
            ),
          )
        : keepThenEmit(outcome, journalled, error, kept),
    );
  }
  await Promise.all(emitted);
  return { result, undone: stop ? { stop, changes: undone } : undefined, sorted, replan };
}

/** A change that did not apply, and why in words: the platform's answer, a missing secret, or why it never started. */
function failureOf(r: ChangeResult, stop: Stop | undefined, redact: (text: string) => string = (text) => text): RunFailure {
  const notStarted = r.error?.code === 'not-started';
  const reason = notStarted ? `not started: ${stop?.why ?? 'the reconciler is stopping'}` : (r.error?.message ?? r.status);
  return { kind: r.change.kind, name: r.change.name, action: r.change.action, reason: redact(reason) };
}

/** Records, per object, the digest of its desired state where the platform now matches it. */
async function recordState(
  planned: Planned,
  outcome: { baseline: ReturnType<typeof baselineOf>; current: Record<string, string>; classified: readonly ClassifiedChange[]; applied: ReadonlySet<Change> },
): Promise<void> {
  const stillLive = new Set<string>(planned.plan.unmanaged.map((u) => objectKey(u.kind, u.name)));
  for (const c of outcome.classified) if (c.change.action === 'delete' && !outcome.applied.has(c.change)) stillLive.add(c.key);
  const objects = nextDigests({ baseline: outcome.baseline, current: outcome.current, classified: outcome.classified, applied: outcome.applied, stillLive });
  await planned.state.writeLastApplied({ format: 2, commit: planned.synced.commit, objects });
}
