// The key and org id as they come from the environment: a trailing newline (a Secret made with
// `echo`), surrounding whitespace or a control character is a usage error naming the variable and
// what is wrong, never the value; through the command line it is refused before any request.
import { describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { clientOptionsFromEnv, credentialFromEnv } from '../../src/jumpcloud/client.js';
import { accessctl } from '../cli/in-process.js';
import { json, startLocalServer } from './local-server.js';

const key = 'k3y-Of-The-0rg-41af93';

function refusal(run: () => unknown): AccessctlError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AccessctlError);
    return error as AccessctlError;
  }
  throw new Error('it was accepted');
}

describe('credentials read from the environment', () => {
  it.each([
    [`${key}\n`, 'JUMPCLOUD_API_KEY ends with a newline'],
    [`${key}\r\n`, 'JUMPCLOUD_API_KEY ends with a newline'],
    [`${key} `, 'JUMPCLOUD_API_KEY ends with a space'],
    [` ${key}`, 'JUMPCLOUD_API_KEY starts with a space'],
    [`\t${key}`, 'JUMPCLOUD_API_KEY starts with a tab'],
    [`${key.slice(0, 5)}\u0000${key.slice(5)}`, 'JUMPCLOUD_API_KEY contains the character U+0000'],
    [`${key.slice(0, 5)}\u001b${key.slice(5)}`, 'JUMPCLOUD_API_KEY contains the character U+001B'],
  ])('refuses the key %j, saying what is wrong and not what the key is', (value, says) => {
    const error = refusal(() => clientOptionsFromEnv({ JUMPCLOUD_API_KEY: value }));
    expect(error.code).toBe('usage');
    expect(error.subject).toBe('JUMPCLOUD_API_KEY');
    expect(error.message.startsWith(says)).toBe(true);
    expect(error.message).not.toContain(key.slice(0, 5));
  });

  it('refuses an org id with a trailing newline too, as it goes into the x-org-id header', () => {
    const error = refusal(() => clientOptionsFromEnv({ JUMPCLOUD_API_KEY: key, JUMPCLOUD_ORG_ID: '5f3c0a9e1b2d4c6e8f0a1b2c\n' }));
    expect(error.subject).toBe('JUMPCLOUD_ORG_ID');
    expect(error.message).toMatch(/^JUMPCLOUD_ORG_ID ends with a newline/);
    expect(error.message).not.toContain('5f3c0a9e');
  });

  it('accepts a clean key and org id as they are, and treats an empty variable as unset', () => {
    expect(clientOptionsFromEnv({ JUMPCLOUD_API_KEY: key, JUMPCLOUD_ORG_ID: 'org1' }, 'http://127.0.0.1:1')).toEqual({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: key,
      orgId: 'org1',
    });
    expect(credentialFromEnv({ FLEET_KEY: '' }, 'FLEET_KEY')).toBeUndefined();
    expect(() => credentialFromEnv({ FLEET_KEY: 'x\n' }, 'FLEET_KEY')).toThrow(/^FLEET_KEY ends with a newline/);
  });

  it('plan with a key ending in a newline exits with a usage error naming JUMPCLOUD_API_KEY, before any request', async () => {
    const server = await startLocalServer((_request, response) => json(response, 200, []));
    try {
      const run = await accessctl(['plan', 'examples/access', '--target', server.url], { JUMPCLOUD_API_KEY: `${key}\n` });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^accessctl: JUMPCLOUD_API_KEY ends with a newline: remove it/);
      expect(run.stderr).not.toMatch(/no response|UND_ERR/);
      expect(run.stderr).not.toContain(key);
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('the org and target from the environment against the Project', () => {
  const project = { url: 'http://127.0.0.1:8080', orgId: '65b000000000000000000002', urlAt: 'org/accessctl.yaml:7:10', orgIdAt: 'org/accessctl.yaml:8:12' };

  it('refuses JUMPCLOUD_ORG_ID that differs from the Project’s orgId, naming both values and where the Project says it', () => {
    const error = refusal(() => clientOptionsFromEnv({ JUMPCLOUD_API_KEY: key, JUMPCLOUD_ORG_ID: '65b000000000000000000001' }, undefined, project));
    expect(error.code).toBe('usage');
    expect(error.subject).toBe('JUMPCLOUD_ORG_ID');
    expect(error.message).toBe(
      "JUMPCLOUD_ORG_ID is 65b000000000000000000001, but the Project's spec.target.orgId (org/accessctl.yaml:8:12) is 65b000000000000000000002: accessctl will not guess which org you mean; unset JUMPCLOUD_ORG_ID to use the Project's org, or make the two agree",
    );
  });

  it('takes the org from either when only one says it, or both agree', () => {
    const env = { JUMPCLOUD_API_KEY: key };
    expect(clientOptionsFromEnv(env, undefined, project).orgId).toBe('65b000000000000000000002');
    expect(clientOptionsFromEnv({ ...env, JUMPCLOUD_ORG_ID: '65b000000000000000000002' }, undefined, project).orgId).toBe('65b000000000000000000002');
    expect(clientOptionsFromEnv({ ...env, JUMPCLOUD_ORG_ID: '65b000000000000000000001' }, 'http://127.0.0.1:1').orgId).toBe('65b000000000000000000001');
    expect(clientOptionsFromEnv({ ...env, JUMPCLOUD_ORG_ID: '' }, undefined, project).orgId).toBe('65b000000000000000000002');
  });

  it('refuses JUMPCLOUD_API_URL that differs from the Project’s url; --target overrides the Project; a trailing slash is no difference', () => {
    const env = { JUMPCLOUD_API_KEY: key, JUMPCLOUD_API_URL: 'http://127.0.0.1:9090' };
    const error = refusal(() => clientOptionsFromEnv(env, undefined, project));
    expect(error.subject).toBe('JUMPCLOUD_API_URL');
    expect(error.message).toMatch(
      /^JUMPCLOUD_API_URL is http:\/\/127\.0\.0\.1:9090, but the Project's spec\.target\.url \(org\/accessctl\.yaml:7:10\) is http:\/\/127\.0\.0\.1:8080: .* or pass --target to override the Project for this run$/,
    );
    expect(clientOptionsFromEnv(env, 'http://127.0.0.1:7070', project).baseUrl).toBe('http://127.0.0.1:7070');
    expect(clientOptionsFromEnv({ ...env, JUMPCLOUD_API_URL: 'http://127.0.0.1:8080/' }, undefined, project).baseUrl).toBe('http://127.0.0.1:8080');
  });

  it('never echoes a URL holding credentials, from either side of the comparison', () => {
    const error = refusal(() => clientOptionsFromEnv({ JUMPCLOUD_API_KEY: key, JUMPCLOUD_API_URL: 'http://u:PLANTED-PW@127.0.0.1:9090' }, undefined, project));
    expect(error.message).not.toContain('PLANTED-PW');
    const fromFile = refusal(() =>
      clientOptionsFromEnv({ JUMPCLOUD_API_KEY: key, JUMPCLOUD_API_URL: 'http://127.0.0.1:9090' }, undefined, { url: 'http://u:PLANTED-PW@127.0.0.1:8080' }),
    );
    expect(fromFile.message).not.toContain('PLANTED-PW');
  });
});
