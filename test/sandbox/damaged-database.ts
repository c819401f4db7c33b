// Damages a sandbox database on disk as a bad run of disk blocks would, for the tests that it is
// refused (by the store, and by the CLI) with a clear message.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
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

/**
 * Makes `index` disagree with its table in the (closed) database `file`, as a lost write would: one of
 * its entries points at a row that moved. quick_check counts entries, not what they point at, so it
 * passes; the first read through the index that reaches the entry finds the database malformed. The
 * table needs a row (`row` adds one when given) and the index must fit its root page.
 */
export function mismatchIndex(file: string, index: string, row?: string): void {
  const db = new Database(file);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const { table, root } = db.prepare('SELECT tbl_name AS "table", rootpage AS root FROM sqlite_schema WHERE name = ?').get(index) as {
    table: string;
    root: number;
  };
  if (row !== undefined) db.exec(row);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const page = Buffer.alloc(pageSize);
  let fd = openSync(file, 'r');
  try {
    readSync(fd, page, 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  db.exec(`UPDATE "${table}" SET rowid = rowid + 1000000 WHERE rowid = (SELECT min(rowid) FROM "${table}")`);
  db.close(); // the last connection's close checkpoints the log into the file
  fd = openSync(file, 'r+');
  try {
    writeSync(fd, page, 0, pageSize, (root - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}
