// A disk that is nearly full, two ways: file handles whose writes stop short or fail with ENOSPC
// (injected through the openFile seam), and a child process under a file size limit (`ulimit -f`),
// where the real kernel makes a write short and then fails the rest with EFBIG.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FileOpener, WritableFile } from '../../src/events/durable-file.js';

/** What the nth write call (0-based) does: take at most `bytes` of what it is given, or fail with this code. */
export type WriteStep = { bytes: number } | { fail: string };

export function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, write`), { code, syscall: 'write' });
}

export interface FailingDisk {
  open: FileOpener;
  /** How many write calls were made. */
  writes: () => number;
}

/**
 * An opener for real files whose writes follow `steps` in turn (the last step repeats), and whose
 * truncate fails when `truncateFails` is set. Everything else is the real FileHandle.
 */
export function failingDisk(steps: readonly WriteStep[], options: { truncateFails?: boolean } = {}): FailingDisk {
  let calls = 0;
  const opener: FileOpener = async (path, flags) => {
    const real = await open(path, flags);
    const file: WritableFile = {
      write: async (buffer, offset, length, position) => {
        const step = steps[Math.min(calls, steps.length - 1)]!;
        calls++;
        if ('fail' in step) throw errnoError(step.fail);
        return real.write(buffer, offset, Math.min(length, step.bytes), position);
      },
      read: (buffer, offset, length, position) => real.read(buffer, offset, length, position),
      stat: () => real.stat(),
      truncate: async (length) => {
        if (options.truncateFails) throw errnoError('EIO');
        await real.truncate(length);
      },
      sync: () => real.sync(),
      close: () => real.close(),
    };
    return file;
  };
  return { open: opener, writes: () => calls };
}

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs an ES module script (which may import src/*.ts) in a child node whose files may grow to
 * at most `kib` KiB (`ulimit -f`, counted by the shell in 1 KiB or 512-byte blocks: either is far
 * below what the tests write). Node ignores SIGXFSZ, so the write past the limit fails with EFBIG.
 */
export function runUnderFileSizeLimit(kib: number, script: string, env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      '/bin/sh',
      ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, timeout: 60_000, env: { PATH: process.env['PATH'], NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The absolute file URL of a source module, for a child script's import. */
export function sourceUrl(path: string): string {
  return new URL(`../../${path}`, import.meta.url).href;
}
