// A lock write that fails part way (a full disk: the temp file opens, its write fails) leaves no
// temp file behind. The file system is real; only the write of the open handle is made to fail.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const disk = vi.hoisted(() => ({ full: false }));

vi.mock('node:fs/promises', async (original) => {
  const real = await original<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args) => {
    const handle = await real.open(...args);
    if (!disk.full) return handle;
    // The temp file exists now, as after a real ENOSPC; its content never gets there.
    const failing: Pick<FileHandle, 'writeFile'> = {
      writeFile: () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
    };
    return Object.assign(Object.create(handle) as FileHandle, failing, { close: () => handle.close(), sync: () => handle.sync() });
  };
  return { ...real, default: { ...real, open }, open };
});

const { StateLock } = await import('../../src/reconcile/lock.js');

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-lock-temp-'));
  disk.full = false;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('StateLock on a full disk', () => {
  it('fails to take the lock as an I/O error naming the file, and leaves no temp file', async () => {
    disk.full = true;

    const failure = await new StateLock({ dir, staleAfterMs: 60_000, heartbeatTimer: () => () => undefined }).acquire('fail').catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'io', message: expect.stringContaining(`cannot write the lock ${path.join(dir, 'reconcile.lock')}: ENOSPC`) });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails a heartbeat the same way, keeping the lock it holds and leaving no temp file', async () => {
    const holder = new StateLock({ dir, staleAfterMs: 60_000, heartbeatTimer: () => () => undefined });
    await holder.acquire('fail');
    disk.full = true;

    await expect(holder.heartbeat()).rejects.toMatchObject({ code: 'io' });

    expect(readdirSync(dir)).toEqual(['reconcile.lock']);
    expect(holder.held).toBe(true);
  });
});
