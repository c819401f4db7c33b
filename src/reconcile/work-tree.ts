// What git says about a config directory given as DIR (not --repo): the commit checked out in the
// git work tree that holds it, who last changed each file, and which files have uncommitted edits.
// accessctl only reads here: it never fetches, checks out or writes in someone's work tree.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { lastChangesIn, type LastChange } from './git-source.js';

/** Found: the work tree holding the directory. Not found: why, in words for a log line. */
export type WorkTreeLookup = { found: true; tree: WorkTree } | { found: false; reason: string };

export class WorkTree {
  private constructor(
    /** The work tree's top directory, as git reports it (a real path). */
    readonly top: string,
    private readonly git: SimpleGit,
  ) {}

  /** The work tree holding `dir`, if any. Git missing, or `dir` outside any work tree, is "not found". */
  static async holding(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkTreeLookup> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch (error) {
      return { found: false, reason: `cannot resolve ${dir}: ${error instanceof Error ? error.message : String(error)}` };
    }
    // No `.git` in the directory or above it: git would find no work tree either (it is given no
    // GIT_DIR), and a reconciler asks every cycle, so it is not started only to say so.
    if (!(await mayBeInGit(real))) return { found: false, reason: `${dir} is not inside a git work tree` };
    // The user's own git settings apply (safe.directory, for one), but no other git variable, and git never prompts.
    const gitEnv: NodeJS.ProcessEnv = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    for (const name of ['PATH', 'HOME', 'XDG_CONFIG_HOME']) if (env[name] !== undefined) gitEnv[name] = env[name];
    const git = simpleGit({ baseDir: real, maxConcurrentProcesses: 1, allowEnvironment: ['GIT_TERMINAL_PROMPT'], timeout: { block: 60_000 } }).env(gitEnv);
    try {
      const inside = (await git.raw(['rev-parse', '--is-inside-work-tree'])).trim();
      if (inside !== 'true') return { found: false, reason: `${dir} is not inside a git work tree` };
      const top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
      if (top === '') return { found: false, reason: `${dir} is not inside a git work tree` };
      return { found: true, tree: new WorkTree(await realpath(top), git) };
    } catch (error) {
      const first = (error instanceof Error ? error.message : String(error)).split('\n').find((line) => line.trim() !== '') ?? 'git failed';
      return { found: false, reason: `${dir} is not inside a git work tree (${first.trim().slice(0, 200)})` };
    }
  }

  /** The commit checked out, or undefined when the branch has no commit yet. */
  async head(): Promise<string | undefined> {
    const output = (await this.git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']).catch(() => '')).trim();
    return /^[0-9a-f]{40,64}$/.test(output) ? output : undefined;
  }

  /** The path of `file` (absolute, or relative to the working directory) inside the work tree, or undefined when it is outside. */
  async inside(file: string): Promise<string | undefined> {
    const real = await realpath(path.resolve(file)).catch(() => path.resolve(file));
    const relative = path.relative(this.top, real);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    return relative.split(path.sep).join('/');
  }

  /** lastChangesIn over this work tree: keys are the paths as given (relative to the top). */
  lastChanges(files: readonly string[]): Promise<Map<string, LastChange>> {
    return lastChangesIn(this.git, files);
  }

  /** Paths (relative to the top) under `dir` that differ from HEAD: modified, added, deleted or untracked. */
  async uncommitted(dir: string): Promise<Set<string>> {
    const real = await realpath(path.resolve(dir)).catch(() => path.resolve(dir));
    const relative = path.relative(this.top, real).split(path.sep).join('/');
    // Pathspecs are read from the work tree's top, whatever directory git runs in.
    const spec = relative === '' ? ':(top)' : `:(top,literal)${relative}`;
    const output = await this.git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', spec]);
    const paths = new Set<string>();
    const records = output.split('\0');
    for (let i = 0; i < records.length; i++) {
      const record = records[i] ?? '';
      if (record.length < 4) continue;
      paths.add(record.slice(3));
      // A rename or copy names its source in the next record.
      if (record[0] === 'R' || record[0] === 'C') i++;
    }
    return paths;
  }
}

/**
 * Whether `dir` (a real path) or a folder above it has a `.git` entry (a folder, a file pointing
 * at one, or a link): the only way git finds a work tree when no GIT_DIR is set. False only when
 * every level surely has none; an entry that cannot be checked counts as one, and git decides.
 */
async function mayBeInGit(dir: string): Promise<boolean> {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      await lstat(path.join(at, '.git'));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') return true;
    }
    if (path.dirname(at) === at) return false;
  }
}
