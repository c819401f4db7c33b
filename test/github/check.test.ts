// The check run against the fake GitHub: conclusions, one annotation per diagnostic sent 50 per
// request, paths relative to the repository, and a summary that holds the plan within 65,535 chars.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { annotationsFor, checkOutput, conclusionFor, publishCheck, SUMMARY_LIMIT, toAnnotation } from '../../src/github/check.js';
import type { GithubApi } from '../../src/github/octokit.js';
import { startFakeGithub, type FakeGithub } from './fake-github.js';
import { instantClient } from './instant-client.js';
import { createFlow, deleteFlow, error, hugePlan, invalid, plan, valid } from './outcomes.js';

const token = 'ghp_PLANTEDfake123';
const commit = { owner: 'acme', repo: 'access-config', headSha: '4a5b6c7d8e9f00112233445566778899aabbccdd' };
const options = { name: 'accessctl', neutralOnChanges: false, root: '/repo' };
let fake: FakeGithub;
let api: GithubApi;

beforeEach(async () => {
  fake = await startFakeGithub({ token, owner: commit.owner, repo: commit.repo });
  api = instantClient({ token, baseUrl: fake.url });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.close();
});

describe('the check run', () => {
  it('sends 120 annotations as a create with 50 and two updates, concluding only with the last', async () => {
    const result = await publishCheck(api, commit, checkOutput(invalid(120), options));
    expect(result.requests).toBe(3);
    const sent = fake.requests.map((r) => ({ op: r.operationId, count: (r.body as { output: { annotations?: unknown[] } }).output.annotations?.length }));
    expect(sent).toEqual([
      { op: 'checks/create', count: 50 },
      { op: 'checks/update', count: 50 },
      { op: 'checks/update', count: 20 },
    ]);
    expect((fake.requests[0]?.body as { status: string } | undefined)?.status).toBe('in_progress');
    const run = fake.checkRuns[0];
    expect(run).toMatchObject({ head_sha: commit.headSha, status: 'completed', conclusion: 'failure' });
    expect(run?.annotations).toHaveLength(120);
    expect(run?.annotations[119]).toMatchObject({
      path: 'access/flows/f119.yaml',
      start_line: 120,
      annotation_level: 'failure',
      message: 'problem number 119',
    });
  });

  it('is created complete in one request when 50 annotations or fewer', async () => {
    await publishCheck(api, commit, checkOutput(invalid(50), options));
    expect(fake.requests).toHaveLength(1);
    expect(fake.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('concludes success on a valid config, neutral with pending changes only when asked', () => {
    expect(conclusionFor(valid(plan()), { neutralOnChanges: true })).toBe('success');
    expect(conclusionFor(valid(plan([createFlow('A')])), { neutralOnChanges: false })).toBe('success');
    expect(conclusionFor(valid(plan([createFlow('A')])), { neutralOnChanges: true })).toBe('neutral');
    expect(conclusionFor(invalid(1), { neutralOnChanges: true })).toBe('failure');
    expect(conclusionFor({ files: 1, objects: 1, diagnostics: [], planError: 'GET /api/v2/approvalflows answered 401' }, { neutralOnChanges: false })).toBe(
      'failure',
    );
    const problem = {
      ...plan(),
      problems: [{ code: 'unknown-group', message: 'no group X', source: { file: '/repo/access/flows/a.yaml', line: 6, column: 15 } }],
    };
    expect(conclusionFor(valid(problem), { neutralOnChanges: false })).toBe('failure');
    expect(annotationsFor(valid(problem), '/repo')).toEqual([
      expect.objectContaining({ path: 'access/flows/a.yaml', start_line: 6, annotation_level: 'failure', title: 'accessctl unknown-group' }),
    ]);
  });

  it('concludes a plan that deletes as any plan with changes, with the deletions counted in its title and at the top of its summary', () => {
    // As Atlantis and Terraform Cloud report a plan that destroys: the check says the plan is sound and
    // counts what it deletes; the guards decide what may be deleted, and a blocked deletion fails.
    const deleting = valid(plan([createFlow('New One'), deleteFlow('Old One')]));
    expect(conclusionFor(deleting, { neutralOnChanges: false })).toBe('success');
    expect(conclusionFor(deleting, { neutralOnChanges: true })).toBe('neutral');
    const output = checkOutput(deleting, options);
    expect(output.title).toBe('Plan: 1 to create, 0 to update, 1 to delete; 0 unmanaged');
    expect(output.summary).toContain('This plan **deletes 1 object**');
    expect(output.summary.indexOf('Old One')).toBeLessThan(output.summary.indexOf('New One'));
    const blocked = valid({ ...plan(), blocked: [{ kind: 'ApprovalFlow', name: 'Old One', reason: 'over maxDeletions (0)' }] });
    expect(conclusionFor(blocked, { neutralOnChanges: false })).toBe('failure');
    expect(checkOutput(blocked, options).title).toBe('The plan is blocked by the deletion guards');
  });

  it('gives columns only for a single-line finding, warnings as warnings, paths relative to the repository', () => {
    expect(toAnnotation(error('/repo/access/a.yaml', 3, 'm'), '/repo')).toEqual({
      path: 'access/a.yaml',
      start_line: 3,
      end_line: 3,
      start_column: 5,
      end_column: 12,
      annotation_level: 'failure',
      message: 'm',
      title: 'accessctl invalid-value',
    });
    const multi = toAnnotation(error('access/a.yaml', 3, 'm', { endLine: 6, severity: 'warning' }), process.cwd());
    expect(multi).toMatchObject({ path: 'access/a.yaml', start_line: 3, end_line: 6, annotation_level: 'warning' });
    expect(multi).not.toHaveProperty('start_column');
  });

  it('summarises an oversized plan within 65,535 characters, with a note', async () => {
    const output = checkOutput(valid(hugePlan(200)), options);
    expect(output.summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(output.summary).toMatch(/more changes not shown/);
    expect(output.summary).toContain('### accessctl plan');
    await publishCheck(api, commit, output);
    expect(fake.checkRuns[0]?.output.summary).toBe(output.summary);
  });

  it('cuts a summary that would still be too long at a line break, with a truncation note', () => {
    const noisy = {
      ...valid(plan()),
      diagnostics: Array.from({ length: 3000 }, (_, i) => ({ ...error(`a${i}.yaml`, 1, 'w'.repeat(100)), severity: 'warning' as const })),
    };
    const output = checkOutput(noisy, options);
    expect(output.summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(output.summary).toMatch(/more findings not shown/);
    expect(output.annotations).toHaveLength(3000);
  });
});
