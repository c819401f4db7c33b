// Turns whatever an octokit call throws into an AccessctlError that carries GitHub's own message,
// with the token scrubbed from every string: the token never reaches output, logs or errors.
import { AccessctlError } from '../errors.js';

/** Replaces every occurrence of the token (and of its Basic-auth form) with "[REDACTED]". */
export function redactToken(text: string, token: string): string {
  if (token.length === 0) return text;
  // Longest first: the Basic form of x-access-token:TOKEN ends with the base64 of the token itself.
  const forms = [Buffer.from(`x-access-token:${token}`).toString('base64'), Buffer.from(token).toString('base64'), token];
  let out = text;
  for (const form of forms) out = out.split(form).join('[REDACTED]');
  return out;
}

interface RequestFailure {
  status: number;
  /** Whether GitHub sent a response at all; octokit gives a request that got none status 500. */
  answered: boolean;
  message: string;
  method?: string;
  url?: string;
}

function asRequestFailure(error: unknown): RequestFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number') return undefined;
  const request = (error as { request?: { method?: unknown; url?: unknown } }).request;
  const response = (error as { response?: { data?: unknown } }).response;
  const data = response?.data;
  const fromBody = data !== null && typeof data === 'object' ? (data as { message?: unknown }).message : undefined;
  return {
    status,
    answered: response !== undefined,
    message: typeof fromBody === 'string' && fromBody !== '' ? fromBody : error.message,
    ...(typeof request?.method === 'string' ? { method: request.method } : {}),
    ...(typeof request?.url === 'string' ? { url: request.url } : {}),
  };
}

/** The error to throw for a failed GitHub call: GitHub's message, the route, never the token, no cause attached. */
export function githubError(error: unknown, token: string): AccessctlError {
  if (error instanceof AccessctlError) return new AccessctlError(error.code, redactToken(error.message, token), { exitCode: error.exitCode });
  const failure = asRequestFailure(error);
  if (failure) {
    const path = failure.url === undefined ? '' : ` ${new URL(failure.url).pathname}`;
    const what = failure.method === undefined ? 'the GitHub API' : `GitHub ${failure.method}${path}`;
    // octokit reports a request that never got an answer as status 500: say what happened instead.
    if (!failure.answered) {
      return new AccessctlError('platform', redactToken(`cannot reach GitHub for ${what.replace(/^GitHub /, '')}: no answer (${failure.message})`, token));
    }
    return new AccessctlError('platform', redactToken(`${what} answered ${failure.status}: ${failure.message}`, token));
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AccessctlError('platform', redactToken(`the GitHub API call failed: ${message}`, token));
}

/** Runs GitHub work, converting any failure with githubError. */
export async function withGithubErrors<T>(token: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw githubError(error, token);
  }
}
