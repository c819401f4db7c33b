// `fleet run|status --database URL` against a real Postgres that refuses: a wrong password or a
// database that does not exist is the user's mistake, reported as such (naming --database, with the
// server's reason, the password never shown) and exit 1, never as a bug in accessctl (exit 70).
// Then `fleet status` on what workers that are gone left: marked stale, with no next run.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, STATE_SCHEMA, withInstallLock } from '../../src/fleet/database.js';
import { startPostgres, type TestPostgres } from '../fleet/postgres.js';
import { accessctl } from './in-process.js';

const FLEET = 'examples/fleet/fleet.yaml';
const WRONG = 'wrong-secret-pw';

let db: TestPostgres;
beforeAll(async () => {
  db = await startPostgres();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

function withPassword(password: string): string {
  const url = new URL(db.url);
  url.password = password;
  return url.toString();
}

function withDatabase(name: string): string {
  return db.url.replace(/\/postgres$/, `/${name}`);
}

describe('a database that refuses', () => {
  it.each(['status', 'run'])('fleet %s with a wrong password names --database and the reason, without the password (exit 1)', async (sub) => {
    const extra = sub === 'run' ? ['--listen', '127.0.0.1:0'] : [];
    const run = await accessctl(['fleet', sub, FLEET, '--database', withPassword(WRONG), ...extra], { JUMPCLOUD_MSP_KEY: 'k' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--database');
    expect(run.stderr).toContain('password authentication failed for user "postgres"');
    expect(run.stderr).toContain(`postgres://postgres:***@127.0.0.1:${db.port}/postgres`);
    expect(run.stderr).not.toContain(WRONG);
    expect(run.stderr).not.toContain('internal error');
  });

  it.each(['status', 'run'])('fleet %s with a database that does not exist names --database and the reason (exit 1)', async (sub) => {
    const extra = sub === 'run' ? ['--listen', '127.0.0.1:0'] : [];
    const run = await accessctl(['fleet', sub, FLEET, '--database', withDatabase('nodb'), ...extra], { JUMPCLOUD_MSP_KEY: 'k' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--database/);
    expect(run.stderr).toContain('database "nodb" does not exist');
    expect(run.stderr).not.toContain('fleet-test-password');
    expect(run.stderr).not.toContain('internal error');
  });

  it('takes the URL from ACCESSCTL_DATABASE_URL and names it too', async () => {
    const run = await accessctl(['fleet', 'status', FLEET], { ACCESSCTL_DATABASE_URL: withPassword(WRONG) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ACCESSCTL_DATABASE_URL');
    expect(run.stderr).not.toContain(WRONG);
  });
});

describe('fleet status on what a gone worker left', () => {
  it('marks a worker silent past its window presumed dead, its run stale, and shows no next run until a worker is seen', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await withInstallLock(pool, migrate);
      const fleet = 'msp-customers';
      await pool.query(
        `INSERT INTO ${STATE_SCHEMA}.worker (fleet, worker, host, pid, concurrency, seen_at) VALUES ($1, 'w2', 'vm', 11015, 4, clock_timestamp() - interval '6 minutes')`,
        [fleet],
      );
      await pool.query(
        `INSERT INTO ${STATE_SCHEMA}.run (id, fleet, org, worker, started_at, finished_at, result, next_run_at)
         VALUES (gen_random_uuid(), $1, 'acme', 'w2', clock_timestamp() - interval '10 minutes', clock_timestamp() - interval '9 minutes', 'no-op', clock_timestamp() + interval '3 minutes'),
                (gen_random_uuid(), $1, 'globex', 'w2', clock_timestamp() - interval '7 minutes', NULL, NULL, NULL)`,
        [fleet],
      );
      const dead = await accessctl(['fleet', 'status', FLEET, '--database', db.url]);
      expect(dead.code).toBe(0);
      expect(dead.stdout).toContain('no runner holds the fleet now');
      expect(dead.stdout).toMatch(/^acme .*no runner/m);
      expect(dead.stdout).toContain('(stale run: w2 is gone)');
      expect(dead.stdout).toMatch(/^w2 \(vm, pid 11015, concurrency 4\): seen 6m ago, presumed dead/m);
      const json = JSON.parse((await accessctl(['fleet', 'status', FLEET, '--database', db.url, '--format', 'json'])).stdout) as {
        runner: string;
        orgs: { org: string; nextRunAt: string | null; running: { stale: boolean } | null }[];
        workers: { worker: string; stale: boolean }[];
      };
      expect(json.runner).toBe('none');
      expect(json.workers).toEqual([expect.objectContaining({ worker: 'w2', stale: true })]);
      expect(json.orgs.map((o) => [o.org, o.nextRunAt, o.running?.stale ?? null])).toEqual([
        ['acme', null, null],
        ['globex', null, true],
        ['initech', null, null],
      ]);

      // A live worker holds the fleet again: the next run is the scheduled one, and w2's run is still stale.
      await pool.query(`INSERT INTO ${STATE_SCHEMA}.worker (fleet, worker, host, pid, concurrency) VALUES ($1, 'w3', 'vm', 2, 4)`, [fleet]);
      const live = await accessctl(['fleet', 'status', FLEET, '--database', db.url]);
      expect(live.stdout).not.toContain('no runner');
      expect(live.stdout).toMatch(/^acme .*in 3m/m);
      expect(live.stdout).toContain('(stale run: w2 is gone)');
      expect(live.stdout).toMatch(/^w3 .*seen \d+s ago$/m);
    } finally {
      await pool.end();
    }
  });
});
