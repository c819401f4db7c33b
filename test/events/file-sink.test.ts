// The `file:PATH` sink appends JSON lines durably, creates parent directories and keeps appending
// when a new sink (the next run) opens the same file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { FileSink } from '../../src/events/file-sink.js';
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
});
