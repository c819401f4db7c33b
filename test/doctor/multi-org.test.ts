// `accessctl doctor` with a multi-tenant (MSP) key, against the sandbox's MSP directory: without an
// org id it says so in the platform's words and how to fix it; with an org id the key cannot reach it
// says that once, not "key accepted" and a failure per endpoint; with a reachable org it names it.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/probe.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { accessctl } from '../cli/in-process.js';
import { startHarness, type Harness } from '../sandbox/harness.js';

const mspKey = 'sandbox-msp-key-not-a-secret';
const globex = '65b000000000000000000002';
const nowhere = '65b000000000000000000009';

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ seed: loadSeed(fileURLToPath(new URL('../../examples/fleet/seed.yaml', import.meta.url))) });
  env = { JUMPCLOUD_API_KEY: mspKey, JUMPCLOUD_API_URL: h.sandbox.url };
});

afterAll(async () => {
  await h.close();
});

async function doctor(extra: Record<string, string> = {}): Promise<{ code: number; report: DoctorReport; text: string }> {
  const json = await accessctl(['doctor', '--format', 'json'], { ...env, ...extra });
  const text = await accessctl(['doctor'], { ...env, ...extra });
  return { code: json.code, report: JSON.parse(json.stdout) as DoctorReport, text: text.stdout };
}

describe('doctor with a multi-tenant key', () => {
  it('without an org id: one failed org check, with the platform’s reason and JUMPCLOUD_ORG_ID', async () => {
    const { code, report, text } = await doctor();
    expect(code).toBe(1);
    expect(report.checks).toEqual([
      {
        id: 'org',
        status: 'fail',
        summary: expect.stringMatching(
          /^the platform answered 401: ID not included for multi-tenant admin: send x-org-id; this key manages several orgs: set JUMPCLOUD_ORG_ID/,
        ),
      },
    ]);
    expect(text).not.toContain('check JUMPCLOUD_API_KEY');
    expect(text).toContain('Result: NOT ready; see the checks marked ✗.\n');
  });

  it('with an org the key cannot reach: says so once, and no endpoint is reported', async () => {
    const { code, report, text } = await doctor({ JUMPCLOUD_ORG_ID: nowhere });
    expect(code).toBe(1);
    expect(report.orgId).toBe(nowhere);
    expect(report.checks).toEqual([
      {
        id: 'org',
        status: 'fail',
        summary: expect.stringContaining(`this key cannot reach org ${nowhere} (the platform answered 404: Organization ID Not Found)`),
      },
    ]);
    expect(text).not.toContain('key accepted');
    expect(text).not.toContain('endpoint:');
    expect(text).toContain(`accessctl doctor: ${h.sandbox.url}, org ${nowhere} (read-only`);
  });

  it('with an org it reaches: the key and the org pass, and the header names the org', async () => {
    const { code, report, text } = await doctor({ JUMPCLOUD_ORG_ID: globex });
    expect(code).toBe(0);
    expect(report.checks.slice(0, 2)).toEqual([
      { id: 'key', status: 'ok', summary: 'the API key is accepted' },
      { id: 'org', status: 'ok', summary: `org ${globex} is reachable with this key` },
    ]);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(text).toContain(`accessctl doctor: ${h.sandbox.url}, org ${globex} (read-only`);
  });

  it('a single-org key that is refused keeps the platform’s reason and the one key hint', async () => {
    const { code, report } = await doctor({ JUMPCLOUD_API_KEY: 'not-a-key-PLANTED-77' });
    expect(code).toBe(1);
    expect(report.checks).toEqual([
      {
        id: 'key',
        status: 'fail',
        summary: 'the API key was refused (401): invalid x-api-key; check JUMPCLOUD_API_KEY (and JUMPCLOUD_ORG_ID for a multi-org key)',
      },
    ]);
  });
});
