// vitest's global setup: builds dist/ before any test runs when src/ changed since dist/ was last
// built here, so the end-to-end tests (bin/accessctl.js runs dist/) and the in-process tests run
// the same program. Unchanged sources cost a few stats; a change costs one incremental tsc.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The compiled sources: every .ts and .tsx under src/. */
function sources(root: string): string[] {
  return readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** What dist/ is built from, by name, size and modification time: the sources, the compiler settings and the installed compiler. */
function sourceStamp(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files, join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), join(root, 'node_modules', 'typescript', 'package.json')]) {
    const stat = statSync(file);
    hash.update(`${relative(root, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Where tsc puts a source's JavaScript. */
const output = (root: string, file: string): string => join(root, 'dist', relative(join(root, 'src'), file).replace(/\.tsx?$/, '.js'));

/** Whether each source's JavaScript was written after the source, and after the compiler settings changed. */
function newerThanSources(root: string, files: readonly string[]): boolean {
  const settings = Math.max(...['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json'].map((f) => statSync(join(root, f)).mtimeMs));
  return files.every((file) => {
    const built = statSync(output(root, file)).mtimeMs;
    return built >= statSync(file).mtimeMs && built >= settings;
  });
}

/** Builds dist/ unless it was built from exactly these sources; says whether it built. */
export function ensureBuilt(root: string = projectRoot): boolean {
  const cache = join(root, 'node_modules', '.cache', 'accessctl');
  const stampFile = join(cache, 'dist-sources');
  const buildInfo = join(cache, 'build.tsbuildinfo');
  const files = sources(root);
  const stamp = sourceStamp(root, files);
  const complete = files.every((file) => existsSync(output(root, file)));
  if (complete && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return false;
  if (complete && newerThanSources(root, files)) {
    // Built by `npm run build` (as `npm ci` does) since the last change: record it and keep it.
    mkdirSync(cache, { recursive: true });
    writeFileSync(stampFile, stamp);
    return false;
  }
  mkdirSync(cache, { recursive: true });
  // tsc's incremental state does not know that dist/ lost files: without them, start it over.
  if (!complete) rmSync(buildInfo, { force: true });
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', buildInfo], {
    cwd: root,
    encoding: 'utf8',
  });
  // Exit 2 is type errors with the JavaScript written: dist/ then matches src/, and the type check is a step of its own.
  if (run.status !== 0 && run.status !== 2) throw new Error(`building dist/ for the tests failed (tsc exit ${run.status}):\n${run.stdout}${run.stderr}`);
  if (run.status === 2) process.stderr.write(`dist/ built for the tests with type errors (npm run typecheck shows them):\n${run.stdout}`);
  writeFileSync(stampFile, stamp);
  return true;
}

export default function setup(): void {
  ensureBuilt();
}
