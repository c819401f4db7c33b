// A GitHub call that never got an answer is said to be unreachable, not to have "answered 500"
// (octokit reports it with status 500); a real answer keeps GitHub's status and message.
import { describe, expect, it } from 'vitest';
import { githubError } from '../../src/github/api-error.js';

function octokitFailure(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, request: { method: 'POST', url: 'https://api.github.example.com/repos/acme/access/issues/7/comments' } });
}

describe('githubError', () => {
  it('says GitHub could not be reached when no answer came back', () => {
    const error = githubError(octokitFailure(500, 'fetch failed'), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('cannot reach GitHub for POST /repos/acme/access/issues/7/comments: no answer (fetch failed)');
    expect(error.message).not.toContain('answered');
  });

  it("keeps GitHub's status and message when it did answer", () => {
    const error = githubError(octokitFailure(502, 'Server Error'), 'ghs_PLANTEDtoken');
    expect(error.message).toBe('GitHub POST /repos/acme/access/issues/7/comments answered 502: Server Error');
  });
});
