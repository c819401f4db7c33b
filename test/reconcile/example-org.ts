// What the journal and event tests run a reconcile against: a sandbox seeded with the example
// directory, a copy of examples/access to change, and a platform client for the sandbox, each
// undone (newest first) by the test file's cleanup steps.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

export interface ExampleOrg {
  h: Harness;
  /** The temp dir: the config copy is `work/config`. */
  work: string;
  client: JumpCloudClient;
}

/** Starts one; `cleanup` gets the step that closes the client and the sandbox and removes the dir. */
export async function exampleOrg(prefix: string, cleanup: (() => Promise<void>)[], hooks = false): Promise<ExampleOrg> {
  const h = await startHarness({ hooks });
  const work = await mkdtemp(join(tmpdir(), `accessctl-${prefix}-`));
  await cp(examples, join(work, 'config'), { recursive: true });
  const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
  cleanup.push(async () => {
    await client.close();
    await h.close();
    await rm(work, { recursive: true, force: true });
  });
  return { h, work, client };
}
