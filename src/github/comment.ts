// The sticky pull request comment: the one carrying a hidden marker and written by the token's own
// account, created once and edited afterwards; plus the destroy label, present while the plan deletes.
import { AccessctlError, usageError } from '../errors.js';
import { markdownCode } from '../plan/printable.js';
import { renderOutcome } from './markdown.js';
import type { GithubApi } from './octokit.js';
import type { Outcome } from './outcome.js';

export const COMMENT_MARKER = '<!-- accessctl:plan -->';
export const DEFAULT_DESTROY_LABEL = 'accessctl:destroy';
/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;
/** The environment variable that names the comment author when the token cannot say who it is. */
export const COMMENT_AUTHOR_ENV = 'ACCESSCTL_COMMENT_AUTHOR';
/** GraphQL's `viewer` is the one identity query an Actions or app installation token may make. */
export const VIEWER_QUERY = 'query { viewer { login } }';

export interface PullRequestRef {
  owner: string;
  repo: string;
  pullNumber: number;
}

/** A comment that carries the marker but was written by someone else: never edited, never deleted. */
export interface Lookalike {
  id: number;
  login: string;
  url: string;
}

export interface CommentResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
  /** The account whose comments count as ours; undefined when no comment carried the marker, so nobody was asked. */
  author: string | undefined;
  lookalikes: Lookalike[];
  /** Our comment GitHub refused to edit; a new one was created instead. */
  refused?: { id: number; url: string; status: number; message: string };
}

export type LabelResult = 'added' | 'removed' | 'unchanged';

/** The body's warning about look-alikes: their authors as code spans, so nobody is @-mentioned. */
function lookalikeNote(lookalikes: readonly Lookalike[], author: string | undefined): string {
  if (lookalikes.length === 0) return '';
  const logins = [...new Set(lookalikes.map((l) => l.login))].map(markdownCode).join(', ');
  const count = lookalikes.length === 1 ? 'Another comment on this pull request starts' : `${lookalikes.length} other comments on this pull request start`;
  const ours = author === undefined ? '' : ` by ${markdownCode(author)}`;
  return `> [!WARNING]\n> ${count} like this one but ${lookalikes.length === 1 ? 'was' : 'were'} written by ${logins}. Only this comment${ours} is accessctl's plan.\n\n`;
}

/**
 * The whole comment: the marker on the first line, the commit it describes, a warning when someone
 * else's comment carries the marker, then validation and plan, within GitHub's limit.
 */
export function commentBody(outcome: Outcome, commit?: string, lookalikes: readonly Lookalike[] = [], author?: string): string {
  const head = `${COMMENT_MARKER}\n${commit === undefined ? '' : `<sub>accessctl ran on ${commit.slice(0, 12).replace(/[^0-9a-zA-Z]/g, '')}</sub>\n\n`}${lookalikeNote(lookalikes, author)}`;
  return `${head}${renderOutcome(outcome, COMMENT_LIMIT - head.length, 'comment')}`;
}

/** The body starts with the marker; a reply quoting it starts with "> " and does not. Says nothing of who wrote it. */
export function isPlanComment(body: string | undefined | null): boolean {
  return typeof body === 'string' && body.startsWith(COMMENT_MARKER);
}

/**
 * A login given by hand (--comment-author or ACCESSCTL_COMMENT_AUTHOR): a user, or an app's bot
 * with its "[bot]" suffix, as GitHub shows it on comments (e.g. github-actions[bot]).
 */
export function parseCommentAuthor(value: string, subject: string): string {
  const login = value.trim();
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})(?:\[bot\])?$/.test(login)) {
    throw usageError(`${subject} must be a GitHub login such as octocat or github-actions[bot], not "${value}"`, subject);
  }
  return login;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A refusal of this request, as opposed to a rate limit the throttling plugin gave up on. */
function isRefusal(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== 403 && status !== 404) return false;
  const response = (error as { response?: { headers?: Record<string, unknown>; data?: unknown } }).response;
  if (response?.headers?.['x-ratelimit-remaining'] === '0') return false;
  const message = (response?.data as { message?: unknown } | undefined)?.message;
  return !(typeof message === 'string' && /rate limit/i.test(message));
}

function messageOf(error: unknown): string {
  const message = ((error as { response?: { data?: unknown } }).response?.data as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : error instanceof Error ? error.message : String(error);
}

/**
 * The login the token comments as. A user token (PAT, OAuth) answers GET /user. An installation
 * token (Actions' GITHUB_TOKEN, a GitHub App's) gets 403 there, but GraphQL's `viewer` names its
 * bot (github-actions[bot], my-app[bot]), the login its REST comments carry.
 */
export async function resolveCommentAuthor(api: GithubApi): Promise<string> {
  try {
    const { data } = await api.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    if (statusOf(error) !== 403 || !isRefusal(error)) throw error;
  }
  let login: unknown;
  try {
    login = (await api.graphql<{ viewer?: { login?: unknown } }>(VIEWER_QUERY)).viewer?.login;
  } catch (error) {
    throw new AccessctlError(
      'platform',
      `cannot tell which account the token comments as (GET /user answered 403 and the GraphQL viewer query failed: ${messageOf(error)}); pass --comment-author LOGIN or set ${COMMENT_AUTHOR_ENV}`,
      { subject: '--comment-author' },
    );
  }
  if (typeof login !== 'string' || login === '') {
    throw new AccessctlError(
      'platform',
      `cannot tell which account the token comments as (the GraphQL viewer has no login); pass --comment-author LOGIN or set ${COMMENT_AUTHOR_ENV}`,
      { subject: '--comment-author' },
    );
  }
  return login;
}

export interface UpsertOptions {
  /** Whose comments are ours: a login, or how to find it (asked at most once, and only when a comment carries the marker). */
  author: string | (() => Promise<string>);
}

/** The body to post, or how to write it once the look-alikes and our login are known. */
export type CommentBody = string | ((lookalikes: readonly Lookalike[], author: string | undefined) => string);

/**
 * Creates the plan comment, or edits our newest one. Only a comment that carries the marker AND was
 * written by the token's own account is ours: anyone can post the marker, and editing their comment
 * would put our plan under their name (or fail forever when GitHub refuses). A refused edit of our
 * own comment (403, or 404 when it was just deleted) falls back to a new comment.
 */
export async function upsertComment(api: GithubApi, pr: PullRequestRef, body: CommentBody, options: UpsertOptions): Promise<CommentResult> {
  const where = { owner: pr.owner, repo: pr.repo, issue_number: pr.pullNumber };
  const comments = await api.paginate(api.rest.issues.listComments, { ...where, per_page: 100 });
  const marked = comments.filter((c) => isPlanComment(c.body));
  // Nobody is asked who we are until it matters: the first run on a pull request needs no identity.
  const author = marked.length === 0 ? undefined : typeof options.author === 'string' ? options.author : await options.author();
  const isOurs = (login: string | undefined): boolean => author !== undefined && login?.toLowerCase() === author.toLowerCase();
  const ours = marked.filter((c) => isOurs(c.user?.login));
  const lookalikes = marked.filter((c) => !isOurs(c.user?.login)).map((c) => ({ id: c.id, login: c.user?.login ?? '(deleted account)', url: c.html_url }));
  const text = typeof body === 'string' ? body : body(lookalikes, author);
  const base = { author, lookalikes };
  // The newest: after a refused edit, the comment created instead is the one later runs edit.
  const existing = ours.at(-1);
  if (existing !== undefined) {
    try {
      const { data } = await api.rest.issues.updateComment({ owner: pr.owner, repo: pr.repo, comment_id: existing.id, body: text });
      return { action: 'updated', id: data.id, url: data.html_url, ...base };
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const { data } = await api.rest.issues.createComment({ ...where, body: text });
      const refused = { id: existing.id, url: existing.html_url, status: statusOf(error) ?? 0, message: messageOf(error) };
      return { action: 'created', id: data.id, url: data.html_url, ...base, refused };
    }
  }
  const { data } = await api.rest.issues.createComment({ ...where, body: text });
  return { action: 'created', id: data.id, url: data.html_url, ...base };
}

/** Makes the label present exactly when `wanted`; a label already gone counts as removed. */
export async function syncLabel(api: GithubApi, pr: PullRequestRef, label: string, wanted: boolean): Promise<LabelResult> {
  const where = { owner: pr.owner, repo: pr.repo, issue_number: pr.pullNumber };
  const labels = await api.paginate(api.rest.issues.listLabelsOnIssue, { ...where, per_page: 100 });
  const present = labels.some((l) => l.name === label);
  if (wanted === present) return 'unchanged';
  if (wanted) {
    await api.rest.issues.addLabels({ ...where, labels: [label] });
    return 'added';
  }
  try {
    await api.rest.issues.removeLabel({ ...where, name: label });
  } catch (error) {
    if ((error as { status?: unknown }).status !== 404) throw error;
  }
  return 'removed';
}
