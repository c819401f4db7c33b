// What the reconciler's console shows, kept in memory and fed by the reconcile loop: each run's plan
// and outcome, and the events the run emits (already redacted). Everything kept is bounded: the last
// runs, the drift entries per object, the changes listed per run. Nothing here reads or writes the platform.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { channelSecretRefs } from '../config/channel-secrets.js';
import type { DesiredState } from '../config/desired.js';
import { locate } from '../config/source.js';
import type { AccessctlEvent, FieldChange, GitAttribution, RunFailure } from '../events/cloudevent.js';
import { redactFields, redactValue, secretRedactor, type Redactor } from '../events/redaction.js';
import type { EventSink } from '../events/sink.js';
import type { SourceLocation } from '../errors.js';
import type { AccessImpact, FlowImpact, ImpactDirection } from '../impact/impact.js';
import type { Change, ChangeAction, ManagedKind, Plan } from '../plan/plan.js';
import { renderText } from '../plan/render-text.js';
import { objectKey } from '../reconcile/drift.js';
import type { RunOutcome, SkippedChange } from '../reconcile/run.js';

/** Each managed object is in one of these; the console shows the word, never only a colour. */
export type ObjectState = 'synced' | 'changing' | 'drifted' | 'failed' | 'unmanaged' | 'unsupported' | 'suspended';

export const OBJECT_STATES: readonly ObjectState[] = ['synced', 'changing', 'drifted', 'failed', 'unmanaged', 'unsupported', 'suspended'];

export const MANAGED_KINDS: readonly ManagedKind[] = ['GroupAssignment', 'ApprovalFlow', 'WebhookChannel', 'AccessRequestSettings'];

export interface ConsoleLimits {
  /** Runs kept, newest first. */
  runs: number;
  /** Drift entries kept per object. */
  driftPerObject: number;
  /** Changes listed per run (the rest are counted). */
  changesPerRun: number;
  /** Characters of a run's plan text kept. */
  planTextChars: number;
}

export const DEFAULT_LIMITS: ConsoleLimits = { runs: 50, driftPerObject: 20, changesPerRun: 500, planTextChars: 200_000 };

export interface PendingChange {
  action: ChangeAction;
  fields: FieldChange[];
  /** The difference is drift (the platform changed behind git's back), not a change to the repo. */
  drift: boolean;
  renamedFrom?: string;
}

export interface AppliedChange {
  at: string;
  run: number | undefined;
  runId: string;
  action: ChangeAction;
  fields: FieldChange[];
  commit: string | null;
  attribution: GitAttribution | undefined;
}

export interface DriftEntry {
  at: string;
  run: number | undefined;
  runId: string;
  policy: 'correct' | 'report';
  pausedUntil: string | undefined;
  fields: FieldChange[];
}

export interface ConsoleObject {
  key: string;
  kind: ManagedKind;
  name: string;
  state: ObjectState;
  /** Why the object is in its state, in words (a failure's reason, a pause's end, unknown values). */
  note: string | undefined;
  source: SourceLocation | undefined;
  /** The live id, when the platform has told it to this reconciler. */
  id: string | undefined;
  pending: PendingChange | undefined;
  lastApplied: AppliedChange | undefined;
  /** Newest first, at most limits.driftPerObject. */
  drift: DriftEntry[];
}

export interface RunChange {
  kind: ManagedKind;
  name: string;
  action: ChangeAction;
  fields: FieldChange[];
}

export type RunStatus = 'running' | RunOutcome['result'] | 'error';

export interface ConsoleRun {
  number: number;
  runId: string | undefined;
  startedAt: string;
  finishedAt: string | undefined;
  durationMs: number | undefined;
  status: RunStatus;
  commit: string | null;
  applied: number;
  failed: number;
  drifted: number;
  skipped: number;
  message: string;
  failures: RunFailure[];
  /** Changes not written because another writer changed their object since the plan: a conflict, not a failure. */
  conflicts: RunFailure[];
  held: SkippedChange[];
  /** The changes the run's plan held, at most limits.changesPerRun; `changesNotListed` counts the rest. */
  changes: RunChange[];
  changesNotListed: number;
  /** The plan as `accessctl plan` prints it (no colour), cut at limits.planTextChars. */
  planText: string | undefined;
  impact: AccessImpact | undefined;
}

/** What a run's row says, for the live list. */
export interface RunSummaryView {
  number: number;
  status: RunStatus;
  startedAt: string;
  durationMs: number | null;
  applied: number;
  failed: number;
  drifted: number;
  skipped: number;
  message: string;
}

export type RunListener = (run: RunSummaryView) => void;

const SECRET_VARIABLES = ['JUMPCLOUD_API_KEY', 'ACCESSCTL_GIT_TOKEN', 'ACCESSCTL_EVENTS_WEBHOOK_SECRET', 'ACCESSCTL_CONSOLE_TOKEN'];

function summaryOf(run: ConsoleRun): RunSummaryView {
  return {
    number: run.number,
    status: run.status,
    startedAt: run.startedAt,
    durationMs: run.durationMs ?? null,
    applied: run.applied,
    failed: run.failed,
    drifted: run.drifted,
    skipped: run.skipped,
    message: run.message,
  };
}

function sourceOfChange(change: Change): SourceLocation | undefined {
  return change.action === 'delete' ? undefined : change.source;
}

/** An impact narrowed to one flow, with its own counts, for that flow's page. */
export function impactOfFlow(impact: AccessImpact | undefined, flow: string): AccessImpact | undefined {
  if (impact === undefined || impact.status === 'unknown') return impact;
  const flows: FlowImpact[] = impact.flows.filter((f) => objectKey('ApprovalFlow', f.flow) === objectKey('ApprovalFlow', flow));
  if (flows.length === 0) return undefined;
  const summary: Record<ImpactDirection, number> = { widening: 0, narrowing: 0, neutral: 0 };
  for (const f of flows) for (const item of f.items) summary[item.direction]++;
  return { ...impact, flows, summary };
}

export class ConsoleModel {
  private readonly limits: ConsoleLimits;
  private objectsByKey = new Map<string, ConsoleObject>();
  /** Newest first. */
  private readonly runList: ConsoleRun[] = [];
  private readonly runNumbers = new Map<string, number>();
  private readonly listeners = new Set<RunListener>();
  private current: { run: ConsoleRun; started: number } | undefined;
  private redact: Redactor;
  private latestImpact: AccessImpact | undefined;
  private lastNumber = 0;
  private readonly now: () => number;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    options: { limits?: Partial<ConsoleLimits>; now?: () => number } = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.redact = this.redactorFor([]);
  }

  /** The event sink the loop adds to its fanout: every event of every run comes through here. */
  readonly sink: EventSink = {
    name: 'console',
    emit: async (events) => {
      for (const event of events) this.onEvent(event);
    },
    close: async () => {},
  };

  get objects(): ConsoleObject[] {
    return [...this.objectsByKey.values()].sort((a, b) => MANAGED_KINDS.indexOf(a.kind) - MANAGED_KINDS.indexOf(b.kind) || a.name.localeCompare(b.name, 'en'));
  }

  object(kind: ManagedKind, name: string): ConsoleObject | undefined {
    return this.objectsByKey.get(objectKey(kind, name));
  }

  limit(name: keyof ConsoleLimits): number {
    return this.limits[name];
  }

  get runs(): readonly ConsoleRun[] {
    return this.runList;
  }

  run(number: number): ConsoleRun | undefined {
    return this.runList.find((r) => r.number === number);
  }

  /** The access impact of the latest plan's changes that are still pending (none once they are applied). */
  get pendingImpact(): AccessImpact | undefined {
    const impact = this.latestImpact;
    if (impact === undefined || impact.status === 'unknown') return impact;
    const flows = impact.flows.filter((f) => {
      const o = this.objectsByKey.get(objectKey('ApprovalFlow', f.flow));
      return o?.pending !== undefined;
    });
    if (flows.length === 0) return undefined;
    const summary: Record<ImpactDirection, number> = { widening: 0, narrowing: 0, neutral: 0 };
    for (const f of flows) for (const item of f.items) summary[item.direction]++;
    return { ...impact, flows, summary };
  }

  /** Called with each run's summary as it starts and as it ends; returns the unsubscribe function. */
  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  summary(run: ConsoleRun): RunSummaryView {
    return summaryOf(run);
  }

  /** A run begins, numbered after the last one (a fleet's org runs have no loop counter of their own). */
  startNextRun(): void {
    this.runStarted(this.lastNumber + 1);
  }

  /** A run of the loop begins. */
  runStarted(number: number): void {
    this.lastNumber = Math.max(this.lastNumber, number);
    const run: ConsoleRun = {
      number,
      runId: undefined,
      startedAt: new Date(this.now()).toISOString(),
      finishedAt: undefined,
      durationMs: undefined,
      status: 'running',
      commit: null,
      applied: 0,
      failed: 0,
      drifted: 0,
      skipped: 0,
      message: 'running',
      failures: [],
      conflicts: [],
      held: [],
      changes: [],
      changesNotListed: 0,
      planText: undefined,
      impact: undefined,
    };
    this.current = { run, started: performance.now() };
    this.runList.unshift(run);
    for (const dropped of this.runList.splice(this.limits.runs)) if (dropped.runId) this.runNumbers.delete(dropped.runId);
    this.tell(run);
  }

  /**
   * The run's plan, before anything is applied: the object table is rebuilt from the desired state
   * and the plan, keeping each object's history and the ids learnt before.
   */
  planned(plan: Plan, desired: DesiredState, configDir?: string): void {
    // Files are shown from the config directory's root, as they are in the repo (the directory may be a clone in the state directory).
    const root = configDir === undefined ? undefined : resolve(configDir);
    const shown = (location: SourceLocation | undefined): SourceLocation | undefined => {
      if (location === undefined || root === undefined) return location;
      const inside = relative(root, resolve(location.file));
      return inside.startsWith('..') || isAbsolute(inside) ? location : { ...location, file: inside.split(sep).join('/') };
    };
    this.redact = this.redactorFor(desired.channels.map((c) => c.object.spec));
    const previous = this.objectsByKey;
    const next = new Map<string, ConsoleObject>();
    const add = (kind: ManagedKind, name: string, source: SourceLocation | undefined, id: string | undefined): ConsoleObject => {
      const key = objectKey(kind, name);
      const before = previous.get(key);
      const object: ConsoleObject = {
        key,
        kind,
        name,
        state: 'synced',
        note: undefined,
        source,
        id: id ?? before?.id,
        pending: undefined,
        lastApplied: before?.lastApplied,
        drift: before?.drift ?? [],
      };
      next.set(key, object);
      return object;
    };
    const unsupported = new Map(plan.unsupported.map((u) => [u.kind, u.reason]));
    const declared: [ManagedKind, { name: string; source: Parameters<typeof locate>[0] }[]][] = [
      ['GroupAssignment', desired.groups],
      ['ApprovalFlow', desired.flows],
      ['WebhookChannel', desired.channels],
      ['AccessRequestSettings', desired.settings ? [desired.settings] : []],
    ];
    const referenced: Partial<Record<ManagedKind, Record<string, string>>> = {
      GroupAssignment: plan.references.groups,
      WebhookChannel: plan.references.channels,
    };
    for (const [kind, list] of declared) {
      for (const d of list) {
        const object = add(kind, d.name, shown(locate(d.source, ['metadata', 'name'])), referenced[kind]?.[d.name]);
        const why = unsupported.get(kind);
        if (why !== undefined) {
          object.state = 'unsupported';
          object.note = this.redact(why);
        }
      }
    }
    for (const matched of plan.inSync ?? []) {
      const object = next.get(objectKey(matched.kind, matched.name));
      if (object !== undefined) object.id = matched.id;
    }
    for (const u of plan.unmanaged) {
      const object = add(u.kind, u.name, undefined, u.id);
      object.state = 'unmanaged';
      object.note = 'on the platform, not in git (prune is off for this kind)';
    }
    for (const u of plan.unmanageable) {
      const object = next.get(objectKey(u.kind, u.name)) ?? add(u.kind, u.name, shown(u.source), u.id);
      object.id = u.id;
      object.state = 'unsupported';
      object.note = this.redact(`holds values accessctl does not know, so it is never changed: ${u.reasons.join('; ')}`);
    }
    for (const change of plan.changes) {
      const object = next.get(objectKey(change.kind, change.name)) ?? add(change.kind, change.name, shown(sourceOfChange(change)), undefined);
      if (change.action !== 'create') object.id = change.id;
      object.state = 'changing';
      object.note = change.action === 'delete' ? 'on the platform, not in git: to be deleted' : undefined;
      object.pending = {
        action: change.action,
        fields: redactFields(change.fields, this.redact),
        drift: false,
        ...(change.action === 'update' && change.renamedFrom !== undefined ? { renamedFrom: change.renamedFrom } : {}),
      };
    }
    this.objectsByKey = next;
    const impact = plan.impact === undefined ? undefined : (redactValue(plan.impact, this.redact) as AccessImpact);
    for (const flow of impact?.flows ?? []) {
      const at = shown(flow.source);
      if (at !== undefined) flow.source = at;
      for (const item of flow.items) {
        const where = shown(item.source);
        if (where !== undefined) item.source = where;
      }
    }
    this.latestImpact = impact;
    const run = this.current?.run;
    if (run === undefined) return;
    run.changes = plan.changes
      .slice(0, this.limits.changesPerRun)
      .map((c) => ({ kind: c.kind, name: c.name, action: c.action, fields: redactFields(c.fields, this.redact) }));
    run.changesNotListed = Math.max(0, plan.changes.length - this.limits.changesPerRun);
    const text = this.redact(renderText(plan, false));
    run.planText = text.length > this.limits.planTextChars ? `${text.slice(0, this.limits.planTextChars)}\n… (cut: the plan is longer)` : text;
    run.impact = this.latestImpact;
  }

  /** The run ended with an outcome. */
  runFinished(outcome: RunOutcome): void {
    const current = this.current;
    if (current === undefined) return;
    const run = current.run;
    this.current = undefined;
    run.runId = outcome.runId;
    this.runNumbers.set(outcome.runId, run.number);
    Object.assign(run, {
      status: outcome.result,
      finishedAt: new Date(this.now()).toISOString(),
      durationMs: Math.round(performance.now() - current.started),
      applied: outcome.applied,
      failed: outcome.failed,
      drifted: outcome.drifted,
      skipped: outcome.skipped.length,
      message: this.redact(outcome.message),
      failures: outcome.failures.map((f) => ({ ...f, reason: this.redact(f.reason) })),
      conflicts: (outcome.conflicts ?? []).map((f) => ({ ...f, reason: this.redact(f.reason) })),
      held: outcome.skipped,
    });
    this.tell(run);
  }

  /** The run could not even start (an unreachable repo, a refused key). */
  runCrashed(message: string): void {
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    Object.assign(current.run, {
      status: 'error',
      finishedAt: new Date(this.now()).toISOString(),
      durationMs: Math.round(performance.now() - current.started),
      message: this.redact(message),
    });
    this.tell(current.run);
  }

  private tell(run: ConsoleRun): void {
    const view = summaryOf(run);
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch {
        // A listener is a browser's stream: one that fails must not stop the loop or the others.
      }
    }
  }

  private redactorFor(channels: Parameters<typeof channelSecretRefs>[0][]): Redactor {
    const names = new Set(SECRET_VARIABLES);
    for (const spec of channels) for (const ref of channelSecretRefs(spec)) names.add(ref.env);
    return secretRedactor([...names].flatMap((name) => (this.env[name] ? [this.env[name]] : [])));
  }

  private onEvent(event: AccessctlEvent): void {
    const data = redactValue(event.data, this.redact) as Record<string, unknown>;
    const runId = typeof data['runId'] === 'string' ? data['runId'] : '';
    if (this.current && this.current.run.runId === undefined && event.type !== 'accessctl.change.applied' && event.type !== 'accessctl.change.failed')
      this.current.run.runId = runId;
    if (this.current && this.current.run.commit === null && typeof data['configCommit'] === 'string') this.current.run.commit = data['configCommit'];
    if (event.type === 'accessctl.run.completed') return;
    const kind = data['kind'] as ManagedKind;
    const name = typeof data['name'] === 'string' ? data['name'] : '';
    const object = this.objectsByKey.get(objectKey(kind, name));
    if (object === undefined) return;
    if (typeof data['id'] === 'string') object.id = data['id'];
    const fields = Array.isArray(data['fields']) ? (data['fields'] as FieldChange[]) : [];
    const run =
      this.runNumbers.get(runId) ??
      (this.current && (this.current.run.runId === runId || this.current.run.runId === undefined) ? this.current.run.number : undefined);
    switch (event.type) {
      case 'accessctl.drift.detected': {
        const pausedUntil = typeof data['pausedUntil'] === 'string' ? data['pausedUntil'] : undefined;
        const policy = data['policy'] === 'report' ? 'report' : 'correct';
        object.drift.unshift({ at: event.time, run, runId, policy, pausedUntil, fields });
        object.drift.splice(this.limits.driftPerObject);
        object.state = 'drifted';
        object.note =
          pausedUntil !== undefined
            ? `drift correction paused until ${pausedUntil}`
            : policy === 'report'
              ? 'reported, not corrected (drift policy report)'
              : 'being corrected';
        if (object.pending) object.pending.drift = true;
        return;
      }
      case 'accessctl.change.applied': {
        const attribution = data['attribution'] as GitAttribution | null | undefined;
        object.lastApplied = {
          at: event.time,
          run,
          runId,
          action: data['action'] as ChangeAction,
          fields,
          commit: typeof data['configCommit'] === 'string' ? data['configCommit'] : null,
          attribution: attribution ?? undefined,
        };
        if (data['action'] === 'delete') {
          this.objectsByKey.delete(object.key);
          return;
        }
        object.pending = undefined;
        object.state = 'synced';
        object.note = undefined;
        return;
      }
      case 'accessctl.change.failed': {
        const error = data['error'] as { message?: unknown } | undefined;
        object.state = 'failed';
        object.note = typeof error?.message === 'string' ? error.message : 'the change failed';
        return;
      }
      case 'accessctl.change.skipped': {
        const until = typeof data['until'] === 'string' ? data['until'] : undefined;
        if (data['reason'] === 'drift-paused') {
          object.state = 'drifted';
          object.note = `drift correction paused${until ? ` until ${until}` : ''}`;
          return;
        }
        object.state = 'suspended';
        object.note = `${data['reason'] === 'suspended' ? 'the project is suspended' : 'outside the sync windows'}${until ? ` until ${until}` : ''}: not applied`;
        return;
      }
    }
  }
}
