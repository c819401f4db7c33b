// Links may not carry the config loader outside the config directory: a file link to /proc/self/environ,
// /etc/passwd or a secret next to the repo is refused unread, and so is a linked config root. Checked in
// loadConfig and through the real binary (validate, plan and apply, in every format they print).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configRootIn } from '../../src/config/discover.js';
import { loadConfig, type LoadResult } from '../../src/config/load.js';
import { AccessctlError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'accessctl.js');
const PLANTED = 'sk_live_PLANTED_7f3c9a1e5b2d4f60';
const GROUP = 'apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Engineering\nspec: {}\n';
// What a stolen secret file looks like: valid YAML, so a loader that reads it would show it in a frame.
const SECRET_FILE = `apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Stolen\nspec:\n  token: ${PLANTED}\n`;
// The non-empty lines of /etc/passwd, none of which may ever be printed.
const PASSWD_LINES = existsSync('/etc/passwd')
  ? readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .filter((line) => line.includes(':x:'))
  : [];

let base: string;
let cases = 0;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'accessctl-symlinks-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A fresh folder with a config root `d` holding one valid file, and a secret beside it. */
function workspace(): { dir: string; config: string; secret: string } {
  const dir = join(base, String(cases++));
  const config = join(dir, 'd');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'group.yaml'), GROUP);
  const secret = join(dir, 'secret.yaml');
  writeFileSync(secret, SECRET_FILE);
  return { dir, config, secret };
}

function codes(result: LoadResult): [string, string, number, number][] {
  return result.diagnostics.map((d) => [d.file, d.code, d.line, d.column]);
}

/** Everything a caller could print from a load: diagnostics and the code-frame sources. */
function printable(result: LoadResult): string {
  return JSON.stringify({ diagnostics: result.diagnostics, sources: [...result.sources.values()].map((s) => s.displayText) });
}

describe('links inside the config root', () => {
  it('refuses file links to /proc/self/environ, /etc/passwd and a secret outside the root, without reading them', async () => {
    const { dir, config } = workspace();
    symlinkSync('/proc/self/environ', join(config, 'e.yaml'));
    symlinkSync('/etc/passwd', join(config, 'p.yaml'));
    symlinkSync('../secret.yaml', join(config, 's.yaml'));
    const result = await loadConfig('d', dir);
    expect(codes(result)).toEqual([
      ['d/e.yaml', 'outside-root', 1, 1],
      ['d/p.yaml', 'outside-root', 1, 1],
      ['d/s.yaml', 'outside-root', 1, 1],
    ]);
    expect([...result.sources.keys()]).toEqual(['d/group.yaml']);
    expect(result.desired.groups.map((g) => g.name)).toEqual(['Engineering']);
    const shown = printable(result);
    expect(shown).not.toContain(PLANTED);
    expect(shown).not.toContain('Stolen');
    for (const line of PASSWD_LINES) expect(shown).not.toContain(line);
  });

  it('refuses a link through a linked folder and a link into a folder the walk skips (.git)', async () => {
    const { dir, config } = workspace();
    symlinkSync('..', join(config, 'up'), 'dir');
    symlinkSync(join('up', 'secret.yaml'), join(config, 'via-folder.yaml'));
    mkdirSync(join(config, '.git'));
    writeFileSync(join(config, '.git', 'config.yaml'), SECRET_FILE);
    symlinkSync(join('.git', 'config.yaml'), join(config, 'git-config.yaml'));
    const result = await loadConfig('d', dir);
    expect(codes(result)).toEqual([
      ['d/git-config.yaml', 'outside-root', 1, 1],
      ['d/via-folder.yaml', 'outside-root', 1, 1],
    ]);
    expect(printable(result)).not.toContain(PLANTED);
  });

  it('still reads a link to a file elsewhere inside the root', async () => {
    const { dir, config } = workspace();
    mkdirSync(join(config, 'shared'));
    writeFileSync(join(config, 'shared', 'base.txt'), GROUP.replace('Engineering', 'Sales'));
    symlinkSync(join('shared', 'base.txt'), join(config, 'linked.yaml'));
    const result = await loadConfig('d', dir);
    expect(result.diagnostics).toEqual([]);
    expect(result.desired.groups.map((g) => g.name).sort()).toEqual(['Engineering', 'Sales']);
  });
});

describe('a linked config root', () => {
  it('refuses a root that is a link, naming it, and reads nothing', async () => {
    const { dir, config } = workspace();
    symlinkSync(config, join(dir, 'linked'), 'dir');
    const result = await loadConfig('linked', dir);
    expect(codes(result)).toEqual([['linked', 'root-is-link', 1, 1]]);
    expect(result.diagnostics[0]?.message).toContain('symbolic link');
    expect(result.sources.size).toBe(0);
    expect(result.files).toBe(0);
  });

  it('refuses a root behind a linked folder below the working directory', async () => {
    const { dir } = workspace();
    symlinkSync(base, join(dir, 'elsewhere'), 'dir');
    const result = await loadConfig(join('elsewhere', '0', 'd'), dir);
    expect(codes(result)).toEqual([['elsewhere/0/d', 'root-is-link', 1, 1]]);
    expect(result.diagnostics[0]?.message).toContain('elsewhere');
  });

  it('refuses a single config file given as the root when it is a link', async () => {
    const { dir, secret } = workspace();
    symlinkSync(secret, join(dir, 'one.yaml'));
    const result = await loadConfig('one.yaml', dir);
    expect(codes(result)).toEqual([['one.yaml', 'root-is-link', 1, 1]]);
    expect(printable(result)).not.toContain(PLANTED);
  });

  it('refuses a linked root named by an absolute path outside the working directory', async () => {
    const { dir, config } = workspace();
    symlinkSync(config, join(dir, 'linked'), 'dir');
    const result = await loadConfig(join(dir, 'linked'), ROOT);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['root-is-link']);
  });
});

describe('configRootIn, the config folder of a git work tree', () => {
  it('returns the folder inside the work tree', () => {
    const { dir } = workspace();
    expect(configRootIn(dir, 'd')).toBe(join(dir, 'd'));
    expect(configRootIn(dir, '.')).toBe(dir);
  });

  it('refuses a config folder that a commit turned into a link, even to a folder inside the tree', () => {
    const { dir } = workspace();
    symlinkSync('/etc', join(dir, 'access'), 'dir');
    symlinkSync('d', join(dir, 'inside'), 'dir');
    for (const path of ['access', 'inside', 'inside/sub']) {
      const attempt = (): string => configRootIn(dir, path);
      expect(attempt).toThrow(AccessctlError);
      expect(attempt).toThrow(/symbolic link/);
    }
  });

  it('refuses a path that leads out of the work tree', () => {
    const { dir } = workspace();
    for (const path of ['..', '../other', 'sub/../..', '/etc']) {
      expect(() => configRootIn(join(dir, 'd'), path), path).toThrow(/outside the repository/);
    }
  });
});

interface Run {
  status: number | null;
  output: string;
}

/** Runs the real binary in `cwd` with the planted key in its environment (so in /proc/self/environ). */
function accessctl(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const env = { PATH: process.env['PATH'], NO_COLOR: '1', JUMPCLOUD_API_KEY: PLANTED, JUMPCLOUD_API_URL: 'http://127.0.0.1:9' };
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A hang guard, not a timing assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(guard);
      resolvePromise({ status, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

describe('the real binary', () => {
  beforeAll(() => {
    expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'run `npm run build` before these tests').toBe(true);
  });

  it('never prints the environment or /etc/passwd through a link, in any format of validate, plan or apply', async () => {
    const { dir, config } = workspace();
    symlinkSync('/proc/self/environ', join(config, 'e.yaml'));
    symlinkSync('/etc/passwd', join(config, 'p.yaml'));
    symlinkSync(join(dir, 'secret.yaml'), join(config, 's.yaml'));
    const commands = [
      ['validate', 'd', '--format', 'text'],
      ['validate', 'd', '--format', 'json'],
      ['validate', 'd', '--format', 'github'],
      ['plan', 'd', '--format', 'text'],
      ['plan', 'd', '--format', 'json'],
      ['plan', 'd', '--format', 'markdown'],
      ['apply', 'd', '--auto-approve'],
    ];
    const runs = await Promise.all(commands.map((args) => accessctl(args, dir)));
    runs.forEach((run, index) => {
      const name = commands[index]!.join(' ');
      expect(run.status, `${name}: ${run.output}`).toBe(1);
      expect(run.output, name).toContain('d/e.yaml');
      expect(run.output, name).toContain('outside-root');
      expect(run.output, name).not.toContain(PLANTED);
      expect(run.output, name).not.toContain('Stolen');
      for (const line of PASSWD_LINES) expect(run.output, name).not.toContain(line);
      expect(run.output, name).not.toMatch(/^ {4}at /m);
    });
  }, 120_000);

  it('refuses a linked config root in validate', async () => {
    const { dir, config } = workspace();
    symlinkSync(config, join(dir, 'linked'), 'dir');
    const run = await accessctl(['validate', 'linked', '--format', 'github'], dir);
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/^::error file=linked,line=1,col=1,title=accessctl root-is-link::/m);
  }, 60_000);
});
