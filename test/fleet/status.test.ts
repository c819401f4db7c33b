// `fleet status` on the embedded runner's state directory: what a runner that is gone left behind is
// marked so (no next run, a started run shown as stale), and shown as live only while a runner holds
// the state directory's lock.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFleet, type FleetDefinition } from '../../src/fleet/fleet-file.js';
import type { OrgRunRecord } from '../../src/fleet/history.js';
import { FileOrgState, orgStateDir } from '../../src/fleet/org-state.js';
import { embeddedStatus, renderStatusText } from '../../src/fleet/status.js';
import { fleetOrgs, writeFleet } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-status-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2026-11-30T12:00:00Z');

/** A state directory as a runner leaves it: the first org ran and scheduled its next run, the second's run started and never finished (its process was killed). */
async function leftState(): Promise<{ stateDir: string; fleet: FleetDefinition }> {
  const [done, cut] = fleetOrgs(2);
  const file = await writeFleet(join(dir, 'repo'), { name: 'left', target: 'http://127.0.0.1:9', orgs: [done!, cut!], flowsPerOrg: 1, interval: '5m' });
  const fleet = (await readFleet(file)).fleet!;
  const stateDir = join(dir, 'state');
  const finished = new FileOrgState(orgStateDir(stateDir, done!.name), done!.name, 'w1', () => NOW - 60_000);
  await finished.startRun({ id: 'r1' });
  const record: OrgRunRecord = {
    id: 'r1',
    org: done!.name,
    worker: 'w1',
    startedAt: new Date(NOW - 60_000).toISOString(),
    finishedAt: null,
    result: 'no-op',
    applied: 0,
    failed: 0,
    drifted: 0,
    driftedObjects: [],
    failures: [],
    message: null,
    nextRunAt: new Date(NOW + 240_000).toISOString(),
  };
  await finished.finishRun(record, 0);
  await new FileOrgState(orgStateDir(stateDir, cut!.name), cut!.name, 'w1', () => NOW - 30_000).startRun({ id: 'r2' });
  return { stateDir, fleet };
}

describe('fleet status (embedded)', () => {
  it('with no runner holding the state directory: no next run, and a started run is stale', async () => {
    const { stateDir, fleet } = await leftState();
    const status = await embeddedStatus(stateDir, fleet);
    expect(status.runner).toBe('none');
    expect(status.orgs.map((o) => [o.lastResult, o.nextRunAt, o.running?.stale ?? null])).toEqual([
      ['no-op', null, null],
      [null, null, true],
    ]);
    const text = renderStatusText(status, NOW);
    expect(text).toContain('no runner holds the fleet now');
    expect(text).toContain('(stale run: w1 is gone)');
    expect(text).not.toMatch(/in 4m|\(running\)/);
    expect(text.split('\n').filter((l) => l.includes('no runner')).length).toBeGreaterThanOrEqual(3);
  });

  it('while a runner holds the lock: the next run and the running run as recorded', async () => {
    const { stateDir, fleet } = await leftState();
    const now = new Date().toISOString();
    await mkdir(stateDir, { recursive: true });
    // A runner on another host whose heartbeat is fresh holds it.
    await writeFile(
      join(stateDir, 'fleet.lock'),
      JSON.stringify({ pid: 4242, host: 'other-host', startedAt: now, heartbeat: now, id: 'runner', staleAfterMs: 60_000 }),
    );
    const status = await embeddedStatus(stateDir, fleet);
    expect(status.runner).toBe('live');
    expect(status.orgs.map((o) => [o.nextRunAt, o.running?.stale ?? null])).toEqual([
      [new Date(NOW + 240_000).toISOString(), null],
      [null, false],
    ]);
    const text = renderStatusText(status, NOW);
    expect(text).toContain('in 4m');
    expect(text).toContain('(running)');
    expect(text).not.toContain('no runner');
  });
});
