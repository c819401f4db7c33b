// The sandbox clock: freezing, setting (backwards too), advancing, sleeps that wake when the
// clock passes their deadline rather than after wall time, and continuing over a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClockState, SandboxClock } from '../../src/sandbox/clock.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { type Answer, exampleSeed, type Harness, memberNames, type RequestShape, submit } from './harness.js';

const day = 24 * 3600 * 1000;

describe('SandboxClock', () => {
  it('stands still when frozen until advanced', () => {
    const clock = new SandboxClock({ frozenAt: Date.parse('2026-01-01T00:00:00Z') });
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.000Z');
    clock.advance(90_000);
    expect(clock.nowIso()).toBe('2026-01-01T00:01:30.000Z');
    expect(clock.state()).toMatchObject({ frozen: true });
  });

  it('follows its source with an offset when running', () => {
    let wall = 1_000;
    const clock = new SandboxClock({ source: () => wall });
    clock.advance(500);
    wall = 2_000;
    expect(clock.nowMs()).toBe(2_500);
    clock.set(10_000);
    expect(clock.nowMs()).toBe(10_000);
    clock.set(0);
    expect(clock.nowMs()).toBe(0);
  });

  it('freezes and unfreezes without a jump', () => {
    let wall = 5_000;
    const clock = new SandboxClock({ source: () => wall });
    clock.freeze();
    wall = 9_000;
    expect(clock.nowMs()).toBe(5_000);
    clock.unfreeze();
    expect(clock.nowMs()).toBe(5_000);
    wall = 9_500;
    expect(clock.nowMs()).toBe(5_500);
  });

  it('refuses to advance by a negative amount', () => {
    expect(() => new SandboxClock().advance(-1)).toThrow(RangeError);
  });

  it('wakes a sleeper when advanced past its deadline, not before', async () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    let woke = false;
    const sleeping = clock.sleep(60_000).then(() => {
      woke = true;
    });
    clock.advance(59_999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('releases every sleeper on shutdown', async () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const sleeping = Promise.all([clock.sleep(1_000_000), clock.sleep(5)]);
    clock.releaseAll();
    await expect(sleeping).resolves.toEqual([undefined, undefined]);
  });

  it('tells its listeners synchronously when it is advanced, set or unfrozen, until they unsubscribe', () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const seen: number[] = [];
    const unsubscribe = clock.onChange(() => seen.push(clock.nowMs()));
    clock.advance(5);
    clock.set(100);
    unsubscribe();
    clock.advance(1);
    expect(seen).toEqual([5, 100]);
  });
});

describe('SandboxClock.resume', () => {
  it('takes the saved offset or frozen instant when nobody chose its time', () => {
    let wall = 1_000;
    const running = new SandboxClock({ source: () => wall });
    running.resume({ nowMs: 50_000, offsetMs: 49_000, frozen: false });
    expect(running.nowMs()).toBe(50_000);
    wall = 2_000;
    expect(running.nowMs()).toBe(51_000);
    const frozen = new SandboxClock({ source: () => wall });
    frozen.resume({ nowMs: 7_000, offsetMs: 0, frozen: true });
    expect(frozen.state()).toMatchObject({ frozen: true, now: new Date(7_000).toISOString() });
  });

  it('never goes back to before the saved instant, whatever the wall clock or a chosen time says', () => {
    let wall = 100_000;
    const setBack = new SandboxClock({ source: () => wall });
    // Saved at 100 s with no offset; the wall clock now says 40 s.
    wall = 40_000;
    setBack.resume({ nowMs: 100_000, offsetMs: 0, frozen: false });
    expect(setBack.nowMs()).toBe(100_000);
    const chosen = new SandboxClock({ frozenAt: 10_000 });
    chosen.resume({ nowMs: 90_000, offsetMs: 0, frozen: false });
    expect(chosen.state()).toMatchObject({ frozen: true, now: new Date(90_000).toISOString() });
    const ahead = new SandboxClock({ frozenAt: 500_000 });
    ahead.resume({ nowMs: 90_000, offsetMs: 0, frozen: true });
    expect(ahead.nowMs()).toBe(500_000);
  });

  it('wakes sleepers and tells listeners when it moves forward to the saved instant', async () => {
    const clock = new SandboxClock({ frozenAt: 0 });
    const seen: number[] = [];
    clock.onChange(() => seen.push(clock.nowMs()));
    const sleeping = clock.sleep(1_000);
    clock.resume({ nowMs: 5_000, offsetMs: 0, frozen: true });
    await sleeping;
    expect(seen).toEqual([5_000]);
  });
});

describe('the sandbox clock across a restart on the same database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-clock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A sandbox as `accessctl sandbox` starts one: its own clock (on the wall clock), test hooks on. */
  async function open(dbPath: string): Promise<Harness> {
    const sandbox = await startSandbox({ dbPath, port: 0, seed: exampleSeed, enableTestHooks: true, log: () => {} });
    const send = async <T>(key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> => {
      const response = await fetch(`${sandbox.url}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
    };
    const hook = <T>(method: string, path: string, body?: unknown): Promise<Answer<T>> => send<T>(sandbox.operatorKey ?? '', method, path, body);
    const call = <T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>> =>
      path.startsWith('/sandbox/v1/clock') ? hook<T>(method, path, body) : send<T>(sandbox.adminKey, method, path, body, headers);
    const groupId = async (name: string): Promise<string> => {
      const answer = await call<{ id: string }[]>('GET', `/api/v2/usergroups?filter=${encodeURIComponent(`name:eq:${name}`)}`);
      return answer.body[0]?.id ?? '';
    };
    const userId = async (): Promise<string> => '';
    return { sandbox, logs: [], call, hook, groupId, userId, close: () => sandbox.close() };
  }

  const clockNow = async (h: Harness): Promise<ClockState> => {
    const answer = await h.hook<ClockState>('GET', '/sandbox/v1/clock');
    expect(answer.status).toBe(200);
    return answer.body;
  };

  it('continues from the advanced time, and a P30D grant ends 30 days after it was granted', async () => {
    const dbPath = join(dir, 'running.db');
    const first = await open(dbPath);
    expect((await first.call('PUT', '/api/v2/approvalflowsettings', { resourceRequest: true })).status).toBe(200);
    const flow = await first.call<{ id: string }>('POST', '/api/v2/approvalflows', {
      name: 'GitHub User',
      category: 'Application',
      resourceType: 'user_group',
      resourceId: await first.groupId('GitHub Users'),
      visibleTo: [await first.groupId('Engineering User')],
      approvalType: 'automated',
      timeBasedAccess: true,
      ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
      fixedDuration: 'P30D',
    });
    expect(flow.status).toBe(200);
    const granted = await submit(first, 'alice', { approvalFlowId: flow.body.id });
    expect(granted.body.status).toBe('approved');
    const endsAt = Date.parse(granted.body.sandbox?.access?.endsAt ?? '');
    expect((await first.hook('POST', '/sandbox/v1/clock', { advanceMs: 29 * day })).status).toBe(200);
    const before = Date.parse((await clockNow(first)).now);
    await first.close();

    const second = await open(dbPath);
    try {
      const after = await clockNow(second);
      expect(after.frozen).toBe(false);
      expect(Date.parse(after.now)).toBeGreaterThanOrEqual(before);
      expect(await memberNames(second, 'GitHub Users')).toEqual(['alice']);
      // One more day and a minute: 30 days since the grant have passed on the sandbox clock.
      const needed = endsAt - Date.parse(after.now) + 60_000;
      expect(needed).toBeLessThan(day + 120_000);
      expect((await second.hook('POST', '/sandbox/v1/clock', { advanceMs: needed })).status).toBe(200);
      const ended = (await second.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${granted.body.id}`)).body;
      expect(ended.sandbox?.access?.state).toBe('ended');
      expect(await memberNames(second, 'GitHub Users')).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('stays frozen at the instant it was frozen at', async () => {
    const dbPath = join(dir, 'frozen.db');
    const first = await open(dbPath);
    await first.hook('POST', '/sandbox/v1/clock', { frozen: true, set: '2031-05-01T12:00:00Z' });
    await first.hook('POST', '/sandbox/v1/clock', { advanceMs: 90_000 });
    await first.close();
    const second = await open(dbPath);
    try {
      expect(await clockNow(second)).toMatchObject({ frozen: true, now: '2031-05-01T12:01:30.000Z' });
    } finally {
      await second.close();
    }
  });
});
