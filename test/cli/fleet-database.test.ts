// `fleet run|status --database URL` against a real Postgres that refuses: a wrong password or a
// database that does not exist is the user's mistake, reported as such (naming --database, with the
// server's reason, the password never shown) and exit 1, never as a bug in accessctl (exit 70).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
