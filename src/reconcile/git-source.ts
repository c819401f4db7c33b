// The reconciler's config source: a git repository cloned into a cache directory, then fetched
// and moved forward to origin's branch head. Git runs with a minimal environment; a token travels
// only as an http.extraHeader set through the environment, never in a URL, an argv or a message.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { AccessctlError } from '../errors.js';

export interface GitSourceOptions {
  /** A URL (https://, ssh://, git@host:path) or a local path. Credentials do not belong here. */
  repo: string;
  branch: string;
  cacheDir: string;
  /**
   * The environment to pick from (default process.env). Git gets only PATH, proxy and SSH agent
   * variables from it; ACCESSCTL_GIT_TOKEN (and ACCESSCTL_GIT_USERNAME, default x-access-token)
   * become an Authorization header for http(s) repositories.
   */
  env?: NodeJS.ProcessEnv;
  /** Kill a git process that produced no output for this long (default 120 s). */
  timeoutMs?: number;
}

export interface Checkout {
  /** The work tree to read config from. */
  dir: string;
  commit: string;
  /** False: the repository was unreachable and this is the last good commit. */
  fetched: boolean;
  /** True when origin's head does not descend from the commit checked out before this sync. */
  rewritten: boolean;
  /** The commit checked out before this sync; absent on the first clone. */
  previousCommit?: string;
  warning?: string;
}

export interface LastChange {
  commit: string;
  author: { name: string; email: string };
  date: string;
}

const PASSED_THROUGH = ['PATH', 'SSH_AUTH_SOCK', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const GIT_ENV_KEYS = ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'];

export class GitSource {
  private readonly repo: string;
  private readonly branch: string;
  private readonly cacheDir: string;
  private readonly checkoutDir: string;
  private readonly homeDir: string;
  private readonly gitEnv: NodeJS.ProcessEnv;
  private readonly secrets: string[];
  private readonly timeoutMs: number;

  constructor(options: GitSourceOptions) {
    const env = options.env ?? process.env;
    this.repo = normaliseRepo(options.repo);
    if (!/^[A-Za-z0-9._/-]+$/.test(options.branch) || options.branch.startsWith('-') || options.branch.includes('..')) {
      throw new AccessctlError('usage', `not a usable branch name: ${JSON.stringify(options.branch)}`, { subject: '--branch' });
    }
    this.branch = options.branch;
    this.cacheDir = path.resolve(options.cacheDir);
    const key = createHash('sha256').update(`${this.repo}\n${this.branch}`).digest('hex').slice(0, 16);
    this.checkoutDir = path.join(this.cacheDir, 'checkouts', key);
    this.homeDir = path.join(this.cacheDir, 'home');
    this.timeoutMs = options.timeoutMs ?? 120_000;

    const gitEnv: NodeJS.ProcessEnv = { HOME: this.homeDir, XDG_CONFIG_HOME: this.homeDir, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
    for (const name of PASSED_THROUGH) if (env[name] !== undefined) gitEnv[name] = env[name];
    this.secrets = [];
    const token = env.ACCESSCTL_GIT_TOKEN;
    const scope = httpScope(this.repo);
    if (token && scope) {
      const credentials = Buffer.from(`${env.ACCESSCTL_GIT_USERNAME || 'x-access-token'}:${token}`).toString('base64');
      gitEnv.GIT_CONFIG_COUNT = '1';
      gitEnv.GIT_CONFIG_KEY_0 = `http.${scope}.extraHeader`;
      gitEnv.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${credentials}`;
      this.secrets.push(token, credentials);
    }
    this.gitEnv = gitEnv;
  }

  /** The repository as it may be shown: never with credentials. */
  get displayRepo(): string {
    return this.repo;
  }

  /** Clones on first use into cacheDir, else fetches origin/branch; then moves to its head. */
  async sync(): Promise<Checkout> {
    await mkdir(this.homeDir, { recursive: true });
    const previous = await this.currentCommit();
    if (previous === undefined) return this.cloneFresh();

    const git = this.git(this.checkoutDir);
    const remoteRef = `refs/remotes/origin/${this.branch}`;
    try {
      await git.raw(['fetch', '--no-tags', '--prune', 'origin', `+refs/heads/${this.branch}:${remoteRef}`]);
    } catch (error) {
      return {
        dir: this.checkoutDir,
        commit: previous,
        fetched: false,
        rewritten: false,
        previousCommit: previous,
        warning: `could not fetch ${this.repo} (branch ${this.branch}): ${this.reason(error)}; using the last good commit ${previous.slice(0, 12)}`,
      };
    }
    const head = await this.resolve(remoteRef);
    if (head === undefined) throw new AccessctlError('io', `fetched ${this.repo} but origin/${this.branch} is missing in ${this.checkoutDir}`);
    const rewritten = head !== previous && !(await this.isAncestor(previous, head));
    if (head !== previous) await this.moveTo(git, head);
    const checkout: Checkout = { dir: this.checkoutDir, commit: head, fetched: true, rewritten, previousCommit: previous };
    if (rewritten) {
      checkout.warning = `the history of ${this.repo} (branch ${this.branch}) was rewritten: ${head.slice(0, 12)} does not descend from ${previous.slice(0, 12)}`;
    }
    return checkout;
  }

  /** True when `descendant` has `ancestor` in its history; false when either is unknown here. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const a = await this.resolve(ancestor);
    const d = await this.resolve(descendant);
    if (a === undefined || d === undefined) return false;
    // Same answer as `merge-base --is-ancestor`, read from output rather than the exit code:
    // simple-git resolves a non-zero exit that printed nothing.
    const base = (await this.git(this.checkoutDir).raw(['merge-base', a, d])).trim();
    return base === a;
  }

  /** The last commit that touched `file` (relative to the work tree): for event attribution. */
  async lastChange(file: string): Promise<LastChange | undefined> {
    const relative = workTreePath(file);
    const output = await this.git(this.checkoutDir).raw(['log', '-1', '--format=%H%x00%an%x00%ae%x00%aI', 'HEAD', '--', `:(literal)${relative}`]);
    const [commit, name, email, date] = output.trim().split('\0');
    if (!commit || name === undefined || email === undefined || date === undefined) return undefined;
    return { commit, author: { name, email }, date };
  }

  /**
   * lastChange for many files with one walk of the history (one git process, not one per file).
   * Keys are the paths as given; a file no commit touched is absent. Commits are read without
   * merge diffs, so a change that came in through a merge is credited to the commit that made it.
   */
  async lastChanges(files: readonly string[]): Promise<Map<string, LastChange>> {
    return lastChangesIn(this.git(this.checkoutDir), files);
  }

  private async cloneFresh(): Promise<Checkout> {
    const parent = path.dirname(this.checkoutDir);
    await mkdir(parent, { recursive: true });
    await rm(this.checkoutDir, { recursive: true, force: true });
    // Clone beside the final place and rename, so a clone cut short never looks like a checkout.
    const staging = `${this.checkoutDir}.clone-${randomUUID()}`;
    try {
      await this.git(parent).raw(['clone', '--branch', this.branch, '--single-branch', '--no-tags', '--', this.repo, staging]);
      await rename(staging, this.checkoutDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new AccessctlError('io', `cannot clone ${this.repo} (branch ${this.branch}): ${this.reason(error)}`, { subject: '--repo' });
    }
    const commit = await this.currentCommit();
    if (commit === undefined) throw new AccessctlError('io', `cloned ${this.repo} but found no commit on ${this.branch}`, { subject: '--repo' });
    return { dir: this.checkoutDir, commit, fetched: true, rewritten: false };
  }

  private async moveTo(git: SimpleGit, commit: string): Promise<void> {
    // Equivalent to a fast-forward when `commit` descends from HEAD; on a rewrite it is the
    // caller's job to refuse to apply (Checkout.rewritten). The work tree is ours: clean it too.
    await git.raw(['reset', '--hard', '--quiet', commit]);
    await git.raw(['clean', '-ffdxq']);
  }

  private async currentCommit(): Promise<string | undefined> {
    try {
      if (!(await stat(path.join(this.checkoutDir, '.git'))).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
    try {
      return await this.resolve('HEAD');
    } catch {
      return undefined;
    }
  }

  private async resolve(rev: string): Promise<string | undefined> {
    if (rev.startsWith('-') || rev.length === 0) return undefined;
    const output = (await this.git(this.checkoutDir).raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(output) ? output : undefined;
  }

  private git(baseDir: string): SimpleGit {
    return simpleGit({
      baseDir,
      maxConcurrentProcesses: 1,
      allowEnvironment: GIT_ENV_KEYS,
      unsafe: { allowUnsafeConfigEnvCount: true },
      timeout: { block: this.timeoutMs },
    }).env(this.gitEnv);
  }

  /** A short reason from git's error output, with every credential removed. */
  private reason(error: unknown): string {
    const raw = error instanceof Error ? error.message : String(error);
    let text = raw
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .join('; ')
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
    for (const secret of this.secrets) text = text.split(secret).join('***');
    return text.length > 400 ? `${text.slice(0, 400)}…` : text || 'git failed';
  }
}

/**
 * The last commit that touched each file (paths relative to the work tree), with one walk of the
 * history from HEAD. Keys are the paths as given; a file no commit touched is absent.
 */
export async function lastChangesIn(git: SimpleGit, files: readonly string[]): Promise<Map<string, LastChange>> {
  const wanted = new Map<string, string[]>();
  for (const file of files) {
    const relative = workTreePath(file);
    wanted.set(relative, [...(wanted.get(relative) ?? []), file]);
  }
  const found = new Map<string, LastChange>();
  if (wanted.size === 0) return found;
  const output = await git.raw(['log', '--format=%x01%H%x00%an%x00%ae%x00%aI', '--name-only', '-z', '--no-renames', 'HEAD']);
  let remaining = wanted.size;
  for (const record of output.split('\x01')) {
    const [commit, name, email, date, ...names] = record.split('\0');
    if (!commit || name === undefined || email === undefined || date === undefined) continue;
    for (const entry of names) {
      const keys = wanted.get(entry.replace(/^\n/, ''));
      if (keys === undefined || found.has(keys[0] ?? '')) continue;
      for (const key of keys) found.set(key, { commit, author: { name, email }, date });
      remaining--;
    }
    if (remaining === 0) break;
  }
  return found;
}

/** A path relative to the work tree, in git's form; anything that escapes it is a bug. */
function workTreePath(file: string): string {
  const relative = path.posix.normalize(file.split(path.sep).join('/'));
  if (path.posix.isAbsolute(relative) || relative === '..' || relative.startsWith('../') || relative === '.') {
    throw new AccessctlError('internal', `lastChange wants a file inside the work tree, got ${file}`);
  }
  return relative;
}

function normaliseRepo(repo: string): string {
  if (repo.trim() === '' || repo.startsWith('-')) throw new AccessctlError('usage', 'the repository is empty or starts with "-"', { subject: '--repo' });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) {
    let url: URL;
    try {
      url = new URL(repo);
    } catch {
      throw new AccessctlError('usage', 'the repository is not a valid URL', { subject: '--repo' });
    }
    const web = url.protocol === 'http:' || url.protocol === 'https:';
    if (url.password || (web && url.username)) {
      url.username = '';
      url.password = '';
      throw new AccessctlError('usage', `the repository URL carries credentials; use ${url.href} and put the token in ACCESSCTL_GIT_TOKEN`, {
        subject: '--repo',
      });
    }
    return repo;
  }
  if (/^[^/\s]+@[^/\s]+:/.test(repo)) return repo; // scp-like ssh: git@host:org/repo.git
  return path.resolve(repo);
}

/** The http.<url>.* scope the token is limited to, or undefined when the repo is not http(s). */
function httpScope(repo: string): string | undefined {
  if (!/^https?:\/\//i.test(repo)) return undefined;
  const url = new URL(repo);
  return `${url.protocol}//${url.host}/`;
}
