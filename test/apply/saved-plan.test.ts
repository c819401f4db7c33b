// Specifies `accessctl apply plan.json` through the real binary (run `npm run build` first): a saved
// plan goes only to the target this run was told about, never to a host named only by the file;
// credentials in a target URL are refused without being echoed; the guards are checked on the file again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accessctl, type Finished } from '../e2e/binary.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const examples = fileURLToPath(new URL('../../examples/access/', import.meta.url));
const PASSWORD = 'PLANTED-url-password-7d2f';

/** An HTTP server on 127.0.0.1 that records every request it gets and answers each with 404. */
async function startRecorder(): Promise<{ url: string; seen: { method: string; url: string; apiKey: boolean }[]; close: () => Promise<void> }> {
  const seen: { method: string; url: string; apiKey: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', apiKey: req.headers['x-api-key'] !== undefined });
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('accessctl apply plan.json, the real binary', () => {
  let h: Harness;
  let other: Awaited<ReturnType<typeof startRecorder>>;
  let dir: string;
  let env: Record<string, string>;

  const output = (run: Finished): string => `${run.stdout}${run.stderr}`;

  /** Saves a plan of the config in `dir` against the sandbox, and returns its path and its JSON. */
  async function savedPlan(name: string, refused = false): Promise<{ path: string; json: Record<string, unknown> }> {
    const path = join(dir, name);
    const run = await accessctl(['plan', join(dir, 'config'), '--out', path], env);
    // A plan apply would refuse is still saved, and plan says why it fails.
    if (refused) expect(run.stderr).toContain('apply would refuse this plan');
    else expect(run.stderr).toBe('');
    expect(run.code).toBe(refused ? 1 : 0);
    return { path, json: JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> };
  }

  async function edited(name: string, json: Record<string, unknown>): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(json, null, 2));
    return path;
  }

  /** API requests the sandbox counted since the counter was last cleared, by route (the test hooks left out). */
  async function sandboxRequests(): Promise<Record<string, number>> {
    const counts = (await h.call<{ counts: Record<string, number> }>('GET', '/sandbox/v1/requests')).body.counts;
    return Object.fromEntries(Object.entries(counts).filter(([route]) => !route.includes(' /sandbox/')));
  }

  async function liveFlows(): Promise<string[]> {
    const flows = await h.call<{ results: { name: string }[] }>('GET', '/api/v2/approvalflows');
    return flows.body.results.map((f) => f.name).sort();
  }

  beforeAll(async () => {
    other = await startRecorder();
  });
  afterAll(async () => {
    await other.close();
  });
  beforeEach(async () => {
    h = await startHarness({ hooks: true });
    dir = await mkdtemp(join(tmpdir(), 'accessctl-saved-plan-'));
    await cp(examples, join(dir, 'config'), { recursive: true });
    env = { JUMPCLOUD_API_KEY: h.sandbox.adminKey, JUMPCLOUD_API_URL: h.sandbox.url };
  });
  afterEach(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
    // No test may have sent anything to the other host.
    expect(other.seen).toEqual([]);
  });

  it('refuses a plan whose target was edited to another host, sending nothing to either', async () => {
    const { json } = await savedPlan('plan.json');
    const path = await edited('elsewhere.json', { ...json, target: other.url });
    await h.call('DELETE', '/sandbox/v1/requests');
    for (const [args, from] of [
      [[], 'JUMPCLOUD_API_URL'],
      [['--target', h.sandbox.url], '--target'],
    ] as const) {
      const run = await accessctl(['apply', path, ...args], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`the plan was made against ${other.url}, but ${from} is ${h.sandbox.url}; plan again against the target you mean`);
      expect(run.stdout).toBe('');
      expect(output(run)).not.toContain(h.sandbox.adminKey);
    }
    // Told nothing about where to go, it does not go where the file says either.
    const { JUMPCLOUD_API_URL: _url, ...keyOnly } = env;
    const run = await accessctl(['apply', path], keyOnly);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the plan was made against ${other.url}; say where to apply it with --target or JUMPCLOUD_API_URL`);
    expect(await sandboxRequests()).toEqual({});
    expect(await liveFlows()).toEqual([]);
  });

  it('refuses a plan made against another host when neither --target nor JUMPCLOUD_API_URL says where', async () => {
    const { path } = await savedPlan('plan.json');
    await h.call('DELETE', '/sandbox/v1/requests');
    const { JUMPCLOUD_API_URL: _url, ...keyOnly } = env;
    const run = await accessctl(['apply', path], keyOnly);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`accessctl: the plan was made against ${h.sandbox.url}; say where to apply it with --target or JUMPCLOUD_API_URL\n`);
    expect(await sandboxRequests()).toEqual({});
    // The same file, told where, applies.
    const told = await accessctl(['apply', path, '--target', h.sandbox.url], keyOnly);
    expect(told.stderr).toMatch(/^accessctl: no state directory to lock \(.+\): applying without a lock; pass --state-dir to share a reconciler's lock\n$/);
    expect(told.code).toBe(0);
    expect(await liveFlows()).toEqual(['GitHub Admin', 'GitHub User']);
  });

  it('refuses a target URL holding user:password@, wherever it is written, and never prints the password', async () => {
    const { path, json } = await savedPlan('plan.json');
    const port = new URL(h.sandbox.url).port;
    const withCredentials = `http://accessctl:${PASSWORD}@127.0.0.1:${port}`;
    await h.call('DELETE', '/sandbox/v1/requests');
    const runs: Finished[] = [
      await accessctl(['apply', path, '--target', withCredentials], env),
      await accessctl(['apply', path], { ...env, JUMPCLOUD_API_URL: withCredentials }),
      await accessctl(['apply', await edited('credentials.json', { ...json, target: withCredentials })], env),
      await accessctl(['apply', join(dir, 'config'), '--target', withCredentials, '--auto-approve'], env),
    ];
    for (const run of runs) {
      expect(run.code, output(run)).toBe(1);
      expect(run.stderr).toMatch(/credentials/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(output(run)).not.toContain(PASSWORD);
    }
    expect(await sandboxRequests()).toEqual({});
  });

  it('refuses a saved plan whose blocked list was emptied by hand, applying nothing', async () => {
    const apply = await accessctl(['apply', join(dir, 'config'), '--auto-approve'], env);
    expect(apply.code, output(apply)).toBe(0);
    // Both flows left git: pruning to empty is blocked, and GitHub Admin is protected.
    await rm(join(dir, 'config', 'flows'), { recursive: true });
    const { path, json } = await savedPlan('blocked.json', true);
    expect((json['blocked'] as unknown[]).length).toBe(2);
    const run = await accessctl(['apply', path], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the saved plan is blocked by the deletion guards; nothing was applied');

    const summary = json['summary'] as Record<string, unknown>;
    const emptied = await edited('emptied.json', { ...json, blocked: [], summary: { ...summary, blocked: 0, applicable: true } });
    const edit = await accessctl(['apply', emptied], env);
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain('the saved plan is blocked by the deletion guards; nothing was applied');
    expect(edit.stderr).toContain('ApprovalFlow "GitHub Admin": "GitHub Admin" matches the protected pattern "GitHub Admin*"');
    expect(edit.stderr).toContain(
      'ApprovalFlow "GitHub User": the repo declares no ApprovalFlow and the plan would delete all 2 live ones; refusing to prune to empty',
    );
    expect(await liveFlows()).toEqual(['GitHub Admin', 'GitHub User']);
  });
});
