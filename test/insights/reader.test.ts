// The Insights reader against answers the sandbox does not give: its bounds on what the network sends.
import { afterEach, describe, expect, it } from 'vitest';
import { InsightsReader } from '../../src/insights/reader.js';
import { PlatformError } from '../../src/jumpcloud/platform-error.js';
import { closedInOrder, json, startLocalServer, type LocalServer } from '../jumpcloud/local-server.js';

let server: LocalServer | undefined;
let reader: InsightsReader | undefined;
afterEach(async () => {
  [reader, server] = await closedInOrder(reader, server);
});

const query = { services: ['directory'], startTime: '2026-01-01T00:00:00Z', limit: 10 };

describe('the Insights reader', () => {
  it('refuses a page larger than its bound, saying to ask for smaller pages', async () => {
    server = await startLocalServer((_request, response) => json(response, 200, [{ message: 'x'.repeat(4096) }]));
    reader = new InsightsReader({ baseUrl: server.url, apiKey: 'k', maxAnswerBytes: 1024 });
    const failure = await reader.page(query).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlatformError);
    expect((failure as PlatformError).message).toMatch(/larger than 1024 bytes; ask for smaller pages/);
  });

  it('refuses a cursor header that is not a JSON array of sort values', async () => {
    server = await startLocalServer((_request, response) => json(response, 200, [], { 'x-search_after': '{"not":"a cursor"}' }));
    reader = new InsightsReader({ baseUrl: server.url, apiKey: 'k' });
    await expect(reader.page(query)).rejects.toThrow(/X-Search_after header is not a JSON array/);
  });

  it("reports the platform's own message for a refusal", async () => {
    server = await startLocalServer((_request, response) => json(response, 403, { message: 'key lacks insights scope' }));
    reader = new InsightsReader({ baseUrl: server.url, apiKey: 'k' });
    await expect(reader.page(query)).rejects.toThrow(/key lacks insights scope/);
  });

  it('says in words why no answer came, keeping the network code apart', async () => {
    server = await startLocalServer((_request, response) => response.socket?.destroy());
    reader = new InsightsReader({ baseUrl: server.url, apiKey: 'k' });
    const failure = (await reader.page(query).catch((error: unknown) => error)) as PlatformError;
    expect(failure).toBeInstanceOf(PlatformError);
    expect(failure.message).toMatch(/the connection broke before the answer came|connection reset before the answer came/);
    expect(failure.message).not.toMatch(/UND_ERR|ECONNRESET/);
    expect(failure.networkCode).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
  });
});
