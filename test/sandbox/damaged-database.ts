// Damages a sandbox database on disk as a bad run of disk blocks would, for the tests that it is
// refused (by the store, and by the CLI) with a clear message.
import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Overwrites the pages at the root of `table` and of its indexes in the (closed) database `file` with
 * bytes no b-tree page starts with. SQLite reads none of them until something reads the table.
 */
export function damageTable(file: string, table: string): void {
  const db = new Database(file, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const roots = db.prepare('SELECT rootpage FROM sqlite_schema WHERE tbl_name = ? AND rootpage > 0').pluck().all(table) as number[];
  db.close();
  if (roots.length === 0) throw new Error(`${file} has no table ${table}`);
  const fd = openSync(file, 'r+');
  try {
    for (const root of roots) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}
