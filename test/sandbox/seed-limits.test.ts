// A seed file is read within bounds: only a regular file, no larger than MAX_SEED_BYTES (checked
// before a read), one YAML document without aliases or deep nesting. Each refusal is a usage error
// naming --seed, never a crash or an "internal error".
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { loadSeed, MAX_SEED_BYTES, MAX_SEED_DEPTH } from '../../src/sandbox/seed.js';
import { accessctl } from '../cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'accessctl-seed-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSeed(name: string, text: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The error loadSeed throws for `file`. */
function refusal(file: string): AccessctlError {
  try {
    loadSeed(file);
  } catch (error) {
    if (error instanceof AccessctlError) return error;
    throw error;
  }
  throw new Error(`${file} was accepted`);
}

/** A billion-laughs seed: ten anchors, each an alias list of the one before. 565 bytes or so. */
function aliasBomb(): string {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) {
    const name = String.fromCharCode(97 + i);
    const previous = `*${String.fromCharCode(96 + i)}`;
    lines.push(`${name}: &${name} [${Array(9).fill(previous).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

describe('loadSeed refuses hostile files as usage errors naming --seed', () => {
  it('refuses a device such as /dev/zero without reading it', () => {
    const error = refusal('/dev/zero');
    expect(error.code).toBe('usage');
    expect(error.message).toBe('--seed /dev/zero: is not a regular file');
  });

  it('refuses a directory', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(refusal(sub).message).toBe(`--seed ${sub}: is not a regular file`);
  });

  it('refuses a file larger than the bound by its size, before reading it (a sparse 3 GB file)', () => {
    const file = join(dir, 'sparse.yaml');
    writeFileSync(file, '');
    truncateSync(file, 3 * 1024 * 1024 * 1024);
    const error = refusal(file);
    expect(error.code).toBe('usage');
    expect(error.message).toBe(`--seed ${file}: is larger than ${MAX_SEED_BYTES / (1024 * 1024)} MiB (3221225472 bytes)`);
  });

  it('refuses aliases, naming the first, instead of expanding them', () => {
    const file = writeSeed('bomb.yaml', aliasBomb());
    expect(aliasBomb().length).toBeLessThan(600);
    const error = refusal(file);
    expect(error.code).toBe('usage');
    expect(error.message).toBe(`--seed ${file}: 2:8: aliases (*a) are not allowed: write the value out in full`);
  });

  it('refuses nesting deeper than the bound without recursing into it', () => {
    const file = writeSeed('deep.yaml', `organizations: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(refusal(file).message).toMatch(new RegExp(`^--seed ${file}: 1:\\d+: nesting is deeper than ${MAX_SEED_DEPTH} levels$`));
  });

  it('refuses bad UTF-8 and more than one document', () => {
    expect(refusal(writeSeed('latin1.yaml', Uint8Array.from([0x6f, 0x3a, 0x20, 0xe9, 0x0a]))).message).toMatch(/latin1\.yaml: is not valid UTF-8$/);
    expect(refusal(writeSeed('two.yaml', 'organizations: []\n---\norganizations: []\n')).message).toMatch(
      /two\.yaml: must hold one YAML document \(it holds 2\)$/,
    );
  });

  it('names the line of a YAML syntax error and says a missing file is not found', () => {
    expect(refusal(writeSeed('broken.yaml', 'organizations: [\n')).message).toMatch(/^--seed .*broken\.yaml: 2:1: /);
    const absent = refusal(join(dir, 'absent.yaml'));
    expect(absent.code).toBe('not-found');
    expect(absent.message).toBe(`--seed: cannot read seed file ${join(dir, 'absent.yaml')} (ENOENT)`);
  });
});

describe('accessctl sandbox --seed', () => {
  it('exits with a usage error, not an internal error, for /dev/zero and an alias bomb', async () => {
    for (const seed of ['/dev/zero', writeSeed('cli-bomb.yaml', aliasBomb())]) {
      const run = await accessctl(['sandbox', '--port', '0', '--db', join(dir, 'cli.db'), '--seed', seed]);
      expect(run.stderr).toMatch(new RegExp(`^accessctl: --seed ${seed}: `));
      expect(run.stderr).not.toMatch(/internal error/);
      // A usage error's exit code (70 is an internal error).
      expect(run.code).toBe(1);
    }
  });
});
