// `accessctl sandbox clock` against real sandboxes on 127.0.0.1: shows and advances the sandbox clock
// (what falls due runs: a pending request expires), and refuses clearly, moving nothing, a DURATION
// that is negative, zero, too large or no duration, a target that is not a sandbox, a sandbox without
// test hooks, and a key that is not its operator key (never echoing it).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClockState } from '../../src/sandbox/clock.js';
import { exampleAdminKey, exampleFlows, type Harness, type RequestShape, startHarness, submit } from '../sandbox/harness.js';
import { isLoopbackTarget } from '../../src/cli/sandbox-clock.js';
import { accessctl } from './in-process.js';

const start = '2026-03-01T09:00:00.000Z';

let h: Harness;
let url: string;
let operatorKey: string;
beforeAll(async () => {
  h = await startHarness({ hooks: true });
  url = h.sandbox.url;
  operatorKey = h.sandbox.operatorKey ?? '';
});
afterAll(async () => {
  await h.close();
});

const withKey = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  ACCESSCTL_SANDBOX_OPERATOR_KEY: operatorKey,
  ...extra,
});

async function clockNow(): Promise<string> {
  return (await h.hook<ClockState>('GET', '/sandbox/v1/clock')).body.now;
}

async function setClock(instant: string): Promise<void> {
  expect((await h.hook('POST', '/sandbox/v1/clock', { set: instant })).status).toBe(200);
}

const noStack = (text: string): void => {
  expect(text).not.toMatch(/bug|internal error|^\s+at /im);
};

/** A server on 127.0.0.1 that answers every request with `status` and `body`: no sandbox. */
async function otherServer(status: number, body: string, type: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closed(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('accessctl sandbox clock', () => {
  it('shows the sandbox time and how its clock runs, by default and as JSON', async () => {
    await setClock(start);
    const shown = await accessctl(['sandbox', 'clock', '--target', url], withKey());
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toBe(`sandbox time: ${start} (frozen: it moves only when advanced)\n`);
    const json = await accessctl(['sandbox', 'clock', 'show', '--json', '--target', url], withKey());
    expect(json.code).toBe(0);
    // offsetMs is the frozen instant's distance from the wall clock, which moves on.
    expect(JSON.parse(json.stdout)).toEqual({ now: start, frozen: true, offsetMs: expect.any(Number) });
  });

  it('advances by a duration, exactly, shorthand or ISO 8601, taking the sandbox from JUMPCLOUD_API_URL without --target', async () => {
    await setClock(start);
    const run = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', url], withKey());
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`sandbox clock advanced 2h: ${start} -> 2026-03-01T11:00:00.000Z (frozen: it moves only when advanced)\n`);
    expect(await clockNow()).toBe('2026-03-01T11:00:00.000Z');
    const iso = await accessctl(['sandbox', 'clock', 'advance', 'P1DT12H'], withKey({ JUMPCLOUD_API_URL: url }));
    expect(iso.code).toBe(0);
    expect(iso.stdout).toContain('sandbox clock advanced 1d 12h: 2026-03-01T11:00:00.000Z -> 2026-03-02T23:00:00.000Z');
    expect(await clockNow()).toBe('2026-03-02T23:00:00.000Z');
  });

  it("says how a running clock stands against this machine's clock", async () => {
    await setClock(new Date().toISOString());
    expect((await h.hook('POST', '/sandbox/v1/clock', { frozen: false })).status).toBe(200);
    try {
      const shown = await accessctl(['sandbox', 'clock', '--target', url], withKey());
      expect(shown.stdout).toMatch(/^sandbox time: \S+ \(running with this machine's clock\)\n$/);
      const advanced = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', url], withKey());
      expect(advanced.stdout).toMatch(/^sandbox clock advanced 2h: \S+ -> \S+ \(running 2h ahead of this machine's clock\)\n$/);
    } finally {
      expect((await h.hook('POST', '/sandbox/v1/clock', { frozen: true })).status).toBe(200);
    }
  });

  it('runs what fell due before it answers: a request left pending expires once the clock is 30 days on', async () => {
    await setClock(start);
    const flows = await exampleFlows(h);
    const pending = await submit(h, 'erin.em', { approvalFlowId: flows.admin });
    expect(pending.body.status).toBe('pending');
    const run = await accessctl(['sandbox', 'clock', 'advance', 'P30D', '--target', url], withKey());
    expect(run.code).toBe(0);
    expect((await h.call<RequestShape>('GET', `/api/v2/approvalflowrequest/${pending.body.id}`)).body.status).toBe('expired');
  });

  it.each([
    ['-2h', 'DURATION must not be negative: the sandbox clock only moves forward (got "-2h")'],
    ['-5', 'DURATION must not be negative: the sandbox clock only moves forward (got "-5")'],
    ['0s', 'DURATION must be more than zero (got "0s")'],
    ['PT0S', 'DURATION must be more than zero (got "PT0S")'],
    ['3651d', 'DURATION must be at most ten years (3650d) (got "3651d")'],
    ['P11Y', 'DURATION must be at most ten years (3650d) (got "P11Y")'],
    ['soon', 'DURATION must be a duration such as 30m, 2h, 7d, 1d12h or P30D (got "soon")'],
    ['2', 'DURATION must be a duration such as 30m, 2h, 7d, 1d12h or P30D (got "2")'],
    ['1e3h', 'DURATION must be a duration such as 30m, 2h, 7d, 1d12h or P30D (got "1e3h")'],
  ])('refuses DURATION %s with a message naming it, and moves nothing', async (duration, message) => {
    await setClock(start);
    const run = await accessctl(['sandbox', 'clock', 'advance', duration, '--target', url], withKey());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: ${message}\n`);
    expect(run.stdout).toBe('');
    expect(await clockNow()).toBe(start);
  });

  it('refuses to move the clock past the last instant a timestamp holds, as the sandbox bounds it, and moves nothing', async () => {
    const nearEnd = '+275760-09-01T00:00:00.000Z';
    await setClock(nearEnd);
    const run = await accessctl(['sandbox', 'clock', 'advance', '30d', '--target', url], withKey());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('POST /sandbox/v1/clock answered 400: invalid clock change');
    expect(run.stderr).toContain('advanceMs: would move the clock past the last instant a timestamp can hold');
    expect(await clockNow()).toBe(nearEnd);
    await setClock(start);
  });

  // Names under .invalid never resolve (RFC 6761): a check that regressed could not send the key anywhere.
  it.each([
    ['https://api.jumpcloud.invalid', 'a host off this machine'],
    ['http://sandbox.localhost.invalid:8080', 'a name that only looks local'],
    ['http://sandbox.localhost:8080', 'a *.localhost name, which a resolver may answer with any address'],
    ['http://localhost.:8080', 'localhost with a trailing dot, which goes to the resolver'],
  ])('refuses --target %s (%s) before sending the key anywhere', async (target) => {
    const flag = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', target], withKey());
    expect(flag.code).toBe(1);
    expect(flag.stderr).toBe(
      `accessctl: --target ${new URL(target).href.replace(/\/$/, '')} is not a sandbox: the sandbox clock is a test hook of accessctl's own sandbox, ` +
        'which listens on this machine (127.0.0.1); JumpCloud has no clock to move. Pass the URL `accessctl sandbox` or `accessctl up` printed, e.g. --target http://127.0.0.1:8080\n',
    );
  });

  it('refuses JUMPCLOUD_API_URL off this machine too', async () => {
    const env = await accessctl(['sandbox', 'clock'], withKey({ JUMPCLOUD_API_URL: 'https://api.jumpcloud.invalid' }));
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('accessctl: JUMPCLOUD_API_URL https://api.jumpcloud.invalid is not a sandbox');
  });

  it('takes a loopback address however a URL writes it, and localhost, and no other name', () => {
    const hostOf = (url: string): string => new URL(url).hostname;
    for (const url of [
      'http://127.0.0.1',
      'http://127.1',
      'http://0x7f.1',
      'http://[::1]',
      'http://[0:0:0:0:0:0:0:1]',
      'http://[::ffff:127.0.0.1]',
      'http://localhost',
      'http://LOCALHOST',
    ]) {
      expect(isLoopbackTarget(hostOf(url)), url).toBe(true);
    }
    for (const url of [
      'http://0.0.0.0',
      'http://[::]',
      'http://[::ffff:10.0.0.1]',
      'http://128.0.0.1',
      'http://a.localhost',
      'http://localhost.',
      'http://example.invalid',
    ]) {
      expect(isLoopbackTarget(hostOf(url)), url).toBe(false);
    }
  });

  it('refuses a sandbox started without test hooks, saying how to start it, and moves nothing', async () => {
    const plain = await startHarness({ hooks: false });
    try {
      const run = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', plain.sandbox.url], withKey());
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `accessctl: the sandbox at ${plain.sandbox.url} does not serve its clock: it was started without --enable-test-hooks. ` +
          'Start it again with --enable-test-hooks (`accessctl up` always serves it)\n',
      );
      expect(plain.sandbox.clock.nowIso()).toBe(start);
    } finally {
      await plain.close();
    }
  });

  it.each([
    [404, '<html><body>Not Found</body></html>', 'text/html', 'GET /sandbox/v1/clock answered 404'],
    [200, '{"ok": true}', 'application/json', 'GET /sandbox/v1/clock answered something other than a sandbox clock'],
  ])('refuses a server on 127.0.0.1 that is not a sandbox (answering %i)', async (status, body, type, what) => {
    const other = await otherServer(status, body, type);
    try {
      const run = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', other.url], withKey());
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `accessctl: ${other.url} is not an accessctl sandbox (${what}): pass the URL \`accessctl sandbox\` or \`accessctl up\` printed\n`,
      );
    } finally {
      await closed(other.server);
    }
  });

  it('says an advance that got no answer may have moved the clock, and how to look, rather than that nothing runs', async () => {
    // Answers the read; cuts the advance off once it is in, as a sandbox that timed out mid-advance would look.
    const server = createServer((request, response) => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ now: start, frozen: true, offsetMs: 0 }));
        return;
      }
      request.resume();
      request.on('end', () => request.socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const run = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', target], withKey());
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^accessctl: the sandbox at ${target} did not answer the advance \\(.+\\): the clock may have moved \\(what fell due may have run\\)\\. ` +
            `It is not sent again; see where the clock is with \`accessctl sandbox clock --target ${target}\` before advancing again\n$`,
        ),
      );
      expect(run.stderr).not.toContain('is the sandbox running');
      noStack(run.stderr);
    } finally {
      await closed(server);
    }
  });

  it('says nothing answers where no sandbox listens', async () => {
    const gone = await otherServer(200, '', 'text/plain');
    await closed(gone.server);
    const run = await accessctl(['sandbox', 'clock', '--target', gone.url], withKey());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^accessctl: nothing answers at ${gone.url} \\(.+\\): is the sandbox running\\? Start one with`));
    noStack(run.stderr);
  });

  it('refuses an admin key or no key, naming ACCESSCTL_SANDBOX_OPERATOR_KEY and never showing the key, and moves nothing', async () => {
    await setClock(start);
    const admin = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', url], withKey({ ACCESSCTL_SANDBOX_OPERATOR_KEY: exampleAdminKey }));
    expect(admin.code).toBe(1);
    expect(admin.stderr).toMatch(
      new RegExp(
        `^accessctl: the sandbox at ${url} refused ACCESSCTL_SANDBOX_OPERATOR_KEY \\(403: .+\\): it must be the operator key this sandbox printed at start`,
      ),
    );
    expect(admin.stderr).not.toContain(exampleAdminKey);
    const unset = await accessctl(['sandbox', 'clock', 'advance', '2h', '--target', url], { ACCESSCTL_SANDBOX_OPERATOR_KEY: undefined });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toMatch(/^accessctl: ACCESSCTL_SANDBOX_OPERATOR_KEY is not set: export the operator key the sandbox printed at start/);
    expect(await clockNow()).toBe(start);
  });
});
