// A local fake of the GitHub REST API (hono on 127.0.0.1): the token's identity, issue comments,
// labels and check runs. It records every request, checks each (and the identity and comment
// answers) against GitHub's OpenAPI description and can inject faults.
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { openApiValidator, type Description } from './openapi-validator.js';

export interface RecordedRequest {
  method: string;
  /** Below the API base, without the /api/v3 prefix. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  operationId: string | undefined;
  /** Whether a fault answered it instead of the fake. */
  faulted: boolean;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: string;
}

export interface FakeAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: string;
  message: string;
  title?: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  output: { title: string; summary: string };
  annotations: FakeAnnotation[];
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export interface FakeGithub {
  /** The API base URL to give octokit: http://127.0.0.1:PORT plus the prefix. */
  url: string;
  requests: RecordedRequest[];
  /** Every way a request broke GitHub's OpenAPI description or the token rule; tests expect none. */
  violations: string[];
  comments: FakeComment[];
  labels: Map<number, string[]>;
  checkRuns: FakeCheckRun[];
  fail(fault: Fault): void;
  close(): Promise<void>;
}

export interface FakeGithubOptions {
  token: string;
  owner?: string;
  repo?: string;
  /** '' for github.com, '/api/v3' for GitHub Enterprise Server. */
  prefix?: string;
  description?: Description;
  /**
   * Who the token is. A user token answers GET /user; an installation token (Actions' GITHUB_TOKEN,
   * an app's) gets 403 there, as on GitHub, and its login only from GraphQL's viewer. Comments the
   * fake creates are written by it. Default: the Actions token, github-actions[bot].
   */
  identity?: { login: string; kind: 'user' | 'installation' };
}

/** GitHub's own ids for the Actions bot; any other login gets a stable made-up one. */
const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282 };
/** The only GraphQL query the fake answers (whitespace aside); any other is a violation. */
const VIEWER_QUERY = 'query { viewer { login } }';
/** Operations whose answers are checked against the description too: the ones identity rests on. */
const CHECKED_RESPONSES = new Set(['users/get-authenticated', 'issues/list-comments', 'issues/create-comment', 'issues/update-comment']);

function userId(login: string): number {
  if (login === ACTIONS_BOT.login) return ACTIONS_BOT.id;
  let hash = 7;
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 2_000_000_000;
  return hash + 1;
}

/** A simple-user, as GitHub embeds it in a comment's `user`. */
function simpleUser(login: string): Record<string, unknown> {
  const name = encodeURIComponent(login);
  const api = `https://api.github.com/users/${name}`;
  return {
    login,
    id: userId(login),
    node_id: `U_${userId(login)}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${userId(login)}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: login.endsWith('[bot]') ? `https://github.com/apps/${name.replace(/%5Bbot%5D$/, '')}` : `https://github.com/${name}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GET /user for a user token: the public view of the account. */
function authenticatedUser(login: string): Record<string, unknown> {
  return {
    ...simpleUser(login),
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 3,
    public_gists: 0,
    followers: 1,
    following: 0,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

/** A GraphQL request, checked as GitHub would: a POSTed JSON object with a query; only the viewer query is served. */
function checkGraphql(method: string, text: string): { operationId: string | undefined; problems: string[] } {
  if (method !== 'POST') return { operationId: undefined, problems: [`GraphQL takes POST, not ${method}`] };
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return { operationId: 'graphql', problems: ['the GraphQL body is not JSON'] };
  }
  const query = (request as { query?: unknown } | null)?.query;
  if (typeof query !== 'string') return { operationId: 'graphql', problems: ['the GraphQL body has no query'] };
  if (query.replace(/\s+/g, ' ').trim() !== VIEWER_QUERY) return { operationId: 'graphql', problems: [`the fake answers only ${VIEWER_QUERY}, not ${query}`] };
  return { operationId: 'graphql/viewer', problems: [] };
}

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const prefix = options.prefix ?? '';
  const identity = options.identity ?? { login: ACTIONS_BOT.login, kind: 'installation' as const };
  // @octokit/graphql's endpoint: /graphql on github.com, /api/graphql beside GHES's /api/v3.
  const graphqlPath = prefix === '' ? '/graphql' : prefix.replace(/\/v3$/, '/graphql');
  const validator = openApiValidator(options.description ?? 'api.github.com');
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const comments: FakeComment[] = [];
  const labels = new Map<number, string[]>();
  const checkRuns: FakeCheckRun[] = [];
  const faults: (Fault & { left: number })[] = [];
  let nextId = 1000;
  let origin = '';

  const app = new Hono();
  const api = prefix === '' ? app : app.basePath(prefix);

  const commentJson = (c: FakeComment): Record<string, unknown> => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${origin}${prefix}/repos/${options.owner ?? 'o'}/${options.repo ?? 'r'}/issues/comments/${c.id}`,
    html_url: `https://github.example/${options.owner}/${options.repo}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${origin}${prefix}/repos/${options.owner ?? 'o'}/${options.repo ?? 'r'}/issues/${c.issue}`,
    body: c.body,
    user: simpleUser(c.user),
    created_at: '2026-03-01T09:00:00Z',
    updated_at: '2026-03-01T09:00:00Z',
    author_association: 'NONE',
  });
  const labelJson = (name: string): Record<string, unknown> => ({
    id: name.length,
    node_id: `LA_${name}`,
    url: '',
    name,
    color: 'b60205',
    default: false,
    description: null,
  });
  const checkJson = (run: FakeCheckRun): Record<string, unknown> => ({
    id: run.id,
    head_sha: run.head_sha,
    name: run.name,
    status: run.status,
    conclusion: run.conclusion,
    html_url: `https://github.example/${options.owner}/${options.repo}/runs/${run.id}`,
    output: { title: run.output.title, summary: run.output.summary, annotations_count: run.annotations.length },
  });
  const readJson = async (c: Context): Promise<Record<string, unknown>> => JSON.parse(await c.req.text()) as Record<string, unknown>;

  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const isGraphql = url.pathname === graphqlPath;
    const path = isGraphql ? url.pathname : url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const text = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.raw.clone().text();
    const verdict = isGraphql
      ? checkGraphql(c.req.method, text)
      : validator.validate({ method: c.req.method, path, query: url.searchParams, contentType: c.req.header('content-type'), body: text });
    for (const problem of verdict.problems) violations.push(`${c.req.method} ${path}: ${problem}`);
    if (!isGraphql && !url.pathname.startsWith(prefix)) violations.push(`${c.req.method} ${url.pathname}: outside the API prefix ${prefix}`);
    const auth = c.req.header('authorization') ?? '';
    const fault = faults.find((f) => f.left > 0 && f.method === c.req.method && f.path.test(path));
    requests.push({
      method: c.req.method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
      operationId: verdict.operationId,
      faulted: fault !== undefined,
    });
    if (auth.toLowerCase() !== `token ${options.token}`.toLowerCase() && auth.toLowerCase() !== `bearer ${options.token}`.toLowerCase()) {
      return c.json({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' }, 401);
    }
    if (fault) {
      fault.left--;
      return c.json(fault.body as object, fault.status as 403, fault.headers ?? {});
    }
    if (verdict.problems.length > 0) return c.json({ message: 'Validation Failed', errors: verdict.problems, status: '422' }, 422);
    await next();
    if (verdict.operationId !== undefined && CHECKED_RESPONSES.has(verdict.operationId) && c.res.status < 300) {
      const answer = (await c.res.clone().json()) as unknown;
      for (const problem of validator.validateResponse(verdict.operationId, c.res.status, answer))
        violations.push(`${c.req.method} ${path} answered: ${problem}`);
    }
    return undefined;
  });

  api.get('/user', (c) =>
    identity.kind === 'user'
      ? c.json(authenticatedUser(identity.login))
      : c.json(
          {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          },
          403,
        ),
  );
  app.post(graphqlPath, (c) => c.json({ data: { viewer: { login: identity.login } } }));

  api.get('/repos/:owner/:repo/issues/:issue/comments', (c) => {
    const issue = Number(c.req.param('issue'));
    const perPage = Number(c.req.query('per_page') ?? 30);
    const page = Number(c.req.query('page') ?? 1);
    const all = comments.filter((x) => x.issue === issue);
    const slice = all.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < all.length) {
      const next = new URL(c.req.url);
      next.searchParams.set('page', String(page + 1));
      headers['link'] = `<${next.toString()}>; rel="next"`;
    }
    return c.json(slice.map(commentJson), 200, headers);
  });
  api.post('/repos/:owner/:repo/issues/:issue/comments', async (c) => {
    const body = await readJson(c);
    const comment = { id: nextId++, issue: Number(c.req.param('issue')), body: String(body['body']), user: identity.login };
    comments.push(comment);
    return c.json(commentJson(comment), 201);
  });
  api.patch('/repos/:owner/:repo/issues/comments/:id', async (c) => {
    const comment = comments.find((x) => x.id === Number(c.req.param('id')));
    if (!comment) return c.json({ message: 'Not Found' }, 404);
    comment.body = String((await readJson(c))['body']);
    return c.json(commentJson(comment));
  });
  api.get('/repos/:owner/:repo/issues/:issue/labels', (c) => c.json((labels.get(Number(c.req.param('issue'))) ?? []).map(labelJson)));
  api.post('/repos/:owner/:repo/issues/:issue/labels', async (c) => {
    const issue = Number(c.req.param('issue'));
    const added = (await readJson(c))['labels'] as string[];
    const now = [...new Set([...(labels.get(issue) ?? []), ...added])];
    labels.set(issue, now);
    return c.json(now.map(labelJson));
  });
  api.delete('/repos/:owner/:repo/issues/:issue/labels/:name', (c) => {
    const issue = Number(c.req.param('issue'));
    const name = c.req.param('name');
    const now = labels.get(issue) ?? [];
    if (!now.includes(name)) return c.json({ message: 'Label does not exist' }, 404);
    labels.set(
      issue,
      now.filter((l) => l !== name),
    );
    return c.json((labels.get(issue) ?? []).map(labelJson));
  });
  api.post('/repos/:owner/:repo/check-runs', async (c) => {
    const body = await readJson(c);
    const output = body['output'] as { title: string; summary: string; annotations?: FakeAnnotation[] } | undefined;
    if ((output?.annotations?.length ?? 0) > 50) return c.json({ message: 'Only 50 annotations are allowed per request' }, 422);
    const run: FakeCheckRun = {
      id: nextId++,
      name: String(body['name']),
      head_sha: String(body['head_sha']),
      status: typeof body['conclusion'] === 'string' ? 'completed' : String(body['status'] ?? 'queued'),
      conclusion: typeof body['conclusion'] === 'string' ? body['conclusion'] : null,
      output: { title: output?.title ?? '', summary: output?.summary ?? '' },
      annotations: [...(output?.annotations ?? [])],
    };
    checkRuns.push(run);
    return c.json(checkJson(run), 201);
  });
  api.patch('/repos/:owner/:repo/check-runs/:id', async (c) => {
    const run = checkRuns.find((x) => x.id === Number(c.req.param('id')));
    if (!run) return c.json({ message: 'Not Found' }, 404);
    const body = await readJson(c);
    const output = body['output'] as { title?: string; summary: string; annotations?: FakeAnnotation[] } | undefined;
    if ((output?.annotations?.length ?? 0) > 50) return c.json({ message: 'Only 50 annotations are allowed per request' }, 422);
    if (typeof body['conclusion'] === 'string') {
      run.conclusion = body['conclusion'];
      run.status = 'completed';
    } else if (typeof body['status'] === 'string') run.status = body['status'];
    if (output) run.output = { title: output.title ?? run.output.title, summary: output.summary };
    run.annotations.push(...(output?.annotations ?? []));
    return c.json(checkJson(run));
  });
  app.notFound((c) => c.json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }, 404));

  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}${prefix}`,
    requests,
    violations,
    comments,
    labels,
    checkRuns,
    fail: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
