// writeFileDurably: the new file whole, or the old state and no temp file, whatever step fails,
// including a nearly full disk (a short write, then ENOSPC or EFBIG); and temp files left by a
// killed writer are swept on the next write into their directory.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { DurableWriteError, removeStaleTemps, tempPathFor, writeFileDurably } from '../../src/events/durable-file.js';
import { failingDisk, runUnderFileSizeLimit, sourceUrl } from './failing-disk.js';

/** A pid above Linux's pid_max (4194304): no process has it. */
const DEAD_PID = 999_999_999;

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

  it('removes its temp file when the rename fails (the path is a directory), naming the file and the reason', async () => {
    const path = join(dir, 'taken');
    await mkdir(path);
    const failure = await writeFileDurably(path, 'x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DurableWriteError);
    expect(failure).toMatchObject({ code: 'io', reason: expect.stringMatching(/^E(ISDIR|NOTEMPTY|EXIST|PERM)$/), path });
    expect((failure as Error).message).toContain(`could not write ${path}: `);
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('writes on after a short write until every byte is out', async () => {
    const path = join(dir, 'last-applied.json');
    const text = JSON.stringify({ objects: Array.from({ length: 200 }, (_, i) => `flow-${i}-é`) });
    const disk = failingDisk([{ bytes: 1000 }]);
    await writeFileDurably(path, text, { openFile: disk.open });
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(disk.writes()).toBe(Math.ceil(Buffer.byteLength(text) / 1000));
  });

  it('on a disk that fills up part-way (short write, then ENOSPC) fails naming the file and ENOSPC, and keeps the old file', async () => {
    const path = join(dir, 'last-applied.json');
    await writeFile(path, '{"old":true}');
    const disk = failingDisk([{ bytes: 8192 }, { fail: 'ENOSPC' }]);
    const failure = await writeFileDurably(path, 'x'.repeat(11_331), { openFile: disk.open }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AccessctlError);
    expect(failure).toMatchObject({ code: 'io', reason: 'ENOSPC' });
    expect((failure as Error).message).toBe(`could not write ${path}: ENOSPC: injected failure, write; last-applied.json is unchanged`);
    expect(await readFile(path, 'utf8')).toBe('{"old":true}');
    expect(await readdir(dir)).toEqual(['last-applied.json']);
  });

  it('treats a write that takes nothing, without an error, as a failure rather than a success or a spin', async () => {
    const path = join(dir, 'plan.json');
    const disk = failingDisk([{ bytes: 10 }, { bytes: 0 }]);
    const failure = await writeFileDurably(path, 'y'.repeat(100), { openFile: disk.open }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'io', reason: 'short-write' });
    expect((failure as Error).message).toContain('short write: 10 of 100 bytes written');
    expect(disk.writes()).toBe(2);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps the old file when the real kernel stops a write short (a file size limit in a child process)', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, 'old');
    const run = await runUnderFileSizeLimit(
      8,
      `import { writeFileDurably } from ${JSON.stringify(sourceUrl('src/events/durable-file.ts'))};
       try { await writeFileDurably(${JSON.stringify(path)}, 'x'.repeat(64 * 1024)); console.log('saved'); }
       catch (error) { console.log(error.name + ' ' + error.reason); process.exitCode = 3; }`,
    );
    expect(run.stdout.trim(), run.stderr).toBe('DurableWriteError EFBIG');
    expect(run.code).toBe(3);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it("removes a killed writer's temp file on the next write into its directory, and nothing else", async () => {
    const sub = join(dir, 'journal');
    await mkdir(sub);
    const killed = tempPathFor(join(sub, 'run-000001.json'), DEAD_PID);
    const live = tempPathFor(join(sub, 'run-000002.json'), process.ppid);
    await writeFile(killed, '{"half":');
    await writeFile(live, '{"in flight"');
    await writeFile(join(sub, 'backup.2024.tmp'), 'the user owns this');
    await writeFileDurably(join(sub, 'run-000003.json'), '{}');
    expect((await readdir(sub)).sort()).toEqual(['backup.2024.tmp', `run-000002.json.${process.ppid}.accessctl.tmp`, 'run-000003.json'].sort());
  });

  it('removeStaleTemps asks whether each pid is alive and keeps its own', async () => {
    const names = [tempPathFor('a.json', 41), tempPathFor('b.json', 42), tempPathFor('c.json', process.pid)];
    for (const name of names) await writeFile(join(dir, name), '');
    const removed = await removeStaleTemps(dir, (pid) => pid === 42);
    expect(removed).toEqual([names[0]]);
    expect((await readdir(dir)).sort()).toEqual([names[1], names[2]].sort());
    expect(await removeStaleTemps(join(dir, 'missing'))).toEqual([]);
  });
});
