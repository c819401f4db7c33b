// The fleet's intent journal in a real Postgres: a row whose JSON is not an intent is checked as the
// file journal checks its entries, marked damaged where it is (never dropped, never read again),
// reported naming the org and the row, and what it still names of its change is settled by the run;
// a failed change keeps its error in its row; an org's conflicts in a row are read from its runs;
// and a version 1 database is upgraded in place.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventFanout } from '../../src/events/fanout.js';
import { migrate, openPool, STATE_SCHEMA, withInstallLock } from '../../src/fleet/database.js';
import { conflictsInRow, type OrgRunRecord, type OrgRunResult } from '../../src/fleet/history.js';
import { OrgLease } from '../../src/fleet/org-lease.js';
import { PgOrgState } from '../../src/fleet/pg-org-state.js';
import { databaseRuns } from '../../src/fleet/status.js';
import type { Intent, JournalNotice } from '../../src/reconcile/journal.js';
import { ReconcileMetrics } from '../../src/reconcile/metrics.js';
import { reconcileOnce } from '../../src/reconcile/run.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';
import { exampleOrg } from '../reconcile/example-org.js';
import { collectingLog, MemorySink, type LogLine } from '../reconcile/memory-sink.js';
import { startPostgres, type TestPostgres } from './postgres.js';

const FLEET = 'journal';
const WARN = 40;

let db: TestPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  db = await startPostgres();
  const admin = await db.client();
  try {
    await admin.query('CREATE DATABASE pg_journal');
  } finally {
    await admin.end();
  }
  pool = openPool({ url: db.url.replace(/\/postgres$/, '/pg_journal'), max: 4, applicationName: 'pg journal test' });
  await withInstallLock(pool, migrate);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.close();
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** An org's state as a distributed worker holds it: through the org's lease. */
async function orgState(org: string): Promise<PgOrgState> {
  const lease = await OrgLease.take(pool, { fleet: FLEET, org });
  if (lease === undefined) throw new Error(`the lease of ${org} is taken`);
  cleanup.push(() => lease.release());
  return new PgOrgState(lease, FLEET, org, 'worker-1');
}

/** A journal row as an older or newer accessctl, or a hand, may have left it. */
async function plant(org: string, json: unknown, runId: string | null = null): Promise<string> {
  const row = await pool.query<{ id: string }>(
    `INSERT INTO ${STATE_SCHEMA}.intent (fleet, org, worker, run_id, intent) VALUES ($1, $2, 'worker-0', $3, $4) RETURNING id::text AS id`,
    [FLEET, org, runId, JSON.stringify(json)],
  );
  return row.rows[0]!.id;
}

async function rowsOf(org: string): Promise<{ id: string; damaged: string | null }[]> {
  const rows = await pool.query<{ id: string; damaged: string | null }>(
    `SELECT id::text AS id, damaged FROM ${STATE_SCHEMA}.intent WHERE fleet = $1 AND org = $2 ORDER BY id`,
    [FLEET, org],
  );
  return rows.rows;
}

function intent(runId: string, name: string): Intent {
  return { runId, configCommit: null, kind: 'ApprovalFlow', name, action: 'create', fields: [] };
}

describe('the Postgres journal: rows that are not intents', () => {
  it('marks each damaged row where it is, reports it naming the org and the row with what it still names, and hands back the rest', async () => {
    const state = await orgState('damaged-rows');
    const good = await state.journal.record(intent('run-1', 'Good'));
    // Its run only in the row's column, its fields lost: as the file journal recovers a run from a file name.
    const lostRun = await plant('damaged-rows', { kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'delete', id: 'af-3', fields: 'lost' }, 'run-7');
    const text = await plant('damaged-rows', 'just text');
    const wrongTypes = await plant('damaged-rows', { ...intent('run-8', 'Bulk Flow 04'), configCommit: 42 });
    const notices: JournalNotice[] = [];

    const found = await state.journal.leftovers((notice) => notices.push(notice));

    expect(found).toEqual([{ entry: good, intent: intent('run-1', 'Good') }]);
    expect(notices.map((n) => (n.type === 'corrupt' ? [n.entry, n.reason, n.recovered] : n))).toEqual([
      [lostRun, 'runId is missing or not a string', { kind: 'ApprovalFlow', name: 'Bulk Flow 03', action: 'delete', runId: 'run-7', id: 'af-3' }],
      [text, 'not a JSON object (string)', undefined],
      [wrongTypes, 'configCommit is not a string or null', { kind: 'ApprovalFlow', name: 'Bulk Flow 04', action: 'create', runId: 'run-8' }],
    ]);
    expect(notices[0]).toMatchObject({ type: 'corrupt', movedTo: `row ${lostRun} of ${STATE_SCHEMA}.intent (marked damaged)` });
    expect(notices[0]?.message).toBe(
      `the journal entry of org damaged-rows (fleet ${FLEET}) in row ${lostRun} of ${STATE_SCHEMA}.intent is damaged (runId is missing or not a string); marked it damaged (its damaged column says why), so no run reads it again. Its change (delete ApprovalFlow "Bulk Flow 03") may have been sent, and its event may be missing: check ApprovalFlow "Bulk Flow 03" on the platform. This run plans from the live state, so what the config still asks for is applied. Delete the row once checked.`,
    );
    // Kept, with why, for the operator; the good entry is untouched.
    expect(await rowsOf('damaged-rows')).toEqual([
      { id: good, damaged: null },
      { id: lostRun, damaged: 'runId is missing or not a string' },
      { id: text, damaged: 'not a JSON object (string)' },
      { id: wrongTypes, damaged: 'configCommit is not a string or null' },
    ]);

    // The next run neither reads nor reports them again.
    const again: JournalNotice[] = [];
    expect(await state.journal.leftovers((notice) => again.push(notice))).toEqual(found);
    expect(again).toEqual([]);
  });

  it("records each entry's run in its row, and keeps a failed change's error in it for the run that settles it", async () => {
    const state = await orgState('failed-change');
    const entry = await state.journal.record(intent('run-2', 'Refused'));
    const failure = { code: 'platform', message: 'POST /api/v2/approvalflows answered 500: injected fault', status: 500 };

    await state.journal.amend(entry, { ...intent('run-2', 'Refused'), failure });

    expect(await state.journal.leftovers()).toEqual([{ entry, intent: { ...intent('run-2', 'Refused'), failure } }]);
    const row = await pool.query(`SELECT run_id FROM ${STATE_SCHEMA}.intent WHERE id = $1::bigint`, [entry]);
    expect(row.rows).toEqual([{ run_id: 'run-2' }]);
  });
});

describe("an org's conflicts in a row in Postgres", () => {
  it('counts the newest finished runs that ended in a conflict, skipping stopped ones, from the run history', async () => {
    const state = await orgState('conflicts');
    expect(await state.conflictsInRow()).toBe(0);
    const results: OrgRunResult[] = ['conflict', 'success', 'conflict', 'stopped', 'conflict'];
    for (const [i, result] of results.entries()) {
      const id = randomUUID();
      const startedAt = await state.startRun({ id });
      const record: OrgRunRecord = {
        id,
        org: 'conflicts',
        worker: 'worker-1',
        startedAt,
        finishedAt: null,
        result,
        applied: 0,
        failed: 0,
        drifted: 0,
        driftedObjects: [],
        failures: [],
        message: `run ${i + 1}`,
        nextRunAt: null,
      };
      await state.finishRun(record, 0);
    }
    // One more started, not finished: it counts for nothing.
    await state.startRun({ id: randomUUID() });
    expect(await state.conflictsInRow()).toBe(2);
    // fleet status reads as many of the org's runs as the runner does, so it says the same count.
    const runs = await databaseRuns(pool, FLEET, ['conflicts']);
    expect(conflictsInRow(runs.get('conflicts') ?? [])).toBe(2);
  });
});

describe('the Postgres journal in a reconcile run', () => {
  it('settles what a damaged row still names under the run its row recorded, with a WARN naming the org and the row, and the run goes on', async () => {
    const { h, work, client } = await exampleOrg('pg-journal', cleanup);
    const sink = new MemorySink();
    const events = sink.events;
    const lines: LogLine[] = [];
    const org = 'damaged-run';
    // A create whose JSON lost its run (the row's column still has it); the flow never existed.
    const row = await plant(org, { configCommit: null, kind: 'ApprovalFlow', name: 'Ghost 02', action: 'create', fields: [] }, 'killed-run');
    const state = await orgState(org);

    const outcome = await reconcileOnce({
      source: { kind: 'dir', dir: join(work, 'config') },
      stateDir: `${FLEET}/${org}`,
      state,
      env: { JUMPCLOUD_API_KEY: h.sandbox.adminKey },
      clients: TargetBinding.fixed(client),
      events: new EventFanout([sink]),
      metrics: new ReconcileMetrics(),
      log: collectingLog(lines),
      allowHistoryRewrite: false,
      stopping: () => undefined,
    });

    expect(outcome.result).toBe('success');
    const warned = lines.filter((l) => l.level === WARN && l.entry === row);
    expect(warned).toHaveLength(1);
    expect(warned[0]?.msg).toMatch(
      new RegExp(
        `^the journal entry of org ${org} \\(fleet ${FLEET}\\) in row ${row} of ${STATE_SCHEMA}\\.intent is damaged \\(runId is missing or not a string\\)`,
      ),
    );
    const ghost = events.filter((e) => (e.data as { name: string }).name === 'Ghost 02');
    expect(ghost).toHaveLength(1);
    expect(ghost[0]).toMatchObject({ type: 'accessctl.change.failed', data: { runId: 'killed-run', action: 'create', error: { code: 'interrupted' } } });
    // Every change of the run was struck; the damaged row stays, marked.
    expect(await rowsOf(org)).toEqual([{ id: row, damaged: 'runId is missing or not a string' }]);
  });
});

describe('upgrading the fleet database', () => {
  it('adds the journal columns to a version 1 database in place, keeping its rows, and installing again changes nothing', async () => {
    const admin = await db.client();
    try {
      await admin.query('CREATE DATABASE pg_journal_v1');
    } finally {
      await admin.end();
    }
    const old = openPool({ url: db.url.replace(/\/postgres$/, '/pg_journal_v1'), max: 2, applicationName: 'pg journal upgrade test' });
    try {
      // A database as version 1 left it: the journal without the run and damaged columns, one entry in it.
      await withInstallLock(old, migrate);
      await old.query(`ALTER TABLE ${STATE_SCHEMA}.intent DROP COLUMN run_id, DROP COLUMN damaged`);
      await old.query(`UPDATE ${STATE_SCHEMA}.schema_version SET version = 1`);
      await old.query(`INSERT INTO ${STATE_SCHEMA}.intent (fleet, org, worker, intent) VALUES ('f', 'o', 'w', $1)`, [JSON.stringify(intent('run-old', 'Old'))]);

      await withInstallLock(old, migrate);
      await withInstallLock(old, migrate);

      expect((await old.query(`SELECT version FROM ${STATE_SCHEMA}.schema_version`)).rows).toEqual([{ version: 2 }]);
      expect((await old.query(`SELECT run_id, damaged, intent FROM ${STATE_SCHEMA}.intent`)).rows).toEqual([
        { run_id: null, damaged: null, intent: intent('run-old', 'Old') },
      ]);
    } finally {
      await old.end();
    }
  });
});
