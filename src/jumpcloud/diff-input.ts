// Puts both sides into the model the diff compares: desired objects through the per-kind mappings
// (names resolved against the live directory, secrets read through a SecretSource), live wire
// objects through the same mappings. Pure: the live state and the secrets come in as values.
import type { DesiredState } from '../config/desired.js';
import type { WebhookChannelSpec } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { locate, type SourceDocument } from '../config/source.js';
import type { SourceLocation } from '../errors.js';
import type { ChannelModel } from '../model/channel.js';
import type { FlowModel } from '../model/flow.js';
import type { GroupModel } from '../model/group.js';
import type { DesiredEntry, DiffInput, KindInput, LiveEntry } from '../plan/diff.js';
import type { ManagedKind, PlanProblem, UnsupportedKind } from '../plan/plan.js';
import { channelFromDesired, channelFromWire, type SecretSource } from './channel-mapping.js';
import { DirectoryIndex, NameResolver } from './directory-index.js';
import { channelFingerprint, groupFingerprint, settingsFingerprint } from './fingerprint.js';
import { flowFromDesired } from './flow-mapping.js';
import { groupFromDesired, groupFromWire } from './group-mapping.js';
import type { LiveWire } from './live.js';
import type { IdEncoding } from './protobuf-json.js';
import { ChannelNames, channelIdForWrite, settingsFromDesired, settingsFromWire } from './settings-mapping.js';
import { keepShape } from './shape-keeper.js';
import type { WireChannel, WireUserGroup } from './wire.js';

/** The settings record has no id of its own; this names it in plans. */
export const SETTINGS_ID = 'settings';

/** The previous names of every entry that has none: one list, never changed. */
const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * A desired entry that locates its name in its file the first time its source is read: only a
 * change or a problem carries the location, and a no-op plan of 10,000 flows has neither. A class,
 * so the getter is on the prototype rather than a closure made for every object.
 */
class LocatedLater<M> implements DesiredEntry<M> {
  #located: SourceLocation | undefined;
  readonly #document: SourceDocument;
  readonly previousNames: readonly string[];

  constructor(
    readonly name: string,
    previousNames: readonly string[] | undefined,
    readonly model: M,
    document: SourceDocument,
  ) {
    this.previousNames = previousNames ?? NO_NAMES;
    this.#document = document;
  }

  get source(): SourceLocation {
    this.#located ??= locate(this.#document, ['metadata', 'name']);
    return this.#located;
  }
}

/**
 * A live entry whose fingerprint is computed the first time it is read: only a change carries one,
 * and digesting every live object costs a no-op plan more than reading them.
 */
class DigestedLater<M, W> implements LiveEntry<M> {
  #digest: string | undefined;
  readonly #wire: W;
  readonly #digestOf: (wire: W) => string;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly model: M,
    wire: W,
    digestOf: (wire: W) => string,
  ) {
    this.#wire = wire;
    this.#digestOf = digestOf;
  }

  get fingerprint(): string {
    this.#digest ??= this.#digestOf(this.#wire);
    return this.#digest;
  }
}

/** A live group with the application ids read for it: what its fingerprint covers. */
interface GroupAsRead {
  group: WireUserGroup;
  applicationIds: readonly string[] | undefined;
}

// A function of the module, not a closure made in prepareDiffInput: a closure there would hold that
// call's whole scope (its secrets, its live state), and shape-keeper.ts keeps one DigestedLater.
const groupDigest = (read: GroupAsRead): string => groupFingerprint(read.group, read.applicationIds);

function unknownReferences(kind: ManagedKind, name: string, source: SourceDocument, names: NameResolver, from: number, problems: PlanProblem[]): void {
  // Against a directory that could not be read every name is unknown; that is said once, elsewhere.
  if (!names.directoryKnown) return;
  for (let i = from; i < names.unknown.length; i++) {
    const ref = names.unknown[i]!;
    const hint = ref.suggestion === undefined ? '' : `; did you mean "${ref.suggestion}"?`;
    problems.push({
      code: `unknown-${ref.what}`,
      kind,
      name,
      source: locate(source, ref.path),
      message: `${ref.what} "${ref.name}" does not exist on the platform${hint}`,
    });
  }
}

export function prepareDiffInput(desired: DesiredState, live: LiveWire, secrets: SecretSource): DiffInput {
  const problems: PlanProblem[] = [];
  const warnings: PlanProblem[] = [];
  const unsupported: UnsupportedKind[] = [];
  const directoryKnown = live.groups.status === 'ok' && live.users.status === 'ok' && live.applications.status === 'ok';
  for (const [what, list] of [
    ['user groups', live.groups],
    ['users', live.users],
    ['applications', live.applications],
    ['approval flows', live.flows],
    ['notification channels', live.channels],
    ['settings', live.settings],
  ] as const) {
    if (list.status !== 'unknown') continue;
    // A read accessctl's own stop cut short is not a failed list: a reconcile run that ends so is stopped, not failed.
    if (list.stopped) problems.push({ code: 'live-stopped', message: `did not finish reading the live ${what}: ${list.reason}` });
    else problems.push({ code: 'live-unknown', message: `could not read the live ${what}: ${list.reason}` });
  }
  if (live.channels.status === 'unsupported') unsupported.push({ kind: 'WebhookChannel', reason: live.channels.reason });
  // The index readLive mapped the flows with: built once per read, over what may be every user of the org.
  const index =
    live.directory ??
    new DirectoryIndex({
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
    return new LocatedLater(declared.name, declared.object.metadata.previousNames, model, declared.source);
  });
  let liveGroups: KindInput<GroupModel>['live'] = 'unknown';
  if (directoryKnown && live.groups.status === 'ok') {
    const managed = new Map<string, GroupModel['spec']>();
    for (const d of desiredGroups) for (const name of [d.name, ...d.previousNames]) managed.set(nameKey(name), d.model.spec);
    const groups: LiveEntry<GroupModel>[] = [];
    let associationsKnown = true;
    // Whether every association read that did not finish was cut short by a stop (none failed).
    let associationsStopped = true;
    for (const group of live.groups.value) {
      const spec = managed.get(nameKey(group.name));
      // Only groups the repo declares are compared; the rest of the directory is not config.
      if (!spec) continue;
      const associations = live.associations.get(group.id);
      if (spec.applications !== undefined && associations?.status !== 'ok') {
        associationsKnown = false;
        if (associations?.status !== 'unknown' || !associations.stopped) associationsStopped = false;
      }
      const applicationIds = associations?.status === 'ok' ? associations.value : undefined;
      groups.push(new DigestedLater(group.id, group.name, groupFromWire(group, applicationIds, index, spec), { group, applicationIds }, groupDigest));
    }
    // Their hidden class outlives the plan (shape-keeper.ts).
    if (groups[0] !== undefined) keepShape('DigestedLater', groups[0]);
    if (associationsKnown) liveGroups = groups;
    else if (associationsStopped)
      problems.push({ code: 'live-stopped', kind: 'GroupAssignment', message: 'did not finish reading the application associations of the managed groups' });
    else problems.push({ code: 'live-unknown', kind: 'GroupAssignment', message: 'could not read the application associations of every managed group' });
  }

  // ---- flows: mapped as they were read (live-flows.ts), the repo's icons considered
  const desiredFlows: DesiredEntry<FlowModel>[] = desired.flows.map((declared) => {
    const before = names.unknown.length;
    const model = flowFromDesired(declared, names);
    unknownReferences('ApprovalFlow', declared.name, declared.source, names, before, problems);
    // Most flows name no suspended approver: take the list only when it holds one.
    if (names.suspended.length > 0) {
      for (const user of names.suspended.splice(0)) {
        warnings.push({
          code: 'suspended-approver',
          kind: 'ApprovalFlow',
          name: declared.name,
          source: locate(declared.source, user.path),
          message: `approver ${user.name} is suspended in the directory and can approve nothing`,
        });
      }
    }
    return new LocatedLater(declared.name, declared.object.metadata.previousNames, model, declared.source);
  });
  // Made by the thousand: the first is kept, and with it their hidden class (shape-keeper.ts).
  if (desiredFlows[0] !== undefined) keepShape('LocatedLater', desiredFlows[0]);
  const flowsRead = directoryKnown && live.flows.status === 'ok' && live.flows.value.mapped ? live.flows.value : undefined;
  const liveFlows: KindInput<FlowModel>['live'] = flowsRead?.entries ?? 'unknown';
  const unmanageableFlows = flowsRead?.unmanageable ?? [];

  // ---- channels (a sandbox extension)
  const liveChannelsByKey = new Map<string, WireChannel>();
  if (live.channels.status === 'ok') for (const channel of live.channels.value) liveChannelsByKey.set(nameKey(channel.name), channel);
  const configs = new Map<string, WebhookChannelSpec>();
  const desiredChannels: DesiredEntry<ChannelModel>[] = desired.channels.map((declared) => {
    const match = [declared.name, ...(declared.object.metadata.previousNames ?? [])].map((n) => liveChannelsByKey.get(nameKey(n))).find(Boolean);
    const prepared = channelFromDesired(declared, secrets, match);
    for (const missing of prepared.missing) {
      // A plan is a preview (pull requests often run without secrets); apply needs the values.
      warnings.push({
        code: 'missing-secret',
        kind: 'WebhookChannel',
        name: declared.name,
        source: locate(declared.source, missing.path),
        message: `environment variable ${missing.env} is not set; ${match ? "the channel's secrets were not compared" : 'apply needs it to create the channel'}`,
      });
    }
    for (const bad of prepared.invalid) {
      // Apply would send it and be refused: the plan says so first, where the reference is written.
      problems.push({
        code: 'invalid-secret',
        kind: 'WebhookChannel',
        name: declared.name,
        source: locate(declared.source, bad.path),
        message: `environment variable ${bad.env} ${bad.problem}`,
      });
    }
    configs.set(declared.name, declared.object.spec);
    return new LocatedLater(declared.name, declared.object.metadata.previousNames, prepared.model, declared.source);
  });
  const channelList = live.channels.status === 'ok' ? live.channels.value : [];
  const liveChannels: KindInput<ChannelModel>['live'] =
    live.channels.status === 'ok'
      ? channelList.map((channel) => new DigestedLater(channel.id, channel.name, channelFromWire(channel), channel, channelFingerprint))
      : live.channels.status === 'not-read'
        ? []
        : live.channels.status;

  // ---- settings, with their channel subscriptions
  const channelNames = new ChannelNames(
    live.channels.status === 'ok',
    channelList,
    desired.channels.map((c) => c.name),
  );
  const declaredSettings = desired.settings;
  // A channel name cannot be resolved against a channel list that failed: such settings are unknown,
  // not a config error (the list's failure is reported once, above).
  const channelNamesUnknown = live.channels.status === 'unknown' && (declaredSettings?.object.spec.webhooks ?? []).some((w) => typeof w.channel === 'string');
  const channels: Record<string, string> = {};
  const prepared = declaredSettings ? settingsFromDesired(declaredSettings, channelNames) : undefined;
  let settingsLive: DiffInput['settings']['live'] = 'unknown';
  let encoding: IdEncoding | undefined;
  if (live.settings.status === 'ok' && !channelNamesUnknown) {
    // The live subscriptions are compared only when the desired ones are: all of them resolved.
    const read = settingsFromWire(live.settings.value, channelNames, prepared?.model.spec.webhooks !== undefined);
    if (read.ok) {
      settingsLive = { id: SETTINGS_ID, name: declaredSettings?.name ?? 'settings', model: read.model, fingerprint: settingsFingerprint(live.settings.value) };
      for (const [label, raw] of read.rawIds) channels[label] = raw;
      encoding = read.encoding;
    } else {
      settingsLive = [{ id: SETTINGS_ID, name: declaredSettings?.name ?? 'settings', reasons: read.reasons }];
    }
  }
  let desiredSettings: DesiredEntry<ReturnType<typeof settingsFromDesired>['model']> | undefined;
  if (declaredSettings && prepared) {
    for (const problem of prepared.problems) {
      if (channelNamesUnknown && problem.code === 'channel-by-name-unsupported') continue;
      problems.push({
        code: problem.code,
        kind: 'AccessRequestSettings',
        name: declaredSettings.name,
        source: locate(declaredSettings.source, problem.path),
        message: problem.message,
      });
    }
    for (const [label, hex] of prepared.ids) channels[label] ??= channelIdForWrite(hex, encoding);
    desiredSettings = new LocatedLater(declaredSettings.name, [], prepared.model, declaredSettings.source);
  }

  return {
    target: live.target,
    groups: { desired: desiredGroups, live: liveGroups, unmanageable: [], creatable },
    flows: { desired: desiredFlows, live: liveFlows, unmanageable: unmanageableFlows },
    channels: { desired: desiredChannels, live: liveChannels, unmanageable: [], configs },
    settings: { desired: desiredSettings, live: settingsLive },
    unsupported,
    problems,
    warnings,
    references: { ...names.ids, channels, channelIdEncoding: encoding ?? 'base64' },
  };
}
