// Writes that survive a crash: a file written whole (temp file, fsync, rename, fsync the directory)
// and a directory fsync, which some platforms refuse and which is then skipped.
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Makes renames, creations and deletions in `dir` durable; a no-op where directories cannot be opened. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Windows and some file systems refuse fsync on a directory; the data itself is already synced.
  } finally {
    await handle.close();
  }
}

/**
 * Writes `text` to `path` atomically and durably: readers see the old file or the whole new one.
 * The temp file beside it is removed whatever fails (the write, the sync or the rename, e.g. onto a
 * directory), so a failed write leaves nothing behind.
 * Pass `syncDir: false` when writing several files, then call syncDirectory once.
 */
export async function writeFileDurably(path: string, text: string, options: { syncDir?: boolean } = {}): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    try {
      await handle.write(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (options.syncDir !== false) await syncDirectory(dirname(path));
}
