// The fake's request checker is itself checked: requests that break GitHub's OpenAPI description
// are caught, so a clean run against the fake means something.
import { describe, expect, it } from 'vitest';
import { openApiValidator } from './openapi-validator.js';

const validator = openApiValidator('api.github.com');
const json = 'application/json; charset=utf-8';
const check = (method: string, path: string, body: unknown = undefined, query = ''): ReturnType<typeof validator.validate> =>
  validator.validate({ method, path, query: new URLSearchParams(query), contentType: json, body: body === undefined ? '' : JSON.stringify(body) });

describe('the OpenAPI request checker', () => {
  it('accepts a well-formed request and names its operation', () => {
    expect(check('POST', '/repos/acme/config/issues/42/comments', { body: 'hi' })).toEqual({ operationId: 'issues/create-comment', problems: [] });
    expect(check('GET', '/repos/acme/config/issues/42/comments', undefined, 'per_page=100&page=2').problems).toEqual([]);
  });

  it('prefers the template with more literal segments', () => {
    expect(check('PATCH', '/repos/acme/config/issues/comments/7', { body: 'x' }).operationId).toBe('issues/update-comment');
  });

  it('catches a path parameter of the wrong type, an undeclared query parameter and an unknown route', () => {
    expect(check('GET', '/repos/acme/config/issues/forty-two/comments').problems.join()).toMatch(/issue_number must be integer/);
    expect(check('GET', '/repos/acme/config/issues/42/comments', undefined, 'perpage=100').problems.join()).toMatch(/perpage is not declared/);
    expect(check('POST', '/repos/acme/config/nonsense').problems.join()).toMatch(/is not an operation/);
  });

  it('catches a body that breaks the schema: a missing field, a bad enum, over 50 annotations', () => {
    expect(check('POST', '/repos/acme/config/issues/42/comments', {}).problems.join()).toMatch(/must have required property 'body'/);
    expect(check('POST', '/repos/acme/config/check-runs', { name: 'x', head_sha: 'a', conclusion: 'great' }).problems.join()).toMatch(
      /must be equal to one of the allowed values/,
    );
    const annotation = { path: 'a.yaml', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'm' };
    const tooMany = { name: 'x', head_sha: 'a', output: { title: 't', summary: 's', annotations: Array.from({ length: 51 }, () => annotation) } };
    expect(check('POST', '/repos/acme/config/check-runs', tooMany).problems.join()).toMatch(/must NOT have more than 50 items/);
    expect(check('POST', '/repos/acme/config/check-runs').problems.join()).toMatch(/requires a JSON body/);
  });

  it('resolves $refs into the shared components', () => {
    expect(check('PATCH', '/repos/acme/config/check-runs/notanumber', { output: { summary: 's' } }).problems.join()).toMatch(/check_run_id must be integer/);
  });

  it('checks an answer against the documented response: a comment’s author is a whole simple-user, GET /user a user', () => {
    const comment = {
      id: 1,
      node_id: 'IC_1',
      url: 'https://api.github.com/repos/acme/config/issues/comments/1',
      html_url: 'https://github.com/acme/config/pull/42#issuecomment-1',
      issue_url: 'https://api.github.com/repos/acme/config/issues/42',
      body: 'hi',
      user: { login: 'mallory', id: 1, type: 'User' },
      created_at: '2026-03-01T09:00:00Z',
      updated_at: '2026-03-01T09:00:00Z',
      author_association: 'NONE',
    };
    expect(validator.validateResponse('issues/update-comment', 200, comment).join()).toMatch(/the 200 answer\/user must have required property 'node_id'/);
    expect(validator.validateResponse('issues/list-comments', 200, [{ ...comment, user: undefined }]).join()).toMatch(/must have required property 'user'/);
    expect(validator.validateResponse('users/get-authenticated', 200, { login: 'octocat' }).join()).toMatch(/must have required property/);
    expect(validator.validateResponse('users/get-authenticated', 418, {})).toEqual(['users/get-authenticated documents no 418 answer']);
  });
});
