// The fleet's command lines refuse what they would otherwise ignore: `plan DIR --fleet FILE` and
// `validate DIR --fleet FILE` name both and exit 1 rather than silently drop DIR.
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
