// The real binary against both sandbox profiles, with every request it sends held to JumpCloud's
// published contract by a validating proxy. In the strict profile (the pessimistic reading of the
// published API) an undocumented path is answered 404 by the proxy and fails the test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowSetBody, type ReadFlow } from '../apply/flow-set.js';
import { assertNoViolations, sandboxExtensions, startContractProxy, type ContractProxy } from '../contract/validating-proxy.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { accessctl } from './binary.js';

interface FlowList {
  results?: { id: string; name: string }[];
}

describe.each(['default', 'strict'] as const)('accessctl against the %s profile, held to the contract', (profile) => {
  let h: Harness;
  let proxy: ContractProxy;
  let dir: string;
  let env: Record<string, string>;

  const flowId = async (name: string): Promise<string> => {
    const flows = await h.call<FlowList>('GET', '/api/v2/approvalflows');
    const found = (flows.body.results ?? []).find((f) => f.name === name);
    if (!found) throw new Error(`no live flow ${name}`);
    return found.id;
  };
  const groupId = async (name: string): Promise<string> => {
    const groups = await h.call<{ id: string; name: string }[]>('GET', '/api/v2/usergroups?limit=100');
    const found = groups.body.find((g) => g.name === name);
    if (!found) throw new Error(`no live group ${name}`);
    return found.id;
  };

  beforeAll(async () => {
    h = await startHarness({ profile });
    // The default profile serves the sandbox's extensions; the strict one has none.
    proxy = await startContractProxy({ upstream: h.sandbox.url, strict: profile === 'strict', extraPaths: profile === 'strict' ? [] : [...sandboxExtensions] });
    dir = await mkdtemp(join(tmpdir(), `accessctl-e2e-${profile}-`));
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: proxy.url };
  });
  afterAll(async () => {
    await proxy.close();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies examples/access, subscribing the console-made SIEM channel by id', async () => {
    const run = await accessctl(['apply', 'examples/access', '--auto-approve'], env);
    expect(run.stderr).toMatch(/^accessctl: no state directory to lock \(.+\): applying without a lock; pass --state-dir to share a reconciler's lock\n$/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Apply: 3 applied, 0 failed, 0 skipped.');
    const settings = await h.call<{ channelEvents?: { channelObjectId?: string; eventTypes?: string[] }[]; resourceRequest?: boolean }>(
      'GET',
      '/api/v2/approvalflowsettings',
    );
    expect(settings.body.resourceRequest).toBe(true);
    // The contract's format (base64) in strict; the sandbox's own hex otherwise.
    expect(settings.body.channelEvents?.[0]?.channelObjectId).toBe(profile === 'strict' ? 'ZaAAAAAAAAAAAADB' : '65a0000000000000000000c1');
    expect(settings.body.channelEvents?.[0]?.eventTypes).toEqual(['ACCESS_MANAGEMENT_ACCESS_REQUEST', 'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL']);
  });

  it('plans no change right after', async () => {
    const run = await accessctl(['plan', 'examples/access', '--detailed-exitcode'], env);
    expect(run.stdout).toContain('No changes');
    expect(run.code).toBe(0);
  });

  it('keeps the fields it does not manage, set by hand through the API, while it corrects drift', async () => {
    const id = await flowId('GitHub Admin');
    const flow = (await h.call<ReadFlow>('GET', `/api/v2/approvalflows/${id}`)).body;
    const set = flowSetBody(flow, { slackEnabled: true, slackConfig: [{ slackResourceId: 'C0SECOPS' }], description: 'changed in the console' });
    expect((await h.call('PUT', `/api/v2/approvalflows/${id}`, set)).status).toBe(200);
    const gid = await groupId('Engineering Admin');
    const group = await h.call<Record<string, unknown>>('PUT', `/api/v2/usergroups/${gid}`, {
      name: 'Engineering Admin',
      description: 'changed in the console',
      email: 'eng-admin@example.com',
      attributes: { sudo: { enabled: true, withoutPassword: false } },
    });
    expect(group.status).toBe(200);

    const run = await accessctl(['apply', 'examples/access', '--auto-approve'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Apply: 2 applied, 0 failed, 0 skipped.');

    const after = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${id}`);
    expect(after.body['description']).toBe('Owner access to the GitHub organisation for engineering managers');
    expect(after.body['slackEnabled']).toBe(true);
    expect(after.body['slackConfig']).toEqual([{ slackResourceId: 'C0SECOPS' }]);
    const afterGroup = await h.call<Record<string, unknown>>('GET', `/api/v2/usergroups/${gid}`);
    expect(afterGroup.body['description']).toBe('Engineering managers and above, who may request owner access to GitHub');
    expect(afterGroup.body['email']).toBe('eng-admin@example.com');
    expect(afterGroup.body['attributes']).toEqual({ sudo: { enabled: true, withoutPassword: false } });
  });

  it('corrects drift with reconcile --once, and emits the drift event', async () => {
    const stateDir = join(dir, 'state');
    const first = await accessctl(['reconcile', 'examples/access', '--once', '--state-dir', stateDir, '--listen', '127.0.0.1:0'], env);
    expect(first.code).toBe(0);
    const id = await flowId('GitHub User');
    const live = (await h.call<ReadFlow>('GET', `/api/v2/approvalflows/${id}`)).body;
    expect((await h.call('PUT', `/api/v2/approvalflows/${id}`, flowSetBody(live, { nonAdminApproval: true }))).status).toBe(200);

    const second = await accessctl(['reconcile', 'examples/access', '--once', '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--events', '-'], env);
    expect(second.code).toBe(0);
    const events = second.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; data: { name?: string } });
    expect(events.filter((e) => e.type === 'accessctl.drift.detected').map((e) => e.data.name)).toEqual(['GitHub User']);
    expect(events.filter((e) => e.type === 'accessctl.change.applied').map((e) => e.data.name)).toEqual(['GitHub User']);
    const fixed = await h.call<Record<string, unknown>>('GET', `/api/v2/approvalflows/${id}`);
    expect(fixed.body['nonAdminApproval'] ?? false).toBe(false);
  });

  it('exports the org as config that plans as a no-op', async () => {
    const out = join(dir, 'exported');
    const exported = await accessctl(['export', '--out', out], env);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const plan = await accessctl(['plan', out, '--detailed-exitcode'], env);
    expect(plan.stdout).toContain('No changes');
    expect(plan.code).toBe(0);
  });

  it('sent only requests the published contract describes (and, in default, the sandbox extensions)', () => {
    if (profile === 'strict') {
      // export probes the channel API once to learn that this target has none; nothing else strays.
      const strays = proxy.violations();
      expect(strays.map((v) => `${v.method} ${v.path}`)).toEqual(['GET /api/v2/notifications/webhook/channels']);
      expect(
        proxy
          .requests()
          .filter((r) => r.path.startsWith('/api/v2/notifications'))
          .map((r) => r.status),
      ).toEqual([404]);
    } else {
      assertNoViolations(proxy);
    }
  });
});
