// Tells SQLite's "this file is damaged" errors (SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB)
// from every other failure, so the sandbox's log and the CLI can name the file and say what to do.

/** A damage error's SQLite code and message: nothing else of the error (no SQL, no values). */
export interface DatabaseDamage {
  code: string;
  message: string;
}

/** SQLite's codes for a file that is not, or is no longer, a sound database. */
function isDamageCode(code: unknown): code is string {
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_'));
}

/** The SQLite error in `error` or its causes (at most 8 deep) that says the database is damaged, if any. */
export function databaseDamageIn(error: unknown): DatabaseDamage | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if ('code' in current && isDamageCode(current.code)) return { code: current.code, message: current.message };
  }
  return undefined;
}

/** What a person does about a damaged database file: restore it, or `startAgain` (how to start on another file). */
export function damageAdvice(damage: DatabaseDamage, startAgain: string): string {
  return damage.code === 'SQLITE_NOTADB'
    ? `It is not an SQLite database, or its header is damaged: pass the sandbox's own database file, or ${startAgain}`
    : `The file is damaged: restore it from a copy, or ${startAgain}`;
}
