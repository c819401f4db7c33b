// The tests' global setup builds dist/ exactly when src/ changed: a one-file project in a temporary
// directory (with this repo's TypeScript) is built, left alone, rebuilt after an edit and after
// its output was deleted, and trusted after a build made without the setup (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureBuilt } from './build-dist.js';

const typescript = fileURLToPath(new URL('../../node_modules/typescript', import.meta.url));

describe('building dist/ before the tests', () => {
  let root: string;
  const source = (): string => join(root, 'src', 'answer.ts');
  const built = (): string => readFileSync(join(root, 'dist', 'answer.js'), 'utf8');

  /** Writes the source with a modification time `ahead` seconds from now, so the edit is seen whatever the clock's grain. */
  function edit(text: string, ahead: number): void {
    writeFileSync(source(), text);
    const when = Date.now() / 1000 + ahead;
    utimesSync(source(), when, when);
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'accessctl-build-dist-'));
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(typescript, join(root, 'node_modules', 'typescript'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['es5'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] } }),
    );
    writeFileSync(
      join(root, 'tsconfig.build.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] }),
    );
    writeFileSync(source(), 'export const answer: number = 41;\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('builds a project never built, leaves it while nothing changes, rebuilds after an edit and after its output was deleted', () => {
    expect(ensureBuilt(root)).toBe(true);
    expect(built()).toContain('answer = 41');
    expect(ensureBuilt(root)).toBe(false);
    edit('export const answer: number = 42;\n', 10);
    expect(ensureBuilt(root)).toBe(true);
    expect(built()).toContain('answer = 42');
    expect(ensureBuilt(root)).toBe(false);
    // The incremental state still says the output is current: it is started over.
    unlinkSync(join(root, 'dist', 'answer.js'));
    expect(ensureBuilt(root)).toBe(true);
    expect(built()).toContain('answer = 42');
  }, 120_000);

  it('trusts a build made after the last edit without it, as npm ci makes', () => {
    edit('export const answer: number = 43;\n', -10);
    const tsc = spawnSync(process.execPath, [join(typescript, 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    expect(tsc.status, tsc.stdout).toBe(0);
    expect(ensureBuilt(root)).toBe(false);
    expect(built()).toContain('answer = 43');
  }, 60_000);
});
