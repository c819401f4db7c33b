// The `file:PATH` sink appends JSON lines durably, creates parent directories and keeps appending
// when a new sink (the next run) opens the same file; on a full disk it fails truthfully and never
// leaves a torn last line for the next append to glue onto.
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import type { FileOpener } from '../../src/events/durable-file.js';
import { FileSink } from '../../src/events/file-sink.js';
import { failingDisk, runUnderFileSizeLimit, sourceUrl } from './failing-disk.js';
import { sampleEvents } from './sample-events.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-file-sink-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readLines(path: string): Promise<unknown[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('the file sink', () => {
  it('creates missing parent directories and writes one event per line', async () => {
    const path = join(dir, 'deep', 'er', 'events.jsonl');
    const sink = new FileSink(path);
    const events = sampleEvents();
    await sink.emit(events);
    await sink.close();
    expect(await readLines(path)).toEqual(JSON.parse(JSON.stringify(events)));
    expect(sink.name).toBe(`file:${path}`);
  });

  it('appends after what is already there, across a reopen by a new sink', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const first = new FileSink(path);
    const [a, b, c, d] = sampleEvents();
    await first.emit([a!]);
    await first.emit([b!]);
    await first.close();
    const nextRun = new FileSink(path);
    await nextRun.emit([c!, d!]);
    await nextRun.close();
    const lines = await readLines(path);
    expect(lines[0]).toEqual({ earlier: true });
    expect(lines.slice(1).map((line) => (line as { id: string }).id)).toEqual([a!.id, b!.id, c!.id, d!.id]);
  });

  it('keeps concurrent emits whole, one line per event', async () => {
    const path = join(dir, 'events.jsonl');
    const sink = new FileSink(path);
    const batches = Array.from({ length: 20 }, () => sampleEvents());
    await Promise.all(batches.map((batch) => sink.emit(batch)));
    await sink.close();
    const ids = (await readLines(path)).map((line) => (line as { id: string }).id);
    expect(ids).toEqual(batches.flat().map((event) => event.id));
  });

  it('does not create the file for an empty batch', async () => {
    const path = join(dir, 'none.jsonl');
    await new FileSink(path).emit([]);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with an io error when the path cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const sink = new FileSink(join(blocker, 'events.jsonl'));
    const failure = await sink.emit(sampleEvents()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AccessctlError);
    expect(failure).toMatchObject({ code: 'io' });
  });

  it('writes on after short writes, so each line is whole', async () => {
    const path = join(dir, 'events.jsonl');
    const disk = failingDisk([{ bytes: 97 }]);
    const sink = new FileSink(path, { openFile: disk.open });
    const events = sampleEvents();
    await sink.emit(events);
    expect((await readLines(path)).map((line) => (line as { id: string }).id)).toEqual(events.map((event) => event.id));
    expect(disk.writes()).toBeGreaterThan(1);
  });

  it('on a disk that fills up mid-append rejects naming the file and ENOSPC, and cuts the torn part back off', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const sink = new FileSink(path, { openFile: failingDisk([{ bytes: 300 }, { fail: 'ENOSPC' }]).open });
    const failure = await sink.emit(sampleEvents()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AccessctlError);
    expect(failure).toMatchObject({ code: 'io' });
    expect((failure as Error).message).toBe(`could not append ${sampleEvents().length} event(s) to ${path}: ENOSPC: injected failure, write`);
    expect(await readFile(path, 'utf8')).toBe('{"earlier":true}\n');
    const next = new FileSink(path);
    const [event] = sampleEvents();
    await next.emit([event!]);
    expect(await readLines(path)).toEqual([{ earlier: true }, JSON.parse(JSON.stringify(event))]);
  });

  it('starts the next append on a fresh line when even the rollback fails, so only the torn line is lost', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const sink = new FileSink(path, { openFile: failingDisk([{ bytes: 40 }, { fail: 'EIO' }], { truncateFails: true }).open });
    await expect(sink.emit(sampleEvents())).rejects.toMatchObject({ code: 'io', message: expect.stringContaining('EIO') });
    const [event] = sampleEvents();
    await new FileSink(path).emit([event!]);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toEqual({ earlier: true });
    expect(() => JSON.parse(lines[1]!)).toThrow();
    expect(JSON.parse(lines[2]!)).toEqual(JSON.parse(JSON.stringify(event)));
    expect(lines[3]).toBe('');
  });

  it('rolls a real short append back (a file size limit in a child process) and reports it', async () => {
    const path = join(dir, 'events.jsonl');
    const earlier = `${JSON.stringify({ earlier: 'x'.repeat(200) })}\n`;
    await writeFile(path, earlier);
    const events = Array.from({ length: 40 }, () => sampleEvents()).flat();
    const run = await runUnderFileSizeLimit(
      8,
      `import { FileSink } from ${JSON.stringify(sourceUrl('src/events/file-sink.ts'))};
       const sink = new FileSink(${JSON.stringify(path)});
       try { await sink.emit(${JSON.stringify(events)}); console.log('written'); }
       catch (error) { console.log(error.code + ' ' + /EFBIG/.test(error.message)); process.exitCode = 3; }`,
    );
    expect(run.stdout.trim(), run.stderr).toBe('io true');
    expect(run.code).toBe(3);
    expect(await readFile(path, 'utf8')).toBe(earlier);
    expect(await readdir(dir)).toEqual(['events.jsonl']);
  });

  it('still appends to a file it may write but not read back (write-only), opening it append-only', async () => {
    const path = join(dir, 'events.jsonl');
    await writeFile(path, '{"earlier":true}\n');
    const modes: string[] = [];
    const writeOnly: FileOpener = async (file, flags) => {
      modes.push(flags);
      if (flags === 'a+') throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return open(file, flags);
    };
    const [event] = sampleEvents();
    await new FileSink(path, { openFile: writeOnly }).emit([event!]);
    expect(modes).toEqual(['a+', 'a']);
    expect(await readLines(path)).toEqual([{ earlier: true }, JSON.parse(JSON.stringify(event))]);
  });
});
