// The git source on real repositories: a bare "remote" and a working clone that commits and
// pushes, both made with `git init` in a temp dir, with no reliance on the machine's git config.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { type Checkout, GitSource } from '../../src/reconcile/git-source.js';

const ALICE = { name: 'Alice Admin', email: 'alice@example.com' };
const BOB = { name: 'Bob Builder', email: 'bob@example.com' };

let root: string;
let remote: string;
let work: string;
let cacheDir: string;

function git(cwd: string, args: string[], author = ALICE): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: root,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    },
  }).trim();
}

function commit(file: string, content: string, author = ALICE): string {
  writeFileSync(path.join(work, file), content);
  git(work, ['add', '--', file], author);
  git(work, ['commit', '--quiet', '--no-gpg-sign', '-m', `change ${file}`], author);
  return git(work, ['rev-parse', 'HEAD']);
}

function push(force = false): void {
  git(work, ['push', '--quiet', ...(force ? ['--force'] : []), 'origin', 'main']);
}

function source(extra: Partial<ConstructorParameters<typeof GitSource>[0]> = {}): GitSource {
  return new GitSource({ repo: remote, branch: 'main', cacheDir, env: { PATH: process.env.PATH }, ...extra });
}

/**
 * An environment whose PATH starts with a `git` that writes its subcommand to a log, one call a
 * line, then runs the real git: the git source takes PATH from its env, so this counts what it runs.
 * After `stallNext(subcommand)`, the next call of that subcommand prints nothing and never ends,
 * as a git stalled on a slow disk would: only the git source's timeout stops it.
 */
function countingGit(): { env: NodeJS.ProcessEnv; calls: () => string[]; forget: () => void; stallNext: (subcommand: string) => void } {
  const bin = path.join(root, 'counting-bin');
  const log = path.join(root, 'git-calls.log');
  const stalls = path.join(root, 'git-stalls');
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
  mkdirSync(bin, { recursive: true });
  mkdirSync(stalls, { recursive: true });
  const script = [
    '#!/bin/sh',
    `printf '%s\\n' "$1" >> '${log}'`,
    `if rm '${stalls}'/"$1" 2>/dev/null; then exec tail -f /dev/null; fi`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n');
  writeFileSync(path.join(bin, 'git'), script, { mode: 0o755 });
  return {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    stallNext: (subcommand) => writeFileSync(path.join(stalls, subcommand), ''),
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
        : [],
    forget: () => rmSync(log, { force: true }),
  };
}

/** The loose file of an object in the cache; the clone hard-links it from the remote, so it is only ever unlinked here. */
function looseObject(dir: string, rev: string): string {
  const oid = git(dir, ['rev-parse', rev]);
  const file = path.join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
  expect(existsSync(file)).toBe(true);
  return file;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'accessctl-git-'));
  remote = path.join(root, 'remote.git');
  work = path.join(root, 'work');
  cacheDir = path.join(root, 'cache');
  git(root, ['init', '--quiet', '--bare', '-b', 'main', remote]);
  git(root, ['init', '--quiet', '-b', 'main', work]);
  git(work, ['remote', 'add', 'origin', remote]);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('GitSource', () => {
  it('clones the branch into the cache on the first sync', async () => {
    const first = commit('flows.yaml', 'flows: 1\n');
    push();

    const checkout = await source().sync();

    expect(checkout).toMatchObject({ commit: first, fetched: true, rewritten: false });
    expect(checkout.warning).toBeUndefined();
    expect(checkout.dir.startsWith(cacheDir)).toBe(true);
    expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
  });

  it('fetches a new commit and fast-forwards to it', async () => {
    const first = commit('flows.yaml', 'flows: 1\n');
    push();
    const git1 = source();
    await git1.sync();
    const second = commit('flows.yaml', 'flows: 2\n');
    push();

    const checkout = await source().sync();

    expect(checkout).toMatchObject({ commit: second, previousCommit: first, fetched: true, rewritten: false });
    expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: 2\n');
    expect(await git1.isAncestor(first, second)).toBe(true);
    expect(await git1.isAncestor(second, first)).toBe(false);
  });

  it('reports nothing new when origin has not moved', async () => {
    const first = commit('flows.yaml', 'flows: 1\n');
    push();
    const git1 = source();
    await git1.sync();

    expect(await git1.sync()).toMatchObject({ commit: first, previousCommit: first, fetched: true, rewritten: false });
  });

  it('restores a work tree edited in the cache, and adds no reflog line when origin has not moved', async () => {
    commit('flows.yaml', 'flows: 1\n');
    push();
    const git1 = source();
    const first = await git1.sync();
    const reflog = path.join(first.dir, '.git', 'logs', 'HEAD');
    const lines = readFileSync(reflog, 'utf8').split('\n').length;
    writeFileSync(path.join(first.dir, 'flows.yaml'), 'edited in the cache\n');
    for (let i = 0; i < 3; i++) expect(await git1.sync()).toMatchObject({ commit: first.commit, fetched: true });
    expect(readFileSync(path.join(first.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
    expect(readFileSync(reflog, 'utf8').split('\n').length).toBe(lines);
  });

  it('answers false for ancestry of a commit it does not know', async () => {
    const first = commit('flows.yaml', 'flows: 1\n');
    push();
    const git1 = source();
    await git1.sync();

    expect(await git1.isAncestor('0123456789abcdef0123456789abcdef01234567', first)).toBe(false);
    expect(await git1.isAncestor('--all', first)).toBe(false);
  });

  it('attributes each file to the author of the last commit that touched it', async () => {
    const byAlice = commit('a.yaml', 'a: 1\n', ALICE);
    const byBob = commit('b.yaml', 'b: 1\n', BOB);
    push();
    const git1 = source();
    await git1.sync();

    expect(await git1.lastChange('a.yaml')).toMatchObject({ commit: byAlice, author: ALICE });
    const b = await git1.lastChange('b.yaml');
    expect(b).toMatchObject({ commit: byBob, author: BOB });
    expect(Number.isNaN(Date.parse(b?.date ?? ''))).toBe(false);
    expect(await git1.lastChange('missing.yaml')).toBeUndefined();
    await expect(git1.lastChange('../outside.yaml')).rejects.toMatchObject({ code: 'internal' });
  });

  it('attributes many files in one walk, agreeing with lastChange for each', async () => {
    mkdirSync(path.join(work, 'flows'));
    commit('flows/with space.yaml', 'x: 1\n', ALICE);
    commit('a.yaml', 'a: 1\n', ALICE);
    const latest = commit('a.yaml', 'a: 2\n', BOB);
    push();
    const git1 = source();
    await git1.sync();
    const files = ['a.yaml', './flows/with space.yaml', 'missing.yaml'];

    const changes = await git1.lastChanges(files);

    expect([...changes.keys()].sort()).toEqual(['./flows/with space.yaml', 'a.yaml']);
    expect(changes.get('a.yaml')).toMatchObject({ commit: latest, author: BOB });
    for (const file of files) expect(changes.get(file)).toEqual(await git1.lastChange(file));
  });

  it('checks out a force-pushed head but reports the history as rewritten', async () => {
    commit('flows.yaml', 'flows: 1\n');
    const second = commit('flows.yaml', 'flows: 2\n');
    push();
    const git1 = source();
    await git1.sync();
    git(work, ['reset', '--quiet', '--hard', 'HEAD~1']);
    const replacement = commit('flows.yaml', 'flows: rewritten\n');
    push(true);

    const checkout = await git1.sync();

    expect(checkout).toMatchObject({ commit: replacement, previousCommit: second, fetched: true, rewritten: true });
    expect(checkout.warning).toMatch(/rewritten/);
    expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: rewritten\n');
    expect(await git1.isAncestor(second, replacement)).toBe(false);
  });

  it('falls back to the last good commit with a warning when the remote is unreachable', async () => {
    const first = commit('flows.yaml', 'flows: 1\n');
    push();
    const git1 = source();
    await git1.sync();
    renameSync(remote, `${remote}.gone`);

    const checkout = await git1.sync();

    expect(checkout).toMatchObject({ commit: first, fetched: false, rewritten: false });
    expect(checkout.warning).toMatch(/could not fetch .*remote\.git.*last good commit/);
    expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
  });

  it('throws an io error naming the repository when there is no checkout to fall back on', async () => {
    rmSync(remote, { recursive: true, force: true });

    const failure = await source()
      .sync()
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AccessctlError);
    expect(failure).toMatchObject({ code: 'io' });
    expect((failure as Error).message).toContain(remote);
    // A clone cut short leaves nothing that could pass for a checkout.
    expect(readdirSync(path.join(cacheDir, 'checkouts'))).toEqual([]);
  });

  it('does not read the git config of the user running it', async () => {
    commit('flows.yaml', 'flows: 1\n');
    push();
    // A user config that rewrites every URL to a place that does not exist would break the clone.
    const home = path.join(root, 'user-home');
    mkdirSync(home);
    writeFileSync(path.join(home, '.gitconfig'), `[url "${path.join(root, 'nowhere')}"]\n\tinsteadOf = ${remote}\n`);

    const checkout = await source({ env: { PATH: process.env.PATH, HOME: home } }).sync();

    expect(checkout.fetched).toBe(true);
  });

  describe('with a damaged cache', () => {
    it('clones again when the index is damaged, and takes the new commit with a warning naming the cache', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source();
      const first = await git1.sync();
      writeFileSync(path.join(first.dir, '.git', 'index'), Buffer.alloc(20, 7));
      const second = commit('flows.yaml', 'flows: 2\n');
      push();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ dir: first.dir, commit: second, previousCommit: first.commit, fetched: true, rewritten: false });
      expect(checkout.warning).toContain(`the git cache ${first.dir} was discarded`);
      expect(checkout.warning).toMatch(/index/);
      expect(checkout.warning).not.toMatch(/last good commit/);
      expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: 2\n');
      expect(readdirSync(path.join(cacheDir, 'checkouts'))).toEqual([path.basename(first.dir)]);
      // The new cache is sound: the next sync has nothing to say.
      expect((await git1.sync()).warning).toBeUndefined();
    });

    it('clones again when an object the checkout does not need right now is missing', async () => {
      commit('a.yaml', 'a: 1\n');
      commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source();
      const first = await git1.sync();
      // a.yaml does not change below: fetch and reset never read its blob, so only a check of the cache notices.
      rmSync(looseObject(first.dir, 'HEAD:a.yaml'));
      const second = commit('flows.yaml', 'flows: 2\n');
      push();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: second, previousCommit: first.commit, fetched: true, rewritten: false });
      expect(checkout.warning).toContain(`the git cache ${first.dir} was discarded`);
      expect(checkout.warning).toMatch(/missing blob/);
      expect(await git1.lastChange('a.yaml')).toMatchObject({ author: ALICE });
      expect((await git1.sync()).warning).toBeUndefined();
    });

    it.each([
      { when: 'on the first check', syncsBefore: 1 },
      { when: 'after the first check', syncsBefore: 2 },
    ])('clones again when the commit it is on turns corrupt $when, rather than reporting a rewritten history', async ({ syncsBefore }) => {
      commit('flows.yaml', 'flows: 1\n');
      const before = commit('flows.yaml', 'flows: 2\n');
      push();
      const git1 = source();
      let synced = await git1.sync();
      // A second sync leaves the cache checked: the rewrite check is then what reads the damage.
      for (let i = 1; i < syncsBefore; i++) synced = await git1.sync();
      const file = looseObject(synced.dir, 'HEAD~1');
      rmSync(file);
      writeFileSync(file, 'not a zlib stream');
      const third = commit('flows.yaml', 'flows: 3\n');
      push();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: third, previousCommit: before, fetched: true, rewritten: false });
      expect(checkout.warning).toContain(`the git cache ${synced.dir} was discarded`);
      expect(checkout.warning).toMatch(/corrupt/);
      expect(checkout.warning).not.toMatch(/rewritten/);
      expect(await git1.isAncestor(before, third)).toBe(true);
    });

    it('clones again when the checkout is not a repository, without touching a repository around the state dir', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      // The state dir inside someone's clone of the same repository, with an untracked file.
      const outer = path.join(root, 'outer');
      git(root, ['clone', '--quiet', remote, outer]);
      const outerHead = git(outer, ['rev-parse', 'HEAD']);
      writeFileSync(path.join(outer, 'keep.txt'), 'mine\n');
      const git1 = source({ cacheDir: path.join(outer, 'state', 'git') });
      const first = await git1.sync();
      writeFileSync(path.join(first.dir, '.git', 'HEAD'), 'garbage\n');
      const second = commit('flows.yaml', 'flows: 2\n');
      push();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: second, fetched: true, rewritten: false });
      expect(checkout.previousCommit).toBeUndefined();
      expect(checkout.warning).toContain(`the git cache ${first.dir} was discarded`);
      expect(readFileSync(path.join(outer, 'keep.txt'), 'utf8')).toBe('mine\n');
      expect(git(outer, ['rev-parse', 'HEAD'])).toBe(outerHead);
    });

    it('keeps the damaged cache and its last good commit when the remote cannot be reached', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source();
      const synced = await git1.sync();
      const damaged = Buffer.alloc(20, 7);
      writeFileSync(path.join(synced.dir, '.git', 'index'), damaged);
      renameSync(remote, `${remote}.gone`);

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ dir: synced.dir, commit: first, fetched: false, rewritten: false });
      expect(checkout.warning).toMatch(/could not fetch .*remote\.git.*last good commit/);
      expect(checkout.warning).not.toMatch(/discarded/);
      expect(readFileSync(path.join(synced.dir, '.git', 'index'))).toEqual(damaged);
      expect(readFileSync(path.join(checkout.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
    });

    it('keeps the damaged cache and its last good commit when the remote no longer has the branch', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source();
      const synced = await git1.sync();
      writeFileSync(path.join(synced.dir, '.git', 'index'), Buffer.alloc(20, 7));
      git(remote, ['update-ref', '-d', 'refs/heads/main']);

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: first, fetched: false });
      expect(checkout.warning).toMatch(/last good commit/);
      expect(checkout.warning).not.toMatch(/discarded/);
    });

    it('clones once: when the new clone fails too, it keeps the old cache and its last good commit, saying both failures', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source();
      const synced = await git1.sync();
      writeFileSync(path.join(synced.dir, '.git', 'index'), Buffer.alloc(20, 7));
      commit('flows.yaml', 'flows: 2\n');
      push();
      // The remote still lists the branch, but a clone cannot check out a blob it lost.
      const blob = git(work, ['rev-parse', 'HEAD:flows.yaml']);
      rmSync(path.join(remote, 'objects', blob.slice(0, 2), blob.slice(2)));

      const again = await git1.sync();

      expect(again).toMatchObject({ commit: synced.commit, fetched: false, previousCommit: synced.commit });
      expect(again.warning).toContain(`could not fetch ${remote} (branch main)`);
      expect(again.warning).toContain(`a fresh clone failed too (cannot clone ${remote}`);
      expect(again.warning).toContain(`using the last good commit ${synced.commit.slice(0, 12)}`);
      expect(readdirSync(path.join(cacheDir, 'checkouts'))).toEqual([path.basename(synced.dir)]);
      expect(readFileSync(path.join(synced.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
    });
  });

  describe('checking the cache', () => {
    it('checks the cache once when this process first opens it, not on a sync where origin has not moved', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      await source().sync(); // an earlier process cloned it
      const counting = countingGit();
      const git1 = source({ env: counting.env });

      await git1.sync();
      expect(counting.calls().filter((call) => call === 'fsck')).toHaveLength(1);
      counting.forget();

      const unmoved = await git1.sync();
      expect(unmoved).toMatchObject({ fetched: true, rewritten: false });
      expect(unmoved.warning).toBeUndefined();
      expect(counting.calls()).toContain('fetch');
      expect(counting.calls()).not.toContain('fsck');

      const second = commit('flows.yaml', 'flows: 2\n');
      push();
      expect(await git1.sync()).toMatchObject({ commit: second, fetched: true, rewritten: false });
      expect(counting.calls()).not.toContain('fsck');
    });

    /** A checked cache whose older commit's tree is gone: only the history walk of attribution reads it, not a sync. */
    async function damagedBeyondTheSync(counting: ReturnType<typeof countingGit>): Promise<{ git1: GitSource; checked: Checkout }> {
      commit('a.yaml', 'a: 1\n');
      commit('flows.yaml', 'flows: 1\n');
      push();
      const git1 = source({ env: counting.env });
      await git1.sync();
      const checked = await git1.sync();
      rmSync(looseObject(checked.dir, 'HEAD~1^{tree}'));
      counting.forget();
      expect((await git1.sync()).warning).toBeUndefined();
      expect(counting.calls()).not.toContain('fsck');
      return { git1, checked };
    }

    it('checks the cache at once when attribution fails, and when that finds damage clones it again at the same commit and answers', async () => {
      const counting = countingGit();
      const { git1, checked } = await damagedBeyondTheSync(counting);
      // The repository moved on meanwhile: the run attributing is still on the commit it planned from.
      const newer = commit('flows.yaml', 'flows: 2\n');
      push();

      const changes = await git1.lastChanges(['a.yaml']);

      expect(changes.get('a.yaml')).toMatchObject({ author: ALICE });
      expect(counting.calls()).toEqual(expect.arrayContaining(['fsck', 'clone']));
      expect(git(checked.dir, ['rev-parse', 'HEAD'])).toBe(checked.commit);
      expect(readFileSync(path.join(checked.dir, 'flows.yaml'), 'utf8')).toBe('flows: 1\n');
      expect(await git1.lastChange('a.yaml')).toMatchObject({ author: ALICE });
      // Said with the next sync, which moves on from the commit attribution was on.
      const next = await git1.sync();
      expect(next).toMatchObject({ commit: newer, previousCommit: checked.commit, fetched: true, rewritten: false });
      expect(next.warning).toContain(`the git cache ${checked.dir} was discarded and ${remote} (branch main) cloned again at ${checked.commit.slice(0, 12)}`);
      expect(next.warning).toMatch(/attribution failed.*missing tree/);
      expect((await git1.sync()).warning).toBeUndefined();
    });

    it('fails attribution naming the damage and the failed clone when the repository cannot be cloned, keeping the cache', async () => {
      const counting = countingGit();
      const { git1, checked } = await damagedBeyondTheSync(counting);
      renameSync(remote, `${remote}.gone`);

      const failure = await git1.lastChanges(['a.yaml']).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(AccessctlError);
      expect(failure).toMatchObject({ code: 'io', subject: '--repo' });
      expect((failure as Error).message).toContain(`cannot read the history of the git cache ${checked.dir}`);
      expect((failure as Error).message).toMatch(/missing tree.*cannot clone/);
      expect(git(checked.dir, ['rev-parse', 'HEAD'])).toBe(checked.commit);
      expect(readdirSync(path.join(cacheDir, 'checkouts'))).toEqual([path.basename(checked.dir)]);
    });

    it('checks a cache checked before once more when it would report a rewritten history', async () => {
      commit('flows.yaml', 'flows: 1\n');
      const second = commit('flows.yaml', 'flows: 2\n');
      push();
      const counting = countingGit();
      const git1 = source({ env: counting.env });
      await git1.sync();
      await git1.sync();
      git(work, ['reset', '--quiet', '--hard', 'HEAD~1']);
      const replacement = commit('flows.yaml', 'flows: rewritten\n');
      push(true);
      counting.forget();

      const checkout = await git1.sync();

      expect(counting.calls().filter((call) => call === 'fsck')).toHaveLength(1);
      expect(checkout).toMatchObject({ commit: replacement, previousCommit: second, rewritten: true });
      expect(checkout.warning).toMatch(/rewritten/);
      expect(checkout.warning).not.toMatch(/discarded/);
    });
  });

  describe('when the fetch fails', () => {
    let server: Server | undefined;

    afterEach(async () => {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    /**
     * The remote over git's "dumb" http protocol (the bare repository's files, served as they are)
     * on 127.0.0.1. After `hang`, it takes requests and never answers (until `answer`); after `stop`, it refuses them.
     */
    async function serveOverHttp(): Promise<{ repo: string; hang: () => void; answer: () => void; stop: () => Promise<void> }> {
      git(remote, ['update-server-info']);
      let hanging = false;
      const listening = createServer((request, response) => {
        if (hanging) return;
        const file = path.join(remote, decodeURIComponent((request.url ?? '').split('?')[0] ?? '').replace(/^\/config\.git\//, ''));
        if (!file.startsWith(`${remote}${path.sep}`) || !existsSync(file)) {
          response.statusCode = 404;
          response.end();
          return;
        }
        response.end(readFileSync(file));
      });
      server = listening;
      await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
      return {
        repo: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/config.git`,
        hang: () => {
          hanging = true;
        },
        answer: () => {
          hanging = false;
        },
        stop: async () => {
          server = undefined;
          listening.closeAllConnections();
          await new Promise<void>((resolve) => listening.close(() => resolve()));
        },
      };
    }

    it('takes a repository path that is gone for an unreachable remote from the fetch alone', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const counting = countingGit();
      const git1 = source({ env: counting.env });
      await git1.sync();
      renameSync(remote, `${remote}.gone`);
      counting.forget();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: first, fetched: false });
      expect(checkout.warning).toMatch(/does not appear to be a git repository.*last good commit/);
      expect(counting.calls()).toContain('fetch');
      expect(counting.calls()).not.toContain('ls-remote');
    });

    it('takes a file:// repository whose branch was deleted for a branch that is gone from the fetch alone', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const counting = countingGit();
      const git1 = source({ repo: `file://${remote}`, env: counting.env });
      await git1.sync();
      git(remote, ['update-ref', '-d', 'refs/heads/main']);
      counting.forget();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: first, fetched: false });
      expect(checkout.warning).toMatch(/couldn't find remote ref refs\/heads\/main.*last good commit/);
      expect(counting.calls()).not.toContain('ls-remote');
    });

    it('takes an http repository that refuses connections for an unreachable remote from the fetch alone', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const http = await serveOverHttp();
      const counting = countingGit();
      const git1 = source({ repo: http.repo, env: counting.env });
      expect(await git1.sync()).toMatchObject({ commit: first, fetched: true });
      await http.stop();
      counting.forget();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: first, fetched: false });
      expect(checkout.warning).toMatch(/unable to access.*last good commit/);
      expect(counting.calls()).not.toContain('ls-remote');
    });

    it('takes an http repository that stops answering for unreachable once the fetch and ls-remote both time out, and checks the cache on the next sync', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const http = await serveOverHttp();
      const counting = countingGit();
      // Only fetch, clone and ls-remote are held to this: the server never answers, so the timeout is what ends them.
      const git1 = source({ repo: http.repo, env: counting.env, timeoutMs: 2000 });
      expect(await git1.sync()).toMatchObject({ commit: first, fetched: true });
      // The first sync after a clone checks the cache; from then on a sync does not, unless told to.
      expect(await git1.sync()).toMatchObject({ commit: first, fetched: true });
      counting.forget();
      expect((await git1.sync()).fetched).toBe(true);
      expect(counting.calls()).not.toContain('fsck');
      http.hang();
      counting.forget();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ commit: first, fetched: false });
      expect(checkout.warning).toMatch(
        /the fetch printed nothing for 2 s and was stopped, and ls-remote failed too \(no answer within 2 s either\): taken for the repository not answering.*last good commit/,
      );
      // One fetch and one ls-remote, each ended by its timeout; no clone of a repository that does not answer.
      expect(counting.calls().filter((call) => call !== 'rev-parse')).toEqual(['fetch', 'ls-remote']);

      // Silence may have been the cache's: once the repository answers again, the cache is checked.
      http.answer();
      counting.forget();
      expect(await git1.sync()).toMatchObject({ commit: first, fetched: true });
      expect(counting.calls()).toContain('fsck');
    });

    it('takes a fetch that stalls while the repository answers ls-remote for the cache, and clones again', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      const counting = countingGit();
      const git1 = source({ env: counting.env, timeoutMs: 3000 });
      const first = await git1.sync();
      const second = commit('flows.yaml', 'flows: 2\n');
      push();
      counting.stallNext('fetch');
      counting.forget();

      const checkout = await git1.sync();

      expect(counting.calls()).toEqual(expect.arrayContaining(['fetch', 'ls-remote', 'clone']));
      expect(checkout).toMatchObject({ commit: second, previousCommit: first.commit, fetched: true, rewritten: false });
      expect(checkout.warning).toContain(`the git cache ${first.dir} was discarded`);
      expect(checkout.warning).toMatch(/the fetch printed nothing for 3 s and was stopped while .* answers ls-remote: taken for the cache's fault/);
      expect(checkout.warning).not.toMatch(/last good commit/);
    });

    it('asks the repository whether it serves the branch when the fetch does not say why it failed', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      const counting = countingGit();
      const git1 = source({ env: counting.env });
      const first = await git1.sync();
      writeFileSync(path.join(first.dir, '.git', 'index'), Buffer.alloc(20, 7));
      counting.forget();

      const checkout = await git1.sync();

      expect(counting.calls()).toContain('ls-remote');
      expect(checkout).toMatchObject({ commit: first.commit, fetched: true });
      expect(checkout.warning).toContain(`the git cache ${first.dir} was discarded`);
    });
  });

  describe('after a stop mid-clone', () => {
    it('removes the directories a stopped clone or discard left beside the cache, on the first sync, saying so', async () => {
      const first = commit('flows.yaml', 'flows: 1\n');
      push();
      const dir = (await source().sync()).dir;
      // As a process stopped during its first clone leaves it: a staging clone, a discarded cache, no checkout.
      rmSync(dir, { recursive: true, force: true });
      const staging = `${dir}.clone-${randomUUID()}`;
      const discarded = `${dir}.discarded-${randomUUID()}`;
      for (const leftover of [staging, discarded]) {
        mkdirSync(path.join(leftover, '.git'), { recursive: true });
        writeFileSync(path.join(leftover, 'flows.yaml'), 'half\n');
      }
      const git1 = source();

      const checkout = await git1.sync();

      expect(checkout).toMatchObject({ dir, commit: first, fetched: true });
      expect(existsSync(staging)).toBe(false);
      expect(existsSync(discarded)).toBe(false);
      expect(readdirSync(path.dirname(dir))).toEqual([path.basename(dir)]);
      expect(checkout.warning).toMatch(/^removed 2 directories a stopped clone or discard left beside the git cache/);
      expect(checkout.warning).toContain(staging);
      expect(checkout.warning).toContain(discarded);
      expect((await git1.sync()).warning).toBeUndefined();
    });

    it('leaves alone whatever beside the cache only looks like such a leftover', async () => {
      commit('flows.yaml', 'flows: 1\n');
      push();
      const dir = (await source().sync()).dir;
      const parent = path.dirname(dir);
      const uuid = randomUUID();
      const elsewhere = path.join(root, 'elsewhere');
      mkdirSync(elsewhere);
      writeFileSync(path.join(elsewhere, 'keep.txt'), 'mine\n');
      const lookAlikes = [
        `${dir}.clone-${uuid}.bak`,
        `${dir}.clone-not-a-uuid`,
        `${dir}.clone-${uuid.toUpperCase()}`,
        `${dir}.cloned-${uuid}`,
        `${dir}x.clone-${uuid}`,
        path.join(parent, `${'f'.repeat(16)}.clone-${uuid}`), // another repository's cache
        path.join(cacheDir, `${path.basename(dir)}.clone-${uuid}`), // not beside the cache
      ];
      for (const lookAlike of lookAlikes) mkdirSync(lookAlike, { recursive: true });
      // The exact names, but not directories this class made: a file, and a link to someone's folder.
      const file = `${dir}.discarded-${uuid}`;
      writeFileSync(file, 'not a directory\n');
      const link = `${dir}.clone-${randomUUID()}`;
      symlinkSync(elsewhere, link);

      const checkout = await source().sync();

      expect(checkout.warning).toBeUndefined();
      for (const lookAlike of [...lookAlikes, file, link]) expect(existsSync(lookAlike)).toBe(true);
      expect(readFileSync(path.join(link, 'keep.txt'), 'utf8')).toBe('mine\n');
    });
  });

  describe('with a token', () => {
    let server: Server;
    let seen: { url: string; authorization: string | undefined }[];

    beforeEach(async () => {
      seen = [];
      server = createServer((request, response) => {
        seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
        // Without credentials, ask for them: git must fail rather than prompt.
        response.statusCode = request.headers.authorization ? 404 : 401;
        if (!request.headers.authorization) response.setHeader('www-authenticate', 'Basic realm="git"');
        response.end(request.headers.authorization ? 'no such repository' : 'credentials required');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('sends the token as an Authorization header and never shows it in a URL or an error', async () => {
      const token = 'ghs_plantedFakeToken1234567890';
      const port = (server.address() as AddressInfo).port;
      const repo = `http://127.0.0.1:${port}/org/config.git`;

      const failure = await source({ repo, env: { PATH: process.env.PATH, ACCESSCTL_GIT_TOKEN: token } })
        .sync()
        .catch((error: unknown) => error);

      const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0]?.authorization).toBe(`Basic ${basic}`);
      for (const request of seen) expect(request.url).not.toContain(token);
      expect(failure).toMatchObject({ code: 'io' });
      const message = (failure as Error).message;
      expect(message).toContain(repo);
      expect(message).not.toContain(token);
      expect(message).not.toContain(basic);
    });

    it('fails instead of prompting when the server asks for credentials it was not given', async () => {
      const port = (server.address() as AddressInfo).port;

      const failure = await source({ repo: `http://127.0.0.1:${port}/org/config.git` })
        .sync()
        .catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'io' });
      expect(seen[0]?.authorization).toBeUndefined();
    });

    it('refuses a repository URL that carries credentials, without echoing them', () => {
      const attempt = () => source({ repo: 'https://someone:ghs_secretInUrl@example.com/org/config.git' });

      expect(attempt).toThrow(AccessctlError);
      try {
        attempt();
      } catch (error) {
        expect(error).toMatchObject({ code: 'usage', subject: '--repo' });
        expect((error as Error).message).not.toContain('ghs_secretInUrl');
        expect((error as Error).message).toContain('ACCESSCTL_GIT_TOKEN');
      }
    });
  });
});
