// apply's hold on the state lock, on real temp directories: which directories are locked by default
// (each reconciler's default found in the working directory or up from the config to its git root,
// only when a directory), which --state-dir is refused, exit 3 when held, a takeover said with its old
// holder, a lock taken over while held (confirm() refuses, `lost` says why, release() leaves it),
// several locks taken in order, and a release that fails said, never thrown.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLY_LOCK_STALE_MS, ApplyLock, checkedStateDir, describeHolder, describeSearch, findReconcilerStateDirs } from '../../src/apply/apply-lock.js';
import { AccessctlError } from '../../src/errors.js';
import { EXIT_LOCKED } from '../../src/reconcile/lock.js';
import { EXIT_LOCKED as RECONCILE_EXIT_LOCKED } from '../../src/reconcile/loop.js';

let dir: string;
let said: string[];
const never = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-apply-lock-unit-'));
  said = [];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const take = (mode: 'wait' | 'fail' = 'fail'): Promise<ApplyLock> => ApplyLock.take({ dirs: [dir], mode, signal: never, say: (line) => said.push(line) });
const lockFile = (): string => path.join(dir, 'reconcile.lock');

function plant(lock: Record<string, unknown>): string {
  const at = new Date().toISOString();
  const text = JSON.stringify({ startedAt: at, heartbeat: at, id: 'planted', staleAfterMs: 3_600_000, ...lock });
  writeFileSync(lockFile(), text);
  return text;
}

/** Makes `parts` under the test's directory (with its parents) and returns its path. */
function made(...parts: string[]): string {
  const where = path.join(dir, ...parts);
  mkdirSync(where, { recursive: true });
  return where;
}

describe("the reconciler's default state directories", () => {
  it('are found only when a directory', async () => {
    const config = made('access');
    mkdirSync(path.join(dir, '.git'));
    expect((await findReconcilerStateDirs(config, dir)).found).toEqual([]);
    mkdirSync(path.join(dir, '.accessctl'));
    writeFileSync(path.join(dir, '.accessctl', 'reconcile'), 'not a directory');
    expect((await findReconcilerStateDirs(config, dir)).found).toEqual([]);
    rmSync(path.join(dir, '.accessctl', 'reconcile'));
    const state = made('.accessctl', 'reconcile');
    expect((await findReconcilerStateDirs(config, dir)).found).toEqual([state]);
  });

  it('are found once when the config is reached through a symlink to the working directory (one lock, not two of the same file)', async () => {
    const repo = made('repo');
    mkdirSync(path.join(repo, '.git'));
    made('repo', 'access');
    const state = made('repo', '.accessctl', 'reconcile');
    const link = path.join(dir, 'link');
    symlinkSync(repo, link);
    // From the checkout, the config named through the link: `apply "$PWD/access"` in a symlinked checkout.
    expect((await findReconcilerStateDirs(path.join(link, 'access'), repo)).found).toEqual([state]);
  });

  it("are looked for above the config up to its git root, wherever apply runs, and in apply's working directory", async () => {
    const repo = made('repo');
    mkdirSync(path.join(repo, '.git'));
    const config = made('repo', 'teams', 'access');
    const elsewhere = made('elsewhere');
    // Above the git root: another repo's, or nobody's; not looked at.
    made('.accessctl', 'reconcile');
    expect(await findReconcilerStateDirs(config, elsewhere)).toMatchObject({ found: [], top: repo, topIsGitRoot: true });

    const atRoot = made('repo', '.accessctl', 'reconcile');
    const beside = made('repo', 'teams', 'access', '.accessctl', 'reconcile');
    const here = made('elsewhere', '.accessctl', 'reconcile');
    const search = await findReconcilerStateDirs(config, elsewhere);
    expect(search.found).toEqual([atRoot, beside, here].sort());
    expect(search.walked).toEqual([config, path.join(repo, 'teams'), repo]);
  });

  it('are looked for up to the file system root when the config is in no git repo', async () => {
    const config = made('a', 'b');
    const above = made('.accessctl', 'reconcile');
    const search = await findReconcilerStateDirs(config, config);
    expect(search).toMatchObject({ top: path.parse(dir).root, topIsGitRoot: false });
    expect(search.found).toContain(above);
  });

  it('say where they were looked for, the working directory apart only when the walk did not cover it', async () => {
    mkdirSync(path.join(dir, '.git'));
    const config = made('access');
    const away = await findReconcilerStateDirs(config, made('away'));
    expect(describeSearch(away)).toBe(`no .accessctl/reconcile in the working directory, nor in ${config} or above it up to the git root`);
    expect(describeSearch(await findReconcilerStateDirs('access', dir))).toBe('no .accessctl/reconcile in access or above it up to the git root');
    expect(describeSearch(await findReconcilerStateDirs('.', config))).toBe('no .accessctl/reconcile in . or above it up to the git root');
  });
});

describe('a --state-dir given to apply', () => {
  const none = async (): Promise<Awaited<ReturnType<typeof findReconcilerStateDirs>>> => {
    mkdirSync(path.join(dir, '.git'), { recursive: true });
    return await findReconcilerStateDirs(dir, dir);
  };

  it('is used when it exists', async () => {
    const state = made('state');
    expect(await checkedStateDir('state', await none())).toBe(state);
  });

  it('is refused when it does not exist, naming the one found here if any, and is not made', async () => {
    await expect(checkedStateDir('stat', await none())).rejects.toMatchObject({
      code: 'usage',
      subject: '--state-dir',
      message:
        '--state-dir stat: no such directory: apply locks only a state directory that exists, since one made now would keep nothing out; ' +
        'give the one a reconciler was given, or its default .accessctl/reconcile in the directory it runs in (made when it starts)',
    });
    made('.accessctl', 'reconcile');
    await expect(checkedStateDir('.accessctl/reconcle', await findReconcilerStateDirs(dir, dir))).rejects.toMatchObject({
      message: expect.stringMatching(/; the reconciler state directory here is \.accessctl\/reconcile$/),
    });
    expect(existsSync(path.join(dir, 'stat'))).toBe(false);
  });

  it('is refused when it is a file', async () => {
    writeFileSync(path.join(dir, 'state'), '');
    await expect(checkedStateDir('state', await none())).rejects.toMatchObject({ code: 'usage', message: '--state-dir state: it is a file, not a directory' });
  });

  it.each([
    ["holds a fleet runner's lock", (fleet: string) => writeFileSync(path.join(fleet, 'fleet.lock'), '{}')],
    ["holds its orgs' state", (fleet: string) => mkdirSync(path.join(fleet, 'orgs'))],
  ])("is refused when it is a fleet runner's: it %s", async (_name, mark) => {
    mark(made('fleet'));
    await expect(checkedStateDir('fleet', await none())).rejects.toMatchObject({
      code: 'usage',
      subject: '--state-dir',
      message: expect.stringContaining(
        "--state-dir fleet is a fleet runner's state directory: `fleet run` holds another lock (fleet.lock), which apply does not share",
      ),
    });
  });
});

describe('a holder, as a waiting apply names it', () => {
  it('says whether a reconciler or another apply holds the lock, with its pid, host and times', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const holder = { pid: 4242, host: 'h', startedAt: at, heartbeat: at, id: 'x' };
    expect(describeHolder(holder)).toBe(`another reconciler, pid 4242 on host h since ${at} (heartbeat ${at})`);
    expect(describeHolder({ ...holder, command: 'apply' })).toBe(`an accessctl apply, pid 4242 on host h since ${at} (heartbeat ${at})`);
  });
});

describe('ApplyLock', () => {
  it("refuses a live holder with reconcile's exit code, leaving its lock", async () => {
    const held = plant({ pid: 4242, host: 'reconciler-host' });
    const refused = await take().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AccessctlError);
    expect(refused).toMatchObject({ code: 'conflict', exitCode: EXIT_LOCKED });
    expect(EXIT_LOCKED).toBe(RECONCILE_EXIT_LOCKED); // reconcile's exit code is the lock's own
    expect((refused as Error).message).toContain(`another reconciler holds the lock ${lockFile()}: pid 4242 on host reconciler-host`);
    expect(readFileSync(lockFile(), 'utf8')).toBe(held);
  });

  it("takes over a dead holder's lock on this host, saying whose it was", async () => {
    plant({ pid: 4_000_000, host: os.hostname(), heartbeat: '2026-01-01T00:00:00.000Z' });
    const lock = await take();
    expect(said).toEqual([`warning: took over the lock ${lockFile()} from pid 4000000 on ${os.hostname()} (heartbeat 2026-01-01T00:00:00.000Z; process gone)`]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, staleAfterMs: APPLY_LOCK_STALE_MS });
    await lock.release();
  });

  it('once taken over, confirm() refuses and says who has it; release() leaves the new holder', async () => {
    const lock = await take();
    await lock.confirm();
    expect(lock.lost).toBeUndefined();
    const taker = plant({ pid: 4242, host: 'other-host', id: 'taker' });

    const refused = await lock.confirm().catch((error: unknown) => error);

    expect(refused).toMatchObject({ code: 'conflict', message: `lost the lock ${lockFile()} to pid 4242 on host other-host` });
    expect(lock.lost?.message).toBe(`lost the lock ${lockFile()} to pid 4242 on host other-host`);
    await lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe(taker);
  });

  it('takes several locks in order, and releases those it took when a later one is held', async () => {
    const first = made('a');
    const second = made('b');
    const held = JSON.stringify({ pid: 4242, host: 'reconciler-host', startedAt: 'x', heartbeat: new Date().toISOString(), id: 'r', staleAfterMs: 3_600_000 });
    writeFileSync(path.join(second, 'reconcile.lock'), held);

    const refused = await ApplyLock.take({ dirs: [first, second], mode: 'fail', signal: never, say: (line) => said.push(line) }).catch(
      (error: unknown) => error,
    );

    expect(refused).toMatchObject({ code: 'conflict', exitCode: EXIT_LOCKED });
    expect(existsSync(path.join(first, 'reconcile.lock'))).toBe(false);
    expect(readFileSync(path.join(second, 'reconcile.lock'), 'utf8')).toBe(held);

    unlinkSync(path.join(second, 'reconcile.lock'));
    const lock = await ApplyLock.take({ dirs: [first, second], mode: 'fail', signal: never, say: (line) => said.push(line) });
    expect(lock.paths).toEqual([path.join(first, 'reconcile.lock'), path.join(second, 'reconcile.lock')]);
    expect(existsSync(path.join(first, 'reconcile.lock')) && existsSync(path.join(second, 'reconcile.lock'))).toBe(true);
    await lock.release();
    expect(existsSync(path.join(first, 'reconcile.lock')) || existsSync(path.join(second, 'reconcile.lock'))).toBe(false);
  });

  it('never rejects on release: a lock file it cannot remove is said as a warning', async () => {
    const lock = await take();
    // Its file turned into something it cannot read as a lock, or remove: the release's own read fails.
    unlinkSync(lockFile());
    mkdirSync(lockFile());

    await expect(lock.release()).resolves.toBeUndefined();

    expect(said).toEqual([
      expect.stringMatching(
        new RegExp(`^warning: cannot release the lock ${lockFile()}: .*EISDIR.*; the next writer takes it over once this process has ended$`),
      ),
    ]);
  });
});
