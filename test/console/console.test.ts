// The reconciler's console in a real browser, over real HTTP on 127.0.0.1, against a real sandbox:
// the applied state of examples/access, an object's page, markup shown as text, drift made through
// the API after the next run, the runs list updated live over SSE, and no secret on any page.
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../browser/chromium.js';
import { MARKUP_DESCRIPTION, MARKUP_FLOW, planted, screenshot, startConsoleFixture, type ConsoleFixture } from './console-fixture.js';

let browser: Browser;
let fixture: ConsoleFixture;
let shots: string;

beforeAll(async () => {
  [browser, fixture, shots] = await Promise.all([launchBrowser(), startConsoleFixture(), mkdtemp(join(tmpdir(), 'accessctl-shots-'))]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await fixture?.close();
  if (shots) await rm(shots, { recursive: true, force: true });
});

async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const response = await page.goto(`${fixture.url}${path}`);
  expect(response?.status()).toBe(200);
  return page;
}

/** The objects table as rows of cell texts, by kind and name. */
async function objectRows(page: Page): Promise<Map<string, string[]>> {
  const rows = await page.$$eval('main table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
  return new Map(rows.map((cells) => [`${cells[0]}/${cells[1]}`, cells]));
}

describe('the reconciler console', () => {
  it('lists every object of examples/access as applied: its state, the file and line it comes from, and its live id', async () => {
    expect(fixture.first.result).toBe('success');
    const page = await open('/objects');
    const rows = await objectRows(page);
    const expected = [
      ['ApprovalFlow', 'GitHub Admin', 'flows/github-admin.yaml:5:9'],
      ['ApprovalFlow', 'GitHub User', 'flows/github-user.yaml:5:9'],
      ['GroupAssignment', 'GitHub Admins', 'groups/github-admins.yaml:5:9'],
      ['GroupAssignment', 'Security Leads', 'groups/security-leads.yaml:5:9'],
      ['AccessRequestSettings', 'settings', 'settings.yaml:8:9'],
      ['WebhookChannel', 'Hook', 'channels/hook.yaml:3:18'],
    ];
    for (const [kind, name, file] of expected) {
      const cells = rows.get(`${kind}/${name}`);
      expect(cells, `${kind}/${name}`).toBeDefined();
      expect(cells?.[2]).toMatch(/^✓ synced/);
      // From the config directory's root, as in the repo.
      expect(cells?.[3]).toBe(file);
      expect(cells?.[4]).not.toBe('not yet known');
    }
    const live = await fixture.harness.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows');
    const admin = live.body.results.find((f) => f.name === 'GitHub Admin');
    expect(rows.get('ApprovalFlow/GitHub Admin')?.[4]).toBe(admin?.id);
    await screenshot(page, 'reconciler-objects', shots);
    await page.close();
  });

  it("shows an object's last change applied: when, by which run, from which commit and author, and the fields it set", async () => {
    const page = await open('/objects');
    await page.getByRole('link', { name: 'GitHub Admin', exact: true }).click();
    await page.waitForURL(/\/objects\/ApprovalFlow\/GitHub%20Admin$/);
    const text = (await page.textContent('main')) ?? '';
    expect(await page.textContent('h1')).toBe('GitHub Admin');
    expect(text).toContain('Declared inflows/github-admin.yaml:5:9');
    expect(text).toContain(fixture.commit);
    expect(text).toContain('Ada Admin <ada@example.com>');
    expect(await page.locator('table', { hasText: 'Fields it set' }).textContent()).toContain('"description": "Owner access to the GitHub organisation');
    expect(await page.getByRole('link', { name: '#1' }).getAttribute('href')).toBe('/runs/1');
    await screenshot(page, 'reconciler-object', shots);
    await page.close();
  });

  it('shows the plan a run applied: each change linked to its object, the counts, and the plan as `accessctl plan` prints it', async () => {
    const page = await open('/runs/1');
    expect(await page.textContent('h1')).toBe('Run #1');
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain(`applied ${fixture.first.applied}, failed 0, drifted 0, skipped 0`);
    expect(main).toContain(fixture.commit);
    const changes = await page.$$eval('main ul li', (items) => items.map((li) => li.textContent ?? ''));
    expect(changes).toContain('create ApprovalFlow GitHub Admin (spec)');
    expect(await page.getByRole('link', { name: 'GitHub Admin', exact: true }).getAttribute('href')).toBe('/objects/ApprovalFlow/GitHub%20Admin');
    await page.getByText('The plan as `accessctl plan` prints it').click();
    expect(await page.textContent('details pre')).toContain('+ ApprovalFlow "GitHub Admin"');
    await page.close();
  });

  it("shows a flow's name and description holding markup as text", async () => {
    const page = await open('/objects');
    const link = page.getByRole('link', { name: MARKUP_FLOW, exact: true });
    expect(await link.count()).toBe(1);
    await link.click();
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toBe(MARKUP_FLOW);
    // The description is in the fields the create set, as JSON.
    expect(await page.textContent('main')).toContain(JSON.stringify(MARKUP_DESCRIPTION));
    expect(await page.$$('main img, main script')).toHaveLength(0);
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    await page.close();
  });

  it('is usable from the keyboard (a skip link, then every link in order, visibly focused) and follows the dark mode of the system', async () => {
    const page = await open('/objects');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.keyboard.press('Tab');
    // The first link after the skip target, focused with a visible outline.
    expect(await page.evaluate('document.activeElement.textContent')).toBe('#1');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    const light = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).toBe('rgb(13, 17, 23)');
    await page.close();
  });

  it('adds each run to the runs list as it happens (server-sent events), and shows drift made through the API after the next run', async () => {
    const page = await open('/runs');
    await page.waitForSelector('body[data-live="open"]');
    expect(await page.$('#run-2')).toBeNull();
    // Drift behind git's back: the settings' drift policy is report, so it stays drifted.
    expect((await fixture.harness.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false })).status).toBe(200);

    const outcome = await fixture.nextRun();

    expect(outcome.drifted).toBe(1);
    const row = await page.waitForSelector('#run-2 .s-no-op');
    expect(await row.textContent()).toContain('no-op');
    const cells = await page.$$eval('#run-2 td', (tds) => tds.map((td) => td.textContent ?? ''));
    // Applied, failed, drifted, skipped.
    expect(cells.slice(4, 8)).toEqual(['0', '0', '1', '0']);
    expect(cells[8]).toContain('1 report-only drift');
    await screenshot(page, 'reconciler-runs', shots);
    await page.getByRole('link', { name: '#2' }).click();
    await page.waitForURL(/\/runs\/2$/);
    expect(await page.textContent('main')).toContain('drifted 1');

    await page.goto(`${fixture.url}/objects?state=drifted`);
    const rows = await objectRows(page);
    expect([...rows.keys()]).toEqual(['AccessRequestSettings/settings']);
    expect(rows.get('AccessRequestSettings/settings')?.[2]).toContain('drifted');
    await page.getByRole('link', { name: 'settings', exact: true }).click();
    await page.waitForURL(/\/objects\/AccessRequestSettings\/settings$/);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('drift: the platform changed behind git’s back');
    expect(text).toContain('spec.exposeApprovalProgress');
    expect(await page.locator('table', { hasText: 'Newest first' }).textContent()).toContain('reported only');
    await page.close();
  });

  it('shows no secret on any page: not the API key, not a channel secret', async () => {
    const secrets = [fixture.harness.sandbox.adminKey, ...Object.values(planted), planted.HOOK_AUTH.replace('Bearer ', '')];
    const seen = new Set<string>();
    const queue = ['/objects', '/runs'];
    while (queue.length > 0) {
      const path = queue.shift() ?? '';
      if (seen.has(path)) continue;
      seen.add(path);
      const response = await fetch(`${fixture.url}${path}`);
      expect(response.status, path).toBe(200);
      const body = await response.text();
      for (const secret of secrets) expect(body.includes(secret), `${path} shows a secret`).toBe(false);
      for (const match of body.matchAll(/href="(\/(?:objects|runs)[^"#]*)"/g)) queue.push((match[1] ?? '').replaceAll('&amp;', '&'));
    }
    expect([...seen]).toContain('/objects/WebhookChannel/Hook');
    expect([...seen]).toContain('/runs/1');
  });

  it("shows a pending change held back by suspend: the object's field diff and the access impact it would have", async () => {
    // Runs last: the project stays suspended.
    await appendFile(join(fixture.configDir, 'accessctl.yaml'), '  suspend:\n    until: "2099-01-01T00:00:00Z"\n    reason: change freeze\n');
    const flow = join(fixture.configDir, 'flows', 'github-user.yaml');
    await writeFile(flow, (await readFile(flow, 'utf8')).replace('visibleTo: [Engineering User]', 'visibleTo: [Engineering All]'));

    const outcome = await fixture.nextRun();

    expect(outcome.result).toBe('suspended');
    const page = await open('/objects?state=suspended');
    const rows = await objectRows(page);
    expect([...rows.keys()]).toEqual(['ApprovalFlow/GitHub User']);
    expect(rows.get('ApprovalFlow/GitHub User')?.[2]).toContain('the project is suspended until 2099-01-01T00:00:00');
    expect(await page.textContent('#impact')).toBe('Access impact of the pending changes');
    expect(await page.textContent('main pre')).toMatch(/Widening:[\s\S]*can now request GitHub User/);
    await page.getByRole('link', { name: 'GitHub User', exact: true }).click();
    await page.waitForURL(/\/objects\/ApprovalFlow\/GitHub%20User$/);
    const diff = await page.locator('table', { hasText: 'Fields the change sets' }).textContent();
    expect(diff).toContain('spec.visibleTo');
    expect(diff).toContain('Engineering All');
    expect(await page.textContent('#impact')).toBe('Access impact of the pending change');
    await screenshot(page, 'reconciler-pending', shots);
    await page.close();
  });
});
