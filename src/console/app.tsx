// The reconciler's console as a hono app mounted beside /healthz, /readyz and /metrics: the objects,
// one page per object, the runs (live over server-sent events) and one page per run. Read-only:
// the caller answers 405 to anything but GET and HEAD; here a bearer token or a loopback Host is checked first.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { streamSSE } from 'hono/streaming';
import type { ManagedKind } from '../plan/plan.js';
import { bearerMatches, isLoopbackHostHeader, type ConsoleAccess } from './access.js';
import { impactOfFlow, MANAGED_KINDS, OBJECT_STATES, type ConsoleModel, type ObjectState, type RunSummaryView } from './model.js';
import { Layout, Message, ObjectPage, ObjectsPage, RunPage, RunsPage, type LayoutProps } from './pages.js';
import { RUNS_SCRIPT } from './runs-script.js';

/** Browsers following the runs at once; more get 503 (each holds a connection open). */
export const MAX_EVENT_STREAMS = 32;

/** Run events waiting to be written to one browser before it is let go. */
const MAX_WAITING_EVENTS = 64;

type Env = { Variables: { nonce: string } };

export function consoleApp(model: ConsoleModel, access: ConsoleAccess): Hono<Env> {
  const app = new Hono<Env>();
  let streams = 0;

  app.use('*', async (c, next) => {
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    if (access.token !== undefined && !bearerMatches(c.req.header('authorization'), access.token)) {
      c.header('www-authenticate', 'Bearer realm="accessctl console"');
      return c.text('the console needs the token of ACCESSCTL_CONSOLE_TOKEN as "Authorization: Bearer <token>"\n', 401);
    }
    if (access.loopbackOnly && !isLoopbackHostHeader(c.req.header('host'))) {
      return c.text('the console answers only requests for a loopback host (127.0.0.1, [::1] or localhost)\n', 403);
    }
    const nonce = randomBytes(16).toString('base64');
    c.set('nonce', nonce);
    c.header(
      'content-security-policy',
      `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    await next();
    return undefined;
  });

  const page = (c: { get: (key: 'nonce') => string }, props: Omit<LayoutProps, 'nonce'>, body: Child) =>
    html`<!DOCTYPE html>${(
      <Layout {...props} nonce={c.get('nonce')}>
        {body}
      </Layout>
    )}`;

  app.get('/', (c) => c.redirect('/objects', 302));

  app.get('/objects', (c) => {
    const wanted = c.req.query('state');
    if (wanted !== undefined && !(OBJECT_STATES as readonly string[]).includes(wanted)) {
      return c.html(
        page(
          c,
          { title: 'Unknown state', current: 'objects' },
          <Message heading="Unknown state">{`state must be one of ${OBJECT_STATES.join(', ')}`}</Message>,
        ),
        400,
      );
    }
    const filter = wanted as ObjectState | undefined;
    return c.html(
      page(
        c,
        { title: 'Objects', current: 'objects' },
        <ObjectsPage objects={model.objects} filter={filter} latest={model.runs[0]} impact={model.pendingImpact} />,
      ),
    );
  });

  app.get('/objects/:kind/:name', (c) => {
    const kind = c.req.param('kind');
    const name = c.req.param('name');
    const object = (MANAGED_KINDS as readonly string[]).includes(kind) ? model.object(kind as ManagedKind, name) : undefined;
    if (object === undefined) {
      return c.html(
        page(
          c,
          { title: 'Not found', current: 'objects' },
          <Message heading="No such object">{`No ${kind} named ${name} is known to this reconciler.`}</Message>,
        ),
        404,
      );
    }
    const impact = object.kind === 'ApprovalFlow' && object.pending !== undefined ? impactOfFlow(model.pendingImpact, object.name) : undefined;
    return c.html(page(c, { title: object.name, current: 'objects' }, <ObjectPage object={object} impact={impact} />));
  });

  app.get('/runs', (c) => c.html(page(c, { title: 'Runs', current: 'runs', script: RUNS_SCRIPT }, <RunsPage runs={model.runs} kept={model.limit('runs')} />)));

  app.get('/runs/events', (c) => {
    if (streams >= MAX_EVENT_STREAMS) return c.text('too many browsers follow the runs; reload later\n', 503);
    streams++;
    return streamSSE(c, async (stream) => {
      // Writes go out in order: each waits for the one before it. A browser that reads none of
      // them is let go rather than have them pile up in memory; its page says to reload.
      let chain = Promise.resolve();
      let waiting = 0;
      const send = (run: RunSummaryView): void => {
        if (waiting >= MAX_WAITING_EVENTS) {
          stream.abort();
          return;
        }
        waiting++;
        chain = chain
          .then(() => stream.writeSSE({ event: 'run', id: `${run.number}-${run.status}`, data: JSON.stringify(run) }))
          .catch(() => {})
          .finally(() => waiting--);
      };
      const unsubscribe = model.subscribe(send);
      const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
      try {
        await stream.write(': following the runs\n\n');
        await closed;
      } finally {
        unsubscribe();
        streams--;
      }
    });
  });

  app.get('/runs/:number', (c) => {
    const text = c.req.param('number');
    const run = /^\d{1,9}$/.test(text) ? model.run(Number(text)) : undefined;
    if (run === undefined) {
      return c.html(
        page(
          c,
          { title: 'Not found', current: 'runs' },
          <Message heading="No such run">{`Run ${text} is not among the last ${model.limit('runs')} runs this reconciler keeps.`}</Message>,
        ),
        404,
      );
    }
    return c.html(page(c, { title: `Run #${run.number}`, current: 'runs' }, <RunPage run={run} />));
  });

  app.notFound((c) => c.html(page(c, { title: 'Not found', current: 'none' }, <Message heading="Not found">{'No such page.'}</Message>), 404));
  return app;
}
