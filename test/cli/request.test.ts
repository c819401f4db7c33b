// The real binary's `accessctl request` and `accessctl events` against an in-process sandbox:
// the seed's example from the command line, every refusal as the sandbox's message with exit 1
// and no stack trace, and events --follow printing new steps as they happen.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startLocalServer } from '../jumpcloud/local-server.js';
import { exampleFlows, githubAdminFlow, memberNames, startHarness, userKeys, type Harness } from '../sandbox/harness.js';
import { repoRoot } from '../sandbox/process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary against the harness: `request` through --target, `events` through --insights-url (Insights has its own host). */
function accessctl(h: Harness, args: string[], key = h.sandbox.adminKey): Promise<Run> {
  return accessctlAt(h.sandbox.url, args, key);
}

function accessctlAt(url: string, args: string[], key: string): Promise<Run> {
  const target = args[0] === 'events' ? '--insights-url' : '--target';
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/accessctl.js', ...args, target, url], {
      cwd: repoRoot,
      env: { ...process.env, JUMPCLOUD_API_KEY: key, NO_COLOR: '1', JUMPCLOUD_API_URL: '', JUMPCLOUD_ORG_ID: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function refused(run: Run, message: string | RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('accessctl request and events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await exampleFlows(h, {
      ttlConfig: 'TTL_CONFIG_MULTI_SELECT_DURATIONS',
      fixedDuration: undefined,
      multiSelectDuration: ['PT8H', 'P1D'],
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('submits for an Engineering User member, whose request for GitHub User is approved at once', async () => {
    const run = await accessctl(h, ['request', 'submit', '--as', 'alice@example.com', '--flow', 'GitHub User', '--reason', 'repo access']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^request [0-9a-f]{24}: approved \(GitHub User for alice\)/);
    expect(await memberNames(h, 'GitHub Users')).toEqual(['alice']);
  });

  it('moves a GitHub Admin request through both levels with request approve', async () => {
    const submitted = await accessctl(h, [
      'request',
      'submit',
      '--as',
      'erin.em',
      '--flow',
      'GitHub Admin',
      '--reason',
      'release week',
      '--duration',
      'P1D',
      '--json',
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;

    const [list, self, early] = await Promise.all([
      accessctl(h, ['request', 'list', '--view', 'others']),
      accessctl(h, ['request', 'approve', id, '--as', 'erin.em']),
      accessctl(h, ['request', 'approve', id, '--as', 'grace.sec']),
    ]);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+Pending\\s+erin\\.em\\s+GitHub Admins\\s+GitHub Admin\\s+P1D`));
    refused(self, 'accessctl: POST /api/v2/userapprovalrequest answered 403: nobody approves their own request');
    refused(early, /403: you are not an approver of the current level \(level 1\)/);
    const first = await accessctl(h, ['request', 'approve', id, '--as', 'dana@example.com']);
    expect(first.stdout).toContain('level 1: Manager approved');
    const second = await accessctl(h, ['request', 'approve', id, '--as', 'grace.sec']);
    expect(second.stdout).toMatch(new RegExp(`request ${id}: approved`));
    expect(await memberNames(h, 'GitHub Admins')).toEqual(['erin.em']);
  });

  it('denies as an administrator and prints every refusal with the sandbox message', async () => {
    const submitted = await accessctl(h, [
      'request',
      'submit',
      '--as',
      'frank.em',
      '--flow',
      'GitHub Admin',
      '--reason',
      'audit',
      '--duration',
      'PT8H',
      '--json',
    ]);
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;
    const [duplicate, hidden, unknown, notAdmin] = await Promise.all([
      accessctl(h, ['request', 'submit', '--as', 'frank.em', '--flow', 'GitHub Admin', '--reason', 'again', '--duration', 'PT8H']),
      accessctl(h, ['request', 'submit', '--as', 'alice', '--flow', 'GitHub Admin', '--reason', 'x']),
      accessctl(h, ['request', 'submit', '--as', 'alice', '--flow', 'No Such Flow', '--reason', 'x']),
      accessctl(h, ['request', 'list', '--as', 'bob'], userKeys.alice),
    ]);
    refused(duplicate, /409: frank\.em already has a pending request/);
    refused(hidden, /403: approval flow "GitHub Admin" is not visible to any group of alice/);
    refused(unknown, 'accessctl: --flow: no approval flow named "No Such Flow"');
    refused(notAdmin, 'accessctl: GET /api/v2/approvalflowrequest answered 403: --as needs an administrator key\n');
    expect(notAdmin.stderr).not.toContain('x-sandbox-act-as');
    expect((await accessctl(h, ['request', 'deny', id])).stdout).toMatch(new RegExp(`request ${id}: denied`));
  });

  it('shows one request in full, as text and JSON, and names a request that does not exist', async () => {
    const submitted = await accessctl(h, ['request', 'submit', '--as', 'judy', '--flow', 'GitHub User', '--reason', 'pairing', '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = (JSON.parse(submitted.stdout) as { id: string }).id;
    const text = await accessctl(h, ['request', 'show', id]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^request ${id}: approved \\(GitHub User for judy`));
    expect(text.stdout).toMatch(/^ {2}group {6}GitHub Users$/m);
    expect(text.stdout).toMatch(/^ {2}reason {5}pairing$/m);
    expect(text.stdout).toMatch(/^ {2}created {4}\d{4}-\d\d-\d\dT/m);
    const json = await accessctl(h, ['request', 'show', id, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'approved', approvalFlowName: 'GitHub User', remarks: 'pairing' });
    const missing = '65a0000000000000000000ff';
    refused(await accessctl(h, ['request', 'show', missing]), new RegExp(`accessctl: GET /api/v2/approvalflowrequest/${missing} answered 404`));
  });

  it("lists a user's own requests with a per-user key", async () => {
    const run = await accessctl(h, ['request', 'list', '--all', '--json'], userKeys.alice);
    const page = JSON.parse(run.stdout) as { results: { userName: string }[] };
    expect(page.results.map((r) => r.userName)).toEqual(['alice']);
  });

  it("shows the console's Request Queue: the Administrator view's pending manual requests by default, and the other views on demand", async () => {
    const flows = (await h.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows?limit=100')).body.results;
    const adminOnly = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflows',
      await githubAdminFlow(h, { name: 'Admins Decide', nonAdminApproval: false, visibleTo: [await h.groupId('Engineering User')] }),
    );
    const mine = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflowrequest',
      { approvalFlowId: adminOnly.body.id, remarks: 'queue' },
      { 'x-sandbox-act-as': 'carol' },
    );
    const waitingOnManager = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflowrequest',
      { approvalFlowId: flows.find((f) => f.name === 'GitHub Admin')?.id, remarks: 'queue', requestedDuration: 'PT8H' },
      { 'x-sandbox-act-as': 'erin.em' },
    );
    const [byDefault, others, everything, bad] = await Promise.all([
      accessctl(h, ['request', 'list']),
      accessctl(h, ['request', 'list', '--view', 'others', '--json']),
      accessctl(h, ['request', 'list', '--all', '--json']),
      accessctl(h, ['request', 'list', '--status', 'sometimes']),
    ]);
    expect(byDefault.stdout.split('\n')[0]).toBe('Administrator view, manual, Pending: 1');
    expect(byDefault.stdout).toMatch(new RegExp(`${mine.body.id}\\s+Pending\\s+carol\\s+GitHub Admins\\s+Admins Decide\\s+P7D`));
    expect(byDefault.stdout).not.toContain(waitingOnManager.body.id);
    const ids = (run: { stdout: string }) => (JSON.parse(run.stdout) as { results: { id: string }[] }).results.map((r) => r.id);
    expect(ids(others)).toEqual([waitingOnManager.body.id]);
    expect(ids(everything)).toEqual(expect.arrayContaining([mine.body.id, waitingOnManager.body.id]));
    expect(ids(everything).length).toBeGreaterThan(4);
    refused(bad, 'accessctl: --status must be one of pending, approved, denied, canceled, expired, error, missing_data or any (got "sometimes")');
    const missing = await accessctl(h, ['request', 'list', '--status', 'Missing Data', '--view', 'all']);
    expect(missing.stdout).toBe('no access requests (every view, manual, Missing Data)\n');
    await h.call('PUT', `/api/v2/approvalflowrequest/${mine.body.id}`, { status: 'denied' });
    await h.call('PUT', `/api/v2/approvalflowrequest/${waitingOnManager.body.id}`, { status: 'denied' });
  });

  it('shows every step in accessctl events, and --follow prints new ones as they happen', async () => {
    const run = await accessctl(h, ['events']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/access_management_access_request\s+GitHub Admin\s+status: null -> "pending"\s+by erin@example\.com/);
    expect(run.stdout).toMatch(
      /access_management_access_request_approval\s+GitHub Admin\s+status: "pending" -> "pending"\s+level: 1 -> 2\s+by dana@example\.com/,
    );
    expect(run.stdout).toMatch(/access_management_association_change\s+GitHub Admins\s+add erin\.em to GitHub Admins/);
    expect(run.stdout).toMatch(/access_management_access_request_approval\s+GitHub Admin\s+status: "pending" -> "denied"\s+by admin@example\.com/);

    const follow = spawn(process.execPath, ['bin/accessctl.js', 'events', '--follow', '--interval', '100ms', '--insights-url', h.sandbox.url], {
      cwd: repoRoot,
      env: { ...process.env, JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_INSIGHTS_URL: '' },
    });
    let out = '';
    let err = '';
    const listeners = new Set<() => void>();
    follow.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const listener of listeners) listener();
    });
    follow.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follow.on('close', (code) => resolve(code)));
    const seen = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        void exited.then((code) => reject(new Error(`events --follow exited with ${code}: ${err}`)));
        const check = (): void => {
          if (!pattern.test(out)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      });
    await seen(/"pending" -> "denied"/);
    await accessctl(h, ['request', 'submit', '--as', 'bob', '--flow', 'GitHub User', '--reason', 'follow me']);
    await seen(/add bob to GitHub Users/);
    follow.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('accessctl request list past one page', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await exampleFlows(h);
  });
  afterAll(async () => {
    await h.close();
  });

  it('pages through every request, newest first, each once', async () => {
    // 130 pending requests an administrator decides: 65 flows, each requested by two engineers.
    const visibleTo = [await h.groupId('Engineering User')];
    const submitted: string[] = [];
    for (let i = 0; i < 65; i += 1) {
      const flow = await h.call<{ id: string }>(
        'POST',
        '/api/v2/approvalflows',
        await githubAdminFlow(h, { name: `Paged ${i}`, nonAdminApproval: false, visibleTo }),
      );
      for (const login of ['alice', 'bob']) {
        const answer = await h.call<{ id: string }>(
          'POST',
          '/api/v2/approvalflowrequest',
          { approvalFlowId: flow.body.id, remarks: 'paging' },
          { 'x-sandbox-act-as': login },
        );
        submitted.push(answer.body.id);
      }
    }
    const run = await accessctl(h, ['request', 'list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const listed = (JSON.parse(run.stdout) as { results: { id: string }[]; totalCount: number }).results.map((r) => r.id);
    expect(listed).toEqual([...submitted].reverse());
    const text = await accessctl(h, ['request', 'list']);
    expect(text.stdout.split('\n')[0]).toBe('Administrator view, manual, Pending: 130');
  });
});

describe('accessctl request list on the strict profile', () => {
  it('lists no request, rather than failing, where an empty list is answered as {} (protobuf JSON leaves it out)', async () => {
    const strict = await startHarness({ profile: 'strict' });
    try {
      const run = await accessctl(strict, ['request', 'list', '--status', 'any']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('no access requests (Administrator view, manual, any status)\n');
    } finally {
      await strict.close();
    }
  });

  it('shows and lists a request read back through the strict profile (protobuf JSON, zero values left out)', async () => {
    // Requests cannot be submitted on the strict profile (JumpCloud publishes no submit): one made on
    // the default profile is read back through a strict sandbox on the same database.
    const dir = await mkdtemp(join(tmpdir(), 'accessctl-request-strict-'));
    try {
      const dbPath = join(dir, 'sandbox.db');
      const lenient = await startHarness({ dbPath });
      let id: string;
      try {
        await exampleFlows(lenient);
        const submitted = await accessctl(lenient, ['request', 'submit', '--as', 'alice', '--flow', 'GitHub User', '--reason', 'repo access', '--json']);
        expect(submitted.code, submitted.stderr).toBe(0);
        id = (JSON.parse(submitted.stdout) as { id: string }).id;
      } finally {
        await lenient.close();
      }
      const strict = await startHarness({ dbPath, profile: 'strict' });
      try {
        const shown = await accessctl(strict, ['request', 'show', id]);
        expect(shown.code, shown.stderr).toBe(0);
        expect(shown.stdout).toMatch(new RegExp(`^request ${id}: approved \\(GitHub User for alice`));
        const listed = await accessctl(strict, ['request', 'list', '--all']);
        expect(listed.stdout).toContain(id);
        expect(shown.stdout + listed.stdout).not.toContain('undefined');
      } finally {
        await strict.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('accessctl request show against a platform that leaves fields out', () => {
  it('prints - for each field protobuf JSON left out, and never "undefined"', async () => {
    // JumpCloud publishes every field of a request as optional, and protobuf JSON drops zero values:
    // neither sandbox profile drops these, so a scripted server answers as the platform may.
    const server = await startLocalServer((request, response) => {
      if (request.method === 'GET' && request.url.startsWith('/api/v2/approvalflowrequest/r-1')) {
        json(response, 200, { id: 'r-1', approvers: [{}, { approvalSequence: 2, resourceName: 'Security Leads' }] });
      } else json(response, 404, { message: 'not found' });
    });
    try {
      const shown = await accessctlAt(server.url, ['request', 'show', 'r-1'], 'fake-key');
      expect(shown.stderr).toBe('');
      expect(shown.code).toBe(0);
      expect(shown.stdout).toBe('request r-1: - (- for -)\n  level -: - -\n  level 2: Security Leads -\n');
      const asJson = await accessctlAt(server.url, ['request', 'show', 'r-1', '--json'], 'fake-key');
      expect(JSON.parse(asJson.stdout)).toEqual({ id: 'r-1', approvers: [{}, { approvalSequence: 2, resourceName: 'Security Leads' }] });
    } finally {
      await server.close();
    }
  });
});
