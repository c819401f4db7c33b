// The sticky pull request comment: found by a hidden marker, created once and edited afterwards,
// never duplicated; plus the destroy label, added while the plan deletes and removed when it stops.
import type { GithubApi } from './octokit.js';
import { renderOutcome } from './markdown.js';
import type { Outcome } from './outcome.js';

export const COMMENT_MARKER = '<!-- accessctl:plan -->';
export const DEFAULT_DESTROY_LABEL = 'accessctl:destroy';
/** GitHub refuses comment bodies over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

export interface PullRequestRef {
  owner: string;
  repo: string;
  pullNumber: number;
}

export interface CommentResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

export type LabelResult = 'added' | 'removed' | 'unchanged';

/** The whole comment: the marker on the first line, the commit it describes, then validation and plan, within GitHub's limit. */
export function commentBody(outcome: Outcome, commit?: string): string {
  const head = `${COMMENT_MARKER}\n${commit === undefined ? '' : `<sub>accessctl ran on ${commit.slice(0, 12).replace(/[^0-9a-zA-Z]/g, '')}</sub>\n\n`}`;
  return `${head}${renderOutcome(outcome, COMMENT_LIMIT - head.length, 'comment')}`;
}

/** Our comment starts with the marker; a reply quoting it starts with "> " and is not ours. */
export function isPlanComment(body: string | undefined | null): boolean {
  return typeof body === 'string' && body.startsWith(COMMENT_MARKER);
}

/** Creates the plan comment, or edits the oldest one that carries the marker: every run leaves exactly one. */
export async function upsertComment(api: GithubApi, pr: PullRequestRef, body: string): Promise<CommentResult> {
  const where = { owner: pr.owner, repo: pr.repo, issue_number: pr.pullNumber };
  const comments = await api.paginate(api.rest.issues.listComments, { ...where, per_page: 100 });
  const existing = comments.find((c) => isPlanComment(c.body));
  if (existing === undefined) {
    const { data } = await api.rest.issues.createComment({ ...where, body });
    return { action: 'created', id: data.id, url: data.html_url };
  }
  const { data } = await api.rest.issues.updateComment({ owner: pr.owner, repo: pr.repo, comment_id: existing.id, body });
  return { action: 'updated', id: data.id, url: data.html_url };
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
