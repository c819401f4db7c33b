// Sandbox-only values for the channel secrets a config refers to and the shell does not set, for
// `accessctl up`. They are kept in the state directory (mode 0600), so a restart reuses them and
// the plan does not show `spec.secrets` changing on every start.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { channelSecretRefs } from '../config/channel-secrets.js';
import type { DesiredState } from '../config/desired.js';
import { AccessctlError } from '../errors.js';

export const DEMO_SECRETS_FILE = 'sandbox-demo-secrets.json';

async function readKept(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new AccessctlError('io', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { subject: '--state-dir' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new AccessctlError('io', `${path} is not an object of sandbox secret values; delete it to make new ones`, { subject: '--state-dir' });
  }
  return parsed as Record<string, string>;
}

/** The values to use for variables the environment does not set: kept ones first, new ones made and kept. */
export async function demoSecrets(desired: DesiredState, env: NodeJS.ProcessEnv, stateDir: string): Promise<Record<string, string>> {
  const path = join(stateDir, DEMO_SECRETS_FILE);
  const kept = await readKept(path);
  const filled: Record<string, string> = {};
  let made = false;
  for (const { object } of desired.channels) {
    for (const ref of channelSecretRefs(object.spec)) {
      if (env[ref.env]) continue;
      let value = kept[ref.env];
      if (value === undefined) {
        value = ref.slot.in === 'signingSecret' ? `whsec_${randomBytes(32).toString('base64')}` : `sandbox-demo-${randomBytes(12).toString('hex')}`;
        kept[ref.env] = value;
        made = true;
      }
      filled[ref.env] = value;
    }
  }
  if (made) {
    await mkdir(stateDir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, path);
  }
  return filled;
}
