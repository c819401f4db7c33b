// The console as a hono app mounted beside /healthz, /readyz and /metrics: the objects, one page per
// object, the runs (live over server-sent events) and one page per run; for a fleet, /orgs and each
// org's pages under /orgs/NAME. Read-only (the caller answers 405 to anything but GET and HEAD).
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import { streamSSE } from 'hono/streaming';
import type { ManagedKind } from '../plan/plan.js';
import { printableLines } from '../plan/printable.js';
import { isLoopbackHostHeader } from '../protocols/loopback.js';
import { bearerMatches, type ConsoleAccess } from './access.js';
import { FleetConsole } from './fleet.js';
import { impactOfFlow, MANAGED_KINDS, OBJECT_STATES, type ConsoleModel, type ObjectState, type RunSummaryView } from './model.js';
import { BaseContext, FleetPage, Layout, Message, ObjectPage, ObjectsPage, orgBase, RunPage, RunsPage, type LayoutProps } from './pages.js';
import { RUNS_SCRIPT } from './runs-script.js';

/** Browsers following the runs at once; more get 503 (each holds a connection open). */
export const MAX_EVENT_STREAMS = 32;

/** Run events waiting to be written to one browser before it is let go. */
const MAX_WAITING_EVENTS = 64;

type Env = { Variables: { nonce: string } };

/** What the console shows: one reconciler's model, or a fleet runner's models by org. */
export type ConsoleSource = ConsoleModel | FleetConsole;

type Ctx = Context<Env>;

/** For a run sent to the runs page's script: its strings as the pages show them, bidi and zero-width marks escaped. */
function shownInBrowser(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? printableLines(value) : value;
}

interface Scope {
  model: ConsoleModel;
  /** Where its pages live ('' or /orgs/NAME). */
  base: string;
  layout: Pick<LayoutProps, 'fleet'>;
}

export function consoleApp(source: ConsoleSource, access: ConsoleAccess): Hono<Env> {
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

  /**
   * A whole page. JSX escapes markup; names from the platform can also carry bidi overrides and
   * zero-width marks, which escaping leaves in and a browser obeys, so the finished page shows every
   * one of them (and every control but tab and line breaks) as its `\u202e` escape. Nothing of the
   * console's own (layout, style, script) holds such a character.
   */
  const page = async (c: Ctx, props: Omit<LayoutProps, 'nonce'>, body: Child, base = ''): Promise<string> =>
    printableLines(
      String(
        await html`<!DOCTYPE html>${(
          <BaseContext.Provider value={base}>
            <Layout {...props} nonce={c.get('nonce')}>
              {body}
            </Layout>
          </BaseContext.Provider>
        )}`,
      ),
    );

  /** One reconciler's pages under `prefix` ('' or /orgs/:org), for the model `scope` finds (404 when none). */
  const pages = (prefix: string, scope: (c: Ctx) => Scope | undefined): void => {
    const notFound = (c: Ctx, fleet: LayoutProps['fleet']) =>
      c.html(page(c, { title: 'Not found', current: 'none', ...(fleet ? { fleet } : {}) }, <Message heading="Not found">{'No such page.'}</Message>), 404);

    app.get(`${prefix}/objects`, (c) => {
      const s = scope(c);
      if (s === undefined) return notFound(c, { org: undefined });
      const wanted = c.req.query('state');
      if (wanted !== undefined && !(OBJECT_STATES as readonly string[]).includes(wanted)) {
        return c.html(
          page(
            c,
            { title: 'Unknown state', current: 'objects', ...s.layout },
            <Message heading="Unknown state">{`state must be one of ${OBJECT_STATES.join(', ')}`}</Message>,
            s.base,
          ),
          400,
        );
      }
      const filter = wanted as ObjectState | undefined;
      return c.html(
        page(
          c,
          { title: 'Objects', current: 'objects', ...s.layout },
          <ObjectsPage objects={s.model.objects} filter={filter} latest={s.model.runs[0]} impact={s.model.pendingImpact} />,
          s.base,
        ),
      );
    });

    app.get(`${prefix}/objects/:kind/:name`, (c) => {
      const s = scope(c);
      if (s === undefined) return notFound(c, { org: undefined });
      const kind = c.req.param('kind');
      const name = c.req.param('name');
      const object = (MANAGED_KINDS as readonly string[]).includes(kind) ? s.model.object(kind as ManagedKind, name) : undefined;
      if (object === undefined) {
        return c.html(
          page(
            c,
            { title: 'Not found', current: 'objects', ...s.layout },
            <Message heading="No such object">{`No ${kind} named ${name} is known to this reconciler.`}</Message>,
            s.base,
          ),
          404,
        );
      }
      const impact = object.kind === 'ApprovalFlow' && object.pending !== undefined ? impactOfFlow(s.model.pendingImpact, object.name) : undefined;
      return c.html(page(c, { title: object.name, current: 'objects', ...s.layout }, <ObjectPage object={object} impact={impact} />, s.base));
    });

    app.get(`${prefix}/runs`, (c) => {
      const s = scope(c);
      if (s === undefined) return notFound(c, { org: undefined });
      return c.html(
        page(c, { title: 'Runs', current: 'runs', script: RUNS_SCRIPT, ...s.layout }, <RunsPage runs={s.model.runs} kept={s.model.limit('runs')} />, s.base),
      );
    });

    app.get(`${prefix}/runs/events`, (c) => {
      const s = scope(c);
      if (s === undefined) return notFound(c, { org: undefined });
      return follow(c, s.model);
    });

    app.get(`${prefix}/runs/:number`, (c) => {
      const s = scope(c);
      if (s === undefined) return notFound(c, { org: undefined });
      const text = c.req.param('number');
      const run = /^\d{1,9}$/.test(text) ? s.model.run(Number(text)) : undefined;
      if (run === undefined) {
        return c.html(
          page(
            c,
            { title: 'Not found', current: 'runs', ...s.layout },
            <Message heading="No such run">{`Run ${text} is not among the last ${s.model.limit('runs')} runs this reconciler keeps.`}</Message>,
            s.base,
          ),
          404,
        );
      }
      return c.html(page(c, { title: `Run #${run.number}`, current: 'runs', ...s.layout }, <RunPage run={run} />, s.base));
    });
  };

  /** The runs of one model as server-sent events, for the runs page. */
  const follow = (c: Ctx, model: ConsoleModel) => {
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
          .then(() => stream.writeSSE({ event: 'run', id: `${run.number}-${run.status}`, data: JSON.stringify(run, shownInBrowser) }))
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
  };

  if (source instanceof FleetConsole) {
    app.get('/', (c) => c.redirect('/orgs', 302));
    app.get('/orgs', (c) =>
      c.html(
        page(
          c,
          { title: `Fleet ${source.fleet}`, current: 'fleet', fleet: { org: undefined } },
          <FleetPage fleet={source.fleet} orgs={source.orgs.map((org) => ({ org, objects: source.model(org).objects, latest: source.model(org).runs[0] }))} />,
        ),
      ),
    );
    pages('/orgs/:org', (c) => {
      const org = c.req.param('org') ?? '';
      const model = source.known(org);
      return model === undefined ? undefined : { model, base: orgBase(org), layout: { fleet: { org } } };
    });
  } else {
    app.get('/', (c) => c.redirect('/objects', 302));
    pages('', () => ({ model: source, base: '', layout: {} }));
  }

  app.notFound((c) =>
    c.html(
      page(
        c,
        { title: 'Not found', current: 'none', ...(source instanceof FleetConsole ? { fleet: { org: undefined } } : {}) },
        <Message heading="Not found">{'No such page.'}</Message>,
      ),
      404,
    ),
  );
  return app;
}
