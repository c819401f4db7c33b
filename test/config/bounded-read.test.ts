// Reads are bounded before they happen: a file that fstat says is 0 bytes long (procfs) costs at most
// 256 KiB + 1 byte, and a FIFO, a device or a link to one is refused without a read and without
// blocking. The bytes actually read are counted by the kernel (/proc/self/io), not estimated.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../src/config/discover.js';
import { loadConfig, readBounded } from '../../src/config/load.js';

/** Bytes this process has read through read(2) and friends so far. */
function bytesRead(): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!match) throw new Error('no rchar in /proc/self/io');
  return Number(match[1]);
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'accessctl-bounded-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a procfs file that says it is empty', () => {
  let holder: ChildProcess;
  const valueBytes = 100_000;
  const variables = 8;

  beforeAll(async () => {
    // A process whose /proc/PID/environ is about 800 KB, while fstat reports 0 bytes for it.
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] };
    for (let i = 0; i < variables; i++) env[`BIG_${i}`] = 'x'.repeat(valueBytes);
    holder = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1 << 30)'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
  });
  afterAll(() => {
    holder.kill('SIGKILL');
  });

  it('is refused as too large after reading no more than the cap plus one byte', async () => {
    const environ = `/proc/${holder.pid}/environ`;
    expect(readFileSync(environ).length).toBeGreaterThan(variables * valueBytes);
    const before = bytesRead();
    const result = await loadConfig(environ, tmp);
    const read = bytesRead() - before;
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ code: 'file-too-large', line: 1, column: 1, message: expect.stringContaining(`more than ${MAX_FILE_BYTES} bytes`) }),
    ]);
    // The cap and one byte, plus a little for this process's own bookkeeping; the file is three times that.
    expect(read).toBeGreaterThan(MAX_FILE_BYTES);
    expect(read).toBeLessThan(MAX_FILE_BYTES + 32 * 1024);
  });

  it('is read in full by readBounded when it fits under the cap it is given', () => {
    const environ = `/proc/${holder.pid}/environ`;
    const whole = readFileSync(environ);
    const read = readBounded(environ, whole.length);
    expect('bytes' in read && Buffer.from(read.bytes).equals(whole)).toBe(true);
    expect(readBounded(environ, whole.length - 1)).toEqual({ refused: 'too-large', size: undefined });
  });
});

describe('files that are not regular files', () => {
  it('refuses a FIFO, and a link to a FIFO inside the root, without blocking on either', async () => {
    const dir = join(tmp, 'fifo');
    mkdirSync(dir);
    expect(spawnSync('mkfifo', [join(dir, 'pipe.yaml')]).status).toBe(0);
    expect(spawnSync('mkfifo', [join(dir, 'pipe.data')]).status).toBe(0);
    symlinkSync('pipe.data', join(dir, 'linked.yaml'));
    writeFileSync(join(dir, 'ok.yaml'), 'apiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata:\n  name: Engineering\nspec: {}\n');
    const result = await loadConfig('fifo', tmp);
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([
      ['fifo/linked.yaml', 'unreadable-file'],
      ['fifo/pipe.yaml', 'unreadable-file'],
    ]);
    // Opened directly (a file swapped for a FIFO after discovery): refused after fstat, not read.
    expect(readBounded(join(dir, 'pipe.yaml'))).toEqual({ refused: 'not-a-regular-file' });
  });

  it('refuses a device without reading from it', () => {
    const before = bytesRead();
    expect(readBounded('/dev/zero')).toEqual({ refused: 'not-a-regular-file' });
    expect(bytesRead() - before).toBeLessThan(4096);
  });

  it('refuses a link to /proc/self/pagemap inside the root as outside it, without reading it', async () => {
    const dir = join(tmp, 'pagemap');
    mkdirSync(dir);
    symlinkSync('/proc/self/pagemap', join(dir, 'p.yaml'));
    symlinkSync('/dev/zero', join(dir, 'z.yaml'));
    const before = bytesRead();
    const result = await loadConfig('pagemap', tmp);
    expect(bytesRead() - before).toBeLessThan(32 * 1024);
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([
      ['pagemap/p.yaml', 'outside-root'],
      ['pagemap/z.yaml', 'outside-root'],
    ]);
  });
});
