// How applyPlan reports a change the client's stop cut short, against a real sandbox: whether a write
// of it may have landed decides its code (the reconciler keeps a journal entry only then), and a
// change the stop came before is not started.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, type ChangeResult } from '../../src/apply/apply.js';
import { JumpCloudClient } from '../../src/jumpcloud/client.js';
import { ClientScope, makePlan } from '../../src/pipeline/make-plan.js';
import type { Plan } from '../../src/plan/plan.js';
import type { SeedFile } from '../../src/sandbox/seed.js';
import { exampleSeed, startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

function seedWithSlack(): SeedFile {
  const seed = structuredClone(exampleSeed);
  const org = seed.organizations[0];
  if (org === undefined) throw new Error('the example seed has no organization');
  org.applications = [...(org.applications ?? []), { name: 'slack', displayLabel: 'Slack', description: 'Slack (SAML)' }];
  return seed;
}

let h: Harness;
let dir: string;

beforeEach(async () => {
  h = await startHarness({ hooks: true, seed: seedWithSlack() });
  dir = await mkdtemp(join(tmpdir(), 'accessctl-apply-stop-'));
  await cp(examples, dir, { recursive: true });
});
afterEach(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

async function plan(): Promise<Plan> {
  const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
  const clients = new ClientScope({ env });
  try {
    const run = await makePlan({ dir, env, client: clients.for });
    if (run.status !== 'planned') throw new Error(`no plan: ${run.status}`);
    return run.plan;
  } finally {
    await clients.close();
  }
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(join(dir, file), 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no "${from}"`);
  await writeFile(join(dir, file), text.replace(from, to));
}

/**
 * Applies with a client whose writes to the group associations are turned away (429): the stop
 * comes while the shared gate holds the next call, which therefore never goes out.
 */
async function applyStoppedAtGate(p: Plan): Promise<ChangeResult[]> {
  const rules = [{ route: 'POST /api/v2/usergroups/{group_id}/associations', errorRate: 1, status: 429 }];
  expect((await h.call('PUT', '/sandbox/v1/faults', { rules })).status).toBe(200);
  const stop = new AbortController();
  const client = new JumpCloudClient({
    baseUrl: h.sandbox.url,
    apiKey: h.sandbox.adminKey,
    stop: stop.signal,
    sleep: () => {
      stop.abort();
      return new Promise<void>(() => undefined);
    },
  });
  try {
    return (await applyPlan(p, { client, secrets: () => undefined, concurrency: 1, stopping: () => stop.signal.aborted })).results;
  } finally {
    await client.close();
  }
}

/** Brings the sandbox up to the example, with a client that is not stopped. */
async function applyExample(): Promise<void> {
  const client = new JumpCloudClient({ baseUrl: h.sandbox.url, apiKey: h.sandbox.adminKey });
  try {
    await applyPlan(await plan(), { client, secrets: () => undefined });
  } finally {
    await client.close();
  }
}

const codes = (results: ChangeResult[]): string[] => results.map((r) => `${r.status} ${r.change.name}: ${r.error?.code ?? ''}`);

describe('a change the stop cuts short', () => {
  it('is stopped-before-send when no write of it could have landed (its only write held at the 429 gate); the next is not started', async () => {
    await applyExample();
    await edit('groups/github-admins.yaml', 'applications: [GitHub]', 'applications: [GitHub, Slack]');
    await edit('groups/github-users.yaml', 'applications: [GitHub]', 'applications: [Slack]');
    expect(codes(await applyStoppedAtGate(await plan()))).toEqual(['failed GitHub Admins: stopped-before-send', 'skipped GitHub Users: not-started']);
  });

  it("is stopped-after-send when an earlier write of the same change went out (a group's PUT before its associations)", async () => {
    await applyExample();
    await edit('groups/github-users.yaml', 'description: Members of', 'description: All members of');
    await edit('groups/github-users.yaml', 'applications: [GitHub]', 'applications: [Slack]');
    expect(codes(await applyStoppedAtGate(await plan()))).toEqual(['failed GitHub Users: stopped-after-send']);
    // The PUT landed: the stop did not undo it.
    expect((await h.call<{ description: string }>('GET', `/api/v2/usergroups/${await h.groupId('GitHub Users')}`)).body.description).toMatch(/^All members of/);
  });
});
