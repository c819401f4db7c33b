// Exit codes travel one way: each command's action returns its code, main() returns it, and only
// bin/accessctl.js sets it on the process. Checked in this process, where a command that set
// process.exitCode itself would show, and in the source, where one could start to again.
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './in-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(root, 'examples', 'access');

/** Every .ts and .tsx file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('exit codes', () => {
  let h: Harness;
  let failingTests: string;

  beforeAll(async () => {
    // The example with one case turned false: bob@example.com is said to be able to request GitHub Admin.
    failingTests = await mkdtemp(join(tmpdir(), 'accessctl-exit-codes-'));
    await cp(examples, failingTests, { recursive: true });
    const cases = join(failingTests, 'tests', 'github.yaml');
    await writeFile(cases, (await readFile(cases, 'utf8')).replace('user: bob@example.com\n      cannotRequest:', 'user: bob@example.com\n      canRequest:'));
  });
  afterAll(async () => {
    await rm(failingTests, { recursive: true, force: true });
  });

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it.each([
    ['2 from plan --detailed-exitcode with changes', () => ['plan', examples, '--detailed-exitcode'], 2],
    ['0 from plan without --detailed-exitcode', () => ['plan', examples], 0],
    ['1 from test when a case fails', () => ['test', failingTests], 1],
    ['0 from test when every case passes', () => ['test', examples], 0],
    ['1 from a usage error', () => ['plan', examples, '--format', 'yaml'], 1],
  ])('main returns %s, and leaves process.exitCode unset', async (_name, args, code) => {
    const run = await accessctl([...args(), '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: h.sandbox.adminKey });
    expect(run.code).toBe(code);
    expect(run.processExitCode).toBeUndefined();
  });

  it('are set on the process only by bin/accessctl.js', () => {
    const setters = [...sources(join(root, 'src')), join(root, 'bin', 'accessctl.js')].filter((file) =>
      /process\.exitCode\s*=|process\.exit\(/.test(readFileSync(file, 'utf8')),
    );
    expect(setters.map((file) => file.slice(root.length))).toEqual(['bin/accessctl.js']);
  });
});
