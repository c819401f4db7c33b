// The reconciler's last applied state is read strictly: only a missing file means "no state"; a file
// that cannot be read, is not JSON or does not match schemas/state-last-applied.schema.json is an
// AccessctlError naming the file, so drift is never mistaken for a config change. The per-object
// format is written; the earlier whole-repo format is still read and stands for what it can.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import {
  baselineOf,
  LAST_APPLIED_FILE,
  readLastApplied,
  repoDigest,
  writeLastApplied,
  type LastApplied,
  type LastAppliedRepo,
} from '../../src/reconcile/last-applied.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;
const COMMIT = 'c0ffee'.padEnd(40, '0');
const OBJECTS = { 'ApprovalFlow/github admin': DIGEST, 'AccessRequestSettings/settings': OTHER };

let stateDir: string;
let file: string;

beforeEach(() => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-state-'));
  file = path.join(stateDir, LAST_APPLIED_FILE);
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

async function failure(): Promise<AccessctlError> {
  const error = await readLastApplied(stateDir).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AccessctlError);
  return error as AccessctlError;
}

describe('readLastApplied', () => {
  it('means "no state" only when the file does not exist', async () => {
    expect(await readLastApplied(stateDir)).toBeUndefined();
    expect(await readLastApplied(path.join(stateDir, 'never-created'))).toBeUndefined();
  });

  it('reads back what writeLastApplied wrote, for a directory and for a commit', async () => {
    for (const value of [
      { format: 2, commit: null, objects: OBJECTS },
      { format: 2, commit: COMMIT, objects: {} },
    ] satisfies LastApplied[]) {
      await writeLastApplied(stateDir, value);
      expect(await readLastApplied(stateDir)).toEqual(value);
    }
  });

  it('still reads the whole-repo format of earlier versions, as that format', async () => {
    const old: LastAppliedRepo = { commit: COMMIT, config: DIGEST };
    writeFileSync(file, JSON.stringify(old));
    expect(await readLastApplied(stateDir)).toEqual(old);
  });

  it('refuses a file that is not JSON, naming it', async () => {
    writeFileSync(file, '{"commit": null, "config": "sha256:');
    const error = await failure();
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid JSON');
  });

  it.each([
    ['a number for the commit', { commit: 5, config: DIGEST }, 'commit'],
    ['a config that is not a digest', { commit: null, config: 'whatever' }, 'config'],
    ['a missing digest', { commit: COMMIT }, 'config'],
    ['an unknown field', { commit: null, config: DIGEST, extra: true }, 'additional'],
    ['an array', [], 'object'],
    ['null', null, 'object'],
    ['an unknown format', { format: 3, commit: null, objects: {} }, 'format'],
    ['an object digest that is not a digest', { format: 2, commit: null, objects: { 'ApprovalFlow/x': 'whatever' } }, 'objects'],
    ['an object key of no kind', { format: 2, commit: null, objects: { 'Robot/x': DIGEST } }, 'objects'],
    ['per-object digests without their format', { commit: null, objects: OBJECTS }, 'config'],
  ])('refuses a state with %s as not matching the schema, naming the file', async (_name, value, mentioned) => {
    writeFileSync(file, JSON.stringify(value));
    const error = await failure();
    expect(error.message).toContain(file);
    expect(error.message).toContain('state-last-applied.schema.json');
    expect(error.message).toContain(mentioned);
  });

  it('refuses a state path that is a folder, or a link, instead of treating it as missing', async () => {
    mkdirSync(file);
    expect((await failure()).message).toContain(file);
    rmSync(file, { recursive: true });
    writeFileSync(path.join(stateDir, 'elsewhere.json'), JSON.stringify({ format: 2, commit: null, objects: OBJECTS }));
    symlinkSync('elsewhere.json', file);
    expect((await failure()).message).toMatch(/ELOOP/);
  });

  // Root reads any file whatever its mode, so a permission error can only be staged for another user.
  it.runIf(process.getuid?.() !== 0)('refuses a state file it may not read (EACCES)', async () => {
    writeFileSync(file, JSON.stringify({ format: 2, commit: null, objects: OBJECTS }));
    chmodSync(file, 0o000);
    expect((await failure()).message).toMatch(/EACCES/);
  });
});

describe('a state read and written every cycle', () => {
  it('leaves the file as it is when it already holds what would be written, and writes a different state', async () => {
    const value: LastApplied = { format: 2, commit: COMMIT, objects: OBJECTS };
    await writeLastApplied(stateDir, value);
    const before = statSync(file);
    await writeLastApplied(stateDir, { format: 2, commit: COMMIT, objects: { ...OBJECTS } });
    const after = statSync(file);
    // writeLastApplied renames a new file over the old one: the same inode is the same file.
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    await writeLastApplied(stateDir, { format: 2, commit: null, objects: OBJECTS });
    expect(statSync(file).ino).not.toBe(before.ino);
    expect(await readLastApplied(stateDir)).toEqual({ format: 2, commit: null, objects: OBJECTS });
  });

  it('writes the state again when someone else changed or removed the file since', async () => {
    const value: LastApplied = { format: 2, commit: COMMIT, objects: OBJECTS };
    await writeLastApplied(stateDir, value);
    writeFileSync(file, JSON.stringify({ format: 2, commit: null, objects: {} }));
    await writeLastApplied(stateDir, value);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(value);
    rmSync(file);
    await writeLastApplied(stateDir, value);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(value);
  });

  it('parses and checks unchanged bytes once, hands out a frozen state, and checks changed bytes again', async () => {
    await writeLastApplied(stateDir, { format: 2, commit: COMMIT, objects: OBJECTS });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const first = await readLastApplied(stateDir);
      const again = await readLastApplied(stateDir);
      expect(again).toBe(first);
      expect(parse).not.toHaveBeenCalled();
      expect(Object.isFrozen(first)).toBe(true);
      expect(first !== undefined && 'objects' in first && Object.isFrozen(first.objects)).toBe(true);
      // Same length, one byte different: the bytes are compared, not the size or the stat.
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace('"objects":{"AccessRequestSettings', '"objects":{"Robot/RequestSettings'));
      expect(readFileSync(file).length).toBe(Buffer.byteLength(text));
      expect((await failure()).message).toContain('state-last-applied.schema.json');
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });
});

describe('baselineOf: what a stored state says about each object', () => {
  const config = {
    sources: new Map([
      ['a.yaml', { displayText: 'a' }],
      ['b.yaml', { displayText: 'b' }],
    ]),
  } as unknown as Parameters<typeof repoDigest>[0];
  const current = { 'ApprovalFlow/github admin': DIGEST, 'AccessRequestSettings/settings': DIGEST };

  it('knows nothing without a state: every difference is a change', () => {
    expect(baselineOf(undefined, current, config)).toBeUndefined();
  });

  it('takes the per-object digests as stored', () => {
    expect(baselineOf({ format: 2, commit: null, objects: OBJECTS }, current, config)).toEqual(OBJECTS);
  });

  it('reads a whole-repo state of an unchanged repo as every object last applied as it is now', () => {
    expect(baselineOf({ commit: null, config: repoDigest(config) }, current, config)).toEqual(current);
  });

  it('reads a whole-repo state of a repo that changed since as knowing nothing', () => {
    expect(baselineOf({ commit: null, config: OTHER }, current, config)).toBeUndefined();
  });
});
