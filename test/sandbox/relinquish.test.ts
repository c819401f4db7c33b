// RunningSandbox.relinquish(): the sandbox lets go of a database another process serves now. A write
// held in flight (an injected latency) when it does is not carried out, logs nothing, and the file
// and its log are left exactly as they were; a later close() writes nothing either.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { startHarness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-relinquish-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The database file and its log as they are on disk: size, modification time and content. */
function onDisk(db: string): string {
  return [db, `${db}-wal`]
    .map((file) =>
      existsSync(file)
        ? `${file}: ${statSync(file).size} bytes, mtime ${statSync(file).mtimeMs}, sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex')}`
        : `${file}: none`,
    )
    .join('\n');
}

describe('relinquish', () => {
  it('stops a write held in flight, logs nothing, and leaves the database and its log as they were', async () => {
    const db = join(dir, 'held.db');
    const h = await startHarness({ dbPath: db, hooks: true, clock: new SandboxClock({ frozenAt: Date.parse('2026-03-01T09:00:00Z') }) });
    // Another connection stays open, having read, as the process that took the database over holds it.
    // (SQLite folds the log into the file when the last connection that read it closes.)
    const other = new Database(db, { readonly: true });
    const groups = other.prepare("SELECT count(*) FROM user_groups WHERE name = 'Held Back'").pluck();
    try {
      expect(groups.get()).toBe(0);
      const route = 'POST /api/v2/usergroups';
      expect((await h.hook('PUT', '/sandbox/v1/faults', { rules: [{ route, latencyMs: 600_000 }] })).status).toBe(200);
      // The clock moves: a close would save it into the file.
      h.sandbox.clock.advance(3_600_000);
      const held = fetch(`${h.sandbox.url}/api/v2/usergroups`, {
        method: 'POST',
        headers: { 'x-api-key': h.sandbox.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Held Back' }),
      }).then(
        (response) => response.status,
        () => 'cut',
      );
      // Counted as it arrives, before its latency: it is held in flight from here.
      while ((h.sandbox.hooks?.counts()[route] ?? 0) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const before = onDisk(db);
      await h.sandbox.relinquish();
      expect(await held).toBe('cut');
      await h.sandbox.close();
      expect(onDisk(db)).toBe(before);
      expect(h.logs).toEqual([]);
      expect(groups.get()).toBe(0);
    } finally {
      other.close();
    }
  });
});
