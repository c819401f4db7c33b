// writeFileDurably: the new file whole, or the old state and no temp file, whatever step fails.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably } from '../../src/events/durable-file.js';

describe('writeFileDurably', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'accessctl-durable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and replaces a file, leaving only it', async () => {
    const path = join(dir, 'state.json');
    await writeFileDurably(path, 'one');
    await writeFileDurably(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('removes its temp file when the rename fails (the path is a directory)', async () => {
    const path = join(dir, 'taken');
    await mkdir(path);
    await expect(writeFileDurably(path, 'x')).rejects.toMatchObject({ code: expect.stringMatching(/^E(ISDIR|NOTEMPTY|EXIST|PERM)$/) });
    expect(await readdir(dir)).toEqual(['taken']);
  });
});
