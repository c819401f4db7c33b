// A stop while a failed call waits to be tried again: the call ends as stopped (the run stops, it
// does not fail), keeps the reason of its last try, and says whether a write may have landed.
// Time is a manual clock whose sleepers are never woken unless the test says so: nothing is slept.
import { afterEach, describe, expect, it } from 'vitest';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { routes } from '../../src/jumpcloud/routes.js';
import { json, ManualClock, startLocalServer, type LocalServer } from './local-server.js';

describe('the platform client stopped between a failed try and its retry', () => {
  let server: LocalServer | undefined;
  let client: JumpCloudClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  async function target(
    status: number,
    onRequest: (stop: AbortController) => void = () => {},
  ): Promise<{ clock: ManualClock; stop: AbortController; client: JumpCloudClient; server: LocalServer }> {
    const stop = new AbortController();
    server = await startLocalServer((_request, response) => {
      onRequest(stop);
      json(response, status, { message: `answer ${status}` });
    });
    const clock = new ManualClock();
    client = new JumpCloudClient({ baseUrl: server.url, apiKey: 'k', now: clock.now, sleep: clock.sleep, random: () => 0, stop: stop.signal });
    return { clock, stop, client, server };
  }

  it('a stop during the back-off after a 503 ends a read as stopped, naming the last try', async () => {
    const { clock, stop, client, server } = await target(503);
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
    const { clock, stop, client, server } = await target(503);
    const write = client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    await clock.untilAsleep(1);
    stop.abort();
    expect(await write).toMatchObject({ stopped: true, mayHaveLanded: true, method: 'PUT' });
    expect(server.seen.map((r) => r.method)).toEqual(['PUT']);
  });

  it('a stop that comes while a write is answered 503 ends it as stopped without a pause', async () => {
    const { clock, client, server } = await target(503, (stop) => stop.abort());
    const failure = await client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stopped: true, mayHaveLanded: true });
    expect(clock.delays).toEqual([]);
    expect(server.seen).toHaveLength(1);
  });

  it('a refusal that would not be retried stays the platform failure under a stop', async () => {
    const { client } = await target(400, (stop) => stop.abort());
    const failure = await client.put(routes.settings, {}, { resourceRequest: true }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ stopped: false, status: 400 });
  });
});
