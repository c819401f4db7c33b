// Reading where a GitHub run points: the Actions environment, a saved pull_request event, and flags
// that override each value.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readContext, requireHeadSha, requirePullNumber } from '../../src/github/context.js';
import { AccessctlError } from '../../src/errors.js';

const event = fileURLToPath(new URL('../fixtures/github/pull_request.json', import.meta.url));
const env = { GITHUB_TOKEN: 'ghp_PLANTEDfake123', GITHUB_REPOSITORY: 'acme/access-config', GITHUB_EVENT_PATH: event };

describe('readContext', () => {
  it('takes the PR number and head SHA from the saved pull_request event and defaults to api.github.com', async () => {
    const context = await readContext({}, env);
    expect(context).toMatchObject({
      owner: 'acme',
      repo: 'access-config',
      pullNumber: 42,
      headSha: '4a5b6c7d8e9f00112233445566778899aabbccdd',
      apiUrl: 'https://api.github.com',
    });
  });

  it('lets every flag override its variable', async () => {
    const context = await readContext(
      { token: 't2', repo: 'other/repo', apiUrl: 'https://ghe.example.com/api/v3/', pr: 7, sha: 'abc' },
      { ...env, GITHUB_API_URL: 'https://ignored.example.com' },
    );
    expect(context).toMatchObject({ token: 't2', owner: 'other', repo: 'repo', apiUrl: 'https://ghe.example.com/api/v3', pullNumber: 7, headSha: 'abc' });
  });

  it('reads GITHUB_API_URL for GitHub Enterprise Server', async () => {
    expect((await readContext({}, { ...env, GITHUB_API_URL: 'https://ghe.example.com/api/v3' })).apiUrl).toBe('https://ghe.example.com/api/v3');
  });

  it('names the missing token variable without printing any value', async () => {
    const error = await readContext({}, { GITHUB_REPOSITORY: 'a/b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessctlError);
    expect((error as AccessctlError).message).toContain('GITHUB_TOKEN is not set');
  });

  it('refuses a repository that is not owner/name and an API URL that is not http(s)', async () => {
    await expect(readContext({ repo: 'just-a-name' }, env)).rejects.toThrow('--repo must be owner/name');
    await expect(readContext({ apiUrl: 'ftp://x' }, env)).rejects.toThrow('is not an http(s) URL');
  });

  it('says how to name a pull request when the event is not one, and falls back to GITHUB_SHA for the commit', async () => {
    const context = await readContext({ eventPath: fileURLToPath(new URL('../../package.json', import.meta.url)) }, { ...env, GITHUB_SHA: 'deadbeef' });
    expect(() => requirePullNumber(context)).toThrow('pass --pr N');
    expect(requireHeadSha(context)).toBe('deadbeef');
  });

  it('reports an event file that cannot be read', async () => {
    await expect(readContext({ eventPath: '/nonexistent/event.json' }, env)).rejects.toThrow('cannot read the event file');
  });
});
