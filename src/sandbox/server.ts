// The sandbox's HTTP server: hono on @hono/node-server, bound to loopback. Wraps every route in
// one pipeline (count, auth, rate limit, faults, JSON body, the profile's rules, handler, errors)
// and owns start/stop.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AccessctlError } from '../errors.js';
import { ApiError, badRequest } from './api-error.js';
import { actorFor, authenticate, generateKey, hashKey, resolveOrg } from './auth.js';
import { validateBody } from './body-validation.js';
import { SandboxClock } from './clock.js';
import { damageAdvice, databaseDamageIn } from './database-damage.js';
import { DeliveryWorker } from './delivery.js';
import { TestHooks } from './faults.js';
import { runTimer } from './grants.js';
import { objectIdHint, protojsonView, readObjectId, unknownFields, withoutZeroValues, type Profile } from './profile.js';
import type { RetrySchedule } from './retry-schedule.js';
import { Scheduler } from './scheduler.js';
import { MAX_BODY_DEPTH, nestsDeeperThan } from './request-body.js';
import { routes, type Reply, type RouteDef } from './routes.js';
import { bootstrap, type SeedFile } from './seed.js';
import { consoleApp } from './console/app.js';
import { SandboxStore, type Actor } from './store.js';
import { findUserByLogin } from './users.js';

export const maxBodyBytes = 1024 * 1024;

export interface SandboxOptions {
  /** SQLite file; created with its folder when missing. ":memory:" for a throwaway database. */
  dbPath: string;
  /** 0 picks a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  seed?: SeedFile | undefined;
  enableTestHooks?: boolean;
  clock?: SandboxClock;
  /** Where operational messages go (never a key, a secret or a request body). */
  log?: (line: string) => void;
  /** Deliver webhooks to private, loopback and link-local addresses too (refused by default). */
  allowPrivateWebhooks?: boolean;
  /** The webhook retry schedule; JumpCloud's three retries with backoff by default. */
  webhookRetry?: Partial<RetrySchedule>;
  /** Jitter source for webhook retries (tests pin it). */
  random?: () => number;
  /**
   * The operator key for the global test hooks; minted at start when test hooks are on and none is
   * given. It is never stored: it opens this process's hooks only.
   */
  operatorKey?: string;
  /**
   * default: today's answers, sandbox extensions included. strict: the pessimistic reading of
   * JumpCloud's published API (published routes only, PUT replaces, closed bodies, protojson
   * responses, byte ids in base64). Test hooks and /openapi.json are served by both.
   */
  profile?: Profile;
  /**
   * Whether this process may write to its database now (the CLI's lock on the file: false while it
   * cannot tell that it still holds it). While false, requests answer 503 with Retry-After, and
   * timers and webhook attempts wait; nothing is written. Always true when not given.
   */
  mayWrite?: () => boolean;
  /**
   * Asks the lock at once whether this process still holds the file (a heartbeat), resolving with
   * mayWrite's answer after it. A request that finds mayWrite false waits for it (up to
   * confirmWaitMs) rather than answering 503 at once; a close confirms with it before it saves the
   * clock and checkpoints, and lets go without writing when it resolves false.
   */
  confirmWrite?: () => Promise<boolean>;
  /**
   * Called when work no request owns (a timer, a webhook outcome) finds the database damaged. The
   * sandbox has already let go of it (as relinquish(): nothing more is written, the port closes);
   * the caller reports `error` (SQLite's, with its code: see database-damage.ts) and stops. Without
   * it, the error is thrown from that timer, as an uncaught exception.
   */
  onDamage?: (error: Error) => void;
}

/** The longest a request waits for confirmWrite before it answers 503: a heartbeat takes milliseconds on a healthy disk. */
export const confirmWaitMs = 2000;

export interface RunningSandbox {
  url: string;
  port: number;
  /** An admin key valid against this database. */
  adminKey: string;
  /** True when adminKey was minted at this start (the database keeps only its hash). */
  adminKeyMinted: boolean;
  /** With test hooks: the key the clock, faults, rate limit and request count hooks need. */
  operatorKey: string | undefined;
  seeded: boolean;
  /** The profile the sandbox answers with. */
  profile: Profile;
  store: SandboxStore;
  clock: SandboxClock;
  hooks: TestHooks | undefined;
  /** The webhook delivery worker: emits 'attempt' after each attempt; whenIdle() waits for those in flight. */
  webhooks: DeliveryWorker;
  scheduler: Scheduler;
  /**
   * Stops serving and closes the database, saving the clock and checkpointing the log into the file
   * first, when mayWrite (confirmed with confirmWrite when it had lapsed) says it is still this
   * process's; otherwise it lets go without writing, as relinquish() does.
   */
  close(): Promise<void>;
  /**
   * Stops serving at once and lets go of the database without writing to it again: for a sandbox
   * whose database another process serves now (it lost the database's lock), or a damaged one. The
   * connection closes first, so nothing in flight (a request, a timer, a webhook attempt) writes
   * after it; then the port closes and open connections are cut. No clock save, no checkpoint.
   * Resolves when the port is closed; a later close() is this one.
   */
  relinquish(): Promise<void>;
}

const operatorOnly = "this test hook needs the sandbox's operator key (printed at start with --enable-test-hooks), not an organization's API key";

/** Compares two keys in constant time (by their SHA-256, so lengths may differ). */
function sameKey(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(hashKey(given), 'hex'), Buffer.from(hashKey(expected), 'hex'));
}

/** The sandbox-only header with which an admin key acts for a user (email or username). */
export const actAsHeader = 'x-sandbox-act-as';

type Env = { Bindings: HttpBindings; Variables: { requestId: string } };

function errorResponse(c: Context<Env>, error: ApiError, headers: Record<string, string> = {}): Response {
  return c.json(error.body(), error.status as 400, headers);
}

function isJsonMediaType(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

async function readJsonBody(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw badRequest('a JSON body is required');
  if (!isJsonMediaType(c.req.header('content-type'))) {
    throw new ApiError(415, 'the body must be JSON, sent with content-type: application/json');
  }
  // Checked on the text, before parsing: validation and storing recurse once per level.
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) throw badRequest(`the body nests deeper than ${MAX_BODY_DEPTH} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('the body is not valid JSON');
  }
}

/** Whether `pathname` is the web console's (served by consoleApp, which answers its own 503 page). */
function isConsolePath(pathname: string): boolean {
  return pathname === '/console' || pathname.startsWith('/console/');
}

/** Waits for `work`, but no longer than `ms`; whatever it resolves or rejects with is not wanted. */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work.catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

/** Builds the hono app over an open store; exported for in-process use (benchmarks, tests). */
export function createApp(deps: {
  store: SandboxStore;
  clock: SandboxClock;
  hooks: TestHooks | undefined;
  log: (line: string) => void;
  deliveries?: DeliveryWorker;
  /** Called after every request, so timers and deliveries it made due start at once. */
  afterRequest?: () => void;
  profile?: Profile;
  /** The key that opens the global test hooks (clock, faults, rate limit, request counts). */
  operatorKey?: string;
  /** Whether the database may be written now (SandboxOptions.mayWrite). */
  mayWrite?: () => boolean;
  /** Asks for a heartbeat at once (SandboxOptions.confirmWrite). */
  confirmWrite?: () => Promise<boolean>;
}): Hono<Env> {
  const { store, clock, hooks, log, deliveries, afterRequest, operatorKey } = deps;
  const mayWrite = deps.mayWrite ?? (() => true);
  const notServing = (): ApiError | undefined => {
    if (!store.db.open) return new ApiError(503, 'this sandbox has stopped serving its database');
    // Reads too: a read may write (a session, a lease), and the wait is one heartbeat.
    if (!mayWrite()) {
      return new ApiError(
        503,
        'this sandbox cannot tell whether it still holds its database (its lock was not refreshed in time: it was paused, or the refresh failed); try again in a moment',
      );
    }
    return undefined;
  };
  /** notServing, after waiting (a little) for a heartbeat when the lease lapsed: a healthy sandbox that woke answers at once. */
  const notServingAfterConfirming = async (): Promise<ApiError | undefined> => {
    if (notServing() === undefined || !store.db.open || deps.confirmWrite === undefined) return notServing();
    await withinMs(deps.confirmWrite(), confirmWaitMs);
    return notServing();
  };
  const profile = deps.profile ?? 'default';
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    // Set before the handler, so the response it makes carries it. c.header() after next() would
    // remake that response around a stream, off @hono/node-server's fast path for a body it holds:
    // a list page took half as long again. A Response made without c (only the 500 sent after a
    // test hook destroyed the socket) gets it on its own headers.
    c.header('x-request-id', requestId);
    await next();
    if (!c.res.headers.has('x-request-id')) c.res.headers.set('x-request-id', requestId);
  });
  app.use('*', async (c, next): Promise<Response | undefined> => {
    // The console answers its own pages with a page a person reads (see consoleApp's `unavailable`).
    if (isConsolePath(new URL(c.req.url).pathname)) {
      await next();
      return undefined;
    }
    const refusal = await notServingAfterConfirming();
    if (refusal !== undefined) return errorResponse(c, refusal, { 'Retry-After': '1' });
    await next();
    return undefined;
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      // Connection: close, since the unread rest of the body makes the connection unusable.
      onError: (c) => c.json(new ApiError(413, `the body is larger than ${maxBodyBytes} bytes`).body(), 413, { Connection: 'close' }),
    }),
  );

  // The web console: not API, so served in every profile, beside whatever the profile serves.
  app.route(
    '/',
    consoleApp({ store, hooks, deliveries, profile, afterChange: afterRequest, unavailable: async () => (await notServingAfterConfirming())?.message }),
  );

  const served = routes.filter(
    (route) => ((route.access !== 'operator' && route.access !== 'org-hook') || hooks !== undefined) && (profile !== 'strict' || route.origin !== 'extension'),
  );
  const noRoute = (c: Context<Env>): Response => errorResponse(c, new ApiError(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  for (const route of served) {
    app.on(route.method, honoPath(route.path), (c) => handle(c, route));
  }
  // A known path with a method it does not serve: 405 with Allow; an extension the profile does
  // not serve is unknown, as it is to JumpCloud.
  for (const path of [...new Set(served.map((r) => r.path))]) {
    const allow = served.filter((r) => r.path === path).map((r) => r.method);
    app.all(honoPath(path), (c) =>
      routes.some((r) => r.path === path && r.method === c.req.method)
        ? noRoute(c)
        : errorResponse(c, new ApiError(405, `${c.req.method} is not allowed on ${path}; use ${allow.join(', ')}`), {
            Allow: allow.join(', '),
          }),
    );
  }
  app.notFound(noRoute);
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    const requestId = c.get('requestId');
    const request = `request ${requestId} (${c.req.method} ${new URL(c.req.url).pathname})`;
    // A damaged page is the operator's to fix, not a bug: the line names the file and what to do.
    // Only SQLite's code and words are said (never the statement or a value), and the answer stays generic.
    const damage = databaseDamageIn(error);
    if (damage !== undefined) {
      const advice = damageAdvice(damage, 'stop the sandbox and start it with --db naming another file, which creates a new database');
      log(`${request} failed: the sandbox database ${store.path} is damaged (${damage.code}: ${damage.message}). ${advice}`);
    } else {
      log(`${request} failed: ${error.name}: ${error.message}`);
    }
    return c.json({ code: 'INTERNAL', message: `internal error; request id ${requestId}`, status: 500, requestId }, 500);
  });

  async function handle(c: Context<Env>, route: RouteDef): Promise<Response> {
    const key = `${route.method} ${route.path}`;
    hooks?.count(key);
    const query = new URL(c.req.url).searchParams;
    // Public and operator routes act in no org; org, user and org-hook routes read the actor.
    let actor: Actor = { orgId: '', id: '', type: 'admin', email: '' };
    const apiKey = c.req.header('x-api-key');
    const operator = operatorKey !== undefined && apiKey !== undefined && sameKey(apiKey, operatorKey);
    const hookRoute = route.access === 'operator' || route.access === 'org-hook';
    if (route.access === 'operator') {
      if (!operator) {
        if (apiKey === undefined || apiKey === '') throw new ApiError(401, 'missing x-api-key header');
        authenticate(store, apiKey);
        throw new ApiError(403, operatorOnly);
      }
      if (c.req.header('x-org-id') !== undefined) throw new ApiError(403, 'ID included on unsupported route: this route takes no x-org-id');
    } else if (route.access !== 'public' && operator) {
      if (route.access !== 'org-hook') throw new ApiError(403, 'the operator key opens only the test hooks under /sandbox/v1; use an API key');
      if (c.req.header('x-org-id') !== undefined) throw new ApiError(403, 'the operator key reads every organization: send no x-org-id');
    } else if (route.access !== 'public') {
      const principal = authenticate(store, apiKey);
      const orgRoute = route.access === 'org' || route.access === 'user' || route.access === 'org-hook';
      if (principal.kind !== 'admin' && route.access !== 'user') {
        throw new ApiError(403, 'this route needs an administrator key; the key belongs to a user');
      }
      const actAs = c.req.header(actAsHeader);
      if (profile === 'strict' && actAs !== undefined && !hookRoute) {
        throw new ApiError(400, `${actAsHeader} is a sandbox extension, refused by --profile strict; use the user's own API key`);
      }
      // A byte field on the protobuf services: base64 ObjectId bytes in strict, hex accepted too by default.
      const queryOrg = query.get('organizationObjectId') ?? '';
      const requestedOrg = queryOrg === '' ? undefined : readQueryOrg(queryOrg, route.protobuf ? profile : 'default');
      const orgId = resolveOrg(principal, c.req.header('x-org-id'), { orgScoped: orgRoute, organizationObjectId: requestedOrg });
      // The hook routes are the controls: they are never limited or faulted themselves.
      if (hooks !== undefined && orgRoute && !hookRoute) {
        const taken = hooks.take(principal.keyId);
        if (!taken.ok) {
          return errorResponse(c, new ApiError(429, 'rate limit exceeded for this API key'), {
            'Retry-After': String(taken.retryAfterSeconds),
          });
        }
      }
      actor = actorFor(principal, orgId ?? '', c.env.incoming.socket.remoteAddress);
      if (actAs !== undefined) {
        if (route.access !== 'user') throw new ApiError(400, `${actAsHeader} is only accepted on end-user routes (access requests and approvals)`);
        if (principal.kind !== 'admin') throw new ApiError(403, `${actAsHeader} needs an administrator key`);
        const user = findUserByLogin(store, actor.orgId, actAs);
        if (user === undefined) throw new ApiError(404, `${actAsHeader}: no user with the email or username "${actAs}"`);
        actor = { orgId: actor.orgId, id: user._id, type: 'user', email: user.email, clientIp: actor.clientIp };
      }
    }
    const decision = hooks !== undefined && !hookRoute ? hooks.decide(key) : undefined;
    if (decision !== undefined) {
      if (decision.latencyMs > 0) await clock.sleep(decision.latencyMs);
      if (decision.reset) {
        c.env.incoming.socket.destroy();
        return new Response(null, { status: 500 });
      }
      if (decision.errorStatus !== undefined) {
        return errorResponse(c, new ApiError(decision.errorStatus, 'injected fault'));
      }
    }
    let body = route.body ? await readJsonBody(c) : undefined;
    // A request that waited (its body, an injected latency) past relinquish() or a pause: checked again.
    const refusal = await notServingAfterConfirming();
    if (refusal !== undefined) throw refusal;
    if (profile === 'strict' && route.requestBody !== undefined) {
      // protojson (and a pessimistic JSON reader) refuses a field the message does not define.
      const unknown = unknownFields(body, route.requestBody);
      if (unknown.length > 0) throw badRequest('the body has fields the published request does not define', unknown);
    }
    // protojson cannot tell a zero value from a field left out: strict reads them alike.
    if (profile === 'strict' && route.protobuf) body = withoutZeroValues(body);
    // The description is the one source of structure; handlers check only what it cannot say.
    if (route.bodySchema !== undefined) body = validateBody(route.bodySchema, body);
    let reply: Reply;
    try {
      reply = route.handle({
        store,
        clock,
        hooks,
        deliveries,
        params: c.req.param() as Record<string, string>,
        query,
        body,
        actor,
        operator,
        profile,
      });
    } finally {
      afterRequest?.();
    }
    if (decision?.resetAfter) {
      // The write is committed; the client never hears so.
      c.env.incoming.socket.destroy();
      return new Response(null, { status: 500 });
    }
    if (reply.status === 204) return c.body(null, 204, reply.headers);
    const replyBody = profile === 'strict' && route.protobuf ? protojsonView(reply.body ?? {}) : (reply.body ?? {});
    // A body the store kept (a list page read again) has its JSON text kept too.
    const keptText = store.keptJson(replyBody);
    if (keptText !== undefined) return c.body(keptText, reply.status as 200, { 'content-type': 'application/json', ...reply.headers });
    return c.json(replyBody, reply.status as 200, reply.headers);
  }

  return app;
}

/** The organizationObjectId query parameter as a hex id; a value that is no id is passed on, to be refused as not matching. */
function readQueryOrg(value: string, profile: Profile): string {
  const hex = readObjectId(value, profile);
  if (hex !== undefined) return hex;
  if (profile === 'strict') throw badRequest('invalid organizationObjectId', [{ field: 'organizationObjectId', message: objectIdHint(profile) }]);
  return value;
}

/** Opens (or creates) the database, applies the seed, and listens on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const clock = options.clock ?? new SandboxClock();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let store: SandboxStore;
  try {
    store = new SandboxStore(options.dbPath, clock);
  } catch (error) {
    throw new AccessctlError('io', `cannot open the sandbox database ${options.dbPath}: ${(error as Error).message}`, {
      cause: error,
      subject: '--db',
    });
  }
  let boot: ReturnType<typeof bootstrap>;
  try {
    boot = bootstrap(store, options.seed);
  } catch (error) {
    store.close();
    throw error;
  }
  const hooks = options.enableTestHooks ? new TestHooks(clock) : undefined;
  const operatorKey = hooks === undefined ? undefined : (options.operatorKey ?? generateKey('operator'));
  const webhooks = new DeliveryWorker({
    store,
    clock,
    log,
    ...(options.webhookRetry === undefined ? {} : { schedule: options.webhookRetry }),
    allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.mayWrite === undefined ? {} : { mayWrite: options.mayWrite }),
    onError: (error) => unowned(error),
  });
  const scheduler = new Scheduler({
    store,
    clock,
    log,
    run: (timer) => runTimer(store, timer),
    work: [webhooks],
    ...(options.mayWrite === undefined ? {} : { mayWrite: options.mayWrite }),
    onError: (error) => unowned(error),
  });
  webhooks.onSettled(() => {
    try {
      scheduler.kick();
    } catch (error) {
      unowned(error);
    }
  });
  /**
   * What work no request owns (a timer, a webhook outcome) failed with: damage lets go of the file
   * at once and is handed to onDamage; anything else (or damage without onDamage) is thrown, uncaught.
   */
  const unowned = (error: unknown): void => {
    if (options.onDamage === undefined || databaseDamageIn(error) === undefined || !(error instanceof Error)) throw error;
    void relinquish();
    options.onDamage(error);
  };
  const profile = options.profile ?? 'default';
  const app = createApp({
    store,
    clock,
    hooks,
    log,
    deliveries: webhooks,
    afterRequest: () => scheduler.kick(),
    profile,
    ...(operatorKey === undefined ? {} : { operatorKey }),
    ...(options.mayWrite === undefined ? {} : { mayWrite: options.mayWrite }),
    ...(options.confirmWrite === undefined ? {} : { confirmWrite: options.confirmWrite }),
  });
  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({ fetch: app.fetch });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8080, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AccessctlError('conflict', `port ${options.port ?? 8080} on ${host} is already in use; pick another with --port (0 picks a free one)`, {
        cause: error,
        subject: '--port',
      });
    }
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  // Catches up on whatever fell due while the sandbox was down, then follows the clock.
  try {
    scheduler.start();
  } catch (error) {
    // A catch-up that fails (a damaged timers table) leaves no port open and no file held.
    scheduler.stop();
    await webhooks.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      store.close();
    } catch {
      store.closeWithoutWriting(); // close() writes the clock first, which a damaged file may refuse
    }
    throw error;
  }
  let closing: Promise<void> | undefined;
  /** Stops timers, deliveries and sleeps; closes the port, cutting open connections; then runs `after`. */
  const stopServing = (after: () => void | Promise<void>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      scheduler.stop();
      const stopped = webhooks.stop();
      clock.releaseAll();
      server.close(() => {
        void stopped.then(after).then(resolve, reject);
      });
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
  const mayWrite = options.mayWrite ?? (() => true);
  /**
   * A close's last step: the clock save and checkpoint write into the file, so only while it is
   * still this process's. A lease that lapsed (a pause just before the stop) is confirmed first; a
   * lock lost or left unconfirmed lets go without writing, as relinquish() does.
   */
  const closeStore = async (): Promise<void> => {
    if (!store.db.open) return;
    // Bounded as a request's wait is: a lock on a hung file system must not hang a Ctrl-C (unconfirmed, it writes nothing).
    if (!mayWrite() && options.confirmWrite !== undefined) await withinMs(options.confirmWrite(), confirmWaitMs);
    if (mayWrite()) {
      store.close();
      return;
    }
    if (store.db.open)
      log(`closed the sandbox database ${store.path} without saving the clock or checkpointing: this process could not confirm it still holds its lock`);
    store.closeWithoutWriting();
  };
  const relinquish = (): Promise<void> => {
    // Closed before anything else: a timer or an attempt that settles while the port closes finds it closed.
    store.closeWithoutWriting();
    closing ??= stopServing(() => {});
    return closing;
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    adminKey: boot.adminKey,
    adminKeyMinted: boot.minted,
    operatorKey,
    seeded: boot.seeded,
    profile,
    store,
    clock,
    hooks,
    webhooks,
    scheduler,
    close: () => {
      closing ??= stopServing(closeStore);
      return closing;
    },
    relinquish,
  };
}
