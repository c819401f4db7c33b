// The sandbox's web console in a real browser, against a real sandbox with examples/access applied:
// every role's pages show the seeded and applied state, a request goes its whole way through the
// pages alone, markup stays text, and no page shows a secret. The screenshots in docs/ come from here.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../browser/chromium.js';
import { memberNames, submit } from '../harness.js';
import { people, secrets, signIn, startConsoleSandbox, type ConsoleSandbox } from './console-fixture.js';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let browser: Browser;
let shots: string;
beforeAll(async () => {
  browser = await launchBrowser();
  shots =
    process.env.ACCESSCTL_UPDATE_SCREENSHOTS === '1'
      ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
      : await mkdtemp(join(tmpdir(), 'accessctl-console-shots-'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

/** Takes a full-page screenshot, always, and checks it is a PNG with something in it. */
async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(shots, `sandbox-${name}.png`);
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.screenshot({ path, fullPage: true });
  const bytes = await readFile(path);
  expect(bytes.subarray(0, 8)).toEqual(pngSignature);
  expect(bytes.length).toBeGreaterThan(5_000);
}

/** Follows one of the console's navigation links. */
async function nav(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();
  await page.waitForLoadState();
}

/** The main region's text, whitespace collapsed. */
async function mainText(page: Page): Promise<string> {
  return ((await page.textContent('main')) ?? '').replace(/\s+/g, ' ');
}

describe('the sandbox console (default profile)', () => {
  let s: ConsoleSandbox;
  beforeAll(async () => {
    s = await startConsoleSandbox();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('lists every seeded user and the administrator to sign in as, and says plainly there is no password', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.h.sandbox.url}/console`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(await mainText(page)).toContain('This is a sandbox: there are no passwords.');
    const options = await page.locator('#who option').allTextContents();
    for (const label of Object.values(people)) expect(options).toContain(label);
    // Every seeded user; the suspended one is said to be so and cannot be chosen.
    expect(options.filter((o) => !o.startsWith('Administrator:'))).toHaveLength(13);
    expect(options).toContain('Oscar Duval (oscar), Contractor, suspended: cannot sign in');
    expect(await page.locator('#who option', { hasText: 'Oscar Duval' }).isDisabled()).toBe(true);
    await screenshot(page, 'sign-in');
    await page.close();
  });

  it('signs in from the keyboard alone', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.h.sandbox.url}/console/`);
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.id')).toBe('who');
    await page.keyboard.press('End');
    const chosen = await page.evaluate<string>("document.querySelector('#who').selectedOptions[0].textContent");
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/requests$/);
    expect(await page.textContent('header')).toContain(chosen.split(' (')[0]);
    await page.close();
  });

  it('shows each user the flows open to their groups', async () => {
    const erin = await signIn(browser, s.h.sandbox.url, people.erin);
    await nav(erin, 'Request access');
    expect(new URL(erin.url()).pathname).toBe('/console/flows');
    const erinFlows = await erin.locator('tbody tr td:first-child').allTextContents();
    expect(erinFlows).toEqual(['GitHub Admin']);
    expect(await mainText(erin)).toContain('PT8H (8 hours), P1D (1 day), P7D (7 days)');
    const alice = await signIn(browser, s.h.sandbox.url, people.alice);
    await alice.goto(`${s.h.sandbox.url}/console/flows`);
    expect(await alice.locator('tbody tr td:first-child').allTextContents()).toEqual(['GitHub User']);
    expect(await mainText(alice)).toContain('granted at once (automatic approval)');
    // A flow not open to her groups has no page for her.
    const adminFlow = await erin.getAttribute('tbody a', 'href');
    const refused = await alice.goto(`${s.h.sandbox.url}${adminFlow}`);
    expect(refused?.status()).toBe(404);
    await erin.context().close();
    await alice.context().close();
  });

  it('takes a request through its whole life on the pages alone: Erin asks for GitHub Admin, Dana and then a Security Lead approve, Erin holds it', async () => {
    const url = s.h.sandbox.url;
    const erin = await signIn(browser, url, people.erin);
    await nav(erin, 'Request access');
    await erin.getByRole('link', { name: 'GitHub Admin' }).click();
    await erin.selectOption('#duration', { label: 'P1D (1 day)' });
    await erin.fill('#remarks', 'Rotating the organisation owners for the audit');
    await erin.getByRole('button', { name: 'Submit request' }).click();
    await erin.waitForURL(/\/console\/requests\/[0-9a-f]{24}\?done=submitted$/);
    const requestPath = new URL(erin.url()).pathname;
    expect(await mainText(erin)).toContain('Your request was submitted.');
    expect(await erin.textContent('dl.facts')).toContain('Pending');
    expect(await mainText(erin)).toContain('Waiting for a decision');

    // Level 1: Erin's manager.
    const dana = await signIn(browser, url, people.dana);
    await nav(dana, 'Approvals');
    expect(await dana.locator('table').first().textContent()).toContain('erin.em');
    await screenshot(dana, 'approver-queue');
    await dana.getByRole('link', { name: 'GitHub Admin' }).first().click();
    expect(new URL(dana.url()).pathname).toBe(requestPath);
    await dana.fill('#decision-remarks', 'Fine for the audit');
    await dana.getByRole('button', { name: 'Approve' }).click();
    await dana.waitForURL(/done=approved$/);
    expect(await mainText(dana)).toContain('You approved the request.');
    expect(await mainText(dana)).toContain('Level 1: approved by Dana Okafor (dana@example.com)');
    // Dana decided her level: the request no longer waits on her.
    await nav(dana, 'Approvals');
    expect(await mainText(dana)).toContain('Nothing waits on you.');

    // Level 2: a Security Lead, who grants a shorter time than asked.
    const grace = await signIn(browser, url, people.grace);
    await nav(grace, 'Approvals');
    await grace.getByRole('link', { name: 'GitHub Admin' }).first().click();
    await grace.selectOption('#approvedDuration', { label: 'Shorter: PT8H (8 hours)' });
    await grace.getByRole('button', { name: 'Approve' }).click();
    await grace.waitForURL(/done=approved$/);

    await nav(erin, 'My requests');
    expect(await erin.locator('tbody tr').first().textContent()).toContain('Approved');
    await erin.getByRole('link', { name: 'GitHub Admin' }).first().click();
    const text = await mainText(erin);
    expect(text).toContain('Access granted: member of GitHub Admins until 2026-03-01 17:00 UTC');
    expect(text).toContain('approved for PT8H (8 hours)');
    expect(text).toContain('Level 1: approved by Dana Okafor (dana@example.com)');
    expect(text).toContain('Level 2: approved by Grace Lindqvist (grace@example.com)');
    await screenshot(erin, 'end-user');
    // The API sees the one lifecycle the pages drove.
    expect(await memberNames(s.h, 'GitHub Admins')).toEqual(['erin.em']);
    const read = await s.h.call<{ status: string; approvedDuration: string }>('GET', `/api/v2/approvalflowrequest/${requestPath.split('/').at(-1)}`);
    expect(read.body).toMatchObject({ status: 'approved', approvedDuration: 'PT8H' });
    for (const page of [erin, dana, grace]) await page.context().close();
  });

  it("shows administrators the Request Queue's two views, read-only flows and settings, Insights with filters, the mail outbox and the webhook deliveries", async () => {
    const url = s.h.sandbox.url;
    const frank = await submit(s.h, 'frank.em', { approvalFlowId: await flowId('GitHub Admin'), requestedDuration: 'P7D', remarks: 'Release weekend' });
    expect(frank.status).toBe(201);
    await s.h.sandbox.webhooks.whenIdle();
    const admin = await signIn(browser, url, people.admin);
    expect(new URL(admin.url()).pathname).toBe('/console/admin/queue');
    // Frank's request waits on assigned approvers: the Others view, not the Administrator one.
    expect(await mainText(admin)).toContain('Administrator view: 0 requests.');
    await admin.getByRole('link', { name: 'Others', exact: true }).click();
    expect(new URL(admin.url()).search).toBe('?view=others&status=open');
    expect(await admin.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('frank.em')]);
    await admin.selectOption('#status', 'any');
    await admin.getByRole('button', { name: 'Filter' }).click();
    expect(await admin.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    await admin.goto(`${url}/console/admin/queue?view=others`);
    await screenshot(admin, 'admin-queue');

    await nav(admin, 'Approval flows');
    let text = await mainText(admin);
    expect(text).toContain('managed in git by accessctl');
    expect(await admin.locator('main h2').allTextContents()).toEqual(['GitHub Admin', 'GitHub User']);
    expect(text).toContain('any of: Manager');
    expect(text).toContain('any of: Security Leads');
    expect(await admin.locator('main form').count()).toBe(0);

    await nav(admin, 'Settings');
    text = await mainText(admin);
    expect(text).toContain('managed in git by accessctl');
    expect(text).toContain('SIEM: ACCESS_MANAGEMENT_ACCESS_REQUEST, ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL');
    expect(text).toContain('Authorization (sensitive)');

    await nav(admin, 'Directory Insights');
    expect(await admin.locator('tbody tr').count()).toBeGreaterThan(5);
    await admin.selectOption('#type', 'access_management_access_request');
    await admin.fill('#initiator', 'frank@example.com');
    await admin.getByRole('button', { name: 'Filter' }).click();
    expect(new URL(admin.url()).searchParams.get('type')).toBe('access_management_access_request');
    expect(await admin.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('status: ∅ → pending')]);
    await admin.goto(`${url}/console/admin/insights?from=yesterday`);
    expect(await mainText(admin)).toContain('From must be a time');

    await nav(admin, 'Mail outbox');
    await admin.fill('#to', 'dana@example.com');
    await admin.selectOption('#kind', 'approval_needed');
    await admin.getByRole('button', { name: 'Filter' }).click();
    const subjects = await admin.locator('main article h2').allTextContents();
    expect(subjects.length).toBeGreaterThanOrEqual(1);
    expect(await mainText(admin)).toContain('To dana@example.com, approval_needed');

    await nav(admin, 'Webhook deliveries');
    const siem = admin.locator('tbody tr', { hasText: 'SIEM' });
    expect(await siem.count()).toBeGreaterThanOrEqual(1);
    expect(await siem.first().textContent()).toContain('delivered (HTTP 204)');
    expect(s.receiver.received.some((r) => r.path === '/ingest')).toBe(true);
    await admin.context().close();
  });

  it("lets an administrator decide a request from its page, overriding the levels, and follows the system's dark mode", async () => {
    const url = s.h.sandbox.url;
    const again = await submit(s.h, 'erin.em', { approvalFlowId: await flowId('GitHub Admin'), requestedDuration: 'PT8H', remarks: 'Again, for the audit' });
    // Erin's first request is approved: asking again extends her access, and is open now.
    expect(again.status).toBe(201);
    const admin = await signIn(browser, url, people.admin);
    await admin.goto(`${url}/console/requests/${again.body.id}`);
    expect(await mainText(admin)).toContain("An administrator's decision overrides the levels");
    await admin.fill('#decision-remarks', 'Not twice in one day');
    await admin.getByRole('button', { name: 'Deny' }).click();
    await admin.waitForURL(/done=denied$/);
    const text = await mainText(admin);
    expect(text).toContain('You denied the request.');
    expect(text).toContain('Administrator decision: denied by admin@example.com');
    expect(text).toContain('Not twice in one day');
    expect(await admin.locator('#decision-remarks').count()).toBe(0);
    expect((await s.h.call<{ status: string }>('GET', `/api/v2/approvalflowrequest/${again.body.id}`)).body.status).toBe('denied');
    // The same page in a system set to dark: the console follows it.
    const light = await admin.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    await admin.emulateMedia({ colorScheme: 'dark' });
    expect(await admin.evaluate<string>('getComputedStyle(document.body).backgroundColor')).not.toBe(light);
    expect(await admin.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await admin.context().close();
  });

  it('shows markup in flow names, descriptions and reasons as text', async () => {
    const name = '<b>Bold</b> & <script>window.pwned=1</script>';
    const description = '<img src=x onerror="window.pwned=2"> described';
    const reason = '<script>window.pwned=3</script><i>because</i>';
    const created = await s.h.call<{ id: string }>('POST', '/api/v2/approvalflows', {
      name,
      description,
      category: 'Application',
      resourceType: 'user_group',
      resourceId: await s.h.groupId('GitHub Users'),
      visibleTo: [await s.h.groupId('Engineering Admin')],
      approvalType: 'automated',
    });
    expect(created.status).toBe(200);
    const erin = await signIn(browser, s.h.sandbox.url, people.erin);
    await erin.goto(`${s.h.sandbox.url}/console/flows`);
    await erin.getByRole('link', { name }).click();
    expect(await erin.textContent('main h1')).toBe(`Request ${name}`);
    expect(await erin.textContent('main p')).toBe(description);
    await erin.fill('#remarks', reason);
    await erin.getByRole('button', { name: 'Submit request' }).click();
    await erin.waitForURL(/done=submitted$/);
    expect(await mainText(erin)).toContain(reason);
    const admin = await signIn(browser, s.h.sandbox.url, people.admin);
    const pages = [
      [erin, '/console/flows'],
      [erin, '/console/requests'],
      [erin, new URL(erin.url()).pathname],
      [admin, '/console/admin/queue?view=administrator&status=any'],
      [admin, '/console/admin/flows'],
      [admin, '/console/admin/insights'],
      [admin, '/console/admin/mail'],
    ] as const;
    for (const [page, path] of pages) {
      await page.goto(`${s.h.sandbox.url}${path}`);
      expect(await mainText(page), path).toContain(name);
      // Nothing the data held became an element, and nothing ran.
      expect(await page.locator('script, img, b, i').count(), path).toBe(0);
      expect(await page.evaluate('window.pwned'), path).toBeUndefined();
    }
    await erin.context().close();
    await admin.context().close();
  });

  it('shows no secret on any page: channel secrets and API keys stay out', async () => {
    await s.h.sandbox.webhooks.whenIdle();
    // The planted channel received deliveries: its secrets were in use.
    expect(s.receiver.received.some((r) => r.path === `/hook/${secrets[0]}`)).toBe(true);
    const url = s.h.sandbox.url;
    const admin = await signIn(browser, url, people.admin);
    const erin = await signIn(browser, url, people.erin);
    const requests = await s.h.call<{ results: { id: string }[] }>('GET', '/api/v2/approvalflowrequest?limit=100');
    const paths: [Page, string][] = [
      [admin, '/console/'],
      ...[
        '/console/admin/queue',
        '/console/admin/queue?view=others&status=any',
        '/console/admin/flows',
        '/console/admin/settings',
        '/console/admin/insights',
        '/console/admin/mail',
        '/console/admin/deliveries',
        ...requests.body.results.map((r) => `/console/requests/${r.id}`),
      ].map((p): [Page, string] => [admin, p]),
      ...['/console/flows', '/console/requests', '/console/approvals'].map((p): [Page, string] => [erin, p]),
    ];
    expect(paths.length).toBeGreaterThan(12);
    for (const [page, path] of paths) {
      const response = await page.goto(`${url}${path}`);
      expect(response?.status(), path).toBe(200);
      const html = (await response?.text()) ?? '';
      for (const secret of secrets) expect(html.includes(secret), `${path} shows a secret`).toBe(false);
    }
    await admin.context().close();
    await erin.context().close();
  });

  async function flowId(name: string): Promise<string> {
    const flows = await s.h.call<{ results: { id: string; name: string }[] }>('GET', '/api/v2/approvalflows');
    const id = flows.body.results.find((f) => f.name === name)?.id;
    if (id === undefined) throw new Error(`no flow ${name}`);
    return id;
  }
});

describe('the sandbox console under --profile strict', () => {
  let s: ConsoleSandbox;
  beforeAll(async () => {
    s = await startConsoleSandbox('strict');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('serves the same console, while /api serves only the published API', async () => {
    const url = s.h.sandbox.url;
    const erin = await signIn(browser, url, people.erin);
    await nav(erin, 'Request access');
    await erin.getByRole('link', { name: 'GitHub Admin' }).click();
    await erin.selectOption('#duration', { label: 'PT8H (8 hours)' });
    await erin.fill('#remarks', 'Strict, still a console');
    await erin.getByRole('button', { name: 'Submit request' }).click();
    await erin.waitForURL(/done=submitted$/);
    expect(await erin.textContent('dl.facts')).toContain('Pending');
    const admin = await signIn(browser, url, people.admin);
    await admin.goto(`${url}/console/admin/queue?view=others`);
    expect(await admin.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('erin.em')]);
    // Submitting is a sandbox extension of the API: strict still refuses it there.
    const api = await submit(s.h, 'erin.em', { approvalFlowId: 'x' });
    expect(api.status).toBe(404);
    await erin.context().close();
    await admin.context().close();
  });
});
