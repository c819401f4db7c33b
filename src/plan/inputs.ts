// Puts both sides into the model the diff compares: desired objects through the mapping (names
// resolved against the live directory, secrets read through a SecretSource), live wire objects
// through the same mapping. Pure: the live state and the secrets come in as values.
import type { DesiredState } from '../config/desired.js';
import { nameKey } from '../config/names.js';
import { locate, type SourceDocument } from '../config/source.js';
import type { LiveWire } from '../jumpcloud/live.js';
import {
  DirectoryIndex,
  flowFromDesired,
  flowFromWire,
  groupFromDesired,
  groupFromWire,
  NameResolver,
  settingsFromDesired,
  settingsFromWire,
  webhookFromDesired,
  webhookFromWire,
  type FlowModel,
  type GroupModel,
  type SecretSource,
  type WebhookModel,
} from '../jumpcloud/mapping.js';
import type { WireChannel } from '../jumpcloud/wire.js';
import type { DesiredEntry, DiffInput, LiveEntry } from './diff.js';
import { channelFingerprint, fingerprintOf, groupFingerprint } from './fingerprint.js';
import type { ManagedKind, PlanProblem } from './plan.js';

/** The settings record has no id of its own; this names it in plans. */
export const SETTINGS_ID = 'settings';

function entry<M>(name: string, previousNames: readonly string[] | undefined, model: M, source: SourceDocument): DesiredEntry<M> {
  return { name, previousNames: previousNames ?? [], model, source: locate(source, ['metadata', 'name']) };
}

function unknownReferences(kind: ManagedKind, name: string, source: SourceDocument, names: NameResolver, from: number, problems: PlanProblem[]): void {
  // Against a directory that could not be read every name is unknown; that is said once, elsewhere.
  if (!names.directoryKnown) return;
  for (const ref of names.unknown.slice(from)) {
    problems.push({
      code: `unknown-${ref.what}`,
      kind,
      name,
      source: locate(source, ref.path),
      message: `${ref.what} "${ref.name}" does not exist on the platform`,
    });
  }
}

export function prepareDiffInput(desired: DesiredState, live: LiveWire, secrets: SecretSource): DiffInput {
  const problems: PlanProblem[] = [];
  const warnings: PlanProblem[] = [];
  const directoryKnown = live.groups.status === 'ok' && live.users.status === 'ok' && live.applications.status === 'ok';
  for (const [what, list] of [
    ['user groups', live.groups],
    ['users', live.users],
    ['applications', live.applications],
    ['approval flows', live.flows],
    ['webhook channels', live.channels],
    ['settings', live.settings],
  ] as const) {
    if (list.status === 'unknown') problems.push({ code: 'live-unknown', message: `could not read the live ${what}: ${list.reason}` });
  }
  const index = new DirectoryIndex({
    groups: live.groups.status === 'ok' ? live.groups.value : [],
    users: live.users.status === 'ok' ? live.users.value : [],
    applications: live.applications.status === 'ok' ? live.applications.value : [],
  });
  const groupsToCreate = new Map<string, string>();
  const creatable = new Set<string>();
  for (const group of desired.groups) {
    if (group.object.spec.create) {
      creatable.add(nameKey(group.name));
      if (!index.group(group.name)) groupsToCreate.set(nameKey(group.name), group.name);
    }
  }
  const names = new NameResolver(index, groupsToCreate, directoryKnown);

  // ---- groups
  const desiredGroups = desired.groups.map((declared) => {
    const before = names.unknown.length;
    const model = groupFromDesired(declared, names);
    unknownReferences('GroupAssignment', declared.name, declared.source, names, before, problems);
    return entry(declared.name, declared.object.metadata.previousNames, model, declared.source);
  });
  let liveGroups: LiveEntry<GroupModel>[] | 'unknown' = 'unknown';
  if (directoryKnown && live.groups.status === 'ok') {
    const managed = new Map<string, GroupModel['spec']>();
    for (const d of desiredGroups) {
      managed.set(nameKey(d.name), d.model.spec);
      for (const previous of d.previousNames) managed.set(nameKey(previous), d.model.spec);
    }
    const groups: LiveEntry<GroupModel>[] = [];
    let associationsKnown = true;
    for (const group of live.groups.value) {
      const spec = managed.get(nameKey(group.name));
      // Only groups the repo declares are compared; the rest of the directory is not config.
      if (!spec) continue;
      const associations = live.associations.get(group.id);
      if (spec.applications !== undefined && associations?.status !== 'ok') associationsKnown = false;
      const applicationIds = associations?.status === 'ok' ? associations.value : undefined;
      groups.push({
        id: group.id,
        name: group.name,
        model: groupFromWire(group, applicationIds, index, spec),
        fingerprint: groupFingerprint(group, applicationIds),
      });
    }
    if (associationsKnown) liveGroups = groups;
    else problems.push({ code: 'live-unknown', kind: 'GroupAssignment', message: 'could not read the application associations of every managed group' });
  }

  // ---- flows
  const desiredFlows: DesiredEntry<FlowModel>[] = desired.flows.map((declared) => {
    const before = names.unknown.length;
    const model = flowFromDesired(declared, names);
    unknownReferences('ApprovalFlow', declared.name, declared.source, names, before, problems);
    return entry(declared.name, declared.object.metadata.previousNames, model, declared.source);
  });
  const liveFlows: LiveEntry<FlowModel>[] | 'unknown' =
    directoryKnown && live.flows.status === 'ok'
      ? live.flows.value.map((wire) => ({ id: wire.id, name: wire.name, model: flowFromWire(wire, index), fingerprint: fingerprintOf(wire) }))
      : 'unknown';

  // ---- webhooks (their events live in the settings' channelEvents)
  const eventsByChannel = new Map<string, string[]>();
  if (live.settings.status === 'ok') {
    for (const channelEvent of live.settings.value.channelEvents ?? []) eventsByChannel.set(channelEvent.channelObjectId, channelEvent.eventTypes);
  }
  const liveChannelsByKey = new Map<string, WireChannel>();
  if (live.channels.status === 'ok') for (const channel of live.channels.value) liveChannelsByKey.set(nameKey(channel.name), channel);
  const desiredWebhooks: DesiredEntry<WebhookModel>[] = desired.webhooks.map((declared) => {
    const match = [declared.name, ...(declared.object.metadata.previousNames ?? [])].map((n) => liveChannelsByKey.get(nameKey(n))).find(Boolean);
    const prepared = webhookFromDesired(declared, secrets, match);
    for (const missing of prepared.missing) {
      const report = {
        code: 'missing-secret',
        kind: 'WebhookSubscription' as const,
        name: declared.name,
        source: locate(declared.source, missing.path),
        message: `environment variable ${missing.env} is not set`,
      };
      // A plan is a preview (pull requests often run without secrets); apply needs the values.
      warnings.push({
        ...report,
        message: match ? `${report.message}; the channel's secrets were not compared` : `${report.message}; apply needs it to create the channel`,
      });
    }
    return { ...entry(declared.name, declared.object.metadata.previousNames, prepared.model, declared.source), config: declared.object.spec };
  });
  const liveWebhooks: LiveEntry<WebhookModel>[] | 'unknown' =
    live.channels.status === 'ok' && live.settings.status === 'ok'
      ? live.channels.value.map((channel) => ({
          id: channel.id,
          name: channel.name,
          model: webhookFromWire(channel, eventsByChannel.get(channel.id) ?? []),
          fingerprint: channelFingerprint(channel, eventsByChannel.get(channel.id) ?? []),
        }))
      : 'unknown';

  // ---- settings
  const settingsDeclared = desired.settings;
  return {
    target: live.target,
    groups: { desired: desiredGroups, live: liveGroups, creatable },
    flows: { desired: desiredFlows, live: liveFlows },
    webhooks: { desired: desiredWebhooks, live: liveWebhooks },
    settings: {
      desired: settingsDeclared ? entry(settingsDeclared.name, [], settingsFromDesired(settingsDeclared), settingsDeclared.source) : undefined,
      live:
        live.settings.status === 'ok'
          ? { id: SETTINGS_ID, name: settingsDeclared?.name ?? 'settings', model: settingsFromWire(live.settings.value), fingerprint: fingerprintOf(live.settings.value) }
          : 'unknown',
    },
    problems,
    warnings,
    references: names.ids,
  };
}
