// Which API and org accessctl talks to, decided in one place for every command: --target, then
// JUMPCLOUD_API_URL or the project file (which must agree when both are set), then JumpCloud; the
// org from JUMPCLOUD_ORG_ID or the project file, which must agree too. An empty variable counts as unset.
import type { DesiredState } from '../config/desired.js';
import { locate } from '../config/source.js';
import { formatLocation, usageError } from '../errors.js';

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

/**
 * What the repo's Project says about the target, and where (file:line:col) each value is written,
 * so a conflict can point at it. The locations are absent for a Project not read from a file.
 */
export interface ProjectTarget {
  url?: string | undefined;
  orgId?: string | undefined;
  urlAt?: string | undefined;
  orgIdAt?: string | undefined;
}

/** The Project's spec.target with the place of each value; undefined when the repo names no target. */
export function projectTargetOf(desired: DesiredState): ProjectTarget | undefined {
  const project = desired.project;
  const target = project?.object.spec?.target;
  if (project === undefined || target === undefined) return undefined;
  const at = (field: 'url' | 'orgId'): string | undefined =>
    target[field] === undefined ? undefined : formatLocation(locate(project.source, ['spec', 'target', field]));
  return { url: target.url, orgId: target.orgId, urlAt: at('url'), orgIdAt: at('orgId') };
}

/** "the Project's spec.target.orgId (access/accessctl.yaml:9:12)": a Project value named with its place when known. */
function projectField(field: string, at: string | undefined): string {
  return `the Project's spec.target.${field}${at === undefined ? '' : ` (${at})`}`;
}

/** The one hint for a key the platform refused, wherever it is said (plan, doctor, request, events). */
export const REFUSED_KEY_HINT = 'check JUMPCLOUD_API_KEY (and JUMPCLOUD_ORG_ID for a multi-org key)';

/** The hint for a multi-tenant key sent without an org id (the platform asks for x-org-id). */
export const MULTI_TENANT_HINT = "this key manages several orgs: set JUMPCLOUD_ORG_ID (or the Project's spec.target.orgId) to the org to manage";

/** Whether the platform's words say an org id is missing (a multi-tenant key sent without x-org-id). */
export function asksForOrgId(reason: string): boolean {
  return /multi-tenant|x-org-id/i.test(reason);
}

/** Whether the platform's words say the org id names an org the key cannot reach. */
export function orgNotFound(reason: string): boolean {
  return /organi[sz]ation( id)? not found/i.test(reason);
}

/** Says once that the key cannot reach an org: `orgId` when the caller knows it, else the places it comes from. */
export function unreachableOrg(reason: string, orgId?: string): string {
  const which = orgId === undefined ? "the org in JUMPCLOUD_ORG_ID (or the Project's spec.target.orgId)" : `org ${orgId}`;
  return `this key cannot reach ${which} (the platform answered 404: ${reason}); set JUMPCLOUD_ORG_ID or the Project's spec.target.orgId to an org this key manages`;
}

/**
 * The org the requests act on (sent as x-org-id): JUMPCLOUD_ORG_ID or the Project's orgId. Both set
 * and different is refused before any request, naming both: a stale variable would otherwise plan
 * and apply one org's config to another org without a word. `env` is the variable's checked value.
 */
export function resolveOrgId(env: string | undefined, project: ProjectTarget | undefined): string | undefined {
  const fromFile = project?.orgId === '' ? undefined : project?.orgId;
  if (env !== undefined && fromFile !== undefined && env !== fromFile) {
    throw usageError(
      `JUMPCLOUD_ORG_ID is ${env}, but ${projectField('orgId', project?.orgIdAt)} is ${fromFile}: accessctl will not guess which org you mean; unset JUMPCLOUD_ORG_ID to use the Project's org, or make the two agree`,
      'JUMPCLOUD_ORG_ID',
    );
  }
  return env ?? fromFile;
}

/**
 * The target: --target (an explicit flag, it overrides the Project for this run), else
 * JUMPCLOUD_API_URL or the Project's url, which must agree when both are set (a variable left
 * over from another repo must not silently redirect this one), else JumpCloud.
 */
export function resolveTarget(flag: string | undefined, env: NodeJS.ProcessEnv, project: string | undefined, projectAt?: string): ResolvedTarget {
  const fromEnv = env['JUMPCLOUD_API_URL'] === '' ? undefined : env['JUMPCLOUD_API_URL'];
  if (flag === undefined && fromEnv !== undefined && project !== undefined) {
    // Both are checked first: a URL holding credentials is refused before either is echoed.
    const envUrl = checkTargetUrl(fromEnv, 'JUMPCLOUD_API_URL');
    const fileUrl = checkTargetUrl(project, 'project file');
    if (envUrl !== fileUrl) {
      throw usageError(
        `JUMPCLOUD_API_URL is ${envUrl}, but ${projectField('url', projectAt)} is ${fileUrl}: accessctl will not guess which target you mean; unset JUMPCLOUD_API_URL to use the Project's, make the two agree, or pass --target to override the Project for this run`,
        'JUMPCLOUD_API_URL',
      );
    }
  }
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
 * client's target came from --target, which takes precedence, so the Project's is ignored on
 * purpose (still worth saying). Otherwise the Project named another target, or none, when the
 * client was built: the repo has moved since. JUMPCLOUD_API_URL never overrides a Project that
 * names a target (resolveTarget refuses the two differing): a later difference is a move too.
 */
export type TargetAgreement = { agrees: true } | { agrees: false; overridden: boolean; project: string; client: ResolvedTarget };

export function compareProjectTarget(client: ResolvedTarget, project: string | undefined): TargetAgreement {
  const overridden = client.from === '--target';
  const chosen = overridden || client.from === 'JUMPCLOUD_API_URL';
  // Without an override, the Project's target (or the default when it names none) is the one meant.
  const wanted = project === undefined ? (chosen ? undefined : DEFAULT_API_URL) : project.replace(/\/+$/, '');
  if (wanted === undefined || wanted === client.url) return { agrees: true };
  return { agrees: false, overridden, project: wanted, client };
}
