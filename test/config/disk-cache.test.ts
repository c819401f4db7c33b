// Specifies the parse cache kept on disk (--cache-dir): a later process parses only what changed, an
// entry that is not exactly what was written (flipped, cut, another version or shape) is parsed
// again and rewritten, no entry holds a literal secret, and the dir stays within its bound.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCache, openDiskCache, type DiskCacheOptions } from '../../src/config/disk-cache.js';
import { loadConfig, readFolder, type LoadResult } from '../../src/config/load.js';
import { ParseCache } from '../../src/config/parse-cache.js';
import { AccessctlError } from '../../src/errors.js';
import { lines, located, groupFile as group, automaticFlowFile as flow } from './config-workspace.js';

const root = mkdtempSync(join(tmpdir(), 'accessctl-disk-cache-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;

/** A fresh config folder holding `files`, and an empty cache dir beside it. */
function workspace(files: Record<string, string>): { dir: string; cacheDir: string } {
  const base = join(root, String(cases++));
  const dir = join(base, 'config');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return { dir, cacheDir: join(base, 'cache') };
}

const broken = lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  name: X', '  colour: red', 'spec: {}');

const VERSION = '1.2.3';

/**
 * One process's load through the disk cache at `cacheDir`: a fresh in-memory ParseCache, as a new
 * `accessctl validate` has, with how many files it parsed and read back from disk.
 */
async function processLoad(
  dir: string,
  cacheDir: string,
  options: Partial<DiskCacheOptions> = {},
): Promise<{ result: LoadResult; parsed: number; stored: number; disk: DiskCache }> {
  const disk = openDiskCache(cacheDir, { version: VERSION, ...options });
  const cache = new ParseCache({ store: disk });
  const result = await loadConfig('.', dir, { cache });
  return { result, parsed: cache.parsed, stored: cache.stored, disk };
}

/** What a load says, down to every diagnostic's fields and the code frames' text. */
function said(result: LoadResult): unknown {
  return {
    files: result.files,
    objects: result.objects,
    diagnostics: JSON.stringify(result.diagnostics),
    desired: JSON.stringify(result.desired, (key, value: unknown) => (key === 'source' ? undefined : value)),
    sources: [...result.sources].map(([path, file]) => [path, file.displayText, file.lineCounter.lineStarts]),
  };
}

const entries = (cacheDir: string): string[] => readdirSync(cacheDir).filter((name) => name.endsWith('.json'));

describe('a parse cache kept on disk', () => {
  it('lets a later process parse no file of an unchanged config, with the same result', async () => {
    const { dir, cacheDir } = workspace({ 'groups.yaml': `${group('Engineering')}---\n${group('Admins')}`, 'a.yaml': flow('A', 'Admins'), 'bad.yaml': broken });
    const first = await processLoad(dir, cacheDir);
    expect([first.parsed, first.stored, first.disk.counts.written]).toEqual([3, 0, 3]);
    const second = await processLoad(dir, cacheDir);
    expect([second.parsed, second.stored]).toEqual([0, 3]);
    expect(said(second.result)).toEqual(said(await loadConfig('.', dir)));
    expect(located(second.result.diagnostics)).toEqual(['bad.yaml:5:3 error unknown-field']);
    // The code frame is cut from the text read back, at the same place.
    expect(second.result.sources.get('bad.yaml')!.lineCounter.linePos(second.result.sources.get('bad.yaml')!.displayText.indexOf('colour'))).toEqual({
      line: 5,
      col: 3,
    });
    // Data read back is frozen like a parse's.
    const spec = second.result.desired.flows[0]!.object.spec;
    expect(Object.isFrozen(spec.visibleTo)).toBe(true);
  });

  it('keeps each document’s schema check with its parse: a later process reports the kept findings', async () => {
    const { dir, cacheDir } = workspace({ 'bad.yaml': broken, 'a.yaml': group('A') });
    const first = await processLoad(dir, cacheDir);
    const name = first.disk.entryName('bad.yaml', gitBlobOf(join(dir, 'bad.yaml')));
    const written = readFileSync(join(cacheDir, name));
    expect(written.toString('utf8')).toContain('"check":{"kind":"GroupAssignment","valid":false,"diagnostics":[{"file":"bad.yaml","line":5');
    // Only a load that takes the check from the entry can report this message.
    writeFileSync(
      join(cacheDir, name),
      resealed(written, (body) => ({
        ...body,
        documents: (body['documents'] as { check: { diagnostics: { message: string }[] } }[]).map((document) => ({
          ...document,
          check: { ...document.check, diagnostics: document.check.diagnostics.map((d) => ({ ...d, message: 'kept on disk' })) },
        })),
      })),
    );
    const second = await processLoad(dir, cacheDir);
    expect(second.parsed).toBe(0);
    expect(second.result.diagnostics.map((d) => d.message)).toEqual(['kept on disk']);
  });

  it('keeps a parse whose documents were not checked without checks, and a later load checks them', async () => {
    const { dir, cacheDir } = workspace({ 'bad.yaml': broken, 'a.yaml': group('A') });
    const cache = new ParseCache({ store: openDiskCache(cacheDir, { version: VERSION }) });
    await readFolder('.', dir, { cache });
    cache.settle();
    expect(entries(cacheDir)).toHaveLength(2);
    for (const name of entries(cacheDir)) expect(readFileSync(join(cacheDir, name), 'utf8')).toContain('"check":null');
    const later = await processLoad(dir, cacheDir);
    expect([later.parsed, later.stored]).toEqual([0, 2]);
    expect(said(later.result)).toEqual(said(await loadConfig('.', dir)));
  });

  it('parses only the file that changed, and keeps the rules across files whole', async () => {
    const { dir, cacheDir } = workspace({ 'groups.yaml': group('Engineering'), 'a.yaml': flow('A', 'Engineering'), 'b.yaml': flow('B', 'Engineering') });
    await processLoad(dir, cacheDir);
    writeFileSync(join(dir, 'b.yaml'), flow('A', 'Engineering'));
    const changed = await processLoad(dir, cacheDir);
    expect([changed.parsed, changed.stored]).toEqual([1, 2]);
    expect(located(changed.result.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
    expect(said(changed.result)).toEqual(said(await loadConfig('.', dir)));
  });

  it('keys an entry by the shown path: the same bytes under another name are parsed for their own locations', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': group('Engineering') });
    await processLoad(dir, cacheDir);
    writeFileSync(join(dir, 'b.yaml'), group('Engineering'));
    const copied = await processLoad(dir, cacheDir);
    expect([copied.parsed, copied.stored]).toEqual([1, 1]);
    expect(located(copied.result.diagnostics)).toEqual(['b.yaml:4:9 error duplicate-name']);
  });

  it('does not use the entries of another accessctl version', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': group('One'), 'b.yaml': group('Two') });
    await processLoad(dir, cacheDir, { version: '1.0.0' });
    const other = await processLoad(dir, cacheDir, { version: '2.0.0' });
    expect([other.parsed, other.stored]).toEqual([2, 0]);
    expect((await processLoad(dir, cacheDir, { version: '2.0.0' })).parsed).toBe(0);
  });

  describe('an entry that is not as written', () => {
    const tamperings: Record<string, (bytes: Buffer) => Buffer> = {
      'a flipped byte in its data': (bytes) => {
        const flipped = Buffer.from(bytes);
        const at = flipped.indexOf('Engineering');
        flipped[at] = flipped[at]! ^ 0x01;
        return flipped;
      },
      'a flipped byte in its digest': (bytes) => {
        const flipped = Buffer.from(bytes);
        flipped[30] = flipped[30] === 0x30 ? 0x31 : 0x30;
        return flipped;
      },
      truncated: (bytes) => bytes.subarray(0, bytes.length - 10),
      'cut to its header': (bytes) => bytes.subarray(0, bytes.indexOf('\n') + 1),
      empty: () => Buffer.alloc(0),
      'of another version, with a digest that matches': (bytes) => resealed(bytes, (body) => ({ ...body, accessctl: '0.0.1' })),
      'of other schemas, with a digest that matches': (bytes) => resealed(bytes, (body) => ({ ...body, schemas: '0'.repeat(64) })),
      'for another path, with a digest that matches': (bytes) => resealed(bytes, (body) => ({ ...body, path: 'other.yaml' })),
      'in the wrong shape, with a digest that matches': (bytes) => resealed(bytes, (body) => ({ ...body, diagnostics: 'none' })),
      'with locations outside the text, with a digest that matches': (bytes) =>
        resealed(bytes, (body) => ({
          ...body,
          documents: (body['documents'] as Record<string, unknown>[]).map((document) => ({
            ...document,
            records: (document['records'] as number[]).map((n) => n * 1000),
          })),
        })),
      'with a check that says valid and has findings, with a digest that matches': (bytes) =>
        resealed(bytes, (body) => ({
          ...body,
          documents: (body['documents'] as Record<string, unknown>[]).map((document) => ({
            ...document,
            check: {
              kind: 'GroupAssignment',
              valid: true,
              diagnostics: [{ file: 'a.yaml', line: 1, column: 1, severity: 'error', code: 'x', message: 'x', path: '' }],
            },
          })),
        })),
      'with a check of an unknown kind, with a digest that matches': (bytes) =>
        resealed(bytes, (body) => ({
          ...body,
          documents: (body['documents'] as Record<string, unknown>[]).map((document) => ({
            ...document,
            check: { kind: 'Group', valid: true, diagnostics: [] },
          })),
        })),
      'with a prototype key in its data, with a digest that matches': (bytes) =>
        resealed(bytes, (body) => ({
          ...body,
          documents: (body['documents'] as Record<string, unknown>[]).map((document) => ({ ...document, data: JSON.parse('{"__proto__": {"x": 1}}') })),
        })),
    };

    for (const [how, tamper] of Object.entries(tamperings)) {
      it(`is parsed again and rewritten when ${how}`, async () => {
        const { dir, cacheDir } = workspace({ 'a.yaml': group('Engineering'), 'b.yaml': flow('B', 'Nobody') });
        const clean = await processLoad(dir, cacheDir);
        const name = clean.disk.entryName('a.yaml', gitBlobOf(join(dir, 'a.yaml')));
        const path = join(cacheDir, name);
        const written = readFileSync(path);
        writeFileSync(path, tamper(written));
        const again = await processLoad(dir, cacheDir);
        expect([again.parsed, again.stored, again.disk.counts.rejected]).toEqual([1, 1, 1]);
        expect(said(again.result)).toEqual(said(clean.result));
        expect(readFileSync(path)).toEqual(written);
        expect((await processLoad(dir, cacheDir)).parsed).toBe(0);
      });
    }

    it('is not followed when it is a link, even to a good entry', async () => {
      const { dir, cacheDir } = workspace({ 'a.yaml': group('Engineering') });
      const clean = await processLoad(dir, cacheDir);
      const name = clean.disk.entryName('a.yaml', gitBlobOf(join(dir, 'a.yaml')));
      const elsewhere = join(cacheDir, '..', 'elsewhere.json');
      writeFileSync(elsewhere, readFileSync(join(cacheDir, name)));
      rmSync(join(cacheDir, name));
      symlinkSync(elsewhere, join(cacheDir, name));
      const again = await processLoad(dir, cacheDir);
      expect(again.parsed).toBe(1);
    });
  });

  it('parses again, without blocking, when an entry is a directory or a FIFO', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': group('Engineering'), 'b.yaml': group('Admins') });
    const clean = await processLoad(dir, cacheDir);
    const [a, b] = ['a.yaml', 'b.yaml'].map((file) => join(cacheDir, clean.disk.entryName(file, gitBlobOf(join(dir, file)))));
    rmSync(a!);
    mkdirSync(a!);
    rmSync(b!);
    execFileSync('mkfifo', [b!]);
    const again = await processLoad(dir, cacheDir);
    expect([again.parsed, again.stored]).toEqual([2, 0]);
    expect(said(again.result)).toEqual(said(clean.result));
  });

  it('removes a temporary file a writer left an hour ago, and keeps a newer one', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': group('One') });
    await processLoad(dir, cacheDir);
    const stale = `.${'a'.repeat(64)}.123.0123abcd-0.tmp`;
    const fresh = `.${'b'.repeat(64)}.123.0123abcd-1.tmp`;
    writeFileSync(join(cacheDir, stale), 'half');
    writeFileSync(join(cacheDir, fresh), 'half');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(cacheDir, stale), old, old);
    writeFileSync(join(dir, 'b.yaml'), group('Two'));
    // A run that writes an entry prunes.
    await processLoad(dir, cacheDir);
    expect(readdirSync(cacheDir)).not.toContain(stale);
    expect(readdirSync(cacheDir)).toContain(fresh);
  });

  it('never writes a literal secret: a file holding one is parsed on every run, one holding references is kept', async () => {
    const secret = 'PLANTEDFAKESECRET0123456789';
    const { dir, cacheDir } = workspace({
      'literal.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata:',
        '  name: SIEM',
        'spec:',
        `  url: https://u:${secret}PW@siem.example.com/ingest/{{TOKEN}}`,
        '  secrets:',
        `    TOKEN: ${secret}TOKEN`,
        '  headers:',
        `    Authorization: Bearer ${secret}BEARER`,
        `  signingSecret: whsec_${secret}`,
      ),
      'header-only.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata:',
        '  name: Header',
        'spec:',
        '  url: https://siem.example.com/ingest',
        '  headers:',
        `    X-Api-Key: ${secret}KEY`,
      ),
      'references.yaml': lines(
        'apiVersion: accessctl/v1',
        'kind: WebhookChannel',
        'metadata:',
        '  name: Refs',
        'spec:',
        '  url: https://siem.example.com/ingest/{{TOKEN}}',
        '  secrets: {TOKEN: {env: SIEM_TOKEN}}',
        '  headers: {Authorization: {env: SIEM_AUTH}}',
        '  signingSecret: {env: SIEM_SIGNING}',
      ),
      'syntax.yaml': lines('apiVersion: accessctl/v1', 'kind: WebhookChannel', 'spec:', `  signingSecret: whsec_${secret}`, '  enabled: yes: no'),
    });
    const first = await processLoad(dir, cacheDir);
    expect(first.disk.counts).toMatchObject({ written: 1, withheld: 3 });
    for (const name of readdirSync(cacheDir)) expect(readFileSync(join(cacheDir, name), 'utf8')).not.toContain(secret);
    const second = await processLoad(dir, cacheDir);
    expect([second.parsed, second.stored]).toEqual([3, 1]);
    expect(said(second.result)).toEqual(said(first.result));
  });

  it('keeps a parse holding a number JSON cannot carry out of the cache', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': lines(group('One').trimEnd(), 'x: .inf', 'y: -0.0') });
    const first = await processLoad(dir, cacheDir);
    expect(first.disk.counts.withheld).toBe(1);
    expect(entries(cacheDir)).toEqual([]);
  });

  it('removes, past its bound, the entries no load of the process used, least recently used first, and nothing else', async () => {
    const { dir, cacheDir } = workspace({ 'a.yaml': group('One'), 'b.yaml': group('Two'), 'c.yaml': group('Three') });
    await processLoad(dir, cacheDir);
    const entrySize = Math.max(...entries(cacheDir).map((name) => statSync(join(cacheDir, name)).size));
    // Age the entries: b.yaml's was used longest ago.
    const disk = new DiskCache(cacheDir, { version: VERSION });
    const day = 24 * 60 * 60 * 1000;
    const aged: Record<string, number> = { 'a.yaml': 2 * day, 'b.yaml': 3 * day, 'c.yaml': 1 * day };
    for (const [file, age] of Object.entries(aged)) {
      const at = new Date(Date.now() - age);
      utimesSync(join(cacheDir, disk.entryName(file, gitBlobOf(join(dir, file)))), at, at);
    }
    writeFileSync(join(cacheDir, 'README'), 'not accessctl');
    // The config is now other files: their entries plus one old entry fit the bound.
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'd.yaml'), group('Four'));
    const next = await processLoad(dir, cacheDir, { maxBytes: entrySize * 2 + 20 });
    expect(next.disk.counts.pruned).toBe(2);
    const left = new Set(entries(cacheDir));
    expect(left.has(disk.entryName('d.yaml', gitBlobOf(join(dir, 'd.yaml'))))).toBe(true);
    expect(left.size).toBe(2);
    expect(readdirSync(cacheDir)).toContain('README');
    // c.yaml's entry, the most recently used of the old ones, is the one kept.
    writeFileSync(join(dir, 'c.yaml'), group('Three'));
    expect((await processLoad(dir, cacheDir)).stored).toBe(2);
  });

  it('refuses a cache dir that is a file, naming the flag', () => {
    const { cacheDir } = workspace({});
    writeFileSync(cacheDir, 'a file');
    expect(() => openDiskCache(cacheDir, { version: VERSION })).toThrow(AccessctlError);
    expect(() => openDiskCache(cacheDir, { version: VERSION })).toThrow(/^--cache-dir .*: it is not a directory/);
    expect(() => openDiskCache(join(cacheDir, 'below'), { version: VERSION })).toThrow(/^--cache-dir .*: it is not a directory/);
  });
});

/** The entry's bytes with its body changed by `change` and a digest that matches the new body. */
function resealed(bytes: Buffer, change: (body: Record<string, unknown>) => Record<string, unknown>): Buffer {
  const newline = bytes.indexOf('\n');
  const header = bytes.subarray(0, newline).toString('utf8');
  const body = change(JSON.parse(bytes.subarray(newline + 1).toString('utf8')) as Record<string, unknown>);
  const json = JSON.stringify(body);
  const digest = createHash('sha256').update(json).digest('hex');
  return Buffer.from(`${header.slice(0, header.lastIndexOf(' ') + 1)}${digest}\n${json}`);
}

function gitBlobOf(path: string): string {
  const bytes = readFileSync(path);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
