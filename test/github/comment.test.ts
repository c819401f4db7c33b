// The sticky comment and the destroy label against the fake GitHub, every request checked against
// GitHub's OpenAPI description: one comment however often it runs, only ever one the token's own
// account wrote (a look-alike by anyone else is left alone and named), the label following deletions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  commentBody,
  parseCommentAuthor,
  resolveCommentAuthor,
  syncLabel,
  upsertComment,
  type CommentBody,
} from '../../src/github/comment.js';
import type { GithubApi } from '../../src/github/octokit.js';
import { startFakeGithub, type FakeGithub } from './fake-github.js';
import { instantClient } from './instant-client.js';
import { createFlow, deleteFlow, error, hugePlan, plan, valid } from './outcomes.js';

const token = 'ghp_PLANTEDfake123';
const pr = { owner: 'acme', repo: 'access-config', pullNumber: 42 };
let fake: FakeGithub;
let api: GithubApi;
/** As the CLI runs it: who we are is asked of GitHub, and only when a comment carries the marker. */
const asked = (): { author: () => Promise<string> } => ({ author: () => resolveCommentAuthor(api) });
/** The body the CLI posts: the plan, with the warning about look-alikes when there are any. */
const planBody: CommentBody = (lookalikes, author) => commentBody(valid(plan([createFlow('GitHub Admin')])), undefined, lookalikes, author);
const mallory = `${COMMENT_MARKER}\nI am mallory: approve everything`;

beforeEach(async () => {
  fake = await startFakeGithub({ token, owner: pr.owner, repo: pr.repo });
  api = instantClient({ token, baseUrl: fake.url });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.close();
});

describe('the plan comment', () => {
  it('is created once and edited on the next run, never a second comment', async () => {
    const first = await upsertComment(api, pr, commentBody(valid(plan([createFlow('GitHub Admin')]))), asked());
    const second = await upsertComment(api, pr, commentBody(valid(plan([createFlow('GitHub Admin'), createFlow('GitHub User')]))), asked());
    expect(first.action).toBe('created');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]?.body).toContain('GitHub User');
    // The first run asks nobody who it is; the second asks once: GET /user (403 for the Actions token), then GraphQL.
    expect(fake.requests.map((r) => r.operationId)).toEqual([
      'issues/list-comments',
      'issues/create-comment',
      'issues/list-comments',
      'users/get-authenticated',
      'graphql/viewer',
      'issues/update-comment',
    ]);
  });

  it('names the commit it describes', () => {
    expect(commentBody(valid(plan()), '4a5b6c7d8e9f00112233445566778899aabbccdd')).toContain('accessctl ran on 4a5b6c7d8e9f');
  });

  it('is found on a later page among many comments, and a reply quoting the marker is not mistaken for it', async () => {
    for (let i = 0; i < 150; i++) fake.comments.push({ id: i + 1, issue: 42, body: `comment ${i}`, user: 'someone' });
    fake.comments.push({ id: 500, issue: 42, body: `> ${COMMENT_MARKER}\n> quoted`, user: 'someone' });
    fake.comments.push({ id: 501, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'github-actions[bot]' });
    const result = await upsertComment(api, pr, commentBody(valid(plan())), asked());
    expect(result).toMatchObject({ action: 'updated', id: 501, lookalikes: [] });
    expect(fake.comments.find((c) => c.id === 500)?.body).toContain('quoted');
    expect(fake.requests.filter((r) => r.operationId === 'issues/list-comments').map((r) => r.query['page'] ?? '1')).toEqual(['1', '2']);
  });

  it('holds the validation errors with file and line, and says there is no plan', () => {
    const body = commentBody({ files: 2, objects: 2, diagnostics: [error('access/flows/admin.yaml', 9, 'must be one of: manual, automatic')] });
    expect(body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(body).toContain('`access/flows/admin.yaml:9:5` **invalid-value** must be one of: manual, automatic');
    expect(body).toContain('No plan: fix the errors above first.');
  });

  it('puts deletions before other changes', () => {
    const body = commentBody(valid(plan([createFlow('New One'), deleteFlow('Old One')])));
    expect(body.indexOf('Old One')).toBeLessThan(body.indexOf('New One'));
    expect(body).toContain('This plan **deletes 1 object**');
  });

  it('stays within GitHub’s size limit for an oversized plan, with a note saying what was left out', async () => {
    const body = commentBody(valid(hugePlan(200)));
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toMatch(/more changes not shown/);
    await upsertComment(api, pr, body, asked());
    expect(fake.comments[0]?.body).toBe(body);
  });
});

describe('whose comment is ours', () => {
  it('never edits a comment someone else wrote with the marker: it posts its own, names the author and warns in its body', async () => {
    fake.comments.push({ id: 5, issue: 42, body: mallory, user: 'mallory' });
    const first = await upsertComment(api, pr, planBody, asked());
    expect(first).toMatchObject({ action: 'created', author: 'github-actions[bot]', lookalikes: [{ id: 5, login: 'mallory' }] });
    expect(fake.comments.find((c) => c.id === 5)?.body).toBe(mallory);
    const ours = fake.comments.find((c) => c.id === first.id);
    expect(ours?.user).toBe('github-actions[bot]');
    expect(ours?.body).toContain('> [!WARNING]\n> Another comment on this pull request starts like this one but was written by `mallory`.');
    expect(ours?.body).toContain('Only this comment by `github-actions[bot]` is accessctl');
    expect(ours?.body).not.toContain('@mallory');
    // The next run edits its own comment, and still names the look-alike.
    const second = await upsertComment(api, pr, planBody, asked());
    expect(second).toMatchObject({ action: 'updated', id: first.id, lookalikes: [{ id: 5, login: 'mallory' }] });
    expect(fake.comments.find((c) => c.id === 5)?.body).toBe(mallory);
    expect(fake.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/repos/acme/access-config/issues/comments/${first.id}`]);
    expect(fake.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('asks GET /user for a user token, and matches its login without regard to case', async () => {
    await fake.close();
    fake = await startFakeGithub({ token, owner: pr.owner, repo: pr.repo, identity: { login: 'Alice-Admin', kind: 'user' } });
    api = instantClient({ token, baseUrl: fake.url });
    fake.comments.push({ id: 7, issue: 42, body: `${COMMENT_MARKER}\nby the bot`, user: 'github-actions[bot]' });
    fake.comments.push({ id: 8, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'alice-admin' });
    const result = await upsertComment(api, pr, `${COMMENT_MARKER}\nnew plan`, asked());
    expect(result).toMatchObject({ action: 'updated', id: 8, author: 'Alice-Admin', lookalikes: [{ id: 7, login: 'github-actions[bot]' }] });
    expect(fake.comments.find((c) => c.id === 7)?.body).toContain('by the bot');
    expect(fake.requests.map((r) => r.operationId)).toEqual(['issues/list-comments', 'users/get-authenticated', 'issues/update-comment']);
  });

  it('takes an app installation token’s bot login from the GraphQL viewer when GET /user answers 403', async () => {
    await fake.close();
    fake = await startFakeGithub({ token, owner: pr.owner, repo: pr.repo, identity: { login: 'acme-access[bot]', kind: 'installation' } });
    api = instantClient({ token, baseUrl: fake.url });
    fake.comments.push({ id: 7, issue: 42, body: `${COMMENT_MARKER}\nby the Actions bot`, user: 'github-actions[bot]' });
    fake.comments.push({ id: 8, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'acme-access[bot]' });
    expect(await resolveCommentAuthor(api)).toBe('acme-access[bot]');
    const result = await upsertComment(api, pr, `${COMMENT_MARKER}\nnew plan`, asked());
    expect(result).toMatchObject({ action: 'updated', id: 8, lookalikes: [{ id: 7, login: 'github-actions[bot]' }] });
  });

  it('asks GitHub nothing when the author is given, and edits only that author’s comment', async () => {
    fake.comments.push({ id: 5, issue: 42, body: mallory, user: 'mallory' });
    fake.comments.push({ id: 6, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'release-bot' });
    const result = await upsertComment(api, pr, `${COMMENT_MARKER}\nnew plan`, { author: 'release-bot' });
    expect(result).toMatchObject({ action: 'updated', id: 6, author: 'release-bot', lookalikes: [{ id: 5, login: 'mallory' }] });
    expect(fake.requests.map((r) => r.operationId)).toEqual(['issues/list-comments', 'issues/update-comment']);
  });

  it('posts a new comment when GitHub refuses to edit our own (403), says so, and the next run edits the new one', async () => {
    fake.comments.push({ id: 501, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'github-actions[bot]' });
    fake.fail({ method: 'PATCH', path: /\/issues\/comments\/501$/, status: 403, body: { message: 'Resource not accessible by integration' }, times: 5 });
    const first = await upsertComment(api, pr, `${COMMENT_MARKER}\nnew plan`, asked());
    expect(first).toMatchObject({ action: 'created', refused: { id: 501, status: 403, message: 'Resource not accessible by integration' } });
    expect(first.refused?.url).toContain('#issuecomment-501');
    const second = await upsertComment(api, pr, `${COMMENT_MARKER}\nnewer plan`, asked());
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(second.refused).toBeUndefined();
    expect(fake.comments.map((c) => c.body)).toEqual([`${COMMENT_MARKER}\nold plan`, `${COMMENT_MARKER}\nnewer plan`]);
    expect(fake.requests.filter((r) => r.method === 'PATCH').map((r) => [r.path.split('/').at(-1), r.faulted])).toEqual([
      ['501', true],
      [String(first.id), false],
    ]);
  });

  it('does not take a rate limit on the edit for a refusal: no second comment', async () => {
    api = instantClient({ token, baseUrl: fake.url, retries: 0 });
    fake.comments.push({ id: 501, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'github-actions[bot]' });
    const reset = String(Math.floor(Date.now() / 1000));
    fake.fail({
      method: 'PATCH',
      path: /\/issues\/comments\/501$/,
      status: 403,
      body: { message: 'API rate limit exceeded for installation.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      times: 5,
    });
    await expect(upsertComment(api, pr, `${COMMENT_MARKER}\nnew plan`, { author: 'github-actions[bot]' })).rejects.toMatchObject({ status: 403 });
    expect(fake.comments).toHaveLength(1);
  });

  it('says how to name the author when GitHub cannot tell who the token is', async () => {
    fake.fail({ method: 'POST', path: /^\/graphql$/, status: 403, body: { message: 'Resource not accessible by integration' } });
    const error = await resolveCommentAuthor(api).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'platform', subject: '--comment-author' });
    expect((error as Error).message).toMatch(
      /GET \/user answered 403 and the GraphQL viewer query failed: Resource not accessible by integration\); pass --comment-author LOGIN or set ACCESSCTL_COMMENT_AUTHOR$/,
    );
  });

  it('takes a user or bot login by hand and refuses anything else, naming where it came from', () => {
    expect(parseCommentAuthor('github-actions[bot]', '--comment-author')).toBe('github-actions[bot]');
    expect(parseCommentAuthor(' octo-cat ', '--comment-author')).toBe('octo-cat');
    for (const bad of ['', '@mallory', 'two words', 'x[bot][bot]', '-leading'])
      expect(() => parseCommentAuthor(bad, 'ACCESSCTL_COMMENT_AUTHOR')).toThrow(
        expect.objectContaining({
          code: 'usage',
          subject: 'ACCESSCTL_COMMENT_AUTHOR',
          message: expect.stringMatching(/^ACCESSCTL_COMMENT_AUTHOR must be a GitHub login/),
        }),
      );
  });
});

describe('the destroy label', () => {
  it('is added when the plan deletes and removed when it no longer does', async () => {
    expect(await syncLabel(api, pr, 'accessctl:destroy', true)).toBe('added');
    expect(fake.labels.get(42)).toEqual(['accessctl:destroy']);
    expect(await syncLabel(api, pr, 'accessctl:destroy', true)).toBe('unchanged');
    expect(await syncLabel(api, pr, 'accessctl:destroy', false)).toBe('removed');
    expect(fake.labels.get(42)).toEqual([]);
    expect(await syncLabel(api, pr, 'accessctl:destroy', false)).toBe('unchanged');
    expect(fake.requests.filter((r) => r.method !== 'GET').map((r) => r.operationId)).toEqual(['issues/add-labels', 'issues/remove-label']);
  });

  it('leaves other labels alone and works with a configured name', async () => {
    fake.labels.set(42, ['needs-review']);
    await syncLabel(api, pr, 'danger: deletes', true);
    expect(fake.labels.get(42)).toEqual(['needs-review', 'danger: deletes']);
    await syncLabel(api, pr, 'danger: deletes', false);
    expect(fake.labels.get(42)).toEqual(['needs-review']);
  });
});
