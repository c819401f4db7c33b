// The answer memo the reconciler's client keeps: an answer whose bytes are as before is the very
// same frozen value, unparsed; a changed one is parsed again; what is kept is bounded in count and size.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDesiredState } from '../../src/config/desired.js';
import { AnswerMemo } from '../../src/jumpcloud/answer-memo.js';
import { TargetBinding } from '../../src/reconcile/target-binding.js';

describe('AnswerMemo', () => {
  it('hands back the same frozen value for the same text, and parses a changed text again', () => {
    const memo = new AnswerMemo();
    const first = memo.parse('/a?skip=0', '{"results":[{"id":"1"}]}');
    expect(memo.parse('/a?skip=0', '{"results":[{"id":"1"}]}')).toBe(first);
    expect(Object.isFrozen((first as { results: object[] }).results[0])).toBe(true);
    const changed = memo.parse('/a?skip=0', '{"results":[{"id":"2"}]}');
    expect(changed).toEqual({ results: [{ id: '2' }] });
    expect({ parsed: memo.parsed, reused: memo.reused, size: memo.size }).toEqual({ parsed: 2, reused: 1, size: 1 });
  });

  it('keys answers by the whole URL: another page or query is another answer', () => {
    const memo = new AnswerMemo();
    const text = '[]';
    const first = memo.parse('/a?skip=0', text);
    expect(memo.parse('/a?skip=100', text)).not.toBe(first);
    expect(memo.size).toBe(2);
  });

  it('keeps at most maxAnswers answers, dropping the least recently used', () => {
    const memo = new AnswerMemo({ maxAnswers: 2, maxChars: 1_000 });
    const a = memo.parse('/a', '[1]');
    memo.parse('/b', '[2]');
    expect(memo.parse('/a', '[1]')).toBe(a);
    memo.parse('/c', '[3]');
    expect(memo.size).toBe(2);
    // /b was used least recently: it went, and /a stayed.
    expect(memo.parse('/a', '[1]')).toBe(a);
    const parsed = memo.parsed;
    memo.parse('/b', '[2]');
    expect(memo.parsed).toBe(parsed + 1);
  });

  it('keeps at most maxChars characters of text, and never keeps one answer larger than that', () => {
    const memo = new AnswerMemo({ maxAnswers: 100, maxChars: 10 });
    memo.parse('/a', '[1,2,3]');
    memo.parse('/b', '[4,5,6]');
    expect(memo.size).toBe(1);
    const big = memo.parse('/big', '[1,2,3,4,5,6,7,8]');
    expect(big).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(memo.parse('/big', '[1,2,3,4,5,6,7,8]')).not.toBe(big);
  });
});

describe("the reconciler's client", () => {
  let server: Server | undefined;
  const bindings: TargetBinding[] = [];
  afterEach(async () => {
    for (const binding of bindings.splice(0)) await binding.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  });

  it('hands back an unchanged answer as the same value, and a changed one as a new value', async () => {
    let body = '{"resourceRequest":true}';
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    });
    await new Promise<void>((listening) => server!.listen(0, '127.0.0.1', listening));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const binding = TargetBinding.resolving({ env: { JUMPCLOUD_API_KEY: 'k', JUMPCLOUD_API_URL: url } });
    bindings.push(binding);
    const { client } = binding.bind(emptyDesiredState());
    const first = await client.get('/api/v2/approvalflowsettings');
    expect(await client.get('/api/v2/approvalflowsettings')).toBe(first);
    body = '{"resourceRequest":false}';
    const changed = await client.get('/api/v2/approvalflowsettings');
    expect(changed).not.toBe(first);
    expect(changed).toEqual({ resourceRequest: false });
  });
});
