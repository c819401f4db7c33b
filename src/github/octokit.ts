// The GitHub REST client: @octokit/rest with the retry plugin (5xx and network errors) and the
// throttling plugin (primary and secondary rate limits, honouring retry-after), logging redacted.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { redactToken } from './api-error.js';

const GithubOctokit = Octokit.plugin(retry, throttling);
export type GithubApi = InstanceType<typeof GithubOctokit>;

/** The throttling plugin's pacing groups and wait unit, replaceable so tests need not wait real seconds. */
export type Pacing = Pick<Extract<ThrottlingOptions, { onRateLimit: unknown; onSecondaryRateLimit: unknown }>, 'write' | 'search' | 'notifications'>;

export interface GithubClientOptions {
  token: string;
  baseUrl: string;
  /** Where warnings go (already redacted); default stderr. */
  log?: (line: string) => void;
  /** How many times a rate-limited or failed request is retried. */
  retries?: number;
  /** Milliseconds per second of retry-after (and of the retry plugin's backoff unit); 1000 in real use. */
  retryUnitMs?: number;
  pacing?: Pacing;
  userAgent?: string;
}

export const DEFAULT_RETRIES = 3;

export function createGithubClient(options: GithubClientOptions): GithubApi {
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const say = (line: string): void => write(redactToken(line, options.token));
  const retries = options.retries ?? DEFAULT_RETRIES;
  const unit = options.retryUnitMs ?? 1000;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      if (retryCount >= retries) {
        say(`accessctl: GitHub ${kind} rate limit on ${request.method} ${request.url}; giving up after ${retryCount} retries`);
        return false;
      }
      say(`accessctl: GitHub ${kind} rate limit on ${request.method} ${request.url}; retrying after ${retryAfter}s`);
      return true;
    };
  return new GithubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: options.userAgent ?? 'accessctl',
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string) => say(`accessctl: GitHub client: ${message}`),
      // octokit logs every failed request here; the failure itself is reported once, by the caller.
      error: () => undefined,
    },
    // Rate limits (403/429) belong to the throttling plugin; the retry plugin handles 5xx and resets.
    retry: { retries, retryAfterBaseValue: unit, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: unit,
      ...options.pacing,
    },
  });
}
