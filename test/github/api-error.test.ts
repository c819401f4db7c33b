// A GitHub call that never got an answer is said to be unreachable, not to have "answered 500"
// (octokit reports it with status 500); a real answer keeps GitHub's status and message.
import { describe, expect, it } from 'vitest';
import { githubError } from '../../src/github/api-error.js';

/** An error shaped as octokit's RequestError: `response` only when GitHub answered. */
function octokitFailure(status: number, message: string, answered: boolean): Error {
  return Object.assign(new Error(message), {
    status,
    request: { method: 'POST', url: 'https://api.github.example.com/repos/acme/access/issues/7/comments' },
    ...(answered ? { response: { status, data: { message } } } : {}),
  });
}

describe('githubError', () => {
  it('says GitHub could not be reached when no answer came back', () => {
    const error = githubError(octokitFailure(500, 'fetch failed', false), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('cannot reach GitHub for POST /repos/acme/access/issues/7/comments: no answer (fetch failed)');
    expect(error.message).not.toContain('answered');
  });

  it('says GitHub could not be reached for any failure without a response, such as a port fetch refuses', () => {
    const error = githubError(octokitFailure(500, 'bad port', false), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('cannot reach GitHub for POST /repos/acme/access/issues/7/comments: no answer (bad port)');
  });

  it('keeps a real 500 from GitHub as an answer', () => {
    const error = githubError(octokitFailure(500, 'Internal error', true), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('GitHub POST /repos/acme/access/issues/7/comments answered 500: Internal error');
  });

  it("keeps GitHub's status and message when it did answer", () => {
    const error = githubError(octokitFailure(502, 'Server Error', true), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('GitHub POST /repos/acme/access/issues/7/comments answered 502: Server Error');
  });
});
