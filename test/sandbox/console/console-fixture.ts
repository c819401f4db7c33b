// A sandbox for the console tests: the example directory with its SIEM channel pointed at a local
// receiver, examples/access applied through accessctl's own plan and apply, and a second channel
// holding planted fake secrets that no console page may ever show.
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { applyPlan } from '../../../src/apply/apply.js';
import { ClientScope, makePlan } from '../../../src/pipeline/make-plan.js';
import type { Profile } from '../../../src/sandbox/profile.js';
import { exampleSeed, startHarness, type Harness } from '../harness.js';
import { Receiver } from '../receiver.js';

const examples = fileURLToPath(new URL('../../../examples/access/', import.meta.url));

// Planted fake secrets, and the seed's API keys: none may appear in any page.
export const plantedToken = 'planted-console-url-token-4c1e';
export const plantedHeader = 'Bearer planted-console-header-9b7d';
const signingBytes = Buffer.from('planted-console-signing-0123456789');
export const plantedSigning = `whsec_${signingBytes.toString('base64')}`;
export const secrets = [
  plantedToken,
  plantedHeader,
  'planted-console-header',
  plantedSigning,
  signingBytes.toString('base64'),
  ...(exampleSeed.adminKeys ?? []).map((k) => k.key),
  ...exampleSeed.organizations.flatMap((o) => (o.users ?? []).flatMap((u) => (u.apiKey === undefined ? [] : [u.apiKey]))),
];

export interface ConsoleSandbox {
  h: Harness;
  receiver: Receiver;
  close(): Promise<void>;
}

/** Plans examples/access against the sandbox and applies it, as `accessctl apply` would. */
async function applyExample(h: Harness): Promise<void> {
  const env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
  const clients = new ClientScope({ env });
  try {
    const run = await makePlan({ dir: examples, env, client: clients.for });
    if (run.status !== 'planned') throw new Error(`examples/access did not plan: ${run.status}`);
    const client = clients.client;
    if (client === undefined) throw new Error('planned without a client');
    const applied = await applyPlan(run.plan, { client, secrets: () => undefined });
    const failed = applied.results.filter((r) => r.status !== 'applied');
    if (failed.length > 0) throw new Error(`examples/access did not apply: ${JSON.stringify(failed.map((r) => [r.change.name, r.status]))}`);
  } finally {
    await clients.close();
  }
}

export async function startConsoleSandbox(profile: Profile = 'default'): Promise<ConsoleSandbox> {
  const receiver = new Receiver();
  await receiver.up();
  const seed = structuredClone(exampleSeed);
  const org = seed.organizations[0];
  const siem = org?.channels?.[0];
  if (siem === undefined) throw new Error('the example seed has no channel');
  siem.url = `http://127.0.0.1:${receiver.port}/ingest`;
  const h = await startHarness({ seed, profile, allowPrivateWebhooks: true });
  await applyExample(h);
  if (profile === 'default') {
    // The channel API is the sandbox's own: strict does not serve it.
    const planted = await h.call<{ id: string }>('POST', '/api/v2/notifications/webhook/channels', {
      name: 'Planted secrets',
      url: `http://127.0.0.1:${receiver.port}/hook/{{TOKEN}}`,
      sensitiveValues: { TOKEN: plantedToken },
      headers: [{ name: 'Authorization', value: plantedHeader, sensitive: true }],
      signingSecret: plantedSigning,
    });
    if (planted.status !== 201) throw new Error(`planted channel: ${JSON.stringify(planted.body)}`);
    const settings = await h.call('PUT', '/api/v2/approvalflowsettings', {
      channelEvents: [
        { channelObjectId: siem.id, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL'] },
        { channelObjectId: planted.body.id, eventTypes: ['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL'] },
      ],
    });
    if (settings.status !== 200) throw new Error(`settings: ${JSON.stringify(settings.body)}`);
  }
  return {
    h,
    receiver,
    close: async () => {
      await h.close();
      await receiver.down();
    },
  };
}

/** A fresh browser context (its own cookies) signed in as the sign-in list's entry with this label. */
export async function signIn(browser: Browser, url: string, label: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/console/`);
  await page.selectOption('#who', { label });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  return page;
}

/** The sign-in labels of the example directory's people. */
export const people = {
  admin: 'Administrator: Sandbox Demo Admin (admin@example.com)',
  erin: 'Erin Walsh (erin.em), Engineering Manager',
  dana: 'Dana Okafor (dana.cto), CTO',
  grace: 'Grace Lindqvist (grace.sec), Head of Security',
  alice: 'Alice Kim (alice), Software Engineer',
} as const;
