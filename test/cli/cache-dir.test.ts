// `validate --cache-dir DIR` and `plan --cache-dir DIR`: a run with a cold or a warm cache prints, byte
// for byte, what a run without one prints, in every format; a later run reads its parses from DIR;
// a DIR accessctl cannot use is a usage error naming the flag, before anything is read or sent.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { lines } from '../config/config-workspace.js';
import { accessctl, type Run } from './in-process.js';
import { codeDigest } from '../../src/config/disk-cache.js';
import { packageVersion } from '../../src/cli/version.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'accessctl-cache-dir-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let cases = 0;
const fresh = (): string => join(root, `cache-${cases++}`);

/** A config with errors of every stage: YAML syntax, schema, a rule across files, and a code frame to cut. */
function brokenConfig(): string {
  const dir = join(root, `config-${cases++}`);
  mkdirSync(dir);
  const group = (name: string) => lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', `  name: ${name}`, 'spec: {}');
  writeFileSync(join(dir, 'a.yaml'), group('Engineering'));
  writeFileSync(join(dir, 'b.yaml'), group('Engineering'));
  writeFileSync(join(dir, 'c.yaml'), lines('apiVersion: accessctl/v1', 'kind: GroupAssignment', 'metadata:', '  name: X', '  colour: red', 'spec: {}'));
  writeFileSync(join(dir, 'd.yaml'), 'a: [\n');
  return dir;
}

const printed = (run: Run) => ({ code: run.code, stdout: run.stdout, stderr: run.stderr });

describe('validate --cache-dir', () => {
  for (const format of ['text', 'json', 'github']) {
    it(`prints the same as without it, cold and warm, on the examples and on a config with errors (--format ${format})`, async () => {
      for (const dir of [examples, brokenConfig()]) {
        const cacheDir = fresh();
        const without = await accessctl(['validate', dir, '--format', format]);
        const cold = await accessctl(['validate', dir, '--format', format, '--cache-dir', cacheDir]);
        const warm = await accessctl(['validate', dir, '--format', format, '--cache-dir', cacheDir]);
        expect(printed(cold)).toEqual(printed(without));
        expect(printed(warm)).toEqual(printed(without));
        expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
      }
      expect((await accessctl(['validate', examples, '--format', format])).code).toBe(0);
    });
  }

  it('reads a later run’s parses from DIR: what an entry says is what that run reports', async () => {
    const dir = brokenConfig();
    const cacheDir = fresh();
    await accessctl(['validate', dir, '--format', 'json', '--cache-dir', cacheDir]);
    // Reseal d.yaml's entry (its YAML syntax error) with another message: only a run that reads the entry can print it.
    let resealed = 0;
    for (const name of readdirSync(cacheDir)) {
      const bytes = readFileSync(join(cacheDir, name));
      const newline = bytes.indexOf('\n');
      const json = bytes.subarray(newline + 1).toString('utf8');
      if (!json.includes('yaml-syntax')) continue;
      const changed = json.replace(/"message":"[^"]*"/, '"message":"from the cache dir"');
      const header = bytes.subarray(0, newline).toString('utf8');
      const digest = createHash('sha256').update(changed).digest('hex');
      writeFileSync(join(cacheDir, name), `${header.slice(0, header.lastIndexOf(' ') + 1)}${digest}\n${changed}`);
      resealed++;
    }
    expect(resealed).toBe(1);
    const warm = await accessctl(['validate', dir, '--format', 'json', '--cache-dir', cacheDir]);
    expect(warm.stdout).toContain('"message": "from the cache dir"');
  });

  it('keys its entries by the build too (the version and a digest of the code that parses and checks)', async () => {
    const cacheDir = fresh();
    await accessctl(['validate', examples, '--cache-dir', cacheDir]);
    const [name] = readdirSync(cacheDir).filter((entry) => entry.endsWith('.json'));
    const bytes = readFileSync(join(cacheDir, name!), 'utf8');
    const body = JSON.parse(bytes.slice(bytes.indexOf('\n') + 1)) as { accessctl: string };
    expect(codeDigest()).toMatch(/^[0-9a-f]{64}$/);
    expect(body.accessctl).toBe(`${packageVersion()}+${codeDigest()}`);
  });

  it('refuses a DIR that is a file, naming --cache-dir, and reads no config', async () => {
    const file = join(root, `file-${cases++}`);
    writeFileSync(file, 'not a directory');
    const run = await accessctl(['validate', examples, '--cache-dir', file]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`--cache-dir ${file}: it is not a directory`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('does not combine with --fleet', async () => {
    const run = await accessctl(['validate', '--fleet', join(root, 'fleet.yaml'), '--cache-dir', fresh()]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--cache-dir does not combine with --fleet');
  });
});

describe('plan --cache-dir', () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeEach(async () => {
    h = await startHarness();
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey };
  });
  afterEach(async () => {
    await h.close();
  });

  it('plans the same as without it, cold and warm, and reports an invalid config the same', async () => {
    const cacheDir = fresh();
    for (const format of ['text', 'json']) {
      const args = ['plan', examples, '--format', format, '--target', h.sandbox.url];
      const without = await accessctl(args, env);
      expect(without.code, without.stderr).toBe(0);
      const cold = await accessctl([...args, '--cache-dir', cacheDir], env);
      // One entry per file of the examples.
      expect(readdirSync(cacheDir).length).toBe(readdirSync(examples, { recursive: true }).filter((name) => String(name).endsWith('.yaml')).length);
      const warm = await accessctl([...args, '--cache-dir', cacheDir], env);
      expect(printed(cold)).toEqual(printed(without));
      expect(printed(warm)).toEqual(printed(without));
    }
    const broken = brokenConfig();
    const without = await accessctl(['plan', broken, '--target', h.sandbox.url], env);
    expect(without.code).toBe(1);
    expect(printed(await accessctl(['plan', broken, '--target', h.sandbox.url, '--cache-dir', cacheDir], env))).toEqual(printed(without));
    expect(printed(await accessctl(['plan', broken, '--target', h.sandbox.url, '--cache-dir', cacheDir], env))).toEqual(printed(without));
  });

  it('refuses a DIR that is a file, naming --cache-dir, before it reaches the platform', async () => {
    const file = join(root, `file-${cases++}`);
    writeFileSync(file, 'not a directory');
    const run = await accessctl(['plan', examples, '--target', 'http://127.0.0.1:9', '--cache-dir', file], env);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`--cache-dir ${file}: it is not a directory`);
  });
});
