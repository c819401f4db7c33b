// Which API accessctl talks to, decided in one place for every command: --target, then
// JUMPCLOUD_API_URL, then the project file, then JumpCloud. An empty variable counts as unset.
import { usageError } from '../errors.js';

export const DEFAULT_API_URL = 'https://console.jumpcloud.com';

export type TargetSource = '--target' | 'JUMPCLOUD_API_URL' | 'project file' | 'default';

export interface ResolvedTarget {
  /** The base URL without a trailing slash. */
  url: string;
  from: TargetSource;
}

/** Checks a base URL: http(s), no credentials (the key only ever travels in x-api-key). */
export function checkTargetUrl(raw: string, from: TargetSource): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`${from} is not an http(s) URL`, from);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError(`${from} must be an http(s) URL (got ${url.protocol})`, from);
  // The URL itself is never echoed here: it holds the credentials being refused.
  if (url.username !== '' || url.password !== '')
    throw usageError(`${from} holds credentials (user:password@); remove them: the API key comes only from JUMPCLOUD_API_KEY`, from);
  return raw.replace(/\/+$/, '');
}

export function resolveTarget(flag: string | undefined, env: NodeJS.ProcessEnv, project: string | undefined): ResolvedTarget {
  const fromEnv = env['JUMPCLOUD_API_URL'] === '' ? undefined : env['JUMPCLOUD_API_URL'];
  const [raw, from]: [string, TargetSource] =
    flag !== undefined
      ? [flag, '--target']
      : fromEnv !== undefined
        ? [fromEnv, 'JUMPCLOUD_API_URL']
        : project !== undefined
          ? [project, 'project file']
          : [DEFAULT_API_URL, 'default'];
  return { url: checkTargetUrl(raw, from), from };
}

/**
 * How the repo's Project target relates to the target a client was built for. `overridden`: the
 * client's target came from --target or JUMPCLOUD_API_URL, which take precedence, so the Project's
 * is ignored on purpose (still worth saying). Otherwise the Project named another target, or none,
 * when the client was built: the repo has moved since.
 */
export type TargetAgreement = { agrees: true } | { agrees: false; overridden: boolean; project: string; client: ResolvedTarget };

export function compareProjectTarget(client: ResolvedTarget, project: string | undefined): TargetAgreement {
  const overridden = client.from === '--target' || client.from === 'JUMPCLOUD_API_URL';
  // Without an override, the Project's target (or the default when it names none) is the one meant.
  const wanted = project === undefined ? (overridden ? undefined : DEFAULT_API_URL) : project.replace(/\/+$/, '');
  if (wanted === undefined || wanted === client.url) return { agrees: true };
  return { agrees: false, overridden, project: wanted, client };
}
