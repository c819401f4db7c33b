// The fleet's command lines refuse what they would otherwise ignore: `plan DIR --fleet FILE` and
// `validate DIR --fleet FILE` name both and exit 1 rather than silently drop DIR; `fleet status` a
// --state-dir that holds nothing.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accessctl } from './in-process.js';

const FLEET = 'examples/fleet/fleet.yaml';

describe('DIR with --fleet', () => {
  it.each(['plan', 'validate'])('%s DIR --fleet FILE is a usage error naming both (exit 1)', async (command) => {
    const run = await accessctl([command, 'examples/access', '--fleet', FLEET], { JUMPCLOUD_MSP_KEY: 'sandbox-msp-key-not-a-secret' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('DIR (examples/access) and --fleet exclude each other');
    expect(run.stdout).toBe('');
  });

  it('validate --fleet FILE without DIR still checks the fleet', async () => {
    const run = await accessctl(['validate', '--fleet', FLEET]);
    expect(run.stderr).not.toContain('exclude each other');
    expect(run.code).toBe(0);
  });
});

describe('fleet status --state-dir', () => {
  it('refuses a state directory that does not exist, naming the flag, rather than showing every org as never run', async () => {
    const missing = join(await mkdtemp(join(tmpdir(), 'accessctl-fleet-status-')), 'typo');
    const run = await accessctl(['fleet', 'status', FLEET, '--state-dir', missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--state-dir ${missing}: no such directory`);
    expect(run.stdout).toBe('');
  });

  it('warns when the state directory holds no org runs, and still shows the table', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'accessctl-fleet-status-'));
    const run = await accessctl(['fleet', 'status', FLEET, '--state-dir', empty]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`warning: --state-dir ${empty} holds no org's runs yet`);
    expect(run.stdout).toMatch(/acme/);
  });
});
