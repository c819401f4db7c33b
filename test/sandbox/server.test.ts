// The HTTP pipeline's error answers: 404, 405, 413, 415, malformed JSON, and 500 with a request
// id and no stack trace; every error body is {code, message, status}.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/sandbox/server.js';
import { startHarness, type Harness } from './harness.js';

describe('HTTP errors', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers an unknown path with 404 in the error shape', async () => {
    const answer = await h.call('GET', '/api/v2/nothing-here');
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ code: 'NOT_FOUND', message: 'no route for GET /api/v2/nothing-here', status: 404 });
  });

  it('answers a known path with an unserved method with 405 and Allow', async () => {
    const answer = await h.call('PATCH', '/api/v2/approvalflows', {});
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
    expect(answer.body).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405 });
  });

  it('answers a body that is not JSON with 415', async () => {
    const answer = await h.call('POST', '/api/v2/usergroups', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
  });

  it('answers malformed JSON and a missing body with 400 and details', async () => {
    const malformed = await h.call('POST', '/api/v2/usergroups', '{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ code: 'BAD_REQUEST', message: 'the body is not valid JSON', status: 400, details: [] });
    const missing = await h.call('POST', '/api/v2/usergroups', undefined, { 'content-type': 'application/json' });
    expect(missing.status).toBe(400);
    const notObject = await h.call('POST', '/api/v2/usergroups', '[1, 2]');
    expect(notObject.status).toBe(400);
    expect(notObject.body).toMatchObject({ details: expect.arrayContaining([{ field: '', message: 'must be a JSON object' }]) });
  });

  it('answers a body over 1 MiB with 413, with or without a content-length', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const sized = await h.call('POST', '/api/v2/usergroups', big);
    expect(sized.status).toBe(413);
    expect(sized.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await fetch(`${h.sandbox.url}/api/v2/usergroups`, {
      method: 'POST',
      headers: { 'x-api-key': h.sandbox.adminKey, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // A body just under the limit is read and judged on its content.
    const small = await h.call('POST', '/api/v2/usergroups', JSON.stringify({ name: 'x', description: 'y'.repeat(2000) }));
    expect(small.status).toBe(400);
  });

  it('gives every response one x-request-id of its own: a list page, errors and a console page', async () => {
    const answers = [
      await h.call('GET', '/api/v2/approvalflows'),
      await h.call('GET', '/api/v2/approvalflows'),
      await h.call('GET', '/api/v2/nothing-here'),
      await h.call('PATCH', '/api/v2/approvalflows', {}),
      await h.call('POST', '/api/v2/usergroups', '{"name": '),
      await h.call('GET', '/api/v2/approvalflows', undefined, { 'x-api-key': 'not-a-key' }),
      await h.call('POST', '/api/v2/usergroups', JSON.stringify({ name: 'x'.repeat(1024 * 1024) })),
      // A console page, which a person reads, not JSON: fetched as it is.
      await fetch(`${h.sandbox.url}/console/`, { redirect: 'manual' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 405, 400, 401, 413, 200]);
    // One header each: two would read "id, id" and fail the pattern.
    for (const answer of answers) expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(answers.length);
  });
});

describe('unexpected errors', () => {
  it('answers 500 with a request id, logs it without secrets and never sends a stack trace', async () => {
    const h = await startHarness();
    try {
      // Every statement now throws: an unexpected failure. (A closed database is no such thing: 503, below.)
      const failing = vi.spyOn(h.sandbox.store, 'stmt').mockImplementation(() => {
        throw new Error('an unexpected failure');
      });
      const answer = await h.call<{ code: string; message: string; status: number; requestId: string }>('GET', '/api/v2/approvalflows');
      expect(answer.status).toBe(500);
      expect(answer.body.code).toBe('INTERNAL');
      expect(answer.body.requestId).toBe(answer.headers.get('x-request-id'));
      expect(answer.body.message).toBe(`internal error; request id ${answer.body.requestId}`);
      expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.(ts|js)|\n/);
      expect(h.logs.some((line) => line.includes(answer.body.requestId))).toBe(true);
      expect(h.logs.join('\n')).not.toContain(h.sandbox.adminKey);
      failing.mockRestore();
    } finally {
      await h.close();
    }
  });

  it('answers 503 with Retry-After, logging nothing, once it has let go of its database', async () => {
    const h = await startHarness();
    const { url, adminKey } = h.sandbox;
    await h.sandbox.relinquish();
    // The port is closed now; the app itself answers what reaches it.
    const app = createApp({ store: h.sandbox.store, clock: h.sandbox.clock, hooks: undefined, log: (line) => h.logs.push(line) });
    const answer = await app.request(`${url}/api/v2/approvalflows`, { headers: { 'x-api-key': adminKey } });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(await answer.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'this sandbox has stopped serving its database' });
    expect(h.logs).toEqual([]);
  });
});
