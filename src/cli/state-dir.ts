// The --state-dir of the long-running commands (reconcile, up, fleet run): made before any work, so a
// path that cannot be a directory is a usage error naming the flag; and a stop while they wait for its lock.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AccessctlError } from '../errors.js';
import { signalExitCode } from './stop-signal.js';

/** Why the OS refused to make the directory, in words, for the codes a user's path causes. */
const REASONS: Readonly<Record<string, string>> = {
  EEXIST: 'it is a file, not a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENAMETOOLONG: 'the path, or a name in it, is too long',
  EINVAL: 'the path is not valid here',
};

/** Resolves `dir` and creates it (with its parents); throws AccessctlError naming `flag` when it cannot. */
export async function prepareStateDir(dir: string, flag: string = '--state-dir'): Promise<string> {
  const full = resolve(dir);
  try {
    await mkdir(full, { recursive: true });
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    const reason = code === undefined ? undefined : REASONS[code];
    if (reason !== undefined) throw new AccessctlError('usage', `${flag} ${dir}: ${reason} (${code})`, { subject: flag, cause: error });
    const message = error instanceof Error ? error.message : String(error);
    throw new AccessctlError('io', `${flag} ${dir}: cannot create it: ${message}`, { subject: flag, cause: error });
  }
  return full;
}

/**
 * The exit code of a command stopped while it waited for the state directory's lock (`--lock wait`),
 * after saying so on one line; undefined when `error` is not that stop, which the caller then rethrows.
 */
export function stoppedWhileWaiting(error: unknown, signal: AbortSignal, received: string | undefined, stateDir: string): number | undefined {
  // The lock's wait rejects with the signal's own reason; nothing else does.
  if (!signal.aborted || error !== signal.reason) return undefined;
  const name = received === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
  process.stderr.write(`accessctl: stopped by ${name} while waiting for the lock in ${stateDir}; nothing was read or applied\n`);
  return signalExitCode(name);
}
