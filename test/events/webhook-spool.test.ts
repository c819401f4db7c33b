// The spool keeps events as one file each in sending order, continues the numbering across runs,
// ignores and clears the leftovers of a write that a crash interrupted, sets refused files aside,
// reports an entry it cannot read instead of failing, and finds spools no sink owns any more.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableWriteError, tempPathFor } from '../../src/events/durable-file.js';
import { DEAD_LETTER_DIR, strandedSpools, WebhookSpool } from '../../src/events/webhook-spool.js';
import { failingDisk } from './failing-disk.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-webhook-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the webhook spool', () => {
  it('lists nothing for a spool directory that does not exist yet', async () => {
    expect(await new WebhookSpool(join(dir, 'missing')).files()).toEqual([]);
  });

  it('stores each event as its own file, numbered after what an earlier run left', async () => {
    const spool = new WebhookSpool(join(dir, 'spool'));
    await spool.add([
      { id: 'a', body: '{"id":"a"}' },
      { id: 'b', body: '{"id":"b"}' },
    ]);
    const nextRun = new WebhookSpool(join(dir, 'spool'));
    await nextRun.add([{ id: 'c/../../x', body: '{"id":"c/../../x"}' }]);
    const files = await nextRun.files();
    expect(files).toEqual(['000000000001-a.json', '000000000002-b.json', '000000000003-c_______x.json']);
    expect(await nextRun.read(files[2]!)).toEqual({ file: files[2], id: 'c/../../x', body: '{"id":"c/../../x"}' });
  });

  it('ignores and removes a half-written file left by a crashed process', async () => {
    const spool = new WebhookSpool(dir);
    await writeFile(join(dir, '000000000001-a.json.999999999.tmp'), '{"id":"a"');
    await spool.add([{ id: 'b', body: '{"id":"b"}' }]);
    expect(await spool.files()).toEqual(['000000000001-b.json']);
    expect(await readdir(dir)).toEqual(['000000000001-b.json']);
  });

  it('moves a file to dead-letter/ and removes a delivered one', async () => {
    const spool = new WebhookSpool(dir);
    const [first, second] = await spool.add([
      { id: 'a', body: '{"id":"a"}' },
      { id: 'b', body: '{"id":"b"}' },
    ]);
    const moved = await spool.deadLetter(first!);
    await spool.remove(second!);
    expect(await spool.files()).toEqual([]);
    expect(moved).toBe(join(dir, DEAD_LETTER_DIR, first!));
    expect(await readFile(moved, 'utf8')).toBe('{"id":"a"}');
    expect(await spool.read(second!)).toBeUndefined();
  });

  it("removes a killed writer's temp file but leaves a live writer's, which may still be renamed into place", async () => {
    const spool = new WebhookSpool(dir);
    const killed = tempPathFor('000000000001-a.json', 999_999_999);
    const live = tempPathFor('000000000002-b.json', process.ppid);
    await writeFile(join(dir, killed), '{"id":"a"');
    await writeFile(join(dir, live), '{"id":"b"');
    expect(await spool.files()).toEqual([]);
    expect(await readdir(dir)).toEqual([live]);
  });

  it('reads an entry it cannot read (a directory) as no event, saying why, instead of throwing', async () => {
    const spool = new WebhookSpool(dir);
    await mkdir(join(dir, '000000000001-dir.json'));
    expect(await spool.files()).toEqual(['000000000001-dir.json']);
    expect(await spool.read('000000000001-dir.json')).toEqual({ file: '000000000001-dir.json', id: '', body: '', problem: 'cannot be read (EISDIR)' });
    const moved = await spool.deadLetter('000000000001-dir.json');
    expect(moved).toBe(join(dir, DEAD_LETTER_DIR, '000000000001-dir.json'));
    expect(await spool.files()).toEqual([]);
  });

  it('finds the spools that hold events but belong to no configured sink', async () => {
    const owned = new WebhookSpool(join(dir, 'webhook-0000000000000001'));
    const old = new WebhookSpool(join(dir, 'webhook-0000000000000002'));
    const drained = new WebhookSpool(join(dir, 'webhook-0000000000000003'));
    await owned.add([{ id: 'a', body: '{"id":"a"}' }]);
    await old.add([
      { id: 'b', body: '{"id":"b"}' },
      { id: 'c', body: '{"id":"c"}' },
    ]);
    const [gone] = await drained.add([{ id: 'd', body: '{"id":"d"}' }]);
    await drained.deadLetter(gone!);
    await writeFile(join(dir, 'webhook-not-a-dir'), '');
    expect(await strandedSpools(dir, [owned.dir])).toEqual([{ dir: old.dir, events: 2 }]);
    expect(await strandedSpools(join(dir, 'missing'), [])).toEqual([]);
  });

  it('spools all of a batch or none: a full disk part-way removes what it wrote, and the error names the file', async () => {
    const spool = new WebhookSpool(dir, { openFile: failingDisk([{ bytes: 1 << 20 }, { bytes: 4 }, { fail: 'ENOSPC' }]).open });
    await new WebhookSpool(dir).add([{ id: 'earlier', body: '{"id":"earlier"}' }]);
    const failure = await spool
      .add([
        { id: 'a', body: '{"id":"a"}' },
        { id: 'b', body: '{"id":"b"}' },
      ])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DurableWriteError);
    expect(failure).toMatchObject({ code: 'io', reason: 'ENOSPC', path: join(dir, '000000000003-b.json') });
    expect(await readdir(dir)).toEqual(['000000000001-earlier.json']);
  });
});
