// `request list --flow` takes a flow's name as `request submit --flow` does: the name is resolved to
// its id, and a name no flow has is a usage error naming --flow with a did-you-mean, never an empty list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleFlows, startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './in-process.js';

describe('request list --flow NAME', () => {
  let h: Harness;
  let env: Record<string, string | undefined>;
  let adminFlow: string;

  beforeAll(async () => {
    h = await startHarness();
    adminFlow = (await exampleFlows(h)).admin;
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: undefined, JUMPCLOUD_ORG_ID: undefined };
    const submitted = await accessctl(
      ['request', 'submit', '--flow', 'GitHub Admin', '--reason', 'on call', '--as', 'erin.em', '--target', h.sandbox.url],
      env,
    );
    expect(submitted.code, submitted.stderr).toBe(0);
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists the same requests by the flow name as by its id', async () => {
    const byId = await accessctl(['request', 'list', '--all', '--json', '--flow', adminFlow, '--target', h.sandbox.url], env);
    const byName = await accessctl(['request', 'list', '--all', '--json', '--flow', 'GitHub Admin', '--target', h.sandbox.url], env);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byId.stdout).totalCount).toBe(1);
    expect(JSON.parse(byName.stdout)).toEqual(JSON.parse(byId.stdout));
  });

  it('refuses a name no flow has, naming --flow and the flow it likely meant', async () => {
    const run = await accessctl(['request', 'list', '--all', '--flow', 'github admn', '--target', h.sandbox.url], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('accessctl: --flow: no approval flow named "github admn"; did you mean "GitHub Admin"?\n');
  });
});
