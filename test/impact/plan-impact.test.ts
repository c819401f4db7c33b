// The access impact in real plans against a sandbox over HTTP, every request held to JumpCloud's
// published contract: who can request what in people, read with list calls only (and nothing read
// when no flow changes), the project's access policy on the line that caused it, pending requests a
// deletion cancels and the guard on them, and an unreadable directory said, never guessed.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { schemaValidator } from '../../src/config/schema.js';
import { makePlan, withClientScope } from '../../src/pipeline/make-plan.js';
import { isApplicable, type Plan } from '../../src/plan/plan.js';
import { renderJson } from '../../src/plan/render-json.js';
import { renderMarkdown } from '../../src/plan/render-markdown.js';
import { renderText } from '../../src/plan/render-text.js';
import { assertNoViolations, sandboxExtensions, startContractProxy, type ContractProxy } from '../contract/validating-proxy.js';
import { startHarness, startStrictHarness, submit, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));

interface Setup {
  h: Harness;
  proxy: ContractProxy;
  dir: string;
}

async function setUp(profile: 'default' | 'strict'): Promise<Setup> {
  const h = profile === 'strict' ? await startStrictHarness({ hooks: true }) : await startHarness({ hooks: true });
  const proxy = await startContractProxy({
    upstream: h.sandbox.url,
    strict: profile === 'strict',
    extraPaths: profile === 'strict' ? [] : [...sandboxExtensions],
  });
  const dir = await mkdtemp(join(tmpdir(), `accessctl-impact-${profile}-`));
  await cp(examples, dir, { recursive: true });
  return { h, proxy, dir };
}

async function tearDown(s: Setup): Promise<void> {
  await s.proxy.close();
  await s.h.close();
  await rm(s.dir, { recursive: true, force: true });
}

async function plan(s: Setup, apply = false): Promise<Plan> {
  const env = { JUMPCLOUD_API_KEY: s.h.sandbox.adminKey, JUMPCLOUD_API_URL: s.proxy.url };
  return withClientScope({ env }, async (clients) => {
    const run = await makePlan({ dir: s.dir, client: clients.for, env });
    if (run.status !== 'planned') throw new Error(`no plan: ${JSON.stringify(run.status === 'invalid' ? run.config.diagnostics : run.error.message)}`);
    if (apply) {
      const result = await applyPlan(run.plan, { client: clients.for(run.config.desired), secrets: () => undefined });
      expect(result.results.filter((r) => r.status !== 'applied')).toEqual([]);
    }
    return run.plan;
  });
}

async function edit(s: Setup, file: string, from: string, to: string): Promise<void> {
  const path = join(s.dir, file);
  const text = await readFile(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  await writeFile(path, text.replace(from, to));
}

/** 1-based line of the first line of `file` that contains `text`. */
async function lineOf(s: Setup, file: string, text: string): Promise<number> {
  const lines = (await readFile(join(s.dir, file), 'utf8')).split('\n');
  const index = lines.findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${text}`);
  return index + 1;
}

const messages = (p: Plan): string[] => (p.impact?.flows ?? []).flatMap((f) => f.items.map((i) => `${i.direction}: ${i.message}`));

describe('access impact in plans, default profile', () => {
  let s: Setup;
  let project: string;
  let adminFlow: string;
  beforeAll(async () => {
    s = await setUp('default');
    project = await readFile(join(s.dir, 'accessctl.yaml'), 'utf8');
    adminFlow = await readFile(join(s.dir, 'flows', 'github-admin.yaml'), 'utf8');
  });
  afterAll(async () => {
    assertNoViolations(s.proxy);
    await tearDown(s);
  });
  afterEach(async () => {
    await writeFile(join(s.dir, 'accessctl.yaml'), project);
    await writeFile(join(s.dir, 'flows', 'github-admin.yaml'), adminFlow);
    await s.h.call('PUT', '/sandbox/v1/faults', { rules: [] });
  });

  it("says who can request each of the example's new flows, in text, markdown and JSON, reading with list calls only", async () => {
    await s.h.call('DELETE', '/sandbox/v1/requests');
    const p = await plan(s);
    const counts = (await s.h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(messages(p)).toEqual([
      'widening: 2 people can request GitHub Admin (via Engineering Admin)',
      "neutral: GitHub Admin is approved by level 1 (the requester's manager), then level 2 (Security Leads, 2 people)",
      'neutral: GitHub Admin grants GitHub Admins for at most P7D',
      'widening: 7 people can request GitHub User (via Engineering User)',
      'widening: automatic approval grants GitHub Users through GitHub User: nobody approves',
      'neutral: GitHub User grants GitHub Users for at most P30D',
    ]);
    expect(p.impact?.summary).toEqual({ widening: 3, narrowing: 0, neutral: 3 });
    expect(p.impact?.pendingRequests).toBe('not-needed');
    // Members of exactly the three groups the flows name, one list each; never a call per user or a write.
    expect(Object.keys(counts).every((route) => route.startsWith('GET '))).toBe(true);
    expect(counts['GET /api/v2/usergroups/{group_id}/members']).toBe(3);
    expect(Object.keys(counts).filter((r) => r.includes('/systemusers/'))).toEqual([]);
    expect(counts['GET /api/v2/approvalflowrequest']).toBeUndefined();

    const text = renderText(p, false);
    expect(text).toContain('Access impact: 3 widening, 0 narrowing, 3 neutral');
    expect(text).toContain('▲ 7 people can request GitHub User (via Engineering User)');
    expect(text).toContain('alice@example.com, bob@example.com, carol@example.com, dave@example.com, eve@example.com, ivan@example.com, judy@example.com');
    const markdown = renderMarkdown(p);
    expect(markdown.indexOf('#### Access impact')).toBeGreaterThan(0);
    expect(markdown.indexOf('#### Access impact')).toBeLessThan(markdown.indexOf('<details>'));
    const document = JSON.parse(renderJson(p)) as unknown;
    const validate = schemaValidator('plan.schema.json');
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
  });

  it('reads nothing more when no flow changes', async () => {
    await plan(s, true);
    await s.h.call('DELETE', '/sandbox/v1/requests');
    const p = await plan(s);
    expect(p.changes).toEqual([]);
    expect(p.impact).toEqual({ status: 'computed', pendingRequests: 'not-needed', flows: [], summary: { widening: 0, narrowing: 0, neutral: 0 } });
    const counts = (await s.h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    expect(counts['GET /api/v2/usergroups/{group_id}/members']).toBeUndefined();
    expect(renderText(p, false)).not.toContain('Access impact');
  });

  it('says who gains a flow when its visibleTo widens, and warns on the visibleTo line under a widening policy', async () => {
    await edit(s, 'flows/github-admin.yaml', 'visibleTo: [Engineering Admin]', 'visibleTo: [Engineering All]');
    await edit(s, 'accessctl.yaml', '  policy:\n', '  accessPolicy:\n    widening:\n      warn: ["*Admins"]\n  policy:\n');
    const p = await plan(s);
    const line = await lineOf(s, 'flows/github-admin.yaml', 'visibleTo:');
    const item = p.impact?.flows[0]?.items[0];
    expect(item).toMatchObject({ direction: 'widening', code: 'requesters-added', message: '+8 people can now request GitHub Admin (via Engineering All)' });
    expect(item?.source).toEqual({ file: expect.stringMatching(/flows\/github-admin\.yaml$/), line, column: 15 });
    expect(p.warnings).toContainEqual({
      code: 'access-widening',
      kind: 'ApprovalFlow',
      name: 'GitHub Admin',
      source: item?.source,
      message:
        '+8 people can now request GitHub Admin (via Engineering All): this widens access to GitHub Admins, which matches the accessPolicy.widening.warn pattern "*Admins"',
    });
    expect(isApplicable(p)).toBe(true);
  });

  it('blocks the plan when the policy blocks widening to the group', async () => {
    await edit(s, 'flows/github-admin.yaml', 'access:\n    durations: [PT8H, P1D, P7D]', 'access:\n    durations: [PT8H, P1D, P7D, P14D]');
    await edit(s, 'accessctl.yaml', '  policy:\n', '  accessPolicy:\n    widening:\n      warn: ["*"]\n      block: ["GitHub Admin*"]\n  policy:\n');
    const p = await plan(s);
    expect(messages(p)).toEqual(['widening: GitHub Admin: max duration P7D → P14D']);
    expect(p.problems).toContainEqual(
      expect.objectContaining({
        code: 'access-widening-blocked',
        name: 'GitHub Admin',
        source: expect.objectContaining({ line: await lineOf(s, 'flows/github-admin.yaml', 'access:') }),
      }),
    );
    expect(p.warnings.filter((w) => w.code === 'access-widening')).toEqual([]);
    expect(isApplicable(p)).toBe(false);
  });

  it('warns on automatic approval of a matching group on the approval.type line', async () => {
    await writeFile(
      join(s.dir, 'flows', 'github-user-2.yaml'),
      'apiVersion: accessctl/v1\nkind: ApprovalFlow\nmetadata:\n  name: GitHub User 2\nspec:\n  grantGroup: GitHub Users\n  visibleTo: [Engineering All]\n  approval:\n    type: automatic\n  access:\n    duration: P1D\n',
    );
    await edit(s, 'accessctl.yaml', '  policy:\n', '  accessPolicy:\n    automaticApproval:\n      warn: ["GitHub Users"]\n  policy:\n');
    try {
      const p = await plan(s);
      expect(p.warnings).toContainEqual(
        expect.objectContaining({
          code: 'automatic-approval',
          name: 'GitHub User 2',
          source: expect.objectContaining({ file: expect.stringMatching(/github-user-2\.yaml$/), line: 9, column: 11 }),
        }),
      );
      // The unchanged automatic flow is not flagged: the policy is about what a plan changes.
      expect(p.warnings.filter((w) => w.code === 'automatic-approval')).toHaveLength(1);
    } finally {
      await rm(join(s.dir, 'flows', 'github-user-2.yaml'));
    }
  });

  it('counts the pending requests a deletion cancels and an edit keeps, and blocks past guards.maxCancelledRequests', async () => {
    const flows = await s.h.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows?limit=100');
    const adminId = flows.body.results.find((f) => f.name === 'GitHub Admin')?.id;
    for (const login of ['erin.em', 'frank.em']) {
      const answer = await submit(s.h, login, { approvalFlowId: adminId, requestedDuration: 'P1D' });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    // An edit: the two requests keep the flow as it was.
    await edit(s, 'flows/github-admin.yaml', 'description: Owner access', 'description: Owner-level access');
    const edited = await plan(s);
    expect(edited.impact?.flows[0]).toMatchObject({ flow: 'GitHub Admin', action: 'update', pendingRequests: { count: 2, effect: 'kept' } });
    expect(edited.impact?.pendingRequests).toBe('read');
    // A deletion cancels them; the example protects GitHub Admin*, so lift that for this plan.
    await rm(join(s.dir, 'flows', 'github-admin.yaml'));
    await edit(s, 'accessctl.yaml', '    protected: ["GitHub Admin*"]\n', '    protected: []\n    maxCancelledRequests: 1\n');
    const deleting = await plan(s);
    expect(messages(deleting)).toEqual([
      'narrowing: deleting GitHub Admin: 2 people can no longer request it',
      'narrowing: deleting GitHub Admin cancels 2 pending requests',
    ]);
    expect(deleting.blocked).toEqual([
      {
        kind: 'ApprovalFlow',
        name: 'GitHub Admin',
        id: adminId,
        reason: 'deleting it cancels 2 pending access requests; the plan cancels 2 and guards.maxCancelledRequests allows 1',
      },
    ]);
    expect(renderText(deleting, false)).toContain('▼ deleting GitHub Admin cancels 2 pending requests');
    await edit(s, 'accessctl.yaml', 'maxCancelledRequests: 1', 'maxCancelledRequests: 2');
    expect((await plan(s)).blocked).toEqual([]);
  });

  it('says the impact is unknown when the members cannot be read, and blocks what a block policy covers', async () => {
    await edit(s, 'flows/github-admin.yaml', 'visibleTo: [Engineering Admin]', 'visibleTo: [Engineering All]');
    await edit(s, 'accessctl.yaml', '  policy:\n', '  accessPolicy:\n    widening:\n      block: ["*Admins"]\n  policy:\n');
    await s.h.call('PUT', '/sandbox/v1/faults', { rules: [{ route: 'GET /api/v2/usergroups/{group_id}/members', errorRate: 1, status: 500 }] });
    const p = await plan(s);
    expect(p.impact).toMatchObject({ status: 'unknown', flows: [], reason: expect.stringMatching(/^the directory could not be read: /) });
    expect(p.warnings).toContainEqual(expect.objectContaining({ code: 'access-impact-unknown' }));
    expect(p.problems).toContainEqual(
      expect.objectContaining({
        code: 'access-widening-blocked',
        message: expect.stringMatching(/^cannot tell whether this change widens access to GitHub Admins/),
      }),
    );
    expect(renderText(p, false)).toContain('Access impact unknown: the directory could not be read');
  });
});

describe('access impact in plans, strict profile', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setUp('strict');
  });
  afterAll(async () => {
    assertNoViolations(s.proxy);
    await tearDown(s);
  });

  it('reads the directory and the pending requests as the published API answers them', async () => {
    await plan(s, true);
    await edit(s, 'flows/github-admin.yaml', 'levels:\n      - require: any\n        approvers:\n          - manager: true\n', 'levels:\n');
    const p = await plan(s);
    expect(messages(p)).toEqual(["widening: GitHub Admin: level 1 (the requester's manager) removed"]);
    expect(p.impact?.pendingRequests).toBe('read');
    expect(p.impact?.flows[0]?.items[0]?.source?.line).toBe(await lineOf(s, 'flows/github-admin.yaml', 'levels:'));
  });
});
