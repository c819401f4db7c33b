// The --out of plan (a file) and of export (a directory), checked before anything is read or
// written: a path accessctl could not write as asked is a usage error naming the flag, not a
// file-system error halfway through with a temp file left beside it.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AccessctlError, usageError } from '../errors.js';
import { printable } from '../plan/printable.js';

/** What stat says of `path`: its stats, 'missing', or 'under-a-file' when a directory on the way is a file. */
async function lookUp(path: string, flag: string): Promise<Stats | 'missing' | 'under-a-file'> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'under-a-file';
    throw new AccessctlError('io', `${flag} ${printable(path)} cannot be read: ${code ?? String(error)}`, { subject: flag, cause: error });
  }
}

/** `--out FILE`: a regular file or a new name, in a directory that exists. */
export async function checkOutFile(path: string, flag = '--out'): Promise<void> {
  const shown = printable(path);
  if (path === '') throw usageError(`${flag} needs a file name`, flag);
  const found = await lookUp(path, flag);
  if (found === 'under-a-file') throw usageError(`${flag} ${shown}: a directory in that path is a file`, flag);
  if (found === 'missing') {
    const parent = await lookUp(dirname(resolve(path)), flag);
    if (parent === 'missing' || parent === 'under-a-file' || !parent.isDirectory())
      throw usageError(`${flag} ${shown}: the directory ${printable(dirname(path))} does not exist`, flag);
    return;
  }
  if (found.isDirectory())
    throw usageError(`${flag} ${shown} is a directory; name a file to save the plan to, such as ${shown.replace(/\/+$/, '')}/plan.json`, flag);
  if (!found.isFile()) throw usageError(`${flag} ${shown} is not a regular file; name a file to save the plan to`, flag);
}

/** `--out DIR`: a directory, or a path where one can be made (no file in the way). */
export async function checkOutDirectory(path: string, flag = '--out'): Promise<void> {
  const shown = printable(path);
  if (path === '') throw usageError(`${flag} needs a directory`, flag);
  const found = await lookUp(path, flag);
  if (found === 'under-a-file') throw usageError(`${flag} ${shown}: a directory in that path is a file`, flag);
  if (found !== 'missing' && !found.isDirectory())
    throw usageError(`${flag} ${shown} is a file, not a directory; name a directory to write the config to`, flag);
}
