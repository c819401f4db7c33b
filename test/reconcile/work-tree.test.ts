// WorkTree.holding on real folders: outside any git work tree it answers "not found" without
// starting git (a reconciler asks every cycle); inside one, however deep and whatever form its
// `.git` takes (a folder, or a file pointing at one), git itself finds the top.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkTree } from '../../src/reconcile/work-tree.js';

let root: string;

function git(cwd: string, args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { PATH: process.env.PATH, HOME: root, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' } });
}

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'accessctl-work-tree-')));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('WorkTree.holding', () => {
  it('says a folder with no .git at or above it is outside git, without starting git', async () => {
    const dir = path.join(root, 'config', 'flows');
    mkdirSync(dir, { recursive: true });
    // No git on PATH: had git been started, the reason would carry its spawn error.
    const lookup = await WorkTree.holding(dir, { PATH: path.join(root, 'no-git-here'), HOME: root });
    expect(lookup).toEqual({ found: false, reason: `${dir} is not inside a git work tree` });
  });

  it('finds the work tree from a folder several levels inside it', async () => {
    const top = path.join(root, 'repo');
    const dir = path.join(top, 'config', 'flows');
    mkdirSync(dir, { recursive: true });
    git(top, ['init', '-q']);
    const lookup = await WorkTree.holding(dir, { PATH: process.env.PATH ?? '', HOME: root });
    expect(lookup.found && lookup.tree.top).toBe(top);
  });

  it('finds a work tree whose .git is a file pointing at the repository elsewhere', async () => {
    const top = path.join(root, 'linked');
    const dir = path.join(top, 'config');
    mkdirSync(dir, { recursive: true });
    git(top, ['init', '-q', `--separate-git-dir=${path.join(root, 'elsewhere.git')}`]);
    const lookup = await WorkTree.holding(dir, { PATH: process.env.PATH ?? '', HOME: root });
    expect(lookup.found && lookup.tree.top).toBe(top);
  });
});
