// The reconciler's config source: a git repository cloned into a cache directory, then fetched
// and moved forward to origin's branch head; a cache that git cannot use is discarded and cloned
// again. Git runs with a minimal environment; a token travels only as an http.extraHeader.
import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { GitError, GitPluginError, simpleGit, type SimpleGit } from 'simple-git';
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
  /**
   * Kill a git fetch, clone or ls-remote that printed nothing for this long (default 120 s).
   * Local git commands get at least 10 minutes (fsck of a long history prints nothing while it walks).
   */
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
const GIT_ENV_KEYS = ['GIT_TERMINAL_PROMPT', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0', 'GIT_CEILING_DIRECTORIES'];

/** What the cache directory holds before a sync: nothing yet, a checkout at a commit, or something git cannot use. */
type CacheState = { kind: 'absent' } | { kind: 'usable'; commit: string } | { kind: 'broken'; why: string };

/**
 * The suffix (after the checkout directory's own name) of a directory this class makes beside the
 * checkout and removes itself unless stopped first: a clone in progress, or a discarded cache.
 * Exactly the form it writes (a lowercase v4 UUID from randomUUID), so nothing else matches.
 */
const LEFTOVER_SUFFIX = /^\.(?:clone|discarded)-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * What a failed fetch's own message says about the repository. Git (run with LC_ALL=C) names the
 * cause when it is on the remote's side; only a message saying none of these needs ls-remote to
 * tell an unreachable remote from a damaged cache, which for a remote that is down costs a second
 * network timeout per sync. A fetch stopped for printing nothing (GitSilence) names no cause: it is
 * never in this list.
 */
const BRANCH_GONE = /couldn't find remote ref/i;
const REMOTE_UNREACHABLE = [
  /does not appear to be a git repository/i, // a path (local or over ssh) with no repository
  /unable to access '/i, // http(s): curl could not get an answer (resolve, connect, TLS, its own timers)
  /could not resolve (?:host|proxy)/i, // also ssh's "Could not resolve hostname"
  /connection refused|couldn't connect to server|failed to connect to/i,
  /connection timed out|operation timed out|resolving timed out/i, // curl's or ssh's timer on the connection
  /network is unreachable|no route to host/i,
  /repository not found|the requested url returned error: \d{3}/i,
  /authentication failed|permission denied \(publickey|host key verification failed/i,
];

/**
 * Local git commands (fsck, reset, log…) are killed only after printing nothing for this long at
 * least: fsck walks the whole history without a word, and one killed mid-walk would have the cache
 * cloned again every sync. The bound is there for a disk that stopped answering.
 */
const LOCAL_TIMEOUT_FLOOR_MS = 10 * 60_000;
/** ls-remote of one branch exchanges only the ref advertisement: a repository that answers, answers fast. */
const PROBE_TIMEOUT_CAP_MS = 30_000;

/**
 * simple-git stopped a git that printed nothing for `afterMs`. Git itself said nothing about why:
 * a repository that stopped answering, or a step stalled on this side (a slow disk, a huge object
 * database), look the same.
 */
class GitSilence extends GitError {
  constructor(readonly afterMs: number) {
    super(undefined, `git printed nothing for ${seconds(afterMs)} and was stopped`);
  }
}

export class GitSource {
  private readonly repo: string;
  private readonly branch: string;
  private readonly cacheDir: string;
  private readonly checkoutDir: string;
  private readonly homeDir: string;
  private readonly gitEnv: NodeJS.ProcessEnv;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  /**
   * Whether `git fsck` passed on the cache since this process opened it or last cloned it. The
   * check walks the whole history, so it runs on the first sync of a cache (and the first after a
   * clone), again once a git command on the cache has failed (a fetch stopped for silence included;
   * an attribution read is checked at once), and before a rewritten history is believed: not every
   * sync, where it would cost more the longer the history grows.
   */
  private verified = false;
  /** Leftovers of a stopped process are removed on the first sync, before anything is cloned. */
  private leftoversSwept = false;
  /** Said with the next checkout returned (a sync that throws has its own message). */
  private notices: string[] = [];
  /** The commit the last sync checked out: what attribution reads, and what a clone during it is put back at. */
  private checkedOut: string | undefined;

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

    const gitEnv: NodeJS.ProcessEnv = {
      HOME: this.homeDir,
      XDG_CONFIG_HOME: this.homeDir,
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      // A checkout whose .git is damaged must fail, not be taken for a repository around the
      // state dir (where fetch, reset --hard and clean -ffdx would then run).
      GIT_CEILING_DIRECTORIES: path.dirname(this.checkoutDir),
    };
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

  /**
   * Clones on first use into cacheDir, else fetches origin/branch; then moves to its head. The
   * checkout is only a cache: when a local git step fails (a damaged index, object, ref or .git),
   * it is cloned again with a warning. Its objects are checked (git fsck) on the first sync of
   * this process, the first after a clone, after a git command on it failed, and before a history
   * rewrite is reported. The last good commit is used only when the repository itself cannot be
   * reached or has no such branch (a fetch that printed nothing until its timeout is the
   * repository's only when ls-remote fails too). The first sync also removes what a stopped clone
   * left behind.
   */
  async sync(): Promise<Checkout> {
    await mkdir(this.homeDir, { recursive: true });
    if (!this.leftoversSwept) {
      this.leftoversSwept = true;
      this.notices.push(...(await this.removeLeftovers()));
    }
    const checkout = await this.syncCache();
    this.checkedOut = checkout.commit;
    if (this.notices.length > 0) {
      checkout.warning = [...this.notices, ...(checkout.warning ? [checkout.warning] : [])].join('; ');
      this.notices = [];
    }
    return checkout;
  }

  private async syncCache(): Promise<Checkout> {
    const cache = await this.inspectCache();
    if (cache.kind === 'absent') return this.cloneFresh();
    if (cache.kind === 'broken') return this.cloneAgain(cache.why);
    const previous = cache.commit;

    const git = this.git(this.checkoutDir);
    const remoteRef = `refs/remotes/origin/${this.branch}`;
    try {
      // From the URL given, not the cache's "origin": what the fetch says about the remote is
      // then about this repository, whatever the cache's own config has become.
      await this.git(this.checkoutDir, this.timeoutMs).raw(['fetch', '--no-tags', '--prune', '--', this.repo, `+refs/heads/${this.branch}:${remoteRef}`]);
    } catch (error) {
      return this.afterFailedFetch(error, previous);
    }
    const checkedNow = !this.verified;
    let head: string;
    let rewritten: boolean;
    try {
      head = await this.moveToFetched(git, remoteRef, previous);
      if (checkedNow) await this.checkConnectivity(git);
      this.verified = true;
      rewritten = head !== previous && !(await this.isAncestor(previous, head));
      // A rewrite stops the apply and is rare: it is believed only of a cache checked this sync,
      // as a damaged history can look like one (a parent that cannot be read).
      if (rewritten && !checkedNow) await this.checkConnectivity(git);
    } catch (error) {
      return this.cloneAgain(this.reason(error), previous);
    }
    return this.checkoutAt(head, previous, rewritten, []);
  }

  /**
   * Decides what a failed fetch means. The fetch reads the cache too (its index, objects and refs),
   * so a failure is the repository's only when git's message names a cause on the remote's side
   * (no such branch, a host or path that does not answer) or when ls-remote, which reads nothing
   * of the cache, fails too: then the last good commit serves. Otherwise the cache is cloned again.
   */
  private async afterFailedFetch(error: unknown, previous: string): Promise<Checkout> {
    const lastGood = (why: string): Checkout => ({
      dir: this.checkoutDir,
      commit: previous,
      fetched: false,
      rewritten: false,
      previousCommit: previous,
      warning: `could not fetch ${this.repo} (branch ${this.branch}): ${why}; using the last good commit ${previous.slice(0, 12)}`,
    });
    if (!(error instanceof GitSilence) && this.remoteSaysNo(error)) return lastGood(this.reason(error));
    // Unexplained (a fetch stopped for silence included), the failure may be the cache's: it is
    // checked on the next sync that gets past the fetch, whatever ls-remote says now.
    this.verified = false;
    const probe = await this.probeRemote();
    if (!probe.serves) {
      if (!(error instanceof GitSilence)) return lastGood(this.reason(error));
      return lastGood(
        `the fetch printed nothing for ${seconds(error.afterMs)} and was stopped, and ls-remote failed too (${probe.why}): taken for the repository not answering, not for the cache (checked again on the next sync)`,
      );
    }
    const why =
      error instanceof GitSilence
        ? `the fetch printed nothing for ${seconds(error.afterMs)} and was stopped while ${this.repo} answers ls-remote: taken for the cache's fault (a slow disk or a large object database), not the repository's`
        : `fetch failed while ${this.repo} serves the branch: ${this.reason(error)}`;
    try {
      return await this.cloneAgain(why, previous);
    } catch (cloneError) {
      // The remote lists the branch but serves neither a fetch nor a clone (a 5xx, a timeout, its own
      // damage): the cache was whole before the fetch, so its commit still serves, as for an unreachable remote.
      if (!(cloneError instanceof AccessctlError)) throw cloneError;
      return lastGood(`${error instanceof GitSilence ? why : this.reason(error)}; a fresh clone failed too (${cloneError.message})`);
    }
  }

  /** True when `descendant` has `ancestor` in its history; false when either is unknown here. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.onCache(async () => {
      const a = await this.resolve(ancestor);
      const d = await this.resolve(descendant);
      if (a === undefined || d === undefined) return false;
      // Same answer as `merge-base --is-ancestor`, read from output rather than the exit code:
      // simple-git resolves a non-zero exit that printed nothing.
      const base = (await this.git(this.checkoutDir).raw(['merge-base', a, d])).trim();
      return base === a;
    });
  }

  /** The last commit that touched `file` (relative to the work tree): for event attribution. */
  async lastChange(file: string): Promise<LastChange | undefined> {
    const relative = workTreePath(file);
    const output = await this.readHistory(() =>
      this.git(this.checkoutDir).raw(['log', '-1', '--format=%H%x00%an%x00%ae%x00%aI', 'HEAD', '--', `:(literal)${relative}`]),
    );
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
    return this.readHistory(() => lastChangesIn(this.git(this.checkoutDir), files));
  }

  /**
   * Runs an attribution read of the cache's history. It walks commits no sync reads (older trees),
   * so damage there shows here first: the cache is checked at once, and when the check finds damage
   * it is cloned again at the commit the last sync checked out (the run's config stays the same)
   * and the read runs once more. What was done is said with the next sync's checkout.
   */
  private async readHistory<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      // An AccessctlError is accessctl refusing a bad argument, not git failing.
      if (error instanceof AccessctlError) throw error;
      this.verified = false;
      const commit = this.checkedOut;
      if (commit === undefined) throw error;
      try {
        await this.checkConnectivity(this.git(this.checkoutDir));
      } catch (damage) {
        await this.cloneAgainAt(commit, `attribution failed (${this.reason(error)}) and ${this.reason(damage)}`);
        return this.onCache(read);
      }
      // The cache checks out whole: the failure is not damage a clone would cure.
      this.verified = true;
      throw error;
    }
  }

  /** Runs a git read of the cache; its failure may be damage, so the next sync checks the cache again. */
  private async onCache<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      // An AccessctlError is accessctl refusing a bad argument, not git failing.
      if (!(error instanceof AccessctlError)) this.verified = false;
      throw error;
    }
  }

  /**
   * Removes what a process stopped mid-clone or mid-discard left beside the checkout (the
   * `.clone-<uuid>` and `.discarded-<uuid>` directories of this checkout, nothing else), and says
   * what it removed. Runs under the state directory's lock, so no other clone is in progress.
   */
  private async removeLeftovers(): Promise<string[]> {
    const parent = path.dirname(this.checkoutDir);
    const own = path.basename(this.checkoutDir);
    let entries: Dirent[];
    try {
      entries = await readdir(parent, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AccessctlError('io', `cannot read the git cache ${parent}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        subject: '--state-dir',
      });
    }
    const notices: string[] = [];
    // Only real directories: a link or a file of that name is not something this class made.
    const leftovers = entries.filter((entry) => entry.isDirectory() && entry.name.startsWith(own) && LEFTOVER_SUFFIX.test(entry.name.slice(own.length)));
    const removed: string[] = [];
    for (const entry of leftovers) {
      const dir = path.join(parent, entry.name);
      try {
        await rm(dir, { recursive: true, force: true });
        removed.push(dir);
      } catch (error) {
        // Not a reason to stop syncing: the leftover only takes space, and the next start tries again.
        notices.push(
          `cannot remove ${dir}, left beside the git cache by a stopped clone or discard: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        );
      }
    }
    if (removed.length > 0) {
      notices.unshift(
        `removed ${removed.length === 1 ? 'a directory' : `${removed.length} directories`} a stopped clone or discard left beside the git cache: ${removed.join(', ')}`,
      );
    }
    return notices;
  }

  private async cloneFresh(): Promise<Checkout> {
    await mkdir(path.dirname(this.checkoutDir), { recursive: true });
    await rm(this.checkoutDir, { recursive: true, force: true });
    await this.moveIntoPlace(await this.cloneToStaging());
    this.verified = false;
    const commit = await this.clonedCommit();
    return { dir: this.checkoutDir, commit, fetched: true, rewritten: false };
  }

  /**
   * Replaces a cache git cannot use with a fresh clone, once: a clone that fails too is reported
   * as any failed clone, and the old cache stays until a new one is in place.
   */
  private async cloneAgain(why: string, previous?: string): Promise<Checkout> {
    const discarded = `the git cache ${this.checkoutDir} was discarded and ${this.repo} (branch ${this.branch}) cloned again: ${why}`;
    let staging: string;
    try {
      staging = await this.cloneToStaging();
    } catch (error) {
      if (!(error instanceof AccessctlError)) throw error;
      throw new AccessctlError('io', `${error.message}; the git cache ${this.checkoutDir} cannot be used either: ${why}`, { subject: '--repo' });
    }
    await this.replaceCheckout(staging);
    const commit = await this.clonedCommit();
    const rewritten = previous !== undefined && commit !== previous && !(await this.isAncestor(previous, commit));
    return this.checkoutAt(commit, previous, rewritten, [discarded]);
  }

  /**
   * Replaces a cache whose history git cannot read with a fresh clone moved back to `commit`, so a
   * run reading it mid-way reads the config it planned from. A clone that fails, or that no longer
   * has `commit` (a rewritten history), leaves the old cache in place and throws, naming both.
   */
  private async cloneAgainAt(commit: string, why: string): Promise<void> {
    const cannot = `cannot read the history of the git cache ${this.checkoutDir}: ${why}`;
    let staging: string;
    try {
      staging = await this.cloneToStaging();
    } catch (error) {
      if (!(error instanceof AccessctlError)) throw error;
      throw new AccessctlError('io', `${cannot}; ${error.message}`, { subject: '--repo' });
    }
    try {
      await this.git(staging).raw(['reset', '--hard', '--quiet', commit]);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const missing = `a fresh clone of ${this.repo} (branch ${this.branch}) cannot check out ${commit.slice(0, 12)}`;
      throw new AccessctlError('io', `${cannot}; ${missing}: ${this.reason(error)}`, { subject: '--repo' });
    }
    await this.replaceCheckout(staging);
    this.notices.push(
      `the git cache ${this.checkoutDir} was discarded and ${this.repo} (branch ${this.branch}) cloned again at ${commit.slice(0, 12)}: ${why}`,
    );
  }

  /**
   * Puts a clone in the checkout's place. Two renames: a directory cannot replace one that is not
   * empty. A stop between them leaves no checkout, which the next sync clones like the first.
   */
  private async replaceCheckout(staging: string): Promise<void> {
    const old = `${this.checkoutDir}.discarded-${randomUUID()}`;
    await rename(this.checkoutDir, old).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await this.moveIntoPlace(staging);
    this.verified = false;
    await rm(old, { recursive: true, force: true });
  }

  /** A clone beside the final place, so a clone cut short never looks like a checkout. */
  private async cloneToStaging(): Promise<string> {
    const parent = path.dirname(this.checkoutDir);
    await mkdir(parent, { recursive: true });
    const staging = `${this.checkoutDir}.clone-${randomUUID()}`;
    try {
      await this.git(parent, this.timeoutMs).raw(['clone', '--branch', this.branch, '--single-branch', '--no-tags', '--', this.repo, staging]);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new AccessctlError('io', `cannot clone ${this.repo} (branch ${this.branch}): ${this.reason(error)}`, { subject: '--repo' });
    }
    return staging;
  }

  private async moveIntoPlace(staging: string): Promise<void> {
    try {
      await rename(staging, this.checkoutDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      throw new AccessctlError('io', `cannot move a clone of ${this.repo} into ${this.checkoutDir}: ${code ?? String(error)}`, { subject: '--state-dir' });
    }
  }

  private async clonedCommit(): Promise<string> {
    const cache = await this.inspectCache();
    if (cache.kind !== 'usable') throw new AccessctlError('io', `cloned ${this.repo} but found no commit on ${this.branch}`, { subject: '--repo' });
    return cache.commit;
  }

  /** The checkout at `commit`, with the commit before this sync (when there was one) and whether `commit` descends from it. */
  private checkoutAt(commit: string, previous: string | undefined, rewritten: boolean, warnings: string[]): Checkout {
    const checkout: Checkout = { dir: this.checkoutDir, commit, fetched: true, rewritten: false };
    if (previous !== undefined) {
      checkout.previousCommit = previous;
      checkout.rewritten = rewritten;
      if (rewritten) {
        warnings.push(
          `the history of ${this.repo} (branch ${this.branch}) was rewritten: ${commit.slice(0, 12)} does not descend from ${previous.slice(0, 12)}`,
        );
      }
    }
    if (warnings.length > 0) checkout.warning = warnings.join('; ');
    return checkout;
  }

  /** Moves the work tree to the fetched head. Throws on any failure: every step is local. */
  private async moveToFetched(git: SimpleGit, remoteRef: string, current: string): Promise<string> {
    const head = await this.resolve(remoteRef);
    if (head === undefined) throw new Error(`origin/${this.branch} names no commit after the fetch`);
    await this.moveTo(git, head, current);
    return head;
  }

  /**
   * Checks the cache's objects are all there, so a damaged cache shows (and is cloned again)
   * rather than as a false history rewrite or a failed attribution later. Throws on a problem.
   */
  private async checkConnectivity(git: SimpleGit): Promise<void> {
    // Connectivity only: every object reachable from the refs, reflogs and index exists and can
    // be parsed (blobs are not read). Missing objects are printed on stdout with a non-zero exit
    // that simple-git resolves when stderr is empty, so any output counts as a failure.
    const problems = (await git.raw(['fsck', '--connectivity-only', '--no-dangling', '--no-progress'])).trim();
    if (problems !== '') throw new Error(`git fsck: ${problems}`);
  }

  /** True when the failed fetch's message says the repository does not serve the branch to us. */
  private remoteSaysNo(error: unknown): boolean {
    // The repository's own name could read like a cause ("…/timed out/config.git"): leave it out.
    const said = (error instanceof Error ? error.message : String(error)).split(this.repo).join('');
    return BRANCH_GONE.test(said) || REMOTE_UNREACHABLE.some((cause) => cause.test(said));
  }

  /** Whether the repository answers and has the branch (then a failed fetch is the cache's fault), else why not. */
  private async probeRemote(): Promise<{ serves: true } | { serves: false; why: string }> {
    let output: string;
    try {
      const git = this.git(path.dirname(this.checkoutDir), Math.min(this.timeoutMs, PROBE_TIMEOUT_CAP_MS));
      output = await git.raw(['ls-remote', '--heads', '--', this.repo, `refs/heads/${this.branch}`]);
    } catch (error) {
      return { serves: false, why: error instanceof GitSilence ? `no answer within ${seconds(error.afterMs)} either` : this.reason(error) };
    }
    if (output.split('\n').some((line) => line.endsWith(`\trefs/heads/${this.branch}`))) return { serves: true };
    return { serves: false, why: `it does not list refs/heads/${this.branch}` };
  }

  /** `current`: the commit HEAD is on now, as the sync read it before fetching. */
  private async moveTo(git: SimpleGit, commit: string, current: string): Promise<void> {
    // Equivalent to a fast-forward when `commit` descends from HEAD; on a rewrite it is the
    // caller's job to refuse to apply (Checkout.rewritten). The work tree is ours: clean it too.
    // Already there (most syncs): the index and work tree are restored without moving HEAD, which
    // `reset --hard` would log as one more reflog line every sync, a file that would only grow.
    if (current === commit) await git.raw(['read-tree', '--reset', '-u', 'HEAD']);
    else await git.raw(['reset', '--hard', '--quiet', commit]);
    await git.raw(['clean', '-ffdxq']);
  }

  private async inspectCache(): Promise<CacheState> {
    try {
      if (!(await stat(this.checkoutDir)).isDirectory()) return { kind: 'broken', why: 'it is not a directory' };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'absent' };
      throw new AccessctlError('io', `cannot read the git cache ${this.checkoutDir}: ${code ?? String(error)}`, { subject: '--state-dir' });
    }
    try {
      if (!(await stat(path.join(this.checkoutDir, '.git'))).isDirectory()) return { kind: 'broken', why: 'its .git is not a directory' };
    } catch {
      return { kind: 'broken', why: 'it has no .git directory' };
    }
    try {
      const commit = await this.resolve('HEAD');
      return commit === undefined ? { kind: 'broken', why: 'its HEAD names no commit' } : { kind: 'usable', commit };
    } catch (error) {
      return { kind: 'broken', why: this.reason(error) };
    }
  }

  private async resolve(rev: string): Promise<string | undefined> {
    if (rev.startsWith('-') || rev.length === 0) return undefined;
    const output = (await this.git(this.checkoutDir).raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(output) ? output : undefined;
  }

  /** Git in `baseDir`, killed after printing nothing for `silentMs` (the network steps pass timeoutMs). */
  private git(baseDir: string, silentMs = Math.max(this.timeoutMs, LOCAL_TIMEOUT_FLOOR_MS)): SimpleGit {
    return simpleGit({
      baseDir,
      maxConcurrentProcesses: 1,
      allowEnvironment: GIT_ENV_KEYS,
      unsafe: { allowUnsafeConfigEnvCount: true },
      timeout: { block: silentMs },
      // simple-git's own "block timeout reached" says neither how long nor that git said nothing.
      errors: (error) => (error instanceof GitPluginError && error.plugin === 'timeout' ? new GitSilence(silentMs) : error),
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

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
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
