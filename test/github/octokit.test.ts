// The GitHub client's behaviour under trouble and on GitHub Enterprise Server: rate limits and
// server errors retried, failures turned into GitHub's message with the token nowhere to be seen.
import { afterEach, describe, expect, it } from 'vitest';
import { githubError, redactToken, withGithubErrors } from '../../src/github/api-error.js';
import { checkOutput, publishCheck } from '../../src/github/check.js';
import { commentBody, resolveCommentAuthor, upsertComment } from '../../src/github/comment.js';
import { startFakeGithub, type FakeGithub } from './fake-github.js';
import { instantClient } from './instant-client.js';
import { invalid, plan, valid } from './outcomes.js';

const token = 'ghp_PLANTEDfake123';
const pr = { owner: 'acme', repo: 'access-config', pullNumber: 42 };
const ours = { author: 'github-actions[bot]' };
const secondary = {
  message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
};
let fake: FakeGithub | undefined;

afterEach(async () => {
  if (fake) {
    expect(fake.violations).toEqual([]);
    await fake.close();
  }
  fake = undefined;
});

/** Everything an error could show: message, stack, cause chain and own properties. */
function everything(error: unknown): string {
  const seen: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    seen.push(current.message, current.stack ?? '', JSON.stringify(Object.entries(current)));
    current = current.cause;
  }
  return seen.join('\n');
}

describe('the GitHub client', () => {
  it('retries a 403 secondary rate limit after its retry-after and then succeeds', async () => {
    fake = await startFakeGithub({ token });
    const log: string[] = [];
    fake.fail({ method: 'POST', path: /\/issues\/42\/comments$/, status: 403, body: secondary, headers: { 'retry-after': '2' } });
    const api = instantClient({ token, baseUrl: fake.url, log: (line) => log.push(line) });
    const result = await upsertComment(api, pr, commentBody(valid(plan())), ours);
    expect(result.action).toBe('created');
    expect(fake.requests.filter((r) => r.operationId === 'issues/create-comment').map((r) => r.faulted)).toEqual([true, false]);
    expect(fake.comments).toHaveLength(1);
    expect(log.join('\n')).toMatch(/secondary rate limit .* retrying after 2s/);
  });

  it('retries a primary rate limit and a 502', async () => {
    fake = await startFakeGithub({ token });
    const reset = String(Math.floor(Date.now() / 1000));
    fake.fail({
      method: 'GET',
      path: /\/comments$/,
      status: 403,
      body: { message: 'API rate limit exceeded for installation.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
    });
    fake.fail({ method: 'POST', path: /\/comments$/, status: 502, body: { message: 'Server Error' } });
    const api = instantClient({ token, baseUrl: fake.url });
    expect((await upsertComment(api, pr, commentBody(valid(plan())), ours)).action).toBe('created');
    expect(fake.requests.map((r) => `${r.method} ${r.faulted}`)).toEqual(['GET true', 'GET false', 'POST true', 'POST false']);
  });

  it('gives up after the configured retries with GitHub’s message', async () => {
    fake = await startFakeGithub({ token });
    fake.fail({ method: 'POST', path: /\/check-runs$/, status: 403, body: secondary, headers: { 'retry-after': '1' }, times: 10 });
    const api = instantClient({ token, baseUrl: fake.url, retries: 2 });
    const error = await withGithubErrors(token, () =>
      publishCheck(api, { owner: 'acme', repo: 'r', headSha: 'abc' }, checkOutput(invalid(1), { name: 'accessctl', neutralOnChanges: false, root: '/' })),
    ).catch((e: unknown) => e);
    expect(String((error as Error).message)).toBe(`GitHub POST /repos/acme/r/check-runs answered 403: ${secondary.message}`);
    expect(fake.requests).toHaveLength(3);
  });

  it('works against a GitHub Enterprise Server base URL (/api/v3), checked against the GHES description', async () => {
    fake = await startFakeGithub({ token, prefix: '/api/v3', description: 'ghes-3.19' });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    const api = instantClient({ token, baseUrl: fake.url });
    // The second run asks who the token is: GET /user under /api/v3, then GraphQL at /api/graphql.
    const mine = { author: () => resolveCommentAuthor(api) };
    await upsertComment(api, pr, commentBody(valid(plan())), mine);
    expect((await upsertComment(api, pr, commentBody(invalid(2)), mine)).action).toBe('updated');
    await publishCheck(
      api,
      { owner: 'acme', repo: 'access-config', headSha: 'abc' },
      checkOutput(invalid(60), { name: 'accessctl', neutralOnChanges: false, root: '/' }),
    );
    expect(fake.comments).toHaveLength(1);
    expect(fake.checkRuns[0]?.annotations).toHaveLength(60);
    expect(fake.requests.every((r) => r.operationId !== undefined)).toBe(true);
    expect(fake.requests.map((r) => r.operationId)).toEqual(expect.arrayContaining(['users/get-authenticated', 'graphql/viewer']));
  });

  it('never lets the token into an error, its cause, or the log', async () => {
    fake = await startFakeGithub({ token: 'a-different-token' });
    const log: string[] = [];
    const api = instantClient({ token, baseUrl: fake.url, log: (line) => log.push(line) });
    const error = await withGithubErrors(token, () => upsertComment(api, pr, 'body', ours)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^GitHub GET \/repos\/acme\/access-config\/issues\/42\/comments answered 401: Bad credentials$/);
    expect(everything(error)).not.toContain(token);
    expect(log.join('\n')).not.toContain(token);
  });

  it('scrubs the token from any message, in plain and Basic-auth form', () => {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    expect(redactToken(`a ${token} b ${basic}`, token)).toBe('a [REDACTED] b [REDACTED]');
    expect(githubError(new Error(`fetch to https://${token}@github.com failed`), token).message).not.toContain(token);
  });

  it('reports an unreachable GitHub as a platform error', async () => {
    const api = instantClient({ token, baseUrl: 'http://127.0.0.1:9', retries: 0 });
    const error = await withGithubErrors(token, () => upsertComment(api, pr, 'body', ours)).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('platform');
    expect(everything(error)).not.toContain(token);
  });
});
