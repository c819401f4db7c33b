// An org's state in Postgres, read and written through the session that holds the org's lease: the
// last-applied record (checked against schemas/state-last-applied.schema.json, as the file is), the
// intent journal (its rows shape-checked as the file journal's entries), consecutive failures and
// the run history. The next run may be on another machine.
import { schemaValidator } from '../config/schema.js';
import { AccessctlError } from '../errors.js';
import { damagedEntryAdvice, parseIntentText, type Intent, type JournalNotice, type RecoveredObject } from '../reconcile/journal.js';
import type { LastApplied, StoredLastApplied } from '../reconcile/last-applied.js';
import { RUN_CHANNEL, RUNS_KEPT, STATE_SCHEMA } from './database.js';
import { CONFLICT_RUNS_READ, conflictsInRow, type OrgRunRecord, type OrgRunResult } from './history.js';
import type { OrgLease } from './org-lease.js';
import type { OrgStateStore } from './org-state.js';

const LAST_APPLIED_SCHEMA = 'state-last-applied.schema.json';

export class PgOrgState implements OrgStateStore {
  constructor(
    private readonly lease: OrgLease,
    private readonly fleet: string,
    private readonly org: string,
    private readonly worker: string,
  ) {}

  async readLastApplied(): Promise<StoredLastApplied | undefined> {
    const found = await this.lease.query<{ last_applied: unknown }>(`SELECT last_applied FROM ${STATE_SCHEMA}.org_state WHERE fleet = $1 AND org = $2`, [
      this.fleet,
      this.org,
    ]);
    const value = found.rows[0]?.last_applied;
    if (value === undefined || value === null) return undefined;
    if (!schemaValidator(LAST_APPLIED_SCHEMA)(value)) {
      throw new AccessctlError(
        'io',
        `the last-applied state of org ${this.org} in the database does not match schemas/${LAST_APPLIED_SCHEMA}; delete its row in ${STATE_SCHEMA}.org_state to start afresh (the next run then treats every live difference as a change)`,
        {
          subject: this.org,
        },
      );
    }
    return value as StoredLastApplied;
  }

  async writeLastApplied(value: LastApplied): Promise<void> {
    await this.lease.query(
      `INSERT INTO ${STATE_SCHEMA}.org_state (fleet, org, last_applied) VALUES ($1, $2, $3)
       ON CONFLICT (fleet, org) DO UPDATE SET last_applied = EXCLUDED.last_applied, updated_at = clock_timestamp()`,
      [this.fleet, this.org, JSON.stringify({ format: 2, commit: value.commit, objects: value.objects })],
    );
  }

  readonly journal = {
    /** Written before the change is sent, through the lease's session: if this succeeds, the org is still ours. */
    record: async (intent: Intent): Promise<string> => {
      const row = await this.lease.query<{ id: string }>(
        `INSERT INTO ${STATE_SCHEMA}.intent (fleet, org, worker, run_id, intent) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
        [this.fleet, this.org, this.worker, intent.runId, JSON.stringify(intent)],
      );
      return row.rows[0]!.id;
    },
    /** Rewrites an entry's intent with what its run learned since (how its change failed). */
    amend: async (entry: string, intent: Intent): Promise<void> => {
      await this.lease.query(`UPDATE ${STATE_SCHEMA}.intent SET intent = $4 WHERE id = $1::bigint AND fleet = $2 AND org = $3`, [
        entry,
        this.fleet,
        this.org,
        JSON.stringify(intent),
      ]);
    },
    strike: async (entry: string): Promise<void> => {
      await this.lease.query(`DELETE FROM ${STATE_SCHEMA}.intent WHERE id = $1::bigint`, [entry]);
    },
    /**
     * Every entry left: whoever wrote them, their run is over, since this run holds the org's lease.
     * A row whose JSON is not an intent (the file journal's shape check says why) is marked damaged,
     * reported with what it still names of its change, and never read as a leftover again.
     */
    leftovers: async (report: (notice: JournalNotice) => void = () => undefined): Promise<{ entry: string; intent: Intent }[]> => {
      const rows = await this.lease.query<{ id: string; intent: string; run_id: string | null }>(
        `SELECT id::text AS id, intent::text AS intent, run_id FROM ${STATE_SCHEMA}.intent
         WHERE fleet = $1 AND org = $2 AND damaged IS NULL ORDER BY id`,
        [this.fleet, this.org],
      );
      const found: { entry: string; intent: Intent }[] = [];
      for (const row of rows.rows) {
        const parsed = parseIntentText(row.intent, row.run_id ?? undefined);
        if (parsed.ok) found.push({ entry: row.id, intent: parsed.intent });
        else report(await this.setAside(row.id, parsed.reason, parsed.recovered));
      }
      return found;
    },
  };

  /**
   * Marks a damaged journal row, where it is, with why: the least the database must change to keep
   * it for the operator (its worker, time and text stay as written) while no run reads it again.
   * A row that cannot be marked is left as it is, and reported again by each run.
   */
  private async setAside(id: string, reason: string, recovered: RecoveredObject | undefined): Promise<JournalNotice> {
    const row = `row ${id} of ${STATE_SCHEMA}.intent`;
    const entry = `the journal entry of org ${this.org} (fleet ${this.fleet}) in ${row}`;
    const after = damagedEntryAdvice(recovered);
    try {
      await this.lease.query(`UPDATE ${STATE_SCHEMA}.intent SET damaged = $2 WHERE id = $1::bigint`, [id, reason]);
      const message = `${entry} is damaged (${reason}); marked it damaged (its damaged column says why), so no run reads it again. ${after} Delete the row once checked.`;
      return { type: 'corrupt', entry: id, movedTo: `${row} (marked damaged)`, reason, recovered, message };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const message = `${entry} is damaged (${reason}) and could not be marked damaged (${why}); it is left as it is and reported again each run. ${after} Delete the row once checked.`;
      return { type: 'corrupt', entry: id, movedTo: undefined, reason, recovered, message };
    }
  }

  async consecutiveFailures(): Promise<number> {
    const found = await this.lease.query<{ n: number }>(`SELECT consecutive_failures AS n FROM ${STATE_SCHEMA}.org_state WHERE fleet = $1 AND org = $2`, [
      this.fleet,
      this.org,
    ]);
    return found.rows[0]?.n ?? 0;
  }

  /** Read from the newest runs of the history; past CONFLICT_RUNS_READ in a row the count changes nothing (the requeue is at the interval, each run a failure). */
  async conflictsInRow(): Promise<number> {
    const found = await this.lease.query<{ result: OrgRunResult | null }>(
      `SELECT result FROM ${STATE_SCHEMA}.run WHERE fleet = $1 AND org = $2 AND finished_at IS NOT NULL ORDER BY started_at DESC LIMIT $3`,
      [this.fleet, this.org, CONFLICT_RUNS_READ],
    );
    return conflictsInRow(found.rows.map((r) => ({ finishedAt: 'finished', result: r.result })));
  }

  async startRun(run: { id: string; jobId?: string | undefined }): Promise<string> {
    const row = await this.lease.query<{ started_at: Date }>(
      `INSERT INTO ${STATE_SCHEMA}.run (id, fleet, org, worker, job_id) VALUES ($1, $2, $3, $4, $5) RETURNING started_at`,
      [run.id, this.fleet, this.org, this.worker, run.jobId ?? null],
    );
    return row.rows[0]!.started_at.toISOString();
  }

  async finishRun(record: OrgRunRecord, consecutiveFailures: number): Promise<void> {
    await this.lease.query('BEGIN');
    try {
      await this.lease.query(
        `UPDATE ${STATE_SCHEMA}.run SET finished_at = clock_timestamp(), result = $2, applied = $3, failed = $4, drifted = $5,
           drifted_objects = $6, failures = $7, message = $8, next_run_at = $9 WHERE id = $1`,
        [
          record.id,
          record.result,
          record.applied,
          record.failed,
          record.drifted,
          JSON.stringify(record.driftedObjects),
          JSON.stringify(record.failures),
          record.message,
          record.nextRunAt,
        ],
      );
      await this.lease.query(
        `INSERT INTO ${STATE_SCHEMA}.org_state (fleet, org, consecutive_failures) VALUES ($1, $2, $3)
         ON CONFLICT (fleet, org) DO UPDATE SET consecutive_failures = EXCLUDED.consecutive_failures, updated_at = clock_timestamp()`,
        [this.fleet, this.org, consecutiveFailures],
      );
      await this.lease.query(
        `DELETE FROM ${STATE_SCHEMA}.run WHERE fleet = $1 AND org = $2 AND id IN (
           SELECT id FROM ${STATE_SCHEMA}.run WHERE fleet = $1 AND org = $2 ORDER BY started_at DESC OFFSET $3)`,
        [this.fleet, this.org, RUNS_KEPT],
      );
      await this.lease.query('SELECT pg_notify($1, $2)', [
        RUN_CHANNEL,
        JSON.stringify({ fleet: this.fleet, org: this.org, run: record.id, result: record.result, worker: this.worker }),
      ]);
      await this.lease.query('COMMIT');
    } catch (error) {
      await this.lease.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
