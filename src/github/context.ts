// Where a GitHub run points: the token, the repository, the pull request and its head commit, and
// the API URL (github.com or GitHub Enterprise Server). Read from the Actions environment; flags win.
import { readFile } from 'node:fs/promises';
import { AccessctlError, usageError } from '../errors.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** Values given on the command line; each overrides its environment variable. */
export interface ContextFlags {
  token?: string | undefined;
  /** owner/name */
  repo?: string | undefined;
  eventPath?: string | undefined;
  apiUrl?: string | undefined;
  pr?: number | undefined;
  sha?: string | undefined;
}

export interface GithubContext {
  /** Never printed: every message that could hold it goes through redactToken. */
  token: string;
  owner: string;
  repo: string;
  apiUrl: string;
  /** The pull request, when the event (or --pr) names one. */
  pullNumber: number | undefined;
  /** The pull request's head commit, else --sha, else GITHUB_SHA. */
  headSha: string | undefined;
}

interface PullRequestEvent {
  pullNumber?: number;
  headSha?: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The PR number and head SHA of a saved webhook event (pull_request or anything carrying one). */
export async function readEvent(path: string): Promise<PullRequestEvent> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new AccessctlError('not-found', `cannot read the event file ${path} (${code})`, { subject: 'GITHUB_EVENT_PATH' });
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw usageError(`the event file ${path} is not JSON`, 'GITHUB_EVENT_PATH');
  }
  const pull = record(record(event)?.['pull_request']);
  if (pull === undefined) return {};
  const number = pull['number'];
  const sha = record(pull['head'])?.['sha'];
  return {
    ...(typeof number === 'number' && Number.isSafeInteger(number) ? { pullNumber: number } : {}),
    ...(typeof sha === 'string' && sha !== '' ? { headSha: sha } : {}),
  };
}

function parseRepository(value: string, subject: string): { owner: string; repo: string } {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match?.[1] || !match[2]) throw usageError(`${subject} must be owner/name, not "${value}"`, subject);
  return { owner: match[1], repo: match[2] };
}

function parseApiUrl(value: string, subject: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
  } catch {
    throw usageError(`${subject} ${value} is not an http(s) URL`, subject);
  }
  return value.replace(/\/+$/, '');
}

/** Resolves every value, flag first, then environment; a missing token or repository is a usage error. */
export async function readContext(flags: ContextFlags, env: NodeJS.ProcessEnv): Promise<GithubContext> {
  const token = flags.token ?? env['GITHUB_TOKEN'];
  if (!token) throw usageError('GITHUB_TOKEN is not set: pass --token or export the workflow token', 'GITHUB_TOKEN');
  const repository = flags.repo ?? env['GITHUB_REPOSITORY'];
  if (!repository) throw usageError('GITHUB_REPOSITORY is not set: pass --repo owner/name', 'GITHUB_REPOSITORY');
  const { owner, repo } = parseRepository(repository, flags.repo === undefined ? 'GITHUB_REPOSITORY' : '--repo');
  const apiUrl = parseApiUrl(flags.apiUrl ?? env['GITHUB_API_URL'] ?? DEFAULT_GITHUB_API_URL, flags.apiUrl === undefined ? 'GITHUB_API_URL' : '--api-url');
  const eventPath = flags.eventPath ?? env['GITHUB_EVENT_PATH'];
  const event = eventPath ? await readEvent(eventPath) : {};
  return {
    token,
    owner,
    repo,
    apiUrl,
    pullNumber: flags.pr ?? event.pullNumber,
    headSha: flags.sha ?? event.headSha ?? (env['GITHUB_SHA'] || undefined),
  };
}

/** The PR number, or a usage error saying how to give one. */
export function requirePullNumber(context: GithubContext): number {
  if (context.pullNumber === undefined) {
    throw usageError('no pull request: GITHUB_EVENT_PATH holds no pull_request event; run on pull_request or pass --pr N', '--pr');
  }
  return context.pullNumber;
}

/** The commit to attach a check run to, or a usage error saying how to give one. */
export function requireHeadSha(context: GithubContext): string {
  if (context.headSha === undefined) {
    throw usageError('no commit: GITHUB_EVENT_PATH holds no pull_request head and GITHUB_SHA is not set; pass --sha', '--sha');
  }
  return context.headSha;
}
