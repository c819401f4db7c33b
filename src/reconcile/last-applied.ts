// The reconciler's record of the config it last applied in full (STATE_DIR/last-applied.json). Read
// strictly: a state that silently read as "none" would turn every drift into a config change, and
// kinds set to `drift: report` would then be corrected instead of reported.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readBounded } from '../config/load.js';
import { schemaValidator } from '../config/schema.js';
import { AccessctlError } from '../errors.js';
import { writeFileDurably } from '../events/durable-file.js';

export interface LastApplied {
  commit: string | null;
  /** A digest of the desired state that was last applied in full: drift is live change since. */
  config: string;
}

export const LAST_APPLIED_FILE = 'last-applied.json';
const SCHEMA = 'state-last-applied.schema.json';
// A few hundred bytes when well formed; anything far larger is not a state file.
const MAX_STATE_BYTES = 64 * 1024;

function invalid(file: string, why: string): AccessctlError {
  return new AccessctlError('io', `the reconciler state ${file} ${why}; fix or remove it (without it, the next run treats every live difference as a config change, not drift)`, {
    subject: file,
  });
}

/** The last applied state; undefined only when the file does not exist. Anything else it cannot use is an error. */
export async function readLastApplied(stateDir: string): Promise<LastApplied | undefined> {
  const file = join(stateDir, LAST_APPLIED_FILE);
  let read;
  try {
    read = readBounded(file, MAX_STATE_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = code ?? (error instanceof Error ? error.message : String(error));
    throw new AccessctlError('io', `cannot read the reconciler state ${file} (${reason})`, { subject: file, cause: error });
  }
  if (!('bytes' in read)) throw invalid(file, read.refused === 'too-large' ? `is larger than ${MAX_STATE_BYTES} bytes` : 'is not a regular file');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(read.bytes).toString('utf8'));
  } catch {
    throw invalid(file, 'is not valid JSON');
  }
  const validate = schemaValidator(SCHEMA);
  if (!validate(value)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath ? `${first.instancePath.slice(1).replace(/\//g, '.')} ` : '';
    throw invalid(file, `does not match schemas/${SCHEMA} (${where}${first?.message ?? 'invalid'})`);
  }
  return value as unknown as LastApplied;
}

/** Replaces the last applied state atomically and durably: a crash leaves the old record or the new one. */
export async function writeLastApplied(stateDir: string, value: LastApplied): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFileDurably(join(stateDir, LAST_APPLIED_FILE), JSON.stringify(value));
}
