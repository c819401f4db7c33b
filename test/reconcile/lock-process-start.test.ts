// processStart, which tells a reused pid from the process a lock names: stable for one process,
// different for another, nothing for a pid that is gone; on Linux from /proc, elsewhere from ps.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { processStart } from '../../src/reconcile/lock.js';

const GONE = 4_000_000;

describe.runIf(process.platform === 'linux')('processStart on Linux', () => {
  it('gives this process the same boot id and start tick each time', async () => {
    const first = await processStart(process.pid);

    expect(first).toMatch(/^[0-9a-f-]{36}:\d+$/);
    expect(await processStart(process.pid)).toBe(first);
  });

  it('tells another process apart, and says nothing of a pid that is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await once(child, 'spawn');
      const start = await processStart(child.pid ?? GONE);
      expect(start).toMatch(/:\d+$/);
      expect(start).not.toBe(await processStart(process.pid));
    } finally {
      child.stdin?.end();
      await once(child, 'exit');
    }
    expect(await processStart(child.pid ?? GONE)).toBeUndefined();
    expect(await processStart(GONE)).toBeUndefined();
  });

  it('reads it from ps where there is no /proc', async () => {
    const start = await processStart(process.pid, 'darwin');

    expect(start).toMatch(/\d\d:\d\d:\d\d/);
    expect(await processStart(process.pid, 'darwin')).toBe(start);
    expect(await processStart(GONE, 'darwin')).toBeUndefined();
  });
});

describe('processStart', () => {
  it('knows nothing of pids that cannot be a process', async () => {
    expect(await processStart(0)).toBeUndefined();
    expect(await processStart(-1)).toBeUndefined();
    expect(await processStart(1.5)).toBeUndefined();
  });
});
