// A fleet runner keeps one parse cache for its lifetime: the base folder every org shares is parsed
// once, not once per org; a later cycle over unchanged folders parses no file; a changed file is
// the only one parsed again, and the orgs see its change.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParseCache } from '../../src/config/parse-cache.js';
import { runEmbedded, type EmbeddedOptions } from '../../src/fleet/embedded.js';
import type { OrgRunRecord } from '../../src/fleet/history.js';
import { FleetMetrics } from '../../src/fleet/metrics.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { flowName, fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet } from './fixtures.js';

const orgs = fleetOrgs(3);
let sandbox: Harness;
let dir: string;

beforeAll(async () => {
  sandbox = await startHarness({ seed: multiOrgSeed(orgs, 2) });
  dir = await mkdtemp(join(tmpdir(), 'accessctl-fleet-parse-cache-'));
});

afterAll(async () => {
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function descriptions(orgId: string): Promise<string[]> {
  const answer = await sandbox.call<{ results?: { name: string; description: string }[] }>('GET', '/api/v2/approvalflows?limit=100&sort=_id', undefined, {
    'x-api-key': MSP_KEY,
    'x-org-id': orgId,
  });
  return (answer.body.results ?? []).map((f) => `${f.name}: ${f.description}`).sort();
}

describe('the fleet runner and its parse cache', () => {
  it('parses the shared base once for every org, nothing in an unchanged cycle, and only the file that changed', async () => {
    const file = await writeFleet(join(dir, 'fleet'), { name: 'cached', target: sandbox.sandbox.url, orgs, flowsPerOrg: 2, interval: '5m' });
    const cache = new ParseCache();
    const cycle = async (): Promise<OrgRunRecord[]> => {
      const records: OrgRunRecord[] = [];
      const options: EmbeddedOptions = {
        fleetFile: file,
        orgs: [],
        concurrency: 2,
        worker: 'parse-cache-test',
        env: { [KEY_VARIABLE]: MSP_KEY },
        log: pino({ level: 'silent' }),
        sinks: [],
        metrics: new FleetMetrics(),
        signal: new AbortController().signal,
        stateDir: join(dir, 'state'),
        once: true,
        lockMode: 'fail',
        cache,
        onRun: (record) => records.push(record),
      };
      expect(await runEmbedded(options)).toBe(0);
      return records;
    };

    // The base holds accessctl.yaml and two flow files: three files, whatever the number of orgs.
    const first = await cycle();
    expect(first.map((r) => [r.org, r.result, r.applied]).sort()).toEqual(orgs.map((o) => [o.name, 'success', 2]));
    expect(cache.parsed).toBe(3);

    const second = await cycle();
    expect(second.map((r) => r.result)).toEqual(['no-op', 'no-op', 'no-op']);
    expect(cache.parsed).toBe(3);

    const changed = join(dir, 'fleet', 'base', 'flows', 'flow-2.yaml');
    await writeFile(changed, (await readFile(changed, 'utf8')).replace(/description: .*/, 'description: Changed once, seen by every org'));
    const third = await cycle();
    expect(third.map((r) => [r.result, r.applied])).toEqual([
      ['success', 1],
      ['success', 1],
      ['success', 1],
    ]);
    expect(cache.parsed).toBe(4);
    for (const org of orgs) expect(await descriptions(org.orgId)).toContain(`${flowName(1)}: Changed once, seen by every org`);
  }, 60_000);
});
