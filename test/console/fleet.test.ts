// A fleet runner's console in a real browser: `fleet run` (embedded) reconciles two orgs of a real
// multi-org sandbox once, and its console lists one row per org, each linking to that org's own
// objects and runs pages; and off loopback the runner, like the reconciler, needs the token.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../src/fleet/embedded.js';
import type { OrgRunRecord } from '../../src/fleet/history.js';
import { FleetMetrics } from '../../src/fleet/metrics.js';
import { launchBrowser } from '../browser/chromium.js';
import { flowName, fleetOrgs, KEY_VARIABLE, MSP_KEY, multiOrgSeed, writeFleet } from '../fleet/fixtures.js';
import { startHarness, type Harness } from '../sandbox/harness.js';
import { screenshot } from './console-fixture.js';

const orgs = fleetOrgs(2);
let browser: Browser;
let sandbox: Harness;
let dir: string;

beforeAll(async () => {
  [browser, sandbox, dir] = await Promise.all([
    launchBrowser(),
    startHarness({ seed: multiOrgSeed(orgs, 2) }),
    mkdtemp(join(tmpdir(), 'accessctl-fleet-console-')),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a fleet runner's console", () => {
  it("lists one row per org, each linking to the org's objects and runs", async () => {
    const file = await writeFleet(join(dir, 'fleet'), { name: 'msp', target: sandbox.sandbox.url, orgs, flowsPerOrg: 2, interval: '1h' });
    const controller = new AbortController();
    const records: OrgRunRecord[] = [];
    let allRan: () => void = () => {};
    const ran = new Promise<void>((resolve) => (allRan = resolve));
    let listening: (url: string) => void = () => {};
    const listened = new Promise<string>((resolve) => (listening = resolve));
    const done = runEmbedded({
      fleetFile: file,
      orgs: [],
      concurrency: 2,
      worker: 'console-test',
      env: { [KEY_VARIABLE]: MSP_KEY },
      log: pino({ level: 'silent' }),
      sinks: [],
      metrics: new FleetMetrics(),
      signal: controller.signal,
      stateDir: join(dir, 'state'),
      once: false,
      lockMode: 'fail',
      listen: '127.0.0.1:0',
      // The next runs are an hour away: the test stops the runner first.
      setTimer: () => () => {},
      onListening: (url) => listening(url),
      onRun: (record) => {
        records.push(record);
        if (records.length === orgs.length) allRan();
      },
    });
    const url = await listened;
    await ran;
    try {
      expect(records.map((r) => r.result)).toEqual(['success', 'success']);
      const page = await browser.newPage({ viewport: { width: 1200, height: 600 } });
      await page.goto(`${url}/`);
      expect(page.url()).toBe(`${url}/orgs`);
      expect(await page.textContent('h1')).toBe('Fleet msp');
      const rows = await page.$$eval('main tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
      expect(rows.map((cells) => cells[0])).toEqual(orgs.map((o) => o.name));
      for (const cells of rows) {
        expect(cells[1]).toMatch(/^#1\s+✓ success$/);
        expect(cells[3]).toContain('2 synced');
      }
      await screenshot(page, 'reconciler-fleet', join(dir, 'shots'));
      await page.getByRole('link', { name: orgs[1]!.name, exact: true }).click();
      await page.waitForURL(`${url}/orgs/${orgs[1]!.name}/objects`);
      const objects = await page.$$eval('main tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent?.trim() ?? ''));
      expect(objects).toEqual([flowName(0), flowName(1)]);
      expect(await page.getByRole('link', { name: flowName(0), exact: true }).getAttribute('href')).toBe(
        `/orgs/${orgs[1]!.name}/objects/ApprovalFlow/Flow%20001`,
      );
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Runs' }).click();
      await page.waitForURL(`${url}/orgs/${orgs[1]!.name}/runs`);
      await page.waitForSelector('body[data-live="open"]');
      expect(await page.textContent('#run-1')).toContain('success');
      await page.getByRole('link', { name: 'Fleet' }).click();
      await page.waitForURL(`${url}/orgs`);
      expect((await fetch(`${url}/orgs/not-an-org/objects`)).status).toBe(404);
      await page.close();
    } finally {
      controller.abort();
      await done;
    }
  });

  it('refuses to start off loopback without ACCESSCTL_CONSOLE_TOKEN, before it takes the lock', async () => {
    const file = await writeFleet(join(dir, 'refused'), { name: 'msp', target: sandbox.sandbox.url, orgs, flowsPerOrg: 1, interval: '1h' });
    const stateDir = join(dir, 'refused-state');
    const refused = await runEmbedded({
      fleetFile: file,
      orgs: [],
      concurrency: 1,
      worker: 'console-test',
      env: { [KEY_VARIABLE]: MSP_KEY },
      log: pino({ level: 'silent' }),
      sinks: [],
      metrics: new FleetMetrics(),
      signal: new AbortController().signal,
      stateDir,
      once: false,
      lockMode: 'fail',
      listen: '0.0.0.0:0',
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'usage', subject: '--listen', message: expect.stringContaining('ACCESSCTL_CONSOLE_TOKEN') });
    expect(await readdir(stateDir).catch(() => [])).toEqual([]);
  });
});
