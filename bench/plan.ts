// Benchmark: a no-op `plan` against a sandbox holding 1,000 and 10,000 flows: its API calls (the
// budget is ceil(N/100) + 10), and the time it takes to read the live state and diff it (the config
// loaded beforehand) against the floor of the same list requests sent bare with undici, the two timed
// in turn, best of several. Then diff() alone at 100,000 matching objects against 10,000 (ten inputs
// of 10,000 timed as a batch): linear is 10.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadConfig } from '../src/config/load.js';
import type { FlowModel } from '../src/model/flow.js';
import { makePlan, withClientScope } from '../src/pipeline/make-plan.js';
import { diff, type DiffInput } from '../src/plan/diff.js';
import { SandboxClock } from '../src/sandbox/clock.js';
import { createFlow } from '../src/sandbox/flows.js';
import { loadSeed } from '../src/sandbox/seed.js';
import { startSandbox } from '../src/sandbox/server.js';
import type { Actor } from '../src/sandbox/store.js';
import { fastestInterleaved, figure, ms, type Report } from './measure.js';

const seedPath = fileURLToPath(new URL('../examples/directory.yaml', import.meta.url));

function flowYaml(i: number): string {
  return `apiVersion: accessctl/v1
kind: ApprovalFlow
metadata:
  name: Bench flow ${i}
spec:
  description: Benchmark flow ${i}
  grantGroup: GitHub Admins
  visibleTo: [Engineering Admin]
  approval:
    type: manual
    nonAdminApprovers: true
    levels:
      - approvers: [{manager: true}]
      - approvers: [{group: Security Leads}]
  access:
    duration: P7D
`;
}

export interface BenchOrg {
  dir: string;
  config: string;
  sandbox: Awaited<ReturnType<typeof startSandbox>>;
  close(): Promise<void>;
}

/** A sandbox on disk holding `flows` flows, and a config repo that matches it exactly (a no-op plan). */
export async function benchOrg(flows: number): Promise<BenchOrg> {
  const dir = await mkdtemp(join(tmpdir(), 'accessctl-bench-plan-'));
  const sandbox = await startSandbox({ dbPath: join(dir, 'bench.db'), port: 0, seed: loadSeed(seedPath), clock: new SandboxClock(), log: () => {} });
  const { store } = sandbox;
  const orgId = (store.db.prepare('SELECT id FROM orgs').get() as { id: string }).id;
  const groupId = (name: string): string => (store.db.prepare('SELECT id FROM user_groups WHERE name = ?').get(name) as { id: string }).id;
  const actor: Actor = { orgId, id: 'bench', type: 'admin', email: 'bench@example.com' };
  const config = join(dir, 'config');
  await mkdir(join(config, 'flows'), { recursive: true });
  store.transaction(() => {
    for (let i = 0; i < flows; i++) {
      createFlow(store, actor, {
        name: `Bench flow ${i}`,
        description: `Benchmark flow ${i}`,
        category: 'Application',
        resourceType: 'user_group',
        resourceId: groupId('GitHub Admins'),
        visibleTo: [groupId('Engineering Admin')],
        approvalType: 'manual',
        approverRequirement: 'any',
        nonAdminApproval: true,
        status: 'active',
        approverResources: [
          { resourceType: 'manager', resourceOrder: 0 },
          { resourceType: 'user_group', resourceId: groupId('Security Leads'), resourceOrder: 1 },
        ],
        timeBasedAccess: true,
        ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
        fixedDuration: 'P7D',
      });
    }
  });
  for (let i = 0; i < flows; i++) await writeFile(join(config, 'flows', `flow-${i}.yaml`), flowYaml(i));
  // The groups the flows use are declared, as in a real repo (and as in examples/access).
  const groups = ['GitHub Admins', 'Engineering Admin', 'Security Leads'];
  await writeFile(
    join(config, 'groups.yaml'),
    groups.map((g) => `---\napiVersion: accessctl/v1\nkind: GroupAssignment\nmetadata: {name: ${g}}\nspec: {}\n`).join(''),
  );
  return {
    dir,
    config,
    sandbox,
    close: async () => {
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The list requests a no-op plan needs, sent bare with undici: the floor plan and reconcile are held to. */
export async function bareListRequests(url: string, apiKey: string): Promise<void> {
  const lists = ['/api/v2/usergroups', '/api/applications', '/api/v2/approvalflows', '/api/v2/notifications/webhook/channels'];
  await Promise.all(
    lists.map(async (path) => {
      for (let skip = 0; ; skip += 100) {
        const response = await request(`${url}${path}?limit=100&skip=${skip}&sort=_id`, { headers: { 'x-api-key': apiKey } });
        const body = (await response.body.json()) as unknown[] | { results: unknown[] };
        const page = Array.isArray(body) ? body : body.results;
        if (page.length < 100) break;
      }
    }),
  );
  await (await request(`${url}/api/v2/approvalflowsettings`, { headers: { 'x-api-key': apiKey } })).body.json();
}

async function noopPlan(flows: number, runs: number, report: Report): Promise<void> {
  const org = await benchOrg(flows);
  const { sandbox, config } = org;
  try {
    const env = { JUMPCLOUD_API_KEY: sandbox.adminKey, JUMPCLOUD_API_URL: sandbox.url };
    const unthrottled = { rateLimit: { perSecond: 1e9, burst: 1e9 } };
    // Loaded once: what is timed is reading the live state, mapping both sides and diffing them.
    const loaded = await loadConfig(config);
    let calls = 0;
    let changes = -1;
    // One client for every run, as the floor's requests share undici's global pool: both read on
    // open keep-alive connections. A client made and closed in each run also timed opening and
    // closing its connections, about 10 ms, which at 1,000 flows was most of the difference.
    const { floor, task } = await withClientScope({ env, clientOptions: unthrottled }, async (clients) => {
      const readAndDiff = async (): Promise<void> => {
        const before = clients.client?.requests.total() ?? 0;
        const run = await makePlan({ dir: config, env, client: clients.for, load: async () => loaded });
        if (run.status !== 'planned') throw new Error(`the bench config did not plan: ${run.status}`);
        calls = (clients.client?.requests.total() ?? 0) - before;
        changes = run.plan.changes.length;
      };
      // One untimed pass each, so neither pays for warming up the sandbox's statements, the JIT or a connection.
      await readAndDiff();
      await bareListRequests(sandbox.url, sandbox.adminKey);
      return fastestInterleaved(runs, () => bareListRequests(sandbox.url, sandbox.adminKey), readAndDiff);
    });
    if (changes !== 0) throw new Error(`the bench plan is not a no-op: ${changes} changes`);
    const n = flows.toLocaleString('en-US');
    report(
      figure(
        `plan (no-op) at ${n} flows, API calls`,
        { value: calls, floor: Math.ceil(flows / 100) + 10, unit: 'calls', floorLabel: 'the budget, ceil(N/100) + 10' },
        { at: 'most', ratio: 1 },
      ),
    );
    report(
      figure(
        `plan (no-op) at ${n} flows, reading live and diffing`,
        { value: ms(task), floor: ms(floor), unit: 'ms', floorLabel: 'the same list requests, bare undici' },
        { at: 'most', ratio: 1.5 },
      ),
    );
  } finally {
    await org.close();
  }
}

function model(i: number): FlowModel {
  return {
    name: `Flow ${i}`,
    spec: {
      description: `Flow ${i}`,
      enabled: true,
      category: 'application',
      grantGroup: 'GitHub Admins',
      visibleTo: ['Engineering Admin'],
      approval: { type: 'manual', nonAdminApprovers: true, levels: [{ require: 'any', approvers: [{ manager: true }] }] },
      access: { duration: 'P7D' },
      display: {},
    },
  };
}

function diffInput(objects: number): DiffInput {
  const source = { file: 'bench.yaml', line: 1, column: 1 };
  return {
    target: 'bench',
    groups: { desired: [], live: [], unmanageable: [], creatable: new Set() },
    channels: { desired: [], live: [], unmanageable: [], configs: new Map() },
    flows: {
      desired: Array.from({ length: objects }, (_, i) => ({ name: `Flow ${i}`, previousNames: [], model: model(i), source })),
      live: Array.from({ length: objects }, (_, i) => ({ id: `id${i}`, name: `Flow ${i}`, model: model(i), fingerprint: `sha256:${i}` })),
      unmanageable: [],
    },
    settings: { desired: undefined, live: 'unknown' },
    unsupported: [],
    problems: [],
    warnings: [],
    references: { groups: {}, users: {}, applications: {}, channels: {}, channelIdEncoding: 'base64' },
  };
}

/**
 * diff() of `large` no-op objects against diff() of `small`. The floor diffs large / small distinct
 * inputs of `small` objects in one timed batch and counts a tenth of it (for 10k and 100k): the
 * same number of objects in as much memory as the large input, and a window as long, so a figure
 * of a few milliseconds does not decide the ratio and a cache that holds one small input does not
 * flatter it. Linear is large / small.
 */
async function diffGrowth(small: number, large: number, report: Report): Promise<void> {
  const batch = Array.from({ length: large / small }, () => diffInput(small));
  const whole = diffInput(large);
  const check = (plan: ReturnType<typeof diff>, objects: number): void => {
    if (plan.noop.ApprovalFlow !== objects) throw new Error('the diff bench is not a no-op');
  };
  const smalls = async (): Promise<void> => {
    for (const input of batch) check(diff(input), small);
  };
  const one = async (): Promise<void> => check(diff(whole), large);
  // One untimed pass each, so neither pays for compiling diff().
  await smalls();
  await one();
  const { floor, task } = await fastestInterleaved(5, smalls, one);
  report(
    figure(
      `diff() alone at ${large.toLocaleString('en-US')} objects`,
      {
        value: ms(task),
        floor: ms(floor / batch.length),
        unit: 'ms',
        floorLabel: `diff() at ${small.toLocaleString('en-US')} objects (${batch.length} in a batch)`,
      },
      // Linear is large / small (10); the goal leaves a fifth for the larger heap.
      { at: 'most', ratio: (1.2 * large) / small },
    ),
  );
}

export default async function bench(report: Report): Promise<void> {
  await noopPlan(1_000, 21, report);
  // Fifteen at 10,000: a best of nine still swung by a tenth from run to run, both the plan and its floor.
  await noopPlan(10_000, 15, report);
  await diffGrowth(10_000, 100_000, report);
}
