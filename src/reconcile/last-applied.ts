// The reconciler's record of what it last applied (STATE_DIR/last-applied.json): per object, the
// digest of its desired state when the platform last matched it. Read strictly: a state that
// silently read as "none" would turn every drift into a config change, and kinds set to
// `drift: report` would then be corrected instead of reported.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readBounded, type LoadResult } from '../config/load.js';
import { schemaValidator } from '../config/schema.js';
import { AccessctlError } from '../errors.js';
import { writeFileDurably } from '../events/durable-file.js';
import { fingerprintOf } from '../jumpcloud/fingerprint.js';
import type { ObjectDigests } from './drift.js';

/** Format 2, the one written. */
export interface LastApplied {
  format: 2;
  commit: string | null;
  objects: ObjectDigests;
}

/** Format 1, written by earlier versions: one digest of every config file's text. Read, never written. */
export interface LastAppliedRepo {
  commit: string | null;
  config: string;
}

export type StoredLastApplied = LastApplied | LastAppliedRepo;

export const LAST_APPLIED_FILE = 'last-applied.json';
const SCHEMA = 'state-last-applied.schema.json';
// About 100 bytes per object; anything far larger than a big org's state is not a state file.
const MAX_STATE_BYTES = 16 * 1024 * 1024;

function invalid(file: string, why: string): AccessctlError {
  return new AccessctlError(
    'io',
    `the reconciler state ${file} ${why}; fix or remove it (without it, the next run treats every live difference as a config change, not drift)`,
    {
      subject: file,
    },
  );
}

/**
 * The state each state file held when last read or written, by path: a reconciler reads its state
 * every cycle and, with no change, writes back the same bytes. The bytes are read and compared every
 * time (never a stat alone); only the parse and the schema check of bytes already checked are skipped.
 */
const known = new Map<string, { bytes: Uint8Array; value: StoredLastApplied }>();
const knownFiles = 16;

function remember(file: string, bytes: Uint8Array, value: StoredLastApplied): void {
  if (!known.has(file) && known.size >= knownFiles) {
    const oldest = known.keys().next();
    if (oldest.done !== true) known.delete(oldest.value);
  }
  // Frozen: the value is handed out again to the next run, which must not see this run's edits.
  Object.freeze(value);
  if (!isRepoFormat(value)) Object.freeze(value.objects);
  known.set(file, { bytes, value });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The last applied state, in either format; undefined only when the file does not exist. Anything else it cannot use is an error. */
export async function readLastApplied(stateDir: string): Promise<StoredLastApplied | undefined> {
  const file = join(stateDir, LAST_APPLIED_FILE);
  let read: ReturnType<typeof readBounded>;
  try {
    read = readBounded(file, MAX_STATE_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    throw new AccessctlError('io', `cannot read the reconciler state ${file} (${reason})`, { subject: file, cause: error });
  }
  if (!('bytes' in read)) throw invalid(file, read.refused === 'too-large' ? `is larger than ${MAX_STATE_BYTES} bytes` : 'is not a regular file');
  const before = known.get(file);
  if (before !== undefined && sameBytes(before.bytes, read.bytes)) return before.value;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(read.bytes).toString('utf8'));
  } catch {
    throw invalid(file, 'is not valid JSON');
  }
  if (!schemaValidator(SCHEMA)(value)) {
    // Name the first finding of the format the file claims, not oneOf's "matches neither".
    const claimed = typeof value === 'object' && value !== null && 'format' in value ? 'perObject' : 'wholeRepo';
    const validate = schemaValidator(`${SCHEMA}#/$defs/${claimed}`);
    validate(value);
    const first = validate.errors?.[0];
    const where = first?.instancePath ? `${first.instancePath.slice(1).replace(/\//g, '.')} ` : '';
    throw invalid(file, `does not match schemas/${SCHEMA} (${where}${first?.message ?? 'invalid'})`);
  }
  remember(file, read.bytes, value as StoredLastApplied);
  return value as StoredLastApplied;
}

export function isRepoFormat(state: StoredLastApplied): state is LastAppliedRepo {
  return !('format' in state);
}

/** The format-1 digest: every config file's text, in file order. Only to read a format-1 state. */
export function repoDigest(config: Pick<LoadResult, 'sources'>): string {
  return fingerprintOf([...config.sources.keys()].sort().map((file) => config.sources.get(file)?.displayText));
}

/**
 * The per-object digests a stored state stands for. Format 1 knew only whether the whole repo
 * changed: unchanged, every object is as last applied; changed, nothing is known (every
 * difference is a change, as format 1 treated it). No state: nothing is known.
 */
export function baselineOf(stored: StoredLastApplied | undefined, current: ObjectDigests, config: Pick<LoadResult, 'sources'>): ObjectDigests | undefined {
  if (stored === undefined) return undefined;
  if (!isRepoFormat(stored)) return stored.objects;
  return stored.config === repoDigest(config) ? current : undefined;
}

/**
 * Replaces the last applied state atomically and durably: a crash leaves the old record or the new
 * one. When the file already holds exactly these bytes (a no-op cycle), it is left as it is: the
 * file is read and compared, so a state changed or removed by anyone else is still replaced.
 */
export async function writeLastApplied(stateDir: string, value: LastApplied): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, LAST_APPLIED_FILE);
  // The state as last read or written, the same digests again: no need to sort and serialise them
  // to know the bytes, only to check the file still holds those bytes.
  const before = known.get(file);
  if (before !== undefined && !isRepoFormat(before.value) && before.value.commit === value.commit && sameDigests(before.value.objects, value.objects)) {
    const now = currentBytes(file);
    if (now !== undefined && sameBytes(now, before.bytes)) return;
  }
  const objects = Object.fromEntries(Object.entries(value.objects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = JSON.stringify({ format: 2, commit: value.commit, objects });
  const bytes = Buffer.from(text, 'utf8');
  if (sameBytes(bytes, currentBytes(file) ?? new Uint8Array(0))) return;
  await writeFileDurably(file, text);
  remember(file, bytes, { format: 2, commit: value.commit, objects });
}

function sameDigests(a: ObjectDigests, b: ObjectDigests): boolean {
  let count = 0;
  for (const key in b) {
    if (!Object.hasOwn(a, key) || a[key] !== b[key]) return false;
    count++;
  }
  return count === Object.keys(a).length;
}

/** The bytes the state file holds now; undefined when it cannot be read (the write then replaces it). */
function currentBytes(file: string): Uint8Array | undefined {
  try {
    const read = readBounded(file, MAX_STATE_BYTES);
    return 'bytes' in read ? read.bytes : undefined;
  } catch {
    return undefined;
  }
}
