// At most one run of an org at any moment, across every worker: a run holds a Postgres session-level
// advisory lock on the org for its whole length, on a connection of its own. Postgres drops the lock
// the moment that session ends (the worker exits, is killed, or its machine's TCP keepalive gives
// up), so a dead worker never blocks the org. Every state write of the run goes through the same
// session: a write that succeeds proves the lock is still held, and once the session is lost the
// run is told to stop before it sends another change.
import type pg from 'pg';
import { isConnectionError } from './database.js';

export interface LeaseOptions {
  fleet: string;
  org: string;
  /** Called once if the session holding the lock is lost while held. */
  onLost?: (error: Error) => void;
}

function lockKey(fleet: string, org: string): string {
  return `accessctl:fleet:${fleet}:org:${org}`;
}

export class OrgLease {
  private lostWith: Error | undefined;
  private released = false;

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly key: string,
    private readonly options: LeaseOptions,
  ) {
    client.on('error', this.onError);
  }

  /** Takes the org's lock now, or resolves undefined when another session holds it. Never waits. */
  static async take(pool: pg.Pool, options: LeaseOptions): Promise<OrgLease | undefined> {
    const client = await pool.connect();
    const key = lockKey(options.fleet, options.org);
    // A checked-out client that loses its connection emits 'error': without a listener it would crash the worker.
    const early = (): void => undefined;
    client.on('error', early);
    try {
      const answer = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken', [key]);
      client.off('error', early);
      if (answer.rows[0]?.taken !== true) {
        client.release();
        return undefined;
      }
      return new OrgLease(client, key, options);
    } catch (error) {
      client.off('error', early);
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }

  private readonly onError = (error: Error): void => {
    if (this.lostWith !== undefined || this.released) return;
    this.lostWith = error;
    this.options.onLost?.(error);
  };

  /** Why the lock may no longer be held, once it may not. */
  get lost(): Error | undefined {
    return this.lostWith;
  }

  /** A query on the session that holds the lock; it fails once that session is gone. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.lostWith !== undefined) throw this.lostWith;
    try {
      return await this.client.query<R>(text, values);
    } catch (error) {
      // A failed query on a broken connection means the lock went with it.
      if (!this.lostWith && error instanceof Error && isConnectionError(error)) this.onError(error);
      throw error;
    }
  }

  /** Unlocks and returns the connection; a broken connection is discarded instead (its lock is gone already). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.lostWith === undefined) {
      try {
        await this.client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.key]);
        this.client.off('error', this.onError);
        this.client.release();
        return;
      } catch (error) {
        this.client.off('error', this.onError);
        this.client.release(error instanceof Error ? error : true);
        return;
      }
    }
    this.client.off('error', this.onError);
    this.client.release(this.lostWith);
  }
}
