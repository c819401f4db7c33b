// Specifies discoverFiles: which files under a config root are read, in what order, and what it says
// about a root that is not there.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverFiles, displayPath } from '../../src/config/discover.js';
import { AccessctlError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'accessctl-discover-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

function tree(files: Record<string, string>): string {
  const dir = join(root, String(cases++));
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('discoverFiles', () => {
  it('reads .yaml and .yml files at any depth, and nothing else', async () => {
    const dir = tree({ 'a.yaml': 'a: 1\n', 'b.yml': 'b: 1\n', 'deep/er/c.YAML': 'c: 1\n', 'notes.md': '#\n', 'd.json': '{}', yaml: 'x', 'e.yaml.bak': 'x' });
    const { files, overflow } = await discoverFiles(dir, dir);
    expect(files.map((f) => f.display)).toEqual(['a.yaml', 'b.yml', 'deep/er/c.YAML']);
    expect(overflow).toBeUndefined();
  });

  it('skips dot-folders, dot-files and node_modules at every depth', async () => {
    const dir = tree({
      '.git/config.yaml': 'x: 1\n',
      '.github/workflows/ci.yml': 'x: 1\n',
      'node_modules/pkg/a.yaml': 'x: 1\n',
      'sub/node_modules/b.yaml': 'x: 1\n',
      'sub/.hidden/c.yaml': 'x: 1\n',
      'sub/kept.yaml': 'x: 1\n',
      '.dotfile.yaml': 'x: 1\n',
      '.pre-commit-config.yaml': 'x: 1\n',
      'sub/.gitlab-ci.yml': 'x: 1\n',
    });
    const { files } = await discoverFiles(dir, dir);
    expect(files.map((f) => f.display)).toEqual(['sub/kept.yaml']);
  });

  it('lists files in a stable order: by name within a folder, each folder after its files, depth first', async () => {
    const dir = tree({ 'b/2.yaml': '', 'b/1.yaml': '', 'a/z.yaml': '', 'a/y/x.yaml': '', 'Z.yaml': '', 'c.yaml': '', 'B.yaml': '' });
    const first = (await discoverFiles(dir, dir)).files.map((f) => f.display);
    expect(first).toEqual(['B.yaml', 'Z.yaml', 'c.yaml', 'a/z.yaml', 'a/y/x.yaml', 'b/1.yaml', 'b/2.yaml']);
    expect((await discoverFiles(dir, dir)).files.map((f) => f.display)).toEqual(first);
  });

  it('names files relative to the working directory with forward slashes', async () => {
    const dir = tree({ 'flows/a.yaml': 'abc\n' });
    const { files } = await discoverFiles(join(dir, 'flows'), dir);
    expect(files).toEqual([{ absolute: join(dir, 'flows', 'a.yaml'), display: 'flows/a.yaml' }]);
  });

  it('names every file as displayPath does, from a working directory above, at or beside the root', async () => {
    const dir = tree({ 'a.yaml': 'a: 1\n', '..b.yaml': 'b: 1\n', 'x/..c.yaml': 'c: 1\n', 'x/y/d.yml': 'd: 1\n' });
    for (const cwd of [dir, dirname(dir), join(dir, 'x'), join(dir, 'x', 'y'), join(root, 'elsewhere')]) {
      const { files } = await discoverFiles(dir, cwd);
      expect(files.map((f) => f.display)).toEqual(files.map((f) => displayPath(f.absolute, cwd)));
      expect(files).toHaveLength(2);
    }
    const { files } = await discoverFiles(dir, dir);
    // A name that begins with .. (which displayPath would show whole, as if it led up) is a dot-file: skipped.
    expect(files.map((f) => f.display)).toEqual(['a.yaml', 'x/y/d.yml']);
  });

  it('does not follow a link to a directory, so a link cycle cannot loop', async () => {
    const dir = tree({ 'real/a.yaml': 'x: 1\n' });
    symlinkSync('real', join(dir, 'linked'), 'dir');
    symlinkSync('.', join(dir, 'real', 'self'), 'dir');
    symlinkSync('..', join(dir, 'real', 'up.yaml'), 'dir');
    const { files } = await discoverFiles(dir, dir);
    expect(files.map((f) => f.display)).toEqual(['real/a.yaml']);
  });

  it('reads a link to a file under its own name', async () => {
    const dir = tree({ 'shared/base.txt': 'x: 1\n' });
    symlinkSync(join('shared', 'base.txt'), join(dir, 'linked.yaml'));
    const { files } = await discoverFiles(dir, dir);
    expect(files).toEqual([expect.objectContaining({ display: 'linked.yaml' })]);
    expect(files[0]!.unreadable).toBeUndefined();
  });

  it('lists a broken link or a link loop named like a config file as unreadable instead of dropping it', async () => {
    const dir = tree({});
    symlinkSync('missing.yaml', join(dir, 'broken.yaml'));
    symlinkSync('loop.yaml', join(dir, 'loop.yaml'));
    const { files } = await discoverFiles(dir, dir);
    expect(files.map((f) => [f.display, f.unreadable])).toEqual([
      ['broken.yaml', expect.stringContaining('ENOENT')],
      ['loop.yaml', expect.stringContaining('ELOOP')],
    ]);
  });

  it('accepts a single file as the root', async () => {
    const dir = tree({ 'one.yaml': 'x: 1\n', 'two.yaml': 'x: 2\n' });
    const { files } = await discoverFiles(join(dir, 'one.yaml'), dir);
    expect(files.map((f) => f.display)).toEqual(['one.yaml']);
  });

  it('gives a clear not-found error for a missing directory', async () => {
    const dir = tree({});
    const attempt = discoverFiles(join(dir, 'nope'), dir);
    await expect(attempt).rejects.toBeInstanceOf(AccessctlError);
    await expect(discoverFiles(join(dir, 'nope'), dir)).rejects.toMatchObject({ code: 'not-found', message: 'nope: no such file or directory' });
  });

  it('finds nothing, without error, in an empty directory', async () => {
    const dir = tree({});
    expect(await discoverFiles(dir, dir)).toEqual({ files: [], overflow: undefined });
  });
});
