// The --cache-dir flag of validate and plan: a parse cache kept on disk between runs (CI restores it),
// so only the files a pull request changed are parsed again. See src/config/disk-cache.ts.
import { Option } from 'commander';
import { codeDigest, openDiskCache } from '../config/disk-cache.js';
import { ParseCache } from '../config/parse-cache.js';
import { usageError } from '../errors.js';
import { packageVersion } from './version.js';

export function cacheDirOption(): Option {
  return new Option(
    '--cache-dir <dir>',
    "keep parsed config files in DIR (created when missing) and reuse them while a file's content, accessctl and its schemas are unchanged",
  );
}

/** The parse cache for --cache-dir DIR, or none without the flag; a DIR accessctl cannot use is a usage error naming the flag. */
export function parseCacheFor(cacheDir: string | undefined, others: { fleet?: string | undefined } = {}): ParseCache | undefined {
  if (cacheDir === undefined) return undefined;
  if (others.fleet !== undefined) throw usageError('--cache-dir does not combine with --fleet', '--cache-dir');
  return new ParseCache({ store: openDiskCache(cacheDir, { version: `${packageVersion()}+${codeDigest()}` }) });
}
