// The console over plain HTTP: every POST needs the session's token and this origin (hono's csrf
// check), the session cookie is HttpOnly and SameSite=Lax and replaced at sign-in, the pages allow no
// script, and the API's rules hold (the reason's limit, who decides, who sees approval progress).
// A sandbox unsure of its database (its lock's lease lapsed) answers pages and forms with a 503 page.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRemarksLength } from '../../../src/sandbox/request-model.js';
import { exampleFlows, githubAdminFlow, startHarness, type Harness } from '../harness.js';

let h: Harness;
let flows: { user: string; admin: string };
/** Whether the sandbox may write (its lock's lease: false after a pause), and who hears it asked next. */
let writable = true;
let onWriteCheck: (() => void) | undefined;
beforeAll(async () => {
  h = await startHarness({
    mayWrite: () => {
      onWriteCheck?.();
      return writable;
    },
  });
  flows = await exampleFlows(h);
});
afterAll(async () => {
  await h?.close();
});

interface Visit {
  cookie: string;
  token: string;
}

function cookieOf(response: Response): string {
  const set = response.headers.get('set-cookie') ?? '';
  const pair = set.split(';')[0] ?? '';
  if (!pair.startsWith('accessctl_console=')) throw new Error(`no session cookie in ${set}`);
  return pair;
}

function tokenOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (token === undefined) throw new Error('no CSRF field on the page');
  return token;
}

async function post(
  path: string,
  cookie: string,
  fields: Record<string, string>,
  headers: Record<string, string> = { origin: h.sandbox.url },
): Promise<Response> {
  return fetch(`${h.sandbox.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

async function get(path: string, cookie: string): Promise<Response> {
  return fetch(`${h.sandbox.url}${path}`, { redirect: 'manual', headers: { cookie } });
}

/** Signs in as a user (by username) the way the sign-in form does; returns the new session and a page's token. */
async function signIn(username: string): Promise<Visit> {
  return signInChoosing(async () => `${'65a000000000000000000001'}:user:${await h.userId(username)}`);
}

/** Signs in as the administrator the sign-in page offers; returns the new session and a page's token. */
async function signInAsAdmin(): Promise<Visit> {
  return signInChoosing((page) => {
    const choice = /value="([^"]+:admin:[^"]+)"/.exec(page)?.[1];
    if (choice === undefined) throw new Error('no administrator on the sign-in page');
    return choice;
  });
}

/** Signs in with the choice `choose` picks from the sign-in page; returns the new session and its home page's token. */
async function signInChoosing(choose: (signInPage: string) => string | Promise<string>): Promise<Visit> {
  const page = await fetch(`${h.sandbox.url}/console/`);
  const anonymous = cookieOf(page);
  const html = await page.text();
  const answer = await post('/console/sign-in', anonymous, { _csrf: tokenOf(html), who: await choose(html) });
  expect(answer.status).toBe(303);
  const cookie = cookieOf(answer);
  const home = await get(answer.headers.get('location') ?? '', cookie);
  expect(home.status).toBe(200);
  return { cookie, token: tokenOf(await home.text()) };
}

async function requestsOf(username: string): Promise<number> {
  const answer = await h.call<{ results: { userName: string }[] }>('GET', '/api/v2/approvalflowrequest?limit=100');
  return answer.body.results.filter((r) => r.userName === username).length;
}

describe('the console session', () => {
  it('is a random id in an HttpOnly, SameSite=Lax cookie, replaced at sign-in and ended by signing out', async () => {
    const page = await fetch(`${h.sandbox.url}/console/`);
    const set = page.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^accessctl_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Lax$/);
    const anonymous = cookieOf(page);
    const answer = await post('/console/sign-in', anonymous, {
      _csrf: tokenOf(await page.text()),
      who: `65a000000000000000000001:user:${await h.userId('frank.em')}`,
    });
    expect(answer.headers.get('location')).toBe('/console/requests');
    const signedIn = cookieOf(answer);
    expect(signedIn).not.toBe(anonymous);
    // The id known before sign-in gained nothing.
    expect((await get('/console/requests', anonymous)).headers.get('location')).toBe('/console/');
    expect((await get('/console/requests', signedIn)).status).toBe(200);
    const token = tokenOf(await (await get('/console/requests', signedIn)).text());
    expect((await post('/console/sign-out', signedIn, { _csrf: token })).status).toBe(303);
    expect((await get('/console/requests', signedIn)).headers.get('location')).toBe('/console/');
  });

  it('refuses a sign-in that names nobody', async () => {
    const page = await fetch(`${h.sandbox.url}/console/`);
    const answer = await post('/console/sign-in', cookieOf(page), {
      _csrf: tokenOf(await page.text()),
      who: '65a000000000000000000001:user:000000000000000000000000',
    });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('Choose a user or administrator from the list.');
  });

  it('refuses a sign-in as a suspended user, as the platform does', async () => {
    const page = await fetch(`${h.sandbox.url}/console/`);
    const answer = await post('/console/sign-in', cookieOf(page), {
      _csrf: tokenOf(await page.text()),
      who: `65a000000000000000000001:user:${await h.userId('oscar')}`,
    });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('Choose a user or administrator from the list.');
  });

  it('lets onto each signed-in page only whom it is for: nobody is sent to sign in, a user is refused every administrator page and an administrator every user page', async () => {
    const nobodysRequest = '000000000000000000000000';
    const userPages = ['/console/flows', `/console/flows/${flows.user}`, '/console/requests', '/console/approvals'];
    const adminPages = [
      '/console/admin/queue',
      '/console/admin/flows',
      '/console/admin/settings',
      '/console/admin/insights',
      '/console/admin/mail',
      '/console/admin/deliveries',
    ];
    const eitherPages = [`/console/requests/${nobodysRequest}`];
    const forms = [`/console/flows/${flows.user}/request`, `/console/requests/${nobodysRequest}/decision`];
    const answers = (paths: string[], visit: (path: string) => Promise<Response>): Promise<string[]> =>
      Promise.all(
        paths.map(async (path) => {
          const answer = await visit(path);
          return `${path} ${answer.status} ${answer.headers.get('location') ?? ''} ${/this page is for (users|administrators)/.exec(await answer.text())?.[0] ?? ''}`.trim();
        }),
      );

    // Without a session every page sends the browser to sign in; a form needs a session's token, so it comes from an anonymous one.
    const noSession = await answers([...userPages, ...adminPages, ...eitherPages], (path) => fetch(`${h.sandbox.url}${path}`, { redirect: 'manual' }));
    expect(noSession).toEqual([...userPages, ...adminPages, ...eitherPages].map((path) => `${path} 303 /console/`));
    const page = await fetch(`${h.sandbox.url}/console/`);
    const anonymous = { cookie: cookieOf(page), token: tokenOf(await page.text()) };
    expect(await answers(forms, (path) => post(path, anonymous.cookie, { _csrf: anonymous.token }))).toEqual(forms.map((path) => `${path} 303 /console/`));

    const erin = await signIn('erin.em');
    expect(await answers(adminPages, (path) => get(path, erin.cookie))).toEqual(adminPages.map((path) => `${path} 403  this page is for administrators`));
    const admin = await signInAsAdmin();
    expect(await answers(userPages, (path) => get(path, admin.cookie))).toEqual(userPages.map((path) => `${path} 403  this page is for users`));
    const [requestForm = ''] = forms;
    expect(await answers([requestForm], (path) => post(path, admin.cookie, { _csrf: admin.token }))).toEqual([`${requestForm} 403  this page is for users`]);

    // A request's page is for both: each passes the gate and reaches the request's own lookup (there is no such request).
    for (const visit of [erin, admin]) {
      expect(await answers(eitherPages, (path) => get(path, visit.cookie))).toEqual(eitherPages.map((path) => `${path} 404`));
    }
  });
});

/** A request with a Host header of our choosing (fetch will not send one), as a DNS-rebinding page's would arrive. */
function withHost(method: string, path: string, host: string, body = ''): Promise<{ status: number; text: string }> {
  const url = new URL(path, h.sandbox.url);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' },
      },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text }));
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

describe('DNS rebinding', () => {
  it('refuses every console request whose Host is not a loopback name, so a rebound page cannot sign in', async () => {
    const port = new URL(h.sandbox.url).port;
    const page = await withHost('GET', '/console/', `evil.example:${port}`);
    expect(page.status).toBe(403);
    expect(page.text).toContain('answers only on a loopback address');
    const signIn = await withHost('POST', '/console/sign-in', `evil.example:${port}`, 'who=x');
    expect(signIn.status).toBe(403);
    // The control: the same request naming localhost is served.
    expect((await withHost('GET', '/console/', `localhost:${port}`)).status).toBe(200);
  });
});

describe('CSRF protection', () => {
  it('accepts a form with the session token from this origin (the control for the refusals below)', async () => {
    const erin = await signIn('erin.em');
    const before = await requestsOf('erin.em');
    const answer = await post(`/console/flows/${flows.admin}/request`, erin.cookie, { _csrf: erin.token, remarks: 'the control' });
    expect(answer.status).toBe(303);
    expect(await requestsOf('erin.em')).toBe(before + 1);
  });

  it('refuses a POST without the session token, or with another session token', async () => {
    const frank = await signIn('frank.em');
    const other = await signIn('erin.em');
    for (const fields of [{ remarks: 'no token' }, { _csrf: '', remarks: 'empty token' }, { _csrf: other.token, remarks: "another session's token" }]) {
      const answer = await post(`/console/flows/${flows.admin}/request`, frank.cookie, fields);
      expect(answer.status, fields.remarks).toBe(403);
      expect(await answer.text()).toContain('This form carried no valid token for your session');
    }
    expect(await requestsOf('frank.em')).toBe(0);
  });

  it('refuses a POST from another origin, or from no origin at all, even with the token', async () => {
    const frank = await signIn('frank.em');
    const forged = [{ origin: 'http://evil.example' }, { origin: 'http://localhost:1' }, { 'sec-fetch-site': 'cross-site' }, {}];
    for (const headers of forged) {
      const answer = await post(`/console/flows/${flows.admin}/request`, frank.cookie, { _csrf: frank.token, remarks: 'forged' }, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await requestsOf('frank.em')).toBe(0);
  });

  it('refuses a sign-in without the token (no login forgery)', async () => {
    const page = await fetch(`${h.sandbox.url}/console/`);
    const answer = await post('/console/sign-in', cookieOf(page), { who: `65a000000000000000000001:user:${await h.userId('frank.em')}` });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('set-cookie')).toBeNull();
  });
});

describe('console pages', () => {
  it('allow no script, no framing and no caching', async () => {
    const answer = await fetch(`${h.sandbox.url}/console/`);
    const csp = answer.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("refuse a reason longer than the API's limit, as the API does", async () => {
    const dave = await signIn('dave');
    const answer = await post(`/console/flows/${flows.user}/request`, dave.cookie, { _csrf: dave.token, remarks: 'x'.repeat(maxRemarksLength + 1) });
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain(`remarks must be at most ${maxRemarksLength} characters`);
    expect(await requestsOf('dave')).toBe(0);
  });

  it('say why a decision is refused, on the request page', async () => {
    const frank = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflowrequest',
      { approvalFlowId: flows.admin, remarks: 'release' },
      { 'x-sandbox-act-as': 'frank.em' },
    );
    expect(frank.status).toBe(201);
    const dana = await signIn('dana.cto');
    const path = `/console/requests/${frank.body.id}/decision`;
    expect((await post(path, dana.cookie, { _csrf: dana.token, status: 'approved' })).status).toBe(303);
    // A second decision: Dana approved level 1, and one person approves one level of a request.
    const again = await post(path, dana.cookie, { _csrf: dana.token, status: 'approved' });
    expect(again.status).toBe(403);
    const page = await again.text();
    expect(page).toContain('Not done:');
    expect(page).toContain('one person approves one level of a request');
  });

  it('keep the remark an administrator wrote when the decision is refused, so it is not typed again', async () => {
    // A flow of its own, so no request made by another test stands in the way of this one.
    const flow = await h.call<{ id: string }>('POST', '/api/v2/approvalflows', await githubAdminFlow(h, { name: 'GitHub Admin, remarks kept' }));
    expect(flow.status).toBe(200);
    const erin = await h.call<{ id: string }>(
      'POST',
      '/api/v2/approvalflowrequest',
      { approvalFlowId: flow.body.id, remarks: 'release' },
      { 'x-sandbox-act-as': 'erin.em' },
    );
    expect(erin.status).toBe(201);
    const admin = await signInAsAdmin();
    const refused = await post(`/console/requests/${erin.body.id}/decision`, admin.cookie, {
      _csrf: admin.token,
      status: 'later',
      remarks: 'Ask again on Monday',
    });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('choose Approve or Deny');
    expect(page).toMatch(/<textarea[^>]*>Ask again on Monday<\/textarea>/);
  });

  it('hide approval progress from requesters when the settings say so, as the API does', async () => {
    // Erin's request from the control test above waits on her manager.
    const list = await h.call<{ results: { id: string; userName: string; status: string }[] }>('GET', '/api/v2/approvalflowrequest?limit=100');
    const open = list.body.results.find((r) => r.userName === 'erin.em' && r.status === 'pending');
    if (open === undefined) throw new Error('erin has no pending request');
    const erin = await signIn('erin.em');
    const shown = await (await get(`/console/requests/${open.id}`, erin.cookie)).text();
    expect(shown).toContain('Every level must pass, in order');
    expect((await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: false })).status).toBe(200);
    try {
      const hidden = await (await get(`/console/requests/${open.id}`, erin.cookie)).text();
      expect(hidden).toContain('Approval progress is not shown to requesters');
      expect(hidden).not.toContain('Every level must pass, in order');
      // An approver still sees it.
      const dana = await signIn('dana.cto');
      expect(await (await get(`/console/requests/${open.id}`, dana.cookie)).text()).toContain('Every level must pass, in order');
    } finally {
      await h.call('PUT', '/api/v2/approvalflowsettings', { exposeApprovalProgress: true });
    }
  });
});

describe('a sandbox that cannot tell whether it still holds its database', () => {
  it("answers a page with a page a person reads (503, Retry-After), not the API's JSON", async () => {
    const erin = await signIn('erin.em');
    writable = false;
    try {
      const page = await get('/console/requests', erin.cookie);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('1');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).not.toBeNull();
      const html = await page.text();
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('The sandbox cannot serve this page now: this sandbox cannot tell whether it still holds its database');
    } finally {
      writable = true;
    }
  });

  it('refuses a form whose body came in after its lock lapsed, with the 503 page, and changes nothing', async () => {
    const erin = await signIn('erin.em');
    const before = await requestsOf('erin.em');
    const url = new URL(`/console/flows/${flows.admin}/request`, h.sandbox.url);
    // Asked once the headers are in (and answered yes); the body comes only after the lease lapsed.
    const checked = new Promise<void>((resolve) => {
      onWriteCheck = resolve;
    });
    // With its length said: a body of unsaid length is read whole (by the body limit) before any check.
    const body = new URLSearchParams({ _csrf: erin.token, remarks: 'sent as the process paused' }).toString();
    const answer = await new Promise<{ status: number; retryAfter: string | undefined; text: string }>((resolve, reject) => {
      const sent = request(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            cookie: erin.cookie,
            origin: h.sandbox.url,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], text }));
        },
      );
      sent.on('error', reject);
      sent.flushHeaders();
      void checked.then(() => {
        onWriteCheck = undefined;
        writable = false;
        sent.end(body);
      });
    });
    writable = true;
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(answer.text).toContain('The sandbox cannot serve this page now');
    expect(await requestsOf('erin.em')).toBe(before);
  });
});
