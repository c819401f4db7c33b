// `doctor`: a read-only probe of a target before the first apply against a real org. It sends GETs
// only: does the key work, does each published endpoint answer, which sandbox extensions exist,
// which enum values live flows and settings use, and so what accessctl can manage there.
import type { DesiredState } from '../config/desired.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { knownFlowValues } from '../jumpcloud/flow-mapping.js';
import { listAll } from '../jumpcloud/paginate.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { routes } from '../jumpcloud/routes.js';
import { asksForOrgId, MULTI_TENANT_HINT, REFUSED_KEY_HINT, unreachableOrg } from '../jumpcloud/target.js';
import { flowShapeProblem, type WireFlow, type WireSettings, type WireUserGroup } from '../jumpcloud/wire.js';
import { ACCESS_EVENT_TYPES } from '../model/events.js';
import type { ManagedKind } from '../plan/plan.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface Check {
  /** A stable identifier, such as endpoint:GET /api/v2/approvalflows. */
  id: string;
  status: CheckStatus;
  summary: string;
}

export interface KindSupport {
  kind: ManagedKind | 'AccessRequestSettings.spec.webhooks (by name)';
  manageable: boolean;
  why: string;
  /** Whether the repo declares objects of this kind (when a repo was given). */
  declared: boolean;
}

export interface DoctorReport {
  target: string;
  /** The org probed (x-org-id), when one is in use. */
  orgId?: string;
  checks: Check[];
  kinds: KindSupport[];
  /** Enum values seen in live objects, by wire field, each marked known or not. */
  enums: { field: string; value: string; known: boolean; objects: string[] }[];
  rateLimitHeaders: Record<string, string>;
  /** True when every kind the repo uses can be managed on this target. */
  ok: boolean;
}

type Probe = { ok: true; body: unknown } | { ok: false; status: number | undefined; message: string };

async function probe(client: JumpCloudClient, route: string, params?: Record<string, string>, query?: Record<string, string>): Promise<Probe> {
  try {
    return { ok: true, body: await client.get<unknown>(route, params, query) };
  } catch (error) {
    if (error instanceof PlatformError) return { ok: false, status: error.status, message: error.message };
    throw error;
  }
}

/** Counts the values of each enum field the mapping reads, over every live flow. */
function flowEnums(flows: readonly WireFlow[]): DoctorReport['enums'] {
  const seen = new Map<string, { field: string; value: string; objects: Set<string> }>();
  const note = (field: string, value: string | undefined, flow: string): void => {
    const key = `${field}\u0000${value ?? ''}`;
    const entry = seen.get(key) ?? { field, value: value ?? '', objects: new Set<string>() };
    entry.objects.add(flow);
    seen.set(key, entry);
  };
  for (const flow of flows) {
    note('status', flow.status, flow.name);
    note('approvalType', flow.approvalType, flow.name);
    note('category', flow.category, flow.name);
    // Protobuf JSON leaves an enum's zero value out.
    note('ttlConfig', flow.ttlConfig ?? 'TTL_CONFIG_UNSPECIFIED', flow.name);
    if (flow.approverRequirement) note('approverRequirement', flow.approverRequirement, flow.name);
    for (const r of flow.approverResources ?? []) note('approverResources[].resourceType', r.resourceType, flow.name);
    for (const r of flow.resources ?? []) note('resources[].resourceType', r.resourceType, flow.name);
  }
  const known = knownFlowValues as Record<string, readonly string[]>;
  return [...seen.values()]
    .map((e) => ({ field: e.field, value: e.value, known: (known[e.field] ?? []).includes(e.value), objects: [...e.objects].sort().slice(0, 20) }))
    .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : 1));
}

function settingsEnums(settings: WireSettings): DoctorReport['enums'] {
  const known = new Set<string>(ACCESS_EVENT_TYPES.map((e) => e.toUpperCase()));
  const values = new Set<string>();
  for (const entry of settings.channelEvents ?? []) for (const type of entry.eventTypes ?? []) values.add(type);
  return [...values].sort().map((value) => ({ field: 'channelEvents[].eventTypes', value, known: known.has(value), objects: ['settings'] }));
}

/**
 * Probes the client's target (and org, sent as x-org-id when the client has one). A key or org the
 * platform refuses stops the probe with one check saying why, in the platform's words and ours.
 */
export async function runDoctor(client: JumpCloudClient, desired: DesiredState | undefined): Promise<DoctorReport> {
  const checks: Check[] = [];
  const orgId = client.orgId;
  const where = { target: client.target, ...(orgId === undefined ? {} : { orgId }) };
  const stopHere = (check: Check): DoctorReport => ({
    ...where,
    checks: [check],
    kinds: [],
    enums: [],
    rateLimitHeaders: client.rateLimitHeadersSeen(),
    ok: false,
  });
  const endpoint = (method: string, route: string, result: Probe, what: string): void => {
    checks.push(
      result.ok
        ? { id: `endpoint:${method} ${route}`, status: 'ok', summary: `${what} answered` }
        : { id: `endpoint:${method} ${route}`, status: 'fail', summary: `${what}: ${result.message}` },
    );
  };

  // The key and org first: either refused makes every other check meaningless, so it is said once.
  const groupsProbe = await probe(client, routes.groups, undefined, { limit: '1' });
  if (!groupsProbe.ok) {
    const reason = groupsProbe.message.replace(/^.*?: /, '');
    if (groupsProbe.status === 401 || groupsProbe.status === 403) {
      // The platform's own words come first: they say which of the key and the org is wrong.
      if (orgId === undefined && asksForOrgId(reason))
        return stopHere({ id: 'org', status: 'fail', summary: `the platform answered ${groupsProbe.status}: ${reason}; ${MULTI_TENANT_HINT}` });
      return stopHere({ id: 'key', status: 'fail', summary: `the API key was refused (${groupsProbe.status}): ${reason}; ${REFUSED_KEY_HINT}` });
    }
    // A published list answered 404 with an org id: the org is not one this key reaches.
    if (groupsProbe.status === 404 && orgId !== undefined) return stopHere({ id: 'org', status: 'fail', summary: unreachableOrg(reason, orgId) });
    // No answer at all: nothing about the key is known, and every other probe would only wait as long again.
    if (groupsProbe.status === undefined)
      return stopHere({
        id: 'target',
        status: 'fail',
        summary: `${client.target} did not answer (${reason}); check --target or JUMPCLOUD_API_URL, and the network`,
      });
  }
  checks.push({ id: 'key', status: 'ok', summary: 'the API key is accepted' });
  if (orgId !== undefined) checks.push({ id: 'org', status: 'ok', summary: `org ${orgId} is reachable with this key` });

  endpoint('GET', routes.groups, groupsProbe, 'user groups');
  const users = await probe(client, routes.users, undefined, { limit: '1' });
  endpoint('GET', routes.users, users, 'system users');
  const applications = await probe(client, routes.applications, undefined, { limit: '1' });
  endpoint('GET', routes.applications, applications, 'applications');
  const firstGroup = groupsProbe.ok && Array.isArray(groupsProbe.body) ? (groupsProbe.body[0] as WireUserGroup | undefined) : undefined;
  let associations: Probe | undefined;
  if (firstGroup) {
    associations = await probe(client, routes.groupAssociations, { group_id: firstGroup.id }, { targets: 'application', limit: '1' });
    endpoint('GET', routes.groupAssociations, associations, 'group associations');
  }
  let flows: WireFlow[] | undefined;
  try {
    flows = await listAll<WireFlow>(client, routes.flows, { style: 'results', check: flowShapeProblem });
    checks.push({ id: `endpoint:GET ${routes.flows}`, status: 'ok', summary: `approval flows answered (${flows.length})` });
  } catch (error) {
    checks.push({ id: `endpoint:GET ${routes.flows}`, status: 'fail', summary: `approval flows: ${error instanceof Error ? error.message : String(error)}` });
  }
  const settings = await probe(client, routes.settings);
  endpoint('GET', routes.settings, settings, 'Access Requests settings');

  const channels = await probe(client, routes.channels, undefined, { limit: '1' });
  const hasChannels = channels.ok;
  const channelsAbsent = !channels.ok && (channels.status === 404 || channels.status === 405);
  checks.push({
    id: `extension:GET ${routes.channels}`,
    status: hasChannels || channelsAbsent ? 'info' : 'warn',
    summary: hasChannels
      ? 'the notification channel API exists here (a sandbox extension)'
      : channelsAbsent
        ? `no notification channel API (it answered ${channels.status}), as on JumpCloud: subscribe channels by id`
        : `the notification channel API could not be probed: ${channels.message}`,
  });

  const enums = [...(flows ? flowEnums(flows) : []), ...(settings.ok ? settingsEnums(settings.body as WireSettings) : [])];
  const unknown = enums.filter((e) => !e.known);
  checks.push(
    unknown.length === 0
      ? { id: 'enums', status: 'ok', summary: `every enum value in the live flows and settings is known (${enums.length} distinct)` }
      : {
          id: 'enums',
          status: 'warn',
          summary: `${unknown.length} enum value${unknown.length === 1 ? '' : 's'} accessctl does not know: ${unknown.map((e) => `${e.field} ${JSON.stringify(e.value)}`).join(', ')}; objects using them are unmanageable (shown, never changed)`,
        },
  );
  const rateLimitHeaders = client.rateLimitHeadersSeen();
  checks.push({
    id: 'rate-limit',
    status: 'info',
    summary:
      Object.keys(rateLimitHeaders).length === 0
        ? 'no rate-limit headers seen'
        : `rate-limit headers seen: ${Object.entries(rateLimitHeaders)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')}`,
  });

  const declared = (kind: ManagedKind): boolean => {
    if (!desired) return false;
    if (kind === 'ApprovalFlow') return desired.flows.length > 0;
    if (kind === 'GroupAssignment') return desired.groups.length > 0;
    if (kind === 'WebhookChannel') return desired.channels.length > 0;
    return desired.settings !== undefined;
  };
  const byName = (desired?.settings?.object.spec.webhooks ?? []).some((w) => typeof w.channel === 'string');
  const kinds: KindSupport[] = [
    {
      kind: 'ApprovalFlow',
      manageable: flows !== undefined,
      why: flows !== undefined ? 'the published flow API answers' : 'the flow list failed',
      declared: declared('ApprovalFlow'),
    },
    {
      kind: 'GroupAssignment',
      manageable: groupsProbe.ok && (associations === undefined || associations.ok),
      why: groupsProbe.ok ? 'the published user group API answers' : 'the user group list failed',
      declared: declared('GroupAssignment'),
    },
    {
      kind: 'AccessRequestSettings',
      manageable: settings.ok,
      why: settings.ok ? 'the published settings API answers (subscriptions by channel id)' : 'the settings read failed',
      declared: declared('AccessRequestSettings'),
    },
    {
      kind: 'WebhookChannel',
      manageable: hasChannels,
      why: hasChannels ? 'the channel API exists (sandbox extension)' : 'JumpCloud publishes no channel API: make channels in the console',
      declared: declared('WebhookChannel'),
    },
    {
      kind: 'AccessRequestSettings.spec.webhooks (by name)',
      manageable: hasChannels,
      why: hasChannels ? 'channels can be listed, so they can be named' : 'channels cannot be listed: name them by {id: ...}',
      declared: byName,
    },
  ];
  const published = checks.filter((c) => c.id === 'key' || c.id === 'org' || c.id.startsWith('endpoint:'));
  const ok = published.every((c) => c.status === 'ok') && kinds.every((k) => !k.declared || k.manageable);
  return { ...where, checks, kinds, enums, rateLimitHeaders, ok };
}
