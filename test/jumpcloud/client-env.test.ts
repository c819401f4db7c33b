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
