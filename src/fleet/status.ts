// `fleet status FILE`: each org's last result and its time, the worker that ran it, the applied and
// failed changes, the drifted objects and the next run, read from Postgres (--database) or from the
// embedded runner's state directory; as a table, or as JSON with one object per org. State left by
// a runner that is gone is marked so, never shown as if live.
import type pg from 'pg';
import { StateLock } from '../reconcile/lock.js';
import { CONFLICTS_BEFORE_FAILURE } from '../reconcile/schedule.js';
import { STATE_SCHEMA } from './database.js';
import type { FleetDefinition } from './fleet-file.js';
import { CONFLICT_RUNS_READ, statusOf, type OrgRunRecord, type OrgStatus } from './history.js';
import { fileStatuses } from './org-state.js';

/**
 * A worker not seen for this long is presumed dead: workers say they are alive every 2 s
 * (DEFAULT_HEARTBEAT_MS), so this is many missed heartbeats, not a slow database.
 */
export const WORKER_SILENT_MS = 30_000;
/** The embedded runner's lock: its file name and window, as runEmbedded takes it. */
const EMBEDDED_LOCK = { fileName: 'fleet.lock', staleAfterMs: 60_000 };

export interface WorkerSeen {
  worker: string;
  host: string;
  pid: number;
  concurrency: number;
  startedAt: string;
  seenAt: string;
  /** Not seen for more than WORKER_SILENT_MS (on the database's clock): presumed dead. */
  stale: boolean;
}

export interface FleetStatus {
  fleet: string;
  /** One object per org of the fleet file, in its order. */
  orgs: OrgStatus[];
  /** Workers that said they were alive (distributed runs only), most recent first. */
  workers: WorkerSeen[];
  /**
   * Whether a runner holds the fleet now: embedded, a live holder of the state directory's lock;
   * distributed, a worker seen within WORKER_SILENT_MS. With none, no org has a next run.
   */
  runner: 'live' | 'none';
}

/** Marks what a gone runner left: with no runner no next run, and a run whose worker is gone is stale. */
function withLiveness(status: Omit<FleetStatus, 'runner'>, live: boolean, liveWorkers: ReadonlySet<string> | undefined): FleetStatus {
  return {
    ...status,
    runner: live ? 'live' : 'none',
    orgs: status.orgs.map((org) => ({
      ...org,
      nextRunAt: live ? org.nextRunAt : null,
      running: org.running === null ? null : { ...org.running, stale: !live || (liveWorkers !== undefined && !liveWorkers.has(org.running.worker)) },
    })),
  };
}

/** The embedded runner's status, from its state directory; its lock says whether a runner is there now. */
export async function embeddedStatus(stateDir: string, fleet: FleetDefinition): Promise<FleetStatus> {
  const orgs = await fileStatuses(stateDir, fleet.orgs);
  const holder = await new StateLock({ dir: stateDir, ...EMBEDDED_LOCK }).liveHolder();
  return withLiveness({ fleet: fleet.name, orgs, workers: [] }, holder !== undefined, undefined);
}

interface RunRow {
  id: string;
  org: string;
  worker: string;
  started_at: Date;
  finished_at: Date | null;
  result: OrgRunRecord['result'];
  applied: number;
  failed: number;
  drifted: number;
  drifted_objects: OrgRunRecord['driftedObjects'];
  failures: OrgRunRecord['failures'];
  message: string | null;
  next_run_at: Date | null;
}

function recordOf(row: RunRow): OrgRunRecord {
  return {
    id: row.id,
    org: row.org,
    worker: row.worker,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    result: row.result,
    applied: row.applied,
    failed: row.failed,
    drifted: row.drifted,
    driftedObjects: row.drifted_objects,
    failures: row.failures,
    message: row.message,
    nextRunAt: row.next_run_at?.toISOString() ?? null,
  };
}

/**
 * The newest runs of each org, newest first: enough to count its conflicts in a row as the runner
 * does (the file history keeps the same), and so the last finished one and anything after it.
 */
export async function databaseRuns(
  db: pg.Pool | pg.Client,
  fleet: string,
  orgs: readonly string[],
  perOrg = CONFLICT_RUNS_READ,
): Promise<Map<string, OrgRunRecord[]>> {
  const found = await db.query<RunRow>(
    `SELECT r.* FROM unnest($2::text[]) AS o(org)
     CROSS JOIN LATERAL (SELECT * FROM ${STATE_SCHEMA}.run WHERE fleet = $1 AND org = o.org ORDER BY started_at DESC LIMIT $3) AS r`,
    [fleet, orgs, perOrg],
  );
  const byOrg = new Map<string, OrgRunRecord[]>(orgs.map((o) => [o, []]));
  for (const row of found.rows) byOrg.get(row.org)?.push(recordOf(row));
  return byOrg;
}

export async function databaseStatus(db: pg.Pool | pg.Client, fleet: FleetDefinition): Promise<FleetStatus> {
  const names = fleet.orgs.map((o) => o.name);
  const runs = await databaseRuns(db, fleet.name, names);
  const failures = await db.query<{ org: string; n: number }>(`SELECT org, consecutive_failures AS n FROM ${STATE_SCHEMA}.org_state WHERE fleet = $1`, [
    fleet.name,
  ]);
  const failing = new Map(failures.rows.map((r) => [r.org, r.n]));
  // Judged on the database's clock, which wrote seen_at: this machine's clock may be off.
  const workers = await db.query<{ worker: string; host: string; pid: number; concurrency: number; started_at: Date; seen_at: Date; stale: boolean }>(
    `SELECT worker, host, pid, concurrency, started_at, seen_at, clock_timestamp() - seen_at > $2 * interval '1 millisecond' AS stale
     FROM ${STATE_SCHEMA}.worker WHERE fleet = $1 ORDER BY seen_at DESC`,
    [fleet.name, WORKER_SILENT_MS],
  );
  const seen: WorkerSeen[] = workers.rows.map((w) => ({
    worker: w.worker,
    host: w.host,
    pid: w.pid,
    concurrency: w.concurrency,
    startedAt: w.started_at.toISOString(),
    seenAt: w.seen_at.toISOString(),
    stale: w.stale,
  }));
  const live = new Set(seen.filter((w) => !w.stale).map((w) => w.worker));
  return withLiveness(
    { fleet: fleet.name, orgs: fleet.orgs.map((org) => statusOf(org, runs.get(org.name) ?? [], failing.get(org.name) ?? 0)), workers: seen },
    live.size > 0,
    live,
  );
}

function ago(iso: string | null, now: number): string {
  if (iso === null) return '-';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(seconds);
  const text = abs < 90 ? `${abs}s` : abs < 5400 ? `${Math.round(abs / 60)}m` : abs < 172_800 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86_400)}d`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** The status as a table: one line per org, then the workers. */
/**
 * How an org's last conflict stands: no failure while it is one of the first in a row (its summary
 * names what another writer kept changing; the run comes again soon), a failure from the
 * CONFLICTS_BEFORE_FAILURE-th in a row on.
 */
function conflictWords(o: OrgStatus): string {
  const streak = o.consecutiveFailures === 0 ? '' : `, ${o.consecutiveFailures} failed run${o.consecutiveFailures === 1 ? '' : 's'} in a row`;
  if (o.conflictsInRow >= CONFLICTS_BEFORE_FAILURE)
    return `conflict ${o.conflictsInRow} runs in a row, another writer keeps changing it: counted as a failure${streak}`;
  return `conflict, not a failure${o.conflictsInRow > 1 ? ` (${o.conflictsInRow} in a row${streak})` : streak === '' ? '' : ` (${streak.slice(2)})`}`;
}

export function renderStatusText(status: FleetStatus, now: number = Date.now()): string {
  const header = ['ORG', 'LAST RESULT', 'WHEN', 'WORKER', 'APPLIED', 'FAILED', 'NEXT RUN', 'DRIFTED'];
  const rows = status.orgs.map((o) => [
    o.org,
    o.running ? `${o.lastResult ?? '-'} (${o.running.stale ? `stale run: ${o.running.worker} is gone` : 'running'})` : (o.lastResult ?? 'never run'),
    ago(o.lastRunAt, now),
    o.worker ?? '-',
    String(o.applied),
    String(o.failed),
    status.runner === 'none' ? 'no runner' : o.nextRunAt === null ? '-' : ago(o.nextRunAt, now),
    o.driftedObjects.length === 0 ? String(o.drifted) : `${o.drifted}: ${o.driftedObjects.map((d) => `${d.kind} "${d.name}"`).join(', ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`fleet ${status.fleet}: ${status.orgs.length} org${status.orgs.length === 1 ? '' : 's'}`];
  if (status.runner === 'none') out.push('no runner holds the fleet now: nothing runs until `accessctl fleet run` starts');
  out.push(line(header), ...rows.map(line));
  const failing = status.orgs.filter((o) => o.failures.length > 0 || ((o.lastResult === 'error' || o.lastResult === 'conflict') && o.message));
  for (const o of failing) {
    const said = o.failures.length > 0 ? o.failures.map((f) => `${f.action} ${f.kind} "${f.name}": ${f.reason}`).join('; ') : (o.message ?? '');
    out.push(`${o.org}: ${o.lastResult === 'conflict' ? `${conflictWords(o)}: ${said}` : said}`);
  }
  if (status.workers.length > 0) {
    out.push('', 'WORKERS');
    for (const w of status.workers)
      out.push(
        `${w.worker} (${w.host}, pid ${w.pid}, concurrency ${w.concurrency}): seen ${ago(w.seenAt, now)}${w.stale ? `, presumed dead (silent for over ${WORKER_SILENT_MS / 1000}s)` : ''}`,
      );
  }
  return `${out.join('\n')}\n`;
}
