// A stop while a call waits to be tried again: in the shared 429 back-off, or in the pause before
// retrying a failed call. The wait ends at once and the call ends as stopped (the run stops, it does
// not fail), keeping the reason of its last try; nothing is sent again, and a stopped call never holds
// up the others. Time is a manual clock whose sleepers are never woken unless the test says so.
import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { BackoffGate, type GateOutcome } from '../../src/jumpcloud/rate-limit.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { defaultRetryPolicy } from '../../src/retry/policy.js';
import { closedInOrder, json, ManualClock, startLocalServer, type LocalServer } from './local-server.js';

/** Whether the promise has settled once every callback queued so far has run (a macrotask later). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

const noWait = (): void => undefined;

describe('the shared back-off gate under a stop', () => {
  it('ends a pause under way at once as stopped, and begins none once stopped', async () => {
    const clock = new ManualClock();
    const gate = new BackoffGate(defaultRetryPolicy, clock.now, clock.sleep, () => 0);
    gate.report({ probe: false }, 429, 60_000);
    const stop = new AbortController();
    const waiting = gate.pass({ beforeWait: noWait, stop: stop.signal });
    await clock.untilAsleep(1);
    expect(await settled(waiting)).toBe(false);
    stop.abort();
    expect(await settled(waiting)).toBe(true);
    await expect(waiting).resolves.toBe('stopped');
    // Nobody was woken: the minute of Retry-After was not waited out.
    expect(clock.now()).toBe(0);
    await expect(gate.pass({ beforeWait: noWait, stop: stop.signal })).resolves.toBe('stopped');
    expect(clock.delays).toEqual([60_000]);
    expect(gate.isLimited).toBe(true);
  });

  it("frees a call waiting on the probe's answer, and the probe's answer still lets the others go", async () => {
    let now = 0;
    const gate = new BackoffGate(
      defaultRetryPolicy,
      () => now,
      async (ms) => {
        now += ms;
      },
      () => 0,
    );
    gate.report({ probe: false }, 429, 1_000);
    const probe = await gate.pass(noWait);
    expect(probe).toEqual({ probe: true });
    const stop = new AbortController();
    const stopped = gate.pass({ beforeWait: noWait, stop: stop.signal });
    const other = gate.pass(noWait);
    expect(await settled(stopped)).toBe(false);
    stop.abort();
    await expect(stopped).resolves.toBe('stopped');
    expect(await settled(other)).toBe(false);
    gate.report(probe as Exclude<GateOutcome, 'stopped'>, 200);
    await expect(other).resolves.toEqual({ probe: false });
    expect(gate.isLimited).toBe(false);
  });
});

describe('the platform client stopped while it waits to try a call again', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    [client, server] = await closedInOrder(client, server);
  });

  /** A target answering `status` to every call (`onRequest` sees each first), with a manual clock and a stop. */
  async function answering(
    status: number,
    headers: Record<string, string> = {},
    onRequest: (stop: AbortController) => void = () => {},
  ): Promise<{ clock: ManualClock; stop: AbortController; client: JumpCloudClient; server: LocalServer }> {
    const stop = new AbortController();
    server = await startLocalServer((_request, response) => {
      onRequest(stop);
      json(response, status, { message: `answer ${status}` }, headers);
    });
    const clock = new ManualClock();
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', now: clock.now, sleep: clock.sleep, random: () => 0, stop: stop.signal });
    return { clock, stop, client, server };
  }

  // Every answer is a 429 asking for an hour (cut to the cap, a minute): only the stop can end the pause.
  const limitedTarget = () => answering(429, { 'retry-after': '3600' });

  it('a stop during a 429 pause ends a read at once as stopped', async () => {
    const { clock, stop, client, server } = await limitedTarget();
    const read = client.get(routes.settings).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    expect(clock.delays).toEqual([60_000]);
    stop.abort();
    expect(await settled(read)).toBe(true);
    const failure = await read;
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({ stopped: true, message: 'GET /api/v2/approvalflowsettings failed: not finished: accessctl is stopping' });
    expect(clock.now()).toBe(0);
    expect(server.seen).toHaveLength(1);
  });

  it('a stop during a 429 pause ends a write at once as stopped, and it is never sent again', async () => {
    const { clock, stop, client, server } = await limitedTarget();
    const write = client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    stop.abort();
    expect(await settled(write)).toBe(true);
    expect(await write).toMatchObject({ stopped: true, method: 'PUT' });
    expect(server.seen.map((r) => r.method)).toEqual(['PUT']);
  });

  it("a stop ends the wait of calls held behind another call's 429 that never sent", async () => {
    const { clock, stop, client, server } = await limitedTarget();
    const first = client.get(routes.flows).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    // Held at the gate before sending: its wait is the same shared pause.
    const held = client.get(routes.groups).catch((error: unknown) => error);
    await clock.untilAsleep(2);
    stop.abort();
    expect(await settled(Promise.all([first, held]))).toBe(true);
    expect(await first).toMatchObject({ stopped: true });
    expect(await held).toMatchObject({ stopped: true, route: routes.groups });
    expect(server.seen).toHaveLength(1);
  });

  it('a stop during the back-off after a 503 ends a read as stopped, naming the last try', async () => {
    const { clock, stop, client, server } = await answering(503);
    const read = client.get(routes.settings).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    stop.abort();
    const failure = await read;
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure).toMatchObject({ stopped: true, mayHaveLanded: false, status: undefined });
    expect((failure as PlatformError).message).toBe('GET /api/v2/approvalflowsettings failed: not finished: accessctl is stopping (the last try: answer 503)');
    // The pause was not waited out, and nothing was sent again.
    expect(clock.now()).toBe(0);
    expect(server.seen).toHaveLength(1);
  });

  it('a stop during the back-off after a 503 ends a write as stopped that may have landed, never sent again', async () => {
    const { clock, stop, client, server } = await answering(503);
    const write = client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    stop.abort();
    expect(await write).toMatchObject({ stopped: true, mayHaveLanded: true, method: 'PUT' });
    expect(server.seen.map((r) => r.method)).toEqual(['PUT']);
  });

  it('a stop that comes while a write is answered 503 ends it as stopped without a pause', async () => {
    const { clock, client, server } = await answering(503, {}, (stop) => stop.abort());
    const failure = await client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stopped: true, mayHaveLanded: true });
    expect(clock.delays).toEqual([]);
    expect(server.seen).toHaveLength(1);
  });

  it('a refusal that would not be retried stays the platform failure under a stop', async () => {
    const { client } = await answering(400, {}, (stop) => stop.abort());
    const failure = await client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stopped: false, status: 400 });
  });
});
