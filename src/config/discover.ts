// Finds the config files under a directory: every .yaml/.yml at any depth, skipping dot-files,
// dot-folders, node_modules and what the Project's spec.exclude names, never following directory
// links (so a link cycle cannot hang the walk), and never letting a file link, or a linked config
// root, lead outside the config directory or into a path the walk skips.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { AccessctlError } from '../errors.js';
import { PROJECT_FILES, type Exclusion } from './exclude.js';

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
  /**
   * Set when the file is a link whose real path lies outside the config root (or is a path the walk
   * skips: in a dot-folder such as .git, a dot-file, excluded): refused without being opened, so no
   * file elsewhere can be shown.
   */
  outsideRoot?: true;
  /** For a link inside the root: the real path it was checked at, which is what gets opened. */
  target?: string;
}

export interface Discovery {
  files: DiscoveredFile[];
  /** Set when there are more than MAX_FILES files: the first one past the limit. */
  overflow: DiscoveredFile | undefined;
  /** Set when the root itself is refused (it is a link, or lies behind one): why. Nothing was read. */
  rootRefused?: string;
}

const YAML_FILE = /\.ya?ml$/i;

/** Folders the walk never enters; a link into one of them is refused like a link outside the root. */
function skippedFolder(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/**
 * Files the walk never reads, whatever their extension: dot-files are other tools' settings
 * (.pre-commit-config.yaml, .gitlab-ci.yml, .yamllint.yml), as dot-folders are.
 */
function skippedFile(name: string): boolean {
  return name.startsWith('.');
}

/** What the walk skips besides dot-files, dot-folders and node_modules. */
export interface DiscoverOptions {
  /**
   * Called once the root is known to be a directory that may be read, before the walk: the
   * Project's spec.exclude (read from the root's accessctl.yaml), or undefined for none.
   */
  exclusion?: (root: string) => Exclusion | undefined;
}

export function displayPath(absolute: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, absolute);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? absolute : rel;
  return sep === '/' ? shown : shown.split(sep).join('/');
}

/**
 * displayPath of the file `name` in a folder shown as `shownDir`, when that follows from the
 * folder's alone; undefined for the cases only displayPath decides (a name displayPath would read
 * as leading up, a folder shown as the file system root, a platform whose separator is not /).
 */
function shownIn(shownDir: string | undefined, name: string): string | undefined {
  if (shownDir === undefined || shownDir.endsWith('/')) return undefined;
  if (shownDir === '.') return name.startsWith('..') ? undefined : name;
  return `${shownDir}/${name}`;
}

/** True when `inner` is `outer` or lies below it (both absolute and normalised). */
function isWithin(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The first path component from `base` (exclusive) down to `target` (inclusive) that is a symbolic
 * link, or undefined when there is none. Components that do not exist end the check: the caller
 * reports a missing root in its own words.
 */
function linkOnTheWay(base: string, target: string): string | undefined {
  const rel = relative(base, target);
  if (rel === '') return undefined;
  let current = base;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    const info = lstatSync(current, { throwIfNoEntry: false });
    if (info === undefined) return undefined;
    if (info.isSymbolicLink()) return current;
  }
  return undefined;
}

/**
 * Why `root` may not be a config root, or undefined when it may. A link as the root, or as any folder
 * between the working directory and the root, could send the walk anywhere on the machine (a pull
 * request can commit `config -> /`). Above the working directory, the operator chose the path.
 */
function rootRefusal(root: string, cwd: string): string | undefined {
  const base = isWithin(cwd, root) ? cwd : join(root, '..');
  const link = linkOnTheWay(base, root);
  if (link === undefined) return undefined;
  const shown = displayPath(link, cwd);
  return link === root
    ? `the config root ${shown} is a symbolic link; accessctl reads config only from a real directory or file`
    : `the config root lies behind the symbolic link ${shown}; accessctl reads config only from a real directory or file`;
}

/**
 * The config directory `configPath` inside the git work tree `workTree`, for `reconcile --repo`: it
 * must stay inside the work tree, and no folder on the way may be a link, so a commit cannot turn the
 * config folder into a link to somewhere else on the reconciler's machine.
 */
export function configRootIn(workTree: string, configPath: string): string {
  const tree = normalize(workTree);
  const root = join(tree, configPath);
  if (isAbsolute(configPath) || !isWithin(tree, root)) {
    throw new AccessctlError('usage', `the config path ${JSON.stringify(configPath)} leads outside the repository`, { subject: '--path' });
  }
  const link = linkOnTheWay(tree, root);
  if (link !== undefined) {
    const shown = relative(tree, link).split(sep).join('/');
    throw new AccessctlError(
      'usage',
      `the config path ${JSON.stringify(configPath)} goes through the symbolic link ${shown} in the repository; accessctl reads config only from real folders inside the work tree`,
      {
        subject: '--path',
      },
    );
  }
  return root;
}

/**
 * Decides a link found by the walk: skipped (a link to a directory is never followed), refused
 * (outside the root), unreadable (broken, a loop, not a regular file) or readable at its real path.
 */
function judgeLink(found: DiscoveredFile, realRoot: string, exclusion: Exclusion | undefined): 'skip' | DiscoveredFile {
  let real: string;
  try {
    real = realpathSync(found.absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    return { ...found, unreadable: `it is a link that leads nowhere (${code})` };
  }
  const names = relative(realRoot, real).split(sep);
  const inside =
    isWithin(realRoot, real) &&
    !names.slice(0, -1).some(skippedFolder) &&
    !skippedFile(names.at(-1) ?? '') &&
    !(exclusion?.excludesFile(names.join('/')) ?? false);
  // Only the type is asked for here: nothing outside the root is ever opened.
  const info = statSync(real, { throwIfNoEntry: false });
  if (info?.isDirectory()) return 'skip';
  if (!inside) return { ...found, outsideRoot: true };
  if (info === undefined) return { ...found, unreadable: 'it is a link that leads nowhere (ENOENT)' };
  if (!info.isFile()) return { ...found, unreadable: 'it is not a regular file' };
  return { ...found, target: real };
}

/** The Project's own file at the root holds spec.exclude: no pattern excludes it. */
function isProjectFile(dirRelative: string, name: string): boolean {
  return dirRelative === '' && (PROJECT_FILES as readonly string[]).includes(name);
}

/** Lists config files under `root` (a directory, or a single file) in a stable order. */
export async function discoverFiles(root: string, cwd: string = process.cwd(), options: DiscoverOptions = {}): Promise<Discovery> {
  const rootInfo = lstatSync(root, { throwIfNoEntry: false });
  if (rootInfo === undefined) {
    throw new AccessctlError('not-found', `${displayPath(root, cwd)}: no such file or directory`, { subject: 'DIR' });
  }
  const refused = rootRefusal(root, cwd);
  if (refused !== undefined) return { files: [], overflow: undefined, rootRefused: refused };
  if (rootInfo.isFile()) {
    return { files: [{ absolute: root, display: displayPath(root, cwd) }], overflow: undefined };
  }
  if (!rootInfo.isDirectory()) {
    throw new AccessctlError('usage', `${displayPath(root, cwd)}: not a directory or a regular file`, { subject: 'DIR' });
  }
  const realRoot = realpathSync(root);
  const exclusion = options.exclusion?.(root);
  const excluding = exclusion !== undefined && !exclusion.empty;
  const files: DiscoveredFile[] = [];
  const pending = [normalize(root)];
  // Each pending folder's path relative to the root, with /: what spec.exclude patterns match.
  const relatives = [''];
  while (pending.length > 0) {
    const dir = pending.shift()!;
    const dirRelative = relatives.shift()!;
    // Synchronous: thousands of small awaits cost more than the listing itself.
    const entries = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    const subdirRelatives: string[] = [];
    // The folder's shown path, worked out once: each file's is it plus the name (relative() per file
    // costs a walk with 10,000 files more than the listing).
    const shownDir = sep === '/' ? displayPath(dir, cwd) : undefined;
    // dir is normalised (resolved, then built from names a listing gives): a name is joined by
    // appending it, which is what join() returns, without join's normalising pass per file.
    const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
    for (const entry of entries) {
      const absolute = `${prefix}${entry.name}`;
      const entryRelative = dirRelative === '' ? entry.name : `${dirRelative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skippedFolder(entry.name) && !(excluding && exclusion.matches(entryRelative, true))) {
          subdirs.push(absolute);
          subdirRelatives.push(entryRelative);
        }
        continue;
      }
      if (!YAML_FILE.test(entry.name) || skippedFile(entry.name)) continue;
      if (excluding && exclusion.matches(entryRelative, false) && !isProjectFile(dirRelative, entry.name)) continue;
      // A FIFO, a socket, a device or a broken link is never opened (opening a FIFO would block)
      // but is reported; a link is judged by where it really leads.
      let found: DiscoveredFile = { absolute, display: shownIn(shownDir, entry.name) ?? displayPath(absolute, cwd) };
      if (entry.isFile()) {
        // Its size is checked when it is opened: a stat per file here would double the I/O.
      } else if (entry.isSymbolicLink()) {
        const judged = judgeLink(found, realRoot, excluding ? exclusion : undefined);
        if (judged === 'skip') continue;
        found = judged;
      } else {
        found.unreadable = 'it is not a regular file';
      }
      if (files.length === MAX_FILES) return { files, overflow: found };
      files.push(found);
    }
    pending.unshift(...subdirs);
    relatives.unshift(...subdirRelatives);
  }
  return { files, overflow: undefined };
}
