// Writes that survive a crash and a full disk: a file written whole (every byte, fsync, rename, fsync
// the directory) or not at all, temp files of killed writers swept away, and a directory fsync that
// some platforms refuse and which is then skipped.
import { open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AccessctlError } from '../errors.js';
import { printable } from '../plan/printable.js';

/**
 * The part of a FileHandle these writes use. A node FileHandle is one; a test passes one whose
 * write stops short or fails with ENOSPC, which a real disk does only when nearly full.
 */
export interface WritableFile {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Opens a file to write: 'w' for a temp file, 'a+' to append and read the last byte back, 'a' to append only. */
export type FileOpener = (path: string, flags: 'w' | 'a+' | 'a') => Promise<WritableFile>;

export const openFile: FileOpener = (path, flags) => open(path, flags);

/**
 * A file that could not be written whole. `reason` is the OS error code (ENOSPC, EIO, EACCES, ...),
 * or 'short-write' when a write stopped without one; the message names the file and says so.
 */
export class DurableWriteError extends AccessctlError {
  readonly reason: string;
  readonly path: string;

  constructor(path: string, error: unknown) {
    const reason = osCode(error) ?? 'short-write';
    const why = printable(error instanceof Error ? error.message : String(error));
    // Whatever failed, the temp file was never renamed over the target: it is as it was (or still absent).
    super('io', `could not write ${printable(path)}: ${why}; ${printable(basename(path))} is unchanged`, { cause: error });
    this.name = 'DurableWriteError';
    this.reason = reason;
    this.path = path;
  }
}

function osCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Writes all of `bytes`: a write may take only part (the kernel does so on a nearly full disk and
 * returns the count, not an error), so the rest is written again until done. A write that takes
 * nothing without an error is a failure, not a reason to spin.
 */
export async function writeAll(handle: WritableFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    if (!(bytesWritten > 0)) {
      throw new Error(`short write: ${offset} of ${bytes.length} bytes written, then the disk took no more (is it full?)`);
    }
    offset += bytesWritten;
  }
}

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

/** The temp file beside `path` for a writer with this pid; the marker keeps a user's own `*.N.tmp` files safe from the sweep. */
export function tempPathFor(path: string, pid: number = process.pid): string {
  return `${path}.${pid}.accessctl.tmp`;
}

const TEMP_NAME = /^.+\.(\d+)\.accessctl\.tmp$/;

/** Whether a process with this pid exists on this host (one we may not signal exists too). */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return osCode(error) === 'EPERM';
  }
}

/**
 * Removes the temp files in `dir` that writers no longer alive left behind (a kill -9 between
 * open and rename); returns their names. A temp of this process or of a live pid is kept: that
 * writer may still rename it. Errors are ignored: a leftover temp costs space, never correctness.
 */
export async function removeStaleTemps(dir: string, isAlive: (pid: number) => boolean = pidIsAlive): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // Unremovable (a read-only dir): left for a later sweep.
    }
  }
  return removed;
}

/** Directories this process has swept already: the sweep runs on the first write into each. */
const swept = new Set<string>();

export interface DurableWriteOptions {
  /** Pass false when writing several files, then call syncDirectory once. */
  syncDir?: boolean;
  /** The way the temp file is opened; a test injects a short or failing write here. */
  openFile?: FileOpener;
}

/**
 * Writes `text` to `path` atomically and durably: readers see the old file or the whole new one.
 * Every byte reaches the temp file (a short write on a nearly full disk is written on, and fails
 * as ENOSPC when the disk takes no more) before it is fsynced and renamed, so only a whole temp
 * file ever replaces `path`. Whatever fails, the temp file is removed and a DurableWriteError
 * (an AccessctlError, code 'io') names the file and the OS reason. The first write into a
 * directory also removes temp files that killed writers left there.
 */
export async function writeFileDurably(path: string, text: string, options: DurableWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  if (!swept.has(dir)) {
    swept.add(dir);
    await removeStaleTemps(dir);
  }
  const temp = tempPathFor(path);
  const opener = options.openFile ?? openFile;
  let handle: WritableFile;
  try {
    handle = await opener(temp, 'w');
  } catch (error) {
    throw new DurableWriteError(path, error);
  }
  try {
    try {
      await writeAll(handle, Buffer.from(text, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new DurableWriteError(path, error);
  }
  if (options.syncDir !== false) await syncDirectory(dir);
}
