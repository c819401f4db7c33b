// Specifies the parse cache a long-lived caller passes to every load: an unchanged config parses
// nothing, a changed file is the only one parsed again, the cross-file rules still see every file,
// and what a load returns through the cache is what it returns without one.
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import { gitBlobId, ParseCache } from '../../src/config/parse-cache.js';
import { lines, located, groupFile as group, automaticFlowFile as flow } from './config-workspace.js';

const root = mkdtempSync(join(tmpdir(), 'accessctl-parse-cache-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

/** A fresh config folder holding `files`; returns its path (the loads below run with it as cwd). */
function folder(files: Record<string, string>): string {
  const dir = join(root, String(cases++));
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** What a load says, without the object identities a cache shares between loads. */
function said(result: LoadResult): unknown {
  return {
    files: result.files,
    objects: result.objects,
    diagnostics: located(result.diagnostics).concat(result.diagnostics.map((d) => d.message)),
    flows: result.desired.flows.map((f) => [f.name, f.object]),
    groups: result.desired.groups.map((g) => [g.name, g.object]),
    sources: [...result.sources.keys()],
  };
}

/** Loads `dir` through `cache` and returns the result with how many files that load parsed, reused, and reused without reading. */
async function load(dir: string, cache: ParseCache): Promise<{ result: LoadResult; parsed: number; reused: number; unread: number }> {
  const { parsed, reused, unread } = cache;
  const result = await loadConfig('.', dir, { cache });
  return { result, parsed: cache.parsed - parsed, reused: cache.reused - reused, unread: cache.unread - unread };
}

/** A cache whose clock reads a minute on: every file it reads has settled since its last change. */
const settledCache = (): ParseCache => new ParseCache({ now: () => Date.now() + 60_000 });

describe('a load through a parse cache', () => {
  it('parses every file the first time and none the second, with the same result as a load without the cache', async () => {
    const dir = folder({ 'groups.yaml': `${group('Engineering')}---\n${group('Admins')}`, 'a.yaml': flow('A', 'Admins'), 'b.yaml': flow('B', 'Admins') });
    const cache = new ParseCache();
    const first = await load(dir, cache);
    expect([first.parsed, first.reused]).toEqual([3, 0]);
    const second = await load(dir, cache);
    expect([second.parsed, second.reused]).toEqual([0, 3]);
    const uncached = await loadConfig('.', dir);
    expect(said(second.result)).toEqual(said(uncached));
    expect(said(first.result)).toEqual(said(uncached));
    expect(second.result.desired.flows.map((f) => f.name)).toEqual(['A', 'B']);
  });

  it('parses only the file that changed, and the rules across files still see the unchanged ones', async () => {
    const dir = folder({ 'groups.yaml': group('Engineering'), 'a.yaml': flow('A', 'Engineering'), 'b.yaml': flow('B', 'Engineering') });
    const cache = new ParseCache();
    await load(dir, cache);
    // b.yaml now declares the name a.yaml declares: the duplicate is found against the cached a.yaml.
    writeFileSync(join(dir, 'b.yaml'), flow('A', 'Engineering'));
    const changed = await load(dir, cache);
    expect([changed.parsed, changed.reused]).toEqual([1, 2]);
    expect(located(changed.result.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(changed.result.diagnostics[0]!.message).toContain('already declared at a.yaml:4:9');
    expect(said(changed.result)).toEqual(said(await loadConfig('.', dir)));
  });

  it('reports a broken file again on every load, from the cache', async () => {
    const dir = folder({
      'bad.yaml': lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  name: X', '  colour: red', 'spec: {}'),
      'syntax.yaml': 'a: [\n',
    });
    const cache = new ParseCache();
    const first = await load(dir, cache);
    const second = await load(dir, cache);
    expect(second.parsed).toBe(0);
    expect(located(second.result.diagnostics)).toEqual(located(first.result.diagnostics));
    expect(located(second.result.diagnostics)).toEqual(expect.arrayContaining(['bad.yaml:5:3 error unknown-field']));
    expect(said(second.result)).toEqual(said(await loadConfig('.', dir)));
  });

  it('keys a file by its content, not its time stamp, and by the path it is shown as', async () => {
    const dir = folder({ 'a.yaml': group('Engineering') });
    const cache = new ParseCache();
    await load(dir, cache);
    utimesSync(join(dir, 'a.yaml'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect((await load(dir, cache)).parsed).toBe(0);
    // The same bytes under another name: its own locations, so its own parse.
    writeFileSync(join(dir, 'b.yaml'), group('Engineering'));
    const copied = await load(dir, cache);
    expect([copied.parsed, copied.reused]).toEqual([1, 1]);
    expect(located(copied.result.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    // The same size and a restored time stamp, but other bytes: parsed again.
    writeFileSync(join(dir, 'b.yaml'), group('Engineerinh'));
    utimesSync(join(dir, 'b.yaml'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const edited = await load(dir, cache);
    expect(edited.parsed).toBe(1);
    expect(edited.result.desired.groups.map((g) => g.name)).toEqual(['Engineering', 'Engineerinh']);
  });

  it('forgets a deleted file, and keeps the entries of each config root apart', async () => {
    const one = folder({ 'a.yaml': group('One'), 'b.yaml': group('Two') });
    const two = folder({ 'a.yaml': group('Three') });
    const cache = new ParseCache();
    await load(one, cache);
    await load(two, cache);
    expect((await load(one, cache)).parsed).toBe(0);
    unlinkSync(join(one, 'b.yaml'));
    const deleted = await load(one, cache);
    expect(deleted.result.desired.groups.map((g) => g.name)).toEqual(['One']);
    // Written back, it is parsed again: the load without it let its entry go.
    writeFileSync(join(one, 'b.yaml'), group('Two'));
    expect((await load(one, cache)).parsed).toBe(1);
    expect((await load(two, cache)).parsed).toBe(0);
  });

  it('hands out frozen data, so no consumer can change what the next load returns', async () => {
    const dir = folder({ 'groups.yaml': group('Engineering'), 'a.yaml': flow('A', 'Engineering') });
    const cache = new ParseCache();
    const { result } = await load(dir, cache);
    const spec = result.desired.flows[0]!.object.spec;
    expect(() => {
      (spec.visibleTo as string[]).push('Someone else');
    }).toThrow(TypeError);
    expect((await load(dir, cache)).result.desired.flows[0]!.object.spec.visibleTo).toEqual(['Engineering']);
  });
});

describe('the checks across files, through a parse cache', () => {
  it('are not made again when every file is as before, and each load gets lists of its own', async () => {
    const dir = folder({ 'groups.yaml': group('Engineering'), 'a.yaml': flow('A', 'Engineering'), 'b.yaml': flow('A', 'Engineering') });
    const cache = new ParseCache();
    const first = (await load(dir, cache)).result;
    const second = (await load(dir, cache)).result;
    expect(said(second)).toEqual(said(first));
    expect(located(second.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    // The very objects the first check declared: nothing was checked again.
    expect(second.desired.flows[0]).toBe(first.desired.flows[0]);
    expect(second.desired.flows).not.toBe(first.desired.flows);
    second.desired.flows.length = 0;
    second.diagnostics.length = 0;
    const third = (await load(dir, cache)).result;
    expect(third.desired.flows.map((f) => f.name)).toEqual(['A', 'A']);
    expect(located(third.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(() => {
      (third.desired.flows[0] as { name: string }).name = 'B';
    }).toThrow(TypeError);
  });

  it('are made again when a file without documents changes, and the sources show its new text', async () => {
    const dir = folder({ 'a.yaml': group('Engineering'), 'notes.yaml': '# nothing yet\n' });
    const cache = new ParseCache();
    await load(dir, cache);
    writeFileSync(join(dir, 'notes.yaml'), '# still nothing\n');
    const changed = await load(dir, cache);
    expect(changed.parsed).toBe(1);
    expect(changed.result.sources.get('notes.yaml')?.displayText).toBe('# still nothing\n');
  });
});

describe('a load through a parse cache, by stat', () => {
  it('does not read again a file whose stat is as it was when it was read, well after its last change', async () => {
    const dir = folder({ 'groups.yaml': group('Engineering'), 'a.yaml': flow('A', 'Engineering') });
    const cache = settledCache();
    expect(await load(dir, cache)).toMatchObject({ parsed: 2, unread: 0 });
    const second = await load(dir, cache);
    expect([second.parsed, second.reused, second.unread]).toEqual([0, 2, 2]);
    expect(said(second.result)).toEqual(said(await loadConfig('.', dir)));
  });

  it('reads a file again after any write, even one that puts its size and time stamp back', async () => {
    const dir = folder({ 'a.yaml': group('Engineering') });
    // A whole second, which the file system keeps exactly, so it can be put back exactly.
    const stamp = new Date(Date.UTC(2001, 1, 1));
    utimesSync(join(dir, 'a.yaml'), stamp, stamp);
    const cache = settledCache();
    await load(dir, cache);
    writeFileSync(join(dir, 'a.yaml'), group('Engineerinh'));
    utimesSync(join(dir, 'a.yaml'), stamp, stamp);
    expect(statSync(join(dir, 'a.yaml')).mtimeMs).toBe(stamp.getTime());
    const edited = await load(dir, cache);
    expect([edited.parsed, edited.unread]).toEqual([1, 0]);
    expect(edited.result.desired.groups.map((g) => g.name)).toEqual(['Engineerinh']);
  });

  it('reads every time a file that had changed just before it was read: its stat cannot vouch for it', async () => {
    const dir = folder({ 'a.yaml': group('Engineering') });
    // The real clock: the file was written a moment ago.
    const cache = new ParseCache();
    await load(dir, cache);
    const again = await load(dir, cache);
    expect([again.parsed, again.reused, again.unread]).toEqual([0, 1, 0]);
  });

  it('reads a file swapped for a link to another file, at the link', async () => {
    const dir = folder({ 'a.yaml': group('Engineering'), 'other.yml': group('Other') });
    const cache = settledCache();
    await load(dir, cache);
    unlinkSync(join(dir, 'a.yaml'));
    symlinkSync(join(dir, 'other.yml'), join(dir, 'a.yaml'));
    const swapped = await load(dir, cache);
    expect(swapped.unread).toBe(1);
    expect(located(swapped.result.diagnostics)).toEqual(['other.yml:4:9 error duplicate-name']);
    expect(said(swapped.result)).toEqual(said(await loadConfig('.', dir)));
  });
});

describe('gitBlobId', () => {
  it('is the id git gives the same bytes', () => {
    // `printf 'hello\n' | git hash-object --stdin`, and git's id of the empty blob.
    expect(gitBlobId(new TextEncoder().encode('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(gitBlobId(new Uint8Array())).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});
