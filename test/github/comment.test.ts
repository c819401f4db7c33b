// The sticky comment and the destroy label against the fake GitHub, every request checked against
// GitHub's OpenAPI description: one comment however often it runs, the label following deletions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, COMMENT_MARKER, commentBody, syncLabel, upsertComment } from '../../src/github/comment.js';
import type { GithubApi } from '../../src/github/octokit.js';
import { startFakeGithub, type FakeGithub } from './fake-github.js';
import { instantClient } from './instant-client.js';
import { createFlow, deleteFlow, error, hugePlan, plan, valid } from './outcomes.js';

const token = 'ghp_PLANTEDfake123';
const pr = { owner: 'acme', repo: 'access-config', pullNumber: 42 };
let fake: FakeGithub;
let api: GithubApi;

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
    const first = await upsertComment(api, pr, commentBody(valid(plan([createFlow('GitHub Admin')]))));
    const second = await upsertComment(api, pr, commentBody(valid(plan([createFlow('GitHub Admin'), createFlow('GitHub User')]))));
    expect(first.action).toBe('created');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]?.body).toContain('GitHub User');
    expect(fake.requests.map((r) => r.operationId)).toEqual(['issues/list-comments', 'issues/create-comment', 'issues/list-comments', 'issues/update-comment']);
  });

  it('names the commit it describes', () => {
    expect(commentBody(valid(plan()), '4a5b6c7d8e9f00112233445566778899aabbccdd')).toContain('accessctl ran on 4a5b6c7d8e9f');
  });

  it('is found on a later page among many comments, and a reply quoting the marker is not mistaken for it', async () => {
    for (let i = 0; i < 150; i++) fake.comments.push({ id: i + 1, issue: 42, body: `comment ${i}`, user: 'someone' });
    fake.comments.push({ id: 500, issue: 42, body: `> ${COMMENT_MARKER}\n> quoted`, user: 'someone' });
    fake.comments.push({ id: 501, issue: 42, body: `${COMMENT_MARKER}\nold plan`, user: 'github-actions[bot]' });
    const result = await upsertComment(api, pr, commentBody(valid(plan())));
    expect(result).toMatchObject({ action: 'updated', id: 501 });
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
    await upsertComment(api, pr, body);
    expect(fake.comments[0]?.body).toBe(body);
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
