// Damage that work no request owns finds (a scheduler timer): the sandbox lets go of the file at
// once, writing nothing more (no clock save, no checkpoint), and hands SQLite's error to onDamage,
// which `accessctl sandbox` and `up` report; nothing is thrown from the timer.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { databaseDamageIn } from '../../src/sandbox/database-damage.js';
import { startSandbox } from '../../src/sandbox/server.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function onDisk(db: string): string {
  return [db, `${db}-wal`]
    .map((file) =>
      existsSync(file) ? `${file}: ${statSync(file).size} bytes, sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex')}` : `${file}: none`,
    )
    .join('\n');
}

describe('damage found by a timer', () => {
  it('lets go of the database without writing and hands the error to onDamage, throwing nothing from the timer', async () => {
    const db = join(dir, 'timer.db');
    const damages: Error[] = [];
    let writable = true;
    const clock = new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') });
    const sandbox = await startSandbox({ dbPath: db, port: 0, clock, log: () => {}, mayWrite: () => writable, onDamage: (error) => damages.push(error) });
    // The clock moves: a close would save it into the file.
    clock.advance(3_600_000);
    // Another connection stays open, having read, as a process that restored the file might: SQLite
    // itself folds the log into the file only when the last connection that read it closes.
    const other = new Database(db, { readonly: true });
    other.prepare('SELECT count(*) FROM timers').pluck().get();
    const before = onDisk(db);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      // Unsure of its lock, the scheduler looks again on its own timer; by then a page it reads is damaged.
      writable = false;
      sandbox.scheduler.kick();
      const damaged = vi.spyOn(sandbox.store, 'stmt').mockImplementation(() => {
        throw new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT');
      });
      writable = true;
      expect(() => vi.advanceTimersByTime(1000)).not.toThrow();
      damaged.mockRestore();
    } finally {
      vi.useRealTimers();
    }
    expect(damages.map((error) => databaseDamageIn(error))).toEqual([{ code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' }]);
    expect(sandbox.store.db.open).toBe(false);
    await sandbox.close();
    expect(onDisk(db)).toBe(before);
    other.close();
  });
});
