// apply's hold on the state lock, on real temp directories: which directory is locked by default
// (the reconciler's, only when it is a directory), exit 3 when held, a takeover said with its old
// holder, and a lock taken over while held: confirm() refuses, `lost` says why, release() leaves it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLY_LOCK_STALE_MS, ApplyLock, EXIT_LOCKED, reconcilerStateDir } from '../../src/apply/apply-lock.js';
import { AccessctlError } from '../../src/errors.js';
import { EXIT_LOCKED as RECONCILE_EXIT_LOCKED } from '../../src/reconcile/loop.js';

let dir: string;
let said: string[];
const never = new AbortController().signal;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'accessctl-apply-lock-unit-'));
  said = [];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const take = (mode: 'wait' | 'fail' = 'fail'): Promise<ApplyLock> => ApplyLock.take({ dir, mode, signal: never, say: (line) => said.push(line) });
const lockFile = (): string => path.join(dir, 'reconcile.lock');

function plant(lock: Record<string, unknown>): string {
  const at = new Date().toISOString();
  const text = JSON.stringify({ startedAt: at, heartbeat: at, id: 'planted', staleAfterMs: 3_600_000, ...lock });
  writeFileSync(lockFile(), text);
  return text;
}

describe("the reconciler's default state directory", () => {
  it('is locked only when it is a directory', async () => {
    expect(await reconcilerStateDir(dir)).toBeUndefined();
    mkdirSync(path.join(dir, '.accessctl'));
    writeFileSync(path.join(dir, '.accessctl', 'reconcile'), 'not a directory');
    expect(await reconcilerStateDir(dir)).toBeUndefined();
    rmSync(path.join(dir, '.accessctl', 'reconcile'));
    mkdirSync(path.join(dir, '.accessctl', 'reconcile'));
    expect(await reconcilerStateDir(dir)).toBe(path.join(dir, '.accessctl', 'reconcile'));
  });
});

describe('ApplyLock', () => {
  it("refuses a live holder with reconcile's exit code, leaving its lock", async () => {
    const held = plant({ pid: 4242, host: 'reconciler-host' });
    const refused = await take().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AccessctlError);
    expect(refused).toMatchObject({ code: 'conflict', exitCode: EXIT_LOCKED });
    expect(EXIT_LOCKED).toBe(RECONCILE_EXIT_LOCKED);
    expect((refused as Error).message).toContain(`another reconciler holds the lock ${lockFile()}: pid 4242 on host reconciler-host`);
    expect(readFileSync(lockFile(), 'utf8')).toBe(held);
  });

  it("takes over a dead holder's lock on this host, saying whose it was", async () => {
    plant({ pid: 4_000_000, host: os.hostname(), heartbeat: '2026-01-01T00:00:00.000Z' });
    const lock = await take();
    expect(said).toEqual([`warning: took over the lock ${lockFile()} from pid 4000000 on ${os.hostname()} (heartbeat 2026-01-01T00:00:00.000Z; process gone)`]);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, staleAfterMs: APPLY_LOCK_STALE_MS });
    await lock.release();
  });

  it('once taken over, confirm() refuses and says who has it; release() leaves the new holder', async () => {
    const lock = await take();
    await lock.confirm();
    expect(lock.lost).toBeUndefined();
    const taker = plant({ pid: 4242, host: 'other-host', id: 'taker' });

    const refused = await lock.confirm().catch((error: unknown) => error);

    expect(refused).toMatchObject({ code: 'conflict', message: `lost the lock ${lockFile()} to pid 4242 on host other-host` });
    expect(lock.lost?.message).toBe(`lost the lock ${lockFile()} to pid 4242 on host other-host`);
    await lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe(taker);
  });
});
