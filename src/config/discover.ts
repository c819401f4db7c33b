// Finds the config files under a directory: every .yaml/.yml at any depth, skipping dot-folders and
// node_modules, never following directory links (so a link cycle cannot hang the walk).
import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AccessctlError } from '../errors.js';

export const MAX_FILES = 20_000;
export const MAX_FILE_BYTES = 256 * 1024;

export interface DiscoveredFile {
  absolute: string;
  /** Relative to the working directory, with forward slashes: how diagnostics name it. */
  display: string;
  /**
   * Set when the name is a config file's but it cannot be read as one (a FIFO, a socket, a link that
   * leads nowhere): reported rather than skipped, so an object never silently drops out of the config.
   */
  unreadable?: string;
}

export interface Discovery {
  files: DiscoveredFile[];
  /** Set when there are more than MAX_FILES files: the first one past the limit. */
  overflow: DiscoveredFile | undefined;
}

const YAML_FILE = /\.ya?ml$/i;

export function displayPath(absolute: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, absolute);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? absolute : rel;
  return sep === '/' ? shown : shown.split(sep).join('/');
}

/** Lists config files under `root` (a directory, or a single file) in a stable order. */
export async function discoverFiles(root: string, cwd: string = process.cwd()): Promise<Discovery> {
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch {
    throw new AccessctlError('not-found', `${displayPath(root, cwd)}: no such file or directory`, { subject: 'DIR' });
  }
  if (rootStat.isFile()) {
    return { files: [{ absolute: root, display: displayPath(root, cwd) }], overflow: undefined };
  }
  if (!rootStat.isDirectory()) {
    throw new AccessctlError('usage', `${displayPath(root, cwd)}: not a directory or a regular file`, { subject: 'DIR' });
  }
  const files: DiscoveredFile[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.shift()!;
    // Synchronous: thousands of small awaits cost more than the listing itself.
    const entries = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && entry.name !== 'node_modules') subdirs.push(absolute);
        continue;
      }
      if (!YAML_FILE.test(entry.name)) continue;
      // A link to a file is read and a link to a directory is not followed; a FIFO, a socket, a
      // device or a broken link is never opened (opening a FIFO would block) but is reported.
      const found: DiscoveredFile = { absolute, display: displayPath(absolute, cwd) };
      if (entry.isFile()) {
        // Its size is checked when it is opened: a stat per file here would double the I/O.
      } else if (entry.isSymbolicLink()) {
        const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => error.code ?? 'EIO');
        if (typeof info !== 'string' && info.isDirectory()) continue;
        if (typeof info === 'string') found.unreadable = entry.isSymbolicLink() ? `it is a link that leads nowhere (${info})` : info;
        else if (!info.isFile()) found.unreadable = 'it is not a regular file';
      } else {
        found.unreadable = 'it is not a regular file';
      }
      if (files.length === MAX_FILES) return { files, overflow: found };
      files.push(found);
    }
    pending.unshift(...subdirs);
  }
  return { files, overflow: undefined };
}
