// The sandbox's web console, mounted at /console/ on the sandbox's own port in every profile (it is
// not API). Server-rendered pages, no script. Every change goes through the sandbox's own domain
// functions (submit, approve, deny), so the console and the API share one lifecycle.
import type { HttpBindings } from '@hono/node-server';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { ApiError } from '../api-error.js';
import { adminDecide, approverDecide, type AdminDecision, type ApproverDecision } from '../approvals.js';
import { waitingOn } from '../approvers.js';
import { validateBody } from '../body-validation.js';
import { listChannels } from '../channels.js';
import type { DeliveryWorker } from '../delivery.js';
import type { TestHooks } from '../faults.js';
import { flowView } from '../flows.js';
import { listMail } from '../mail.js';
import type { Profile } from '../profile.js';
import { queueViews } from '../request-model.js';
import { requireRequest } from '../request-store.js';
import { submitRequest, type AccessRequestSubmit } from '../request-submit.js';
import { listRequests, requestProgress, visibleRequest } from '../request-views.js';
import { getSettings } from '../settings.js';
import type { Actor, SandboxStore } from '../store.js';
import { groupNames } from '../user-groups.js';
import { findUser } from '../users.js';
import {
  DeliveriesPage,
  FlowsAdminPage,
  InsightsPage,
  MailPage,
  mailKinds,
  QueuePage,
  SettingsPage,
  statusFilters,
  deliveryStatusFilters,
  type InsightsFilters,
} from './admin-pages.js';
import { contentSecurityPolicy, Layout } from './layout.js';
import {
  channelNames,
  decidedByMe,
  eventTypesOf,
  filteredEvents,
  identities,
  myRequests,
  orgFlows,
  pageSize,
  principalFor,
  requestableFlows,
  stillExists,
  waitingOnMe,
} from './queries.js';
import { ConsoleSessions, csrfTokenMatches, sessionCookie, type ConsolePrincipal, type ConsoleSession } from './session.js';
import { isLoopbackHostHeader } from '../../protocols/loopback.js';
import { SignInPage } from './sign-in-page.js';
import { ApprovalsPage, FlowsPage, MyRequestsPage, RequestFormPage, RequestPage } from './user-pages.js';

export interface ConsoleDeps {
  store: SandboxStore;
  hooks: TestHooks | undefined;
  deliveries: DeliveryWorker | undefined;
  /** The sandbox's profile: decisions follow its rules (the pages are the same in both). */
  profile: Profile;
  /** Called after every change, so the timers and deliveries it made due start at once. */
  afterChange?: (() => void) | undefined;
  /**
   * Why the sandbox cannot serve its database now (it let go of it, or cannot tell that it still
   * holds it), after a short wait for its lock to say; undefined when it can. Asked before every
   * page and again once a form's body is read: a page then says so, with 503 and Retry-After.
   */
  unavailable?: (() => Promise<string | undefined>) | undefined;
}

type ConsoleEnv = { Bindings: HttpBindings; Variables: { session: ConsoleSession | undefined } };
/** A console request's context: a signed-in page's carries `who` as well, so the helpers take any such. */
type C<E extends ConsoleEnv = ConsoleEnv> = Context<E>;

/** Who is signed in, as a page behind `signedInAs` reads it: always present there. */
interface SignedIn {
  session: ConsoleSession;
  principal: ConsolePrincipal;
}
type SignedInEnv = ConsoleEnv & { Variables: { who: SignedIn } };

/**
 * The one gate of every signed-in page (after the session and CSRF middlewares): nobody signed in goes
 * to the sign-in page, someone of the other kind gets the 403 page, and the page reads `c.var.who`.
 * Without a kind, anyone signed in passes (a request's page serves users and administrators).
 */
function signedInAs(kind?: 'user' | 'admin'): MiddlewareHandler<SignedInEnv> {
  return createMiddleware<SignedInEnv>(async (c, next) => {
    const session = c.get('session');
    const principal = session?.principal;
    if (session === undefined || principal === undefined) return c.redirect('/console/', 303);
    if (kind !== undefined && principal.kind !== kind) {
      throw new ApiError(403, kind === 'admin' ? 'this page is for administrators: sign in as one' : 'this page is for users: sign in as one');
    }
    c.set('who', { session, principal });
    return next();
  });
}

/** What each redirect after a change says on the page it lands on (fixed words, never from the query). */
const notices: Record<string, string> = {
  submitted: 'Your request was submitted.',
  approved: 'You approved the request.',
  denied: 'You denied the request.',
  'signed-out': 'You are signed out.',
};

/** Gives the browser a session's id: HttpOnly, SameSite=Lax, sent only to the console's own paths. */
function setSessionCookie(c: C, session: ConsoleSession): void {
  setCookie(c, sessionCookie, session.id, { path: '/console', httpOnly: true, sameSite: 'Lax' });
}

/** A page of HTML, with the doctype. */
async function render<E extends ConsoleEnv>(c: C<E>, node: JSX.Element, status = 200): Promise<Response> {
  const text = await (await node).toString();
  return c.html(`<!doctype html>${text}`, status as 200);
}

/** An ApiError as one line for the page: the message, then each field's problem. */
function problemText(error: ApiError): string {
  const details = (error.details ?? []).map((d) => (d.field === '' ? d.message : `${d.field} ${d.message}`));
  return details.length === 0 ? error.message : `${error.message}: ${details.join('; ')}`;
}

function formString(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

/** A query parameter, at most `max` characters (longer is cut: filters only narrow). */
function queryParam<E extends ConsoleEnv>(c: C<E>, name: string, max = 320): string {
  return (c.req.query(name) ?? '').slice(0, max);
}

/** The query parameter `name` when it is one of `choices`, else `fallback`: a filter the page offers only these values for. */
function queryChoice<E extends ConsoleEnv>(c: C<E>, name: string, choices: readonly string[], fallback: string): string {
  const value = c.req.query(name);
  return value !== undefined && choices.includes(value) ? value : fallback;
}

function pageParam<E extends ConsoleEnv>(c: C<E>): number {
  const page = Number(c.req.query('page') ?? '0');
  return Number.isSafeInteger(page) && page >= 0 && page <= 10_000 ? page : 0;
}

export function consoleApp(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const { store, hooks, deliveries, profile } = deps;
  const sessions = new ConsoleSessions();
  const app = new Hono<ConsoleEnv>();

  const actorOf = <E extends ConsoleEnv>(c: C<E>, principal: ConsolePrincipal): Actor => ({
    orgId: principal.orgId,
    id: principal.id,
    type: principal.kind,
    email: principal.email,
    clientIp: c.env?.incoming?.socket?.remoteAddress,
  });

  const simplePage = (c: C, status: number, title: string, message: string): Promise<Response> => {
    const session = c.get('session');
    return render(
      c,
      <Layout title={title} section="sign-in" principal={session?.principal} csrfToken={session?.csrfToken ?? ''}>
        <p>{message}</p>
        <p>
          <a href="/console/">Sign in</a>
        </p>
      </Layout>,
      status,
    );
  };

  // Anyone who reaches the console may sign in as anyone, so it answers only a loopback Host: a page
  // of another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
  app.use('/console/*', async (c, next) => {
    if (!isLoopbackHostHeader(c.req.header('host'))) {
      return c.text(
        'The sandbox console answers only on a loopback address such as 127.0.0.1 or localhost; reach it through one (an SSH tunnel, for example).\n',
        403,
      );
    }
    return next();
  });

  /** The page a person gets while the sandbox cannot serve its database: it reads and writes nothing. */
  const unavailablePage = (c: C, why: string): Promise<Response> => {
    c.header('Retry-After', '1');
    return render(
      c,
      <Layout title="Try again in a moment" section="sign-in" principal={undefined} csrfToken="">
        <p>The sandbox cannot serve this page now: {why}.</p>
        <p>Nothing was changed. Reload the page in a moment; a form sent again is sent as new.</p>
      </Layout>,
      503,
    );
  };

  app.use('/console/*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', contentSecurityPolicy);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cache-Control', 'no-store');
  });

  // Before the session is read: reading may write, and the database may be another process's now.
  app.use('/console/*', async (c, next) => {
    const why = await deps.unavailable?.();
    if (why !== undefined) return unavailablePage(c, why);
    return next();
  });

  app.use('/console/*', async (c, next) => {
    const session = sessions.get(getCookie(c, sessionCookie));
    // A session whose user or administrator is gone since sign-in is signed out.
    if (session?.principal !== undefined && !stillExists(store, session.principal)) session.principal = undefined;
    c.set('session', session);
    return next();
  });

  // Every change is a POST from one of the console's own forms: the browser's Origin (or
  // Sec-Fetch-Site) must be this origin, and the form must carry the session's token.
  app.use('/console/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (c.req.method !== 'POST') return simplePage(c, 405, 'Not allowed', `${c.req.method} is not used by the console.`);
    return csrf()(c, next);
  });
  app.use('/console/*', async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const session = c.get('session');
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    const form = type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data' ? await c.req.parseBody() : {};
    // Asked again once the body is in, as the API asks: the process may have been paused while it came.
    // The handlers read the body this middleware parsed (hono keeps it), so nothing waits after this.
    const why = await deps.unavailable?.();
    if (why !== undefined) return unavailablePage(c, why);
    if (session === undefined || !csrfTokenMatches(session, form._csrf)) {
      return simplePage(
        c,
        403,
        'Form refused',
        'This form carried no valid token for your session: it expired (the sandbox restarted, or you signed in again), or it came from another site. Reload the page and try again.',
      );
    }
    return next();
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return simplePage(c, 403, 'Form refused', 'This form came from another origin: the console accepts forms only from its own pages.');
    }
    if (error instanceof ApiError) return simplePage(c, error.status, error.status === 404 ? 'Not found' : 'Refused', error.message);
    throw error;
  });

  const home = (principal: ConsolePrincipal): string => (principal.kind === 'admin' ? '/console/admin/queue' : '/console/requests');

  app.get('/console', (c) => c.redirect('/console/', 301));
  app.get('/console/', async (c) => {
    let session = c.get('session');
    if (session === undefined) {
      session = sessions.create();
      setSessionCookie(c, session);
      c.set('session', session);
    }
    return render(c, <SignInPage orgs={identities(store)} principal={session.principal} csrfToken={session.csrfToken} />);
  });

  app.post('/console/sign-in', async (c) => {
    const form = await c.req.parseBody();
    const [orgId = '', kind = '', id = ''] = formString(form, 'who').split(':');
    const principal = principalFor(store, orgId, kind, id);
    const before = c.get('session');
    if (principal === undefined) {
      return render(
        c,
        <SignInPage
          orgs={identities(store)}
          principal={before?.principal}
          csrfToken={before?.csrfToken ?? ''}
          error="Choose a user or administrator from the list."
        />,
        400,
      );
    }
    // A new session (id and token) at every sign-in: an id known before it never gains a principal.
    if (before !== undefined) sessions.delete(before.id);
    const session = sessions.create(principal);
    setSessionCookie(c, session);
    return c.redirect(home(principal), 303);
  });

  app.post('/console/sign-out', (c) => {
    const session = c.get('session');
    if (session !== undefined) sessions.delete(session.id);
    const fresh = sessions.create();
    setSessionCookie(c, fresh);
    return c.redirect('/console/', 303);
  });

  // ---- end users and approvers

  app.get('/console/flows', signedInAs('user'), (c) => {
    const { principal, session } = c.var.who;
    const open = new Map(
      myRequests(store, principal.orgId, principal.id)
        .filter((r) => r.status === 'pending' || r.status === 'missing_data')
        .map((r) => [r.approvalFlowId, r.id]),
    );
    return render(
      c,
      <FlowsPage
        principal={principal}
        csrfToken={session.csrfToken}
        flows={requestableFlows(store, principal.orgId, principal.id)}
        requestsOn={getSettings(store, principal.orgId).resourceRequest}
        open={open}
      />,
    );
  });

  const requestableFlow = (principal: ConsolePrincipal, id: string) => {
    const flow = requestableFlows(store, principal.orgId, principal.id).find((f) => f.id === id);
    if (flow === undefined) throw new ApiError(404, 'no approval flow with that id is open to your groups');
    return flow;
  };

  app.get('/console/flows/:id', signedInAs('user'), (c) => {
    const { principal, session } = c.var.who;
    const flow = requestableFlow(principal, c.req.param('id'));
    return render(c, <RequestFormPage principal={principal} csrfToken={session.csrfToken} flow={flow} />);
  });

  app.post('/console/flows/:id/request', signedInAs('user'), async (c) => {
    const { principal, session } = c.var.who;
    const flow = requestableFlow(principal, c.req.param('id'));
    const form = await c.req.parseBody();
    const remarks = formString(form, 'remarks');
    const duration = formString(form, 'requestedDuration');
    try {
      const body = validateBody<AccessRequestSubmit>('AccessRequestSubmit', {
        approvalFlowId: flow.id,
        remarks,
        ...(duration === '' ? {} : { requestedDuration: duration }),
      });
      const request = submitRequest(store, actorOf(c, principal), body, profile, hooks);
      return c.redirect(`/console/requests/${request.id}?done=submitted`, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return render(
        c,
        <RequestFormPage
          principal={principal}
          csrfToken={session.csrfToken}
          flow={flow}
          error={problemText(error)}
          remarks={remarks.slice(0, 4000)}
          duration={duration}
        />,
        error.status,
      );
    } finally {
      deps.afterChange?.();
    }
  });

  app.get('/console/requests', signedInAs('user'), (c) => {
    const { principal, session } = c.var.who;
    return render(
      c,
      <MyRequestsPage
        principal={principal}
        csrfToken={session.csrfToken}
        requests={myRequests(store, principal.orgId, principal.id)}
        showLevels={getSettings(store, principal.orgId).exposeApprovalProgress}
      />,
    );
  });

  app.get('/console/approvals', signedInAs('user'), (c) => {
    const { principal, session } = c.var.who;
    return render(
      c,
      <ApprovalsPage
        principal={principal}
        csrfToken={session.csrfToken}
        waiting={waitingOnMe(store, principal.orgId, principal.id)}
        decided={decidedByMe(store, principal.orgId, principal.id)}
      />,
    );
  });

  /** One request's page for whoever is signed in, with the refusal and the remark to show again after a refused decision. */
  const requestPage = (c: Context<SignedInEnv>, id: string, refused?: { status: number; error: string; remarks: string }) => {
    const { principal, session } = c.var.who;
    const actor = actorOf(c, principal);
    const request = principal.kind === 'admin' ? requireRequest(store, principal.orgId, id) : visibleRequest(store, actor, id);
    let progress: ReturnType<typeof requestProgress>['approvers'] | undefined;
    try {
      progress = requestProgress(store, actor, id).approvers;
    } catch (refused) {
      // 403: the settings hide approval progress from requesters.
      if (!(refused instanceof ApiError) || refused.status !== 403) throw refused;
    }
    const decide =
      principal.kind === 'admin'
        ? ['pending', 'missing_data', 'error'].includes(request.status)
          ? 'admin'
          : undefined
        : request.status === 'pending' && request.flow.nonAdminApproval && waitingOn(request).includes(principal.id)
          ? 'approver'
          : undefined;
    const people = new Map<string, string>();
    for (const approval of request.approvals) {
      const user = findUser(store, principal.orgId, approval.approverId);
      if (user !== undefined) people.set(user._id, `${user.displayname || user.username} (${user.email})`);
    }
    const done = c.req.query('done');
    return render(
      c,
      <RequestPage
        principal={principal}
        csrfToken={session.csrfToken}
        request={request}
        progress={progress}
        decide={decide}
        people={people}
        error={refused?.error}
        {...(refused === undefined ? {} : { remarks: refused.remarks })}
        notice={done !== undefined && Object.hasOwn(notices, done) ? notices[done] : undefined}
      />,
      refused?.status ?? 200,
    );
  };

  app.get('/console/requests/:id', signedInAs(), (c) => requestPage(c, c.req.param('id')));

  app.post('/console/requests/:id/decision', signedInAs(), async (c) => {
    const { principal } = c.var.who;
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const status = formString(form, 'status');
    const remarks = formString(form, 'remarks');
    const approvedDuration = formString(form, 'approvedDuration');
    const fields = {
      status,
      ...(remarks === '' ? {} : { remarks }),
      ...(approvedDuration === '' || status !== 'approved' ? {} : { approvedDuration }),
    };
    const actor = actorOf(c, principal);
    try {
      if (principal.kind === 'admin') {
        if (status !== 'approved' && status !== 'denied') throw new ApiError(400, 'choose Approve or Deny');
        adminDecide(store, actor, id, validateBody<AdminDecision>('AdminDecision', fields), hooks, profile);
      } else {
        visibleRequest(store, actor, id);
        approverDecide(store, actor, validateBody<ApproverDecision>('ApproverDecision', { id, ...fields }), hooks, profile);
      }
      return c.redirect(`/console/requests/${id}?done=${status}`, 303);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status === 404) throw error;
      return requestPage(c, id, { status: error.status, error: problemText(error), remarks: remarks.slice(0, 4000) });
    } finally {
      deps.afterChange?.();
    }
  });

  // ---- administrators

  app.get('/console/admin/queue', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const view = queryChoice(c, 'view', queueViews, 'administrator');
    const status = queryChoice(
      c,
      'status',
      statusFilters.map(([value]) => value),
      'open',
    );
    const page = pageParam(c);
    const params = new URLSearchParams({ queue: view, limit: String(pageSize), skip: String(page * pageSize) });
    if (status === 'open') params.set('status', 'pending|missing_data|error');
    else if (status !== 'any') params.set('status', status);
    const list = listRequests(store, actorOf(c, principal), params, 'default');
    return render(
      c,
      <QueuePage
        principal={principal}
        csrfToken={session.csrfToken}
        view={view}
        status={status}
        items={list.results}
        totalCount={list.totalCount}
        page={page}
      />,
    );
  });

  app.get('/console/admin/flows', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const orgId = principal.orgId;
    const groups = groupNames(store, orgId);
    const names = { group: (id: string) => groups.get(id) ?? '', user: (id: string) => findUser(store, orgId, id)?.displayname ?? '' };
    const shown = orgFlows(store, orgId).map((flow) => flowView(flow, names));
    return render(c, <FlowsAdminPage principal={principal} csrfToken={session.csrfToken} flows={shown} />);
  });

  app.get('/console/admin/settings', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const orgId = principal.orgId;
    return render(
      c,
      <SettingsPage
        principal={principal}
        csrfToken={session.csrfToken}
        settings={getSettings(store, orgId)}
        channels={listChannels(store, orgId, new URLSearchParams({ limit: '100', sort: 'name' })).results}
        channelNames={channelNames(store, orgId)}
      />,
    );
  });

  app.get('/console/admin/insights', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const orgId = principal.orgId;
    const types = eventTypesOf(store, orgId);
    const filters: InsightsFilters = {
      type: queryChoice(c, 'type', types, ''),
      initiator: queryParam(c, 'initiator').trim(),
      resource: queryParam(c, 'resource', 255).trim(),
      from: queryParam(c, 'from', 40).trim(),
      until: queryParam(c, 'until', 40).trim(),
    };
    const instant = (text: string): number | undefined => {
      if (text === '') return undefined;
      // A time without a zone is UTC, as the page says.
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`);
      return Number.isNaN(ms) ? Number.NaN : ms;
    };
    const fromMs = instant(filters.from);
    const untilMs = instant(filters.until);
    const bad = [Number.isNaN(fromMs ?? 0) ? 'From' : undefined, Number.isNaN(untilMs ?? 0) ? 'Until' : undefined].filter((f) => f !== undefined);
    const page = pageParam(c);
    const result =
      bad.length > 0
        ? { events: [], hasMore: false }
        : filteredEvents(store, orgId, {
            page,
            ...(filters.type === '' ? {} : { eventType: filters.type }),
            ...(filters.initiator === '' ? {} : { initiatedBy: filters.initiator }),
            ...(filters.resource === '' ? {} : { resourceName: filters.resource }),
            ...(fromMs === undefined ? {} : { fromMs }),
            ...(untilMs === undefined ? {} : { untilMs }),
          });
    return render(
      c,
      <InsightsPage
        principal={principal}
        csrfToken={session.csrfToken}
        filters={filters}
        eventTypes={types}
        events={result.events}
        page={page}
        hasMore={result.hasMore}
        error={bad.length === 0 ? undefined : `${bad.join(' and ')} must be a time such as 2026-03-01T09:00 (UTC) or 2026-03-01`}
      />,
      bad.length === 0 ? 200 : 400,
    );
  });

  app.get('/console/admin/mail', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const to = queryParam(c, 'to').trim();
    const kind = queryChoice(c, 'kind', mailKinds, '');
    const page = pageParam(c);
    const params = new URLSearchParams({ limit: String(pageSize), skip: String(page * pageSize) });
    if (to !== '') params.set('to', to);
    if (kind !== '') params.set('kind', kind);
    const mail = listMail(store, params, principal.orgId);
    return render(
      c,
      <MailPage principal={principal} csrfToken={session.csrfToken} to={to} kind={kind} messages={mail.results} totalCount={mail.totalCount} page={page} />,
    );
  });

  app.get('/console/admin/deliveries', signedInAs('admin'), (c) => {
    const { principal, session } = c.var.who;
    const status = queryChoice(c, 'status', deliveryStatusFilters, '');
    const params = new URLSearchParams({ limit: '200' });
    if (status !== '') params.set('status', status);
    const list = deliveries?.list(params, principal.orgId) ?? { results: [], totalCount: 0 };
    return render(
      c,
      <DeliveriesPage
        principal={principal}
        csrfToken={session.csrfToken}
        status={status}
        deliveries={list.results}
        totalCount={list.totalCount}
        channelNames={channelNames(store, principal.orgId)}
      />,
    );
  });

  app.all('/console/*', (c) => simplePage(c, 404, 'Not found', 'The console has no such page.'));

  return app;
}
