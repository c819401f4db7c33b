// Benchmark: list 10,000 approval flows in pages of 100 over real HTTP, as a paging client does,
// and compare with the floor: as many requests to a bare @hono/node-server route with a fixed body
// (one real page, byte for byte, so the ratio measures the sandbox's work, not the transfer). Both are
// timed in turn, five rounds, best round of each. Goal: at least half the floor's requests per second.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { SandboxClock } from '../src/sandbox/clock.js';
import { createFlow } from '../src/sandbox/flows.js';
import { startSandbox } from '../src/sandbox/server.js';
import type { Actor } from '../src/sandbox/store.js';
import { figure, printer, type Report } from './measure.js';

const flowCount = 10_000;
const pageSize = 100;
const rounds = 5;

async function timeRequests(urls: string[], headers: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint();
  for (const url of urls) {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    await response.arrayBuffer();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export default async function bench(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accessctl-bench-'));
  const sandbox = await startSandbox({ dbPath: join(dir, 'bench.db'), port: 0, clock: new SandboxClock(), log: () => {} });
  let fixed = '';
  const floorApp = new Hono();
  floorApp.get('/fixed', (c) => c.body(fixed, 200, { 'content-type': 'application/json' }));
  const floor = createAdaptorServer({ fetch: floorApp.fetch });
  await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
  try {
    const { store } = sandbox;
    const orgId = (store.db.prepare('SELECT id FROM orgs').get() as { id: string }).id;
    const actor: Actor = { orgId, id: 'bench', type: 'admin', email: 'bench@example.com' };
    store.transaction(() => {
      const groupId = store.newId();
      store.db
        .prepare('INSERT INTO user_groups (id, org_id, name, doc) VALUES (?, ?, ?, ?)')
        .run(
          groupId,
          orgId,
          'Bench',
          JSON.stringify({ id: groupId, name: 'Bench', type: 'user_group', membershipMethod: 'STATIC', organizationObjectId: orgId }),
        );
      for (let i = 0; i < flowCount; i += 1) {
        createFlow(store, actor, {
          name: `Bench flow ${i}`,
          category: 'Application',
          resourceType: 'user_group',
          resourceId: groupId,
          visibleTo: [groupId],
          approvalType: 'manual',
          approverResources: [{ resourceType: 'manager' }, { resourceType: 'user_group', resourceId: groupId, resourceOrder: 1 }],
          timeBasedAccess: true,
          ttlConfig: 'TTL_CONFIG_FIXED_DURATION',
          fixedDuration: 'P7D',
        });
      }
    });
    const pages = Array.from(
      { length: flowCount / pageSize },
      (_, page) => `${sandbox.url}/api/v2/approvalflows?limit=${pageSize}&skip=${page * pageSize}&sort=_id`,
    );
    const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/fixed`;
    const headers = { 'x-api-key': sandbox.adminKey };
    fixed = await (await fetch(pages[0] ?? '', { headers })).text();
    // One warm-up pass each, then the measured rounds, interleaved so both see the same machine.
    await timeRequests(pages, headers);
    await timeRequests(
      pages.map(() => floorUrl),
      headers,
    );
    let sandboxSeconds = Number.POSITIVE_INFINITY;
    let floorSeconds = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round += 1) {
      sandboxSeconds = Math.min(sandboxSeconds, await timeRequests(pages, headers));
      floorSeconds = Math.min(
        floorSeconds,
        await timeRequests(
          pages.map(() => floorUrl),
          headers,
        ),
      );
    }
    report(
      figure(
        `sandbox list paging, ${flowCount.toLocaleString('en-US')} approval flows in pages of ${pageSize}`,
        {
          value: pages.length / sandboxSeconds,
          floor: pages.length / floorSeconds,
          unit: 'requests/s',
          floorLabel: `a bare @hono/node-server route serving one ${fixed.length.toLocaleString('en-US')}-byte page`,
        },
        { at: 'least', ratio: 0.5 },
      ),
    );
  } finally {
    await new Promise<void>((resolve) => floor.close(() => resolve()));
    if ('closeAllConnections' in floor) floor.closeAllConnections();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await bench(printer(process.argv.includes('--json')));
