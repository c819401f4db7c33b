// Opening the store's file: a database damaged where opening does not read, or no database at all,
// is refused at open as SQLite's own error, and the refused file is not left open.
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { SandboxStore } from '../../src/sandbox/store.js';
import { damageTable } from './damaged-database.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-store-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new sandbox database, closed (its log checkpointed into the file). */
function createDatabase(name: string): string {
  const file = join(dir, name);
  new SandboxStore(file, new SandboxClock()).close();
  return file;
}

/** How many of this process's file descriptors name `file`. */
function openHandles(file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

function openError(file: string): unknown {
  try {
    new SandboxStore(file, new SandboxClock()).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('opening the store', () => {
  it('refuses a database damaged in a table opening does not read (deliveries), as SQLITE_CORRUPT with what quick_check found, and closes it', () => {
    const file = createDatabase('deliveries.db');
    damageTable(file, 'deliveries');
    const error = openError(file);
    expect(error).toBeInstanceOf(Database.SqliteError);
    expect(error).toMatchObject({ code: 'SQLITE_CORRUPT' });
    expect((error as Error).message).toMatch(/^database disk image is malformed \(PRAGMA quick_check: .*page \d+/);
    expect(openHandles(file)).toBe(0);
  });

  it('refuses a file that is no database as SQLITE_NOTADB, and closes it', () => {
    const file = join(dir, 'not-a-database.db');
    writeFileSync(file, 'apiVersion: accessctl/v1\n'.repeat(400));
    expect(openError(file)).toMatchObject({ code: 'SQLITE_NOTADB' });
    expect(openHandles(file)).toBe(0);
  });

  it('opens a sound database again, its data intact', () => {
    const file = createDatabase('sound.db');
    const store = new SandboxStore(file, new SandboxClock());
    store.setMeta('note', 'kept');
    store.close();
    const again = new SandboxStore(file, new SandboxClock());
    expect(again.getMeta('note')).toBe('kept');
    again.close();
  });
});
