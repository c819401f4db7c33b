// One config, several orgs behind one multi-tenant (MSP) key, against the sandbox's MSP directory
// (examples/fleet/seed.yaml): an org id from the environment that contradicts the Project is refused
// before any request, every plan names its org, a saved plan applies only to the org it was made
// for, and a key that cannot reach the org (or needs one) is said once, in the platform's words.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeed } from '../../src/sandbox/seed.js';
import { accessctl } from '../cli/in-process.js';
import { automaticFlowFile, lines } from '../config/config-workspace.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { json, startLocalServer } from './local-server.js';

const mspKey = 'sandbox-msp-key-not-a-secret';
const acme = '65b000000000000000000001';
const globex = '65b000000000000000000002';
const nowhere = '65b000000000000000000009';
const mspSeed = loadSeed(fileURLToPath(new URL('../../examples/fleet/seed.yaml', import.meta.url)));

const projectFile = (target: string[]): string =>
  lines('apiVersion: accessctl/v1', 'kind: Project', 'metadata:', '  name: globex', 'spec:', '  target:', ...target.map((line) => `    ${line}`));

let h: Harness;
let root: string;

/** A config directory holding `files`; the flow makes every plan of it a create. */
async function repo(name: string, target: string[]): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'accessctl.yaml'), projectFile(target));
  await writeFile(join(dir, 'staff.yaml'), automaticFlowFile('Staff Access', 'Staff', ['Staff']));
  return dir;
}

beforeAll(async () => {
  h = await startHarness({ seed: mspSeed });
  root = await mkdtemp(join(tmpdir(), 'accessctl-multi-org-'));
});

afterAll(async () => {
  await h.close();
  await rm(root, { recursive: true, force: true });
});

describe('the org a config is planned and applied against', () => {
  it('refuses JUMPCLOUD_ORG_ID that contradicts the Project, naming both and where the Project says it, before any request', async () => {
    const server = await startLocalServer((_request, response) => json(response, 200, []));
    try {
      const dir = await repo('conflict', [`url: ${server.url}`, `orgId: "${globex}"`]);
      const run = await accessctl(['plan', dir], { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_ORG_ID: acme });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`JUMPCLOUD_ORG_ID is ${acme}, but the Project's spec.target.orgId (${join(dir, 'accessctl.yaml')}:8:12) is ${globex}`);
      expect(server.seen).toEqual([]);
      // The same through apply --dry-run: nothing is read, so nothing can be planned against the wrong org.
      const dry = await accessctl(['apply', dir, '--dry-run'], { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_ORG_ID: acme });
      expect(dry.code).toBe(1);
      expect(dry.stderr).toContain(`JUMPCLOUD_ORG_ID is ${acme}`);
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses JUMPCLOUD_API_URL that contradicts the Project, and lets --target override the Project for one run', async () => {
    const server = await startLocalServer((_request, response) => json(response, 200, []));
    try {
      const dir = await repo('url-conflict', [`url: ${h.sandbox.url}`, `orgId: "${globex}"`]);
      const run = await accessctl(['plan', dir], { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_API_URL: server.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `JUMPCLOUD_API_URL is ${server.url}, but the Project's spec.target.url (${join(dir, 'accessctl.yaml')}:7:10) is ${h.sandbox.url}`,
      );
      expect(server.seen).toEqual([]);
      // Agreeing (up to a trailing slash) is no conflict.
      const same = await accessctl(['plan', dir], { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_API_URL: `${h.sandbox.url}/` });
      expect(same.stderr).toBe('');
      expect(same.code).toBe(0);
      const flag = await accessctl(['plan', dir, '--target', h.sandbox.url], { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_API_URL: server.url });
      expect(flag.code).toBe(0);
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('names the org in the text, markdown and JSON plan and in apply --dry-run', async () => {
    const dir = await repo('named', [`url: ${h.sandbox.url}`, `orgId: "${globex}"`]);
    const env = { JUMPCLOUD_API_KEY: mspKey };
    const text = await accessctl(['plan', dir], env);
    expect(text.stdout).toContain(`accessctl will make these changes on ${h.sandbox.url}, org ${globex}:`);
    const markdown = await accessctl(['plan', dir, '--format', 'markdown'], env);
    expect(markdown.stdout).toContain(`against \`${h.sandbox.url}\`, org \`${globex}\``);
    const planJson = await accessctl(['plan', dir, '--format', 'json'], env);
    expect(JSON.parse(planJson.stdout)).toMatchObject({ target: h.sandbox.url, orgId: globex });
    const dry = await accessctl(['apply', dir, '--dry-run'], { ...env, JUMPCLOUD_ORG_ID: globex });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`on ${h.sandbox.url}, org ${globex}:`);
  });

  it('applies a saved plan only to the org it was made for', async () => {
    const dir = await repo('saved', [`url: ${h.sandbox.url}`, `orgId: "${globex}"`]);
    const out = join(root, 'globex-plan.json');
    const planned = await accessctl(['plan', dir, '--out', out], { JUMPCLOUD_API_KEY: mspKey });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(`JUMPCLOUD_ORG_ID=${globex} accessctl apply`);
    const flowsOf = async (org: string): Promise<string[]> =>
      (
        (await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows', undefined, { 'x-api-key': mspKey, 'x-org-id': org })).body.results ?? []
      ).map((f) => f.name);
    const base = { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_API_URL: h.sandbox.url };
    const other = await accessctl(['apply', out, '--auto-approve'], { ...base, JUMPCLOUD_ORG_ID: acme });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`the plan was made for org ${globex}, but JUMPCLOUD_ORG_ID is ${acme}`);
    const unset = await accessctl(['apply', out, '--auto-approve'], base);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(`set JUMPCLOUD_ORG_ID=${globex} to apply it to that org`);
    expect(await flowsOf(acme)).not.toContain('Staff Access');
    const right = await accessctl(['apply', out, '--auto-approve'], { ...base, JUMPCLOUD_ORG_ID: globex });
    expect(right.stderr).toMatch(/^accessctl: no state directory to lock \(.+\): applying without a lock; pass --state-dir to share a reconciler's lock\n$/);
    expect(right.code).toBe(0);
    expect(await flowsOf(globex)).toContain('Staff Access');
    expect(await flowsOf(acme)).not.toContain('Staff Access');
  });

  it('says once that the key cannot reach the org, not a line per list', async () => {
    const dir = await repo('unreachable', [`url: ${h.sandbox.url}`, `orgId: "${nowhere}"`]);
    const run = await accessctl(['plan', dir], { JUMPCLOUD_API_KEY: mspKey });
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('could not read');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('this key cannot reach the org in JUMPCLOUD_ORG_ID');
    expect(run.stderr).toContain('Organization ID Not Found');
  });

  it('says a multi-tenant key needs an org id, with the platform’s reason', async () => {
    const dir = await repo('no-org', [`url: ${h.sandbox.url}`]);
    const run = await accessctl(['plan', dir], { JUMPCLOUD_API_KEY: mspKey });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('send x-org-id');
    expect(run.stderr).toContain('this key manages several orgs: set JUMPCLOUD_ORG_ID');
  });
});
