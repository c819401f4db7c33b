// The fleet database's install: workers that join a fresh database at the same moment each create
// accessctl's tables and pg-boss's, and none fails on the other's half-made schema.
import PgBoss from 'pg-boss';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, STATE_SCHEMA, withInstallLock } from '../../src/fleet/database.js';
import { QUEUE_SCHEMA } from '../../src/fleet/distributed.js';
import { startPostgres, type TestPostgres } from './postgres.js';

let db: TestPostgres;
beforeAll(async () => {
  db = await startPostgres();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

async function freshDatabase(name: string): Promise<string> {
  const admin = await db.client();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return db.url.replace(/\/postgres$/, `/${name}`);
}

describe('installing the fleet database', () => {
  it('lets eight workers that join a fresh database at once all install, in each of five databases', async () => {
    for (let round = 0; round < 5; round++) {
      const url = await freshDatabase(`install_race_${round}`);
      const pools = Array.from({ length: 8 }, () => {
        const pool = new pg.Pool({ connectionString: url, max: 4 });
        // As openPool does: a connection the server ends while idle (the server stops after the test) is no failure of the test.
        pool.on('error', () => undefined);
        return pool;
      });
      const bosses: PgBoss[] = [];
      try {
        const results = await Promise.allSettled(
          pools.map((pool) =>
            withInstallLock(pool, async (client) => {
              await migrate(client);
              const boss = new PgBoss({
                db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
                schema: QUEUE_SCHEMA,
                supervise: false,
                schedule: false,
              });
              bosses.push(boss);
              await boss.start();
            }),
          ),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        const check = new pg.Client({ connectionString: url });
        await check.connect();
        const version = await check.query(`SELECT version FROM ${STATE_SCHEMA}.schema_version`);
        expect(version.rows).toHaveLength(1);
        const installed = await check.query(`SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.version`);
        expect(installed.rows[0].n).toBe(1);
        await check.end();
      } finally {
        await Promise.all(bosses.map((b) => b.stop({ graceful: false, close: false, wait: true }).catch(() => undefined)));
        await Promise.all(pools.map((p) => p.end()));
      }
    }
  }, 120_000);
});
