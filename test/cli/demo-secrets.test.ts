// `up` fills channel secrets the shell does not set with sandbox-only values, and keeps them in the
// state directory: a restart reuses them, so the plan never shows the channel's secrets changing.
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SECRETS_FILE, demoSecrets } from '../../src/cli/demo-secrets.js';
import { loadConfig } from '../../src/config/load.js';
import type { DesiredState } from '../../src/config/desired.js';

describe('sandbox-only channel secrets for up', () => {
  let dir: string;
  let desired: DesiredState;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'accessctl-demo-secrets-'));
    await mkdir(join(dir, 'repo'));
    await writeFile(
      join(dir, 'repo', 'pager.yaml'),
      'apiVersion: accessctl/v1\nkind: WebhookChannel\nmetadata: { name: Pager }\nspec:\n  url: https://pager.example.com/{{TOKEN}}\n  secrets: { TOKEN: { env: PAGER_TOKEN } }\n  signingSecret: { env: PAGER_SIGNING }\n',
    );
    desired = (await loadConfig(join(dir, 'repo'))).desired;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a value for each unset variable and the same ones after a restart', async () => {
    const state = join(dir, 'state-a');
    const first = await demoSecrets(desired, {}, state);
    expect(Object.keys(first).sort()).toEqual(['PAGER_SIGNING', 'PAGER_TOKEN']);
    expect(first['PAGER_SIGNING']).toMatch(/^whsec_/);
    expect(await demoSecrets(desired, {}, state)).toEqual(first);
    expect((await stat(join(state, DEMO_SECRETS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('leaves a variable the shell sets alone', async () => {
    const filled = await demoSecrets(desired, { PAGER_TOKEN: 'from-the-shell' }, join(dir, 'state-b'));
    expect(Object.keys(filled)).toEqual(['PAGER_SIGNING']);
  });

  it('refuses a kept file it cannot read as values, naming it', async () => {
    const state = join(dir, 'state-c');
    await mkdir(state);
    await writeFile(join(state, DEMO_SECRETS_FILE), '[1, 2]');
    await expect(demoSecrets(desired, {}, state)).rejects.toThrow(/is not an object of sandbox secret values/);
    expect(await readFile(join(state, DEMO_SECRETS_FILE), 'utf8')).toBe('[1, 2]');
  });
});
