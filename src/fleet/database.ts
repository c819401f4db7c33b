// The fleet's Postgres: one pool per worker, shared with the job queue, and accessctl's own tables
// (schema accessctl) for what an org's next run needs wherever it happens: the last-applied state,
// the intent journal, run history and the workers seen. Created idempotently under one install lock.
import pg from 'pg';
import { AccessctlError } from '../errors.js';

export const STATE_SCHEMA = 'accessctl';
/** The channel each finished run is announced on (NOTIFY), for watchers and tests. */
export const RUN_CHANNEL = 'accessctl_fleet_run';
/** Runs kept per org; older ones are deleted as new ones finish. */
export const RUNS_KEPT = 200;
/** The variable --database defaults to. */
export const DATABASE_VARIABLE = 'ACCESSCTL_DATABASE_URL';

/** Every schema version, in order; each statement is idempotent, so a partial earlier attempt is finished. */
const MIGRATIONS: readonly string[][] = [
  [
    `CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`,
    `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.schema_version (version integer NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.org_state (
      fleet text NOT NULL,
      org text NOT NULL,
      last_applied jsonb,
      consecutive_failures integer NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (fleet, org))`,
    `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.intent (
      id bigserial PRIMARY KEY,
      fleet text NOT NULL,
      org text NOT NULL,
      worker text NOT NULL,
      intent jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    `CREATE INDEX IF NOT EXISTS intent_org ON ${STATE_SCHEMA}.intent (fleet, org, id)`,
    `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.run (
      id uuid PRIMARY KEY,
      fleet text NOT NULL,
      org text NOT NULL,
      worker text NOT NULL,
      job_id text,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      finished_at timestamptz,
      result text,
      applied integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      drifted integer NOT NULL DEFAULT 0,
      drifted_objects jsonb NOT NULL DEFAULT '[]',
      failures jsonb NOT NULL DEFAULT '[]',
      message text,
      next_run_at timestamptz)`,
    `CREATE INDEX IF NOT EXISTS run_org_started ON ${STATE_SCHEMA}.run (fleet, org, started_at DESC)`,
    `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.worker (
      fleet text NOT NULL,
      worker text NOT NULL,
      host text NOT NULL,
      pid integer NOT NULL,
      concurrency integer NOT NULL,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      PRIMARY KEY (fleet, worker))`,
  ],
  // Version 2: a journal row keeps the run that wrote it (found again when its JSON lost it), and a
  // row whose JSON is not an intent is marked damaged with why, kept where it was for the operator
  // and no longer read as a leftover. Adding a nullable column rewrites no rows.
  [`ALTER TABLE ${STATE_SCHEMA}.intent ADD COLUMN IF NOT EXISTS run_id text`, `ALTER TABLE ${STATE_SCHEMA}.intent ADD COLUMN IF NOT EXISTS damaged text`],
];

/** The database URL without its password (in the userinfo or a `password` parameter), for logs and messages. */
export function displayDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (/^(password|sslpassword)$/i.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return 'the --database URL';
  }
}

/**
 * The user's mistake in a database error, as an error naming --database, else undefined: the server
 * refused the login (class 28: wrong password, no such role, pg_hba) or the database does not exist
 * (3D000). The server's reason is kept; it never holds the password.
 */
export function databaseRefusal(error: unknown, url: string): AccessctlError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const shown = displayDatabaseUrl(url);
  if (code.startsWith('28'))
    return new AccessctlError('io', `the database ${shown} refused the login: ${reason}; check the user and password in --database (or ${DATABASE_VARIABLE})`, {
      subject: '--database',
      cause: error,
    });
  if (code === '3D000')
    return new AccessctlError(
      'not-found',
      `the database ${shown} does not exist: ${reason}; create it, or fix the database name in --database (or ${DATABASE_VARIABLE})`,
      { subject: '--database', cause: error },
    );
  return undefined;
}

/** Checks a --database value; the URL's password never appears in the message. */
export function parseDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AccessctlError('usage', '--database must be a postgres:// URL such as postgres://accessctl@db:5432/accessctl', { subject: '--database' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new AccessctlError('usage', `--database must be a postgres:// URL (got a ${parsed.protocol.replace(/:$/, '')}: URL)`, { subject: '--database' });
  }
  return url;
}

export interface PoolOptions {
  url: string;
  max: number;
  applicationName: string;
  /** Told about errors on idle connections (the database went away); they are otherwise harmless. */
  onIdleError?: (error: Error) => void;
}

/** A pool whose connections notice a dead peer (TCP keepalive) and give up connecting after a while. */
export function openPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/**
 * Runs `install` while holding the fleet's install lock, so workers joining a fresh database at the
 * same moment create the schemas one after another. The lock is a session lock taken before any
 * transaction begins: Postgres refreshes its catalog cache when a transaction starts, not when an
 * advisory lock is granted, so a transaction that waited on the lock could still miss the schema
 * the other worker just committed and fail on `CREATE SCHEMA IF NOT EXISTS`.
 */
export async function withInstallLock<T>(pool: pg.Pool, install: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let locked = false;
  let unlockFailed: Error | undefined;
  try {
    await client.query(`SELECT pg_advisory_lock(hashtextextended('accessctl:install', 0))`);
    locked = true;
    return await install(client);
  } finally {
    if (locked) {
      await client.query(`SELECT pg_advisory_unlock(hashtextextended('accessctl:install', 0))`).catch((error: unknown) => {
        unlockFailed = error instanceof Error ? error : new Error(String(error));
      });
    }
    // A session that may still hold the lock is closed, never pooled: other workers would wait on it.
    client.release(unlockFailed);
  }
}

/** Creates or upgrades accessctl's tables, on a client that holds the install lock (withInstallLock). */
export async function migrate(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('BEGIN');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.schema_version (version integer NOT NULL)`);
    const found = await client.query<{ version: number }>(`SELECT version FROM ${STATE_SCHEMA}.schema_version`);
    const current = found.rows[0]?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new AccessctlError(
        'conflict',
        `the database holds accessctl state version ${current}, newer than this accessctl knows (${MIGRATIONS.length}); upgrade accessctl`,
        { subject: '--database' },
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      for (const statement of MIGRATIONS[version]!) await client.query(statement);
    }
    if (found.rows.length === 0) await client.query(`INSERT INTO ${STATE_SCHEMA}.schema_version (version) VALUES ($1)`, [MIGRATIONS.length]);
    else await client.query(`UPDATE ${STATE_SCHEMA}.schema_version SET version = $1`, [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Whether an error means the database could not be reached (as opposed to a query it refused). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Node socket errors, and Postgres classes 08 (connection) and 57P (operator intervention: shutdown).
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(code)) return true;
    if (code.startsWith('08') || code.startsWith('57P')) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|not queryable/i.test(
    message,
  );
}
