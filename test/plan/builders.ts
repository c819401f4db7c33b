// Hand-built diff inputs for the plan tests: models in config terms, desired and live entries, and
// an input in which every kind is known and empty unless a test says otherwise; and the plan the
// real planner makes of that input, for tests of what consumes plans.
import type { WebhookChannelSpec } from '../../src/config/kinds.generated.js';
import type { ChannelModel } from '../../src/model/channel.js';
import type { FlowModel } from '../../src/model/flow.js';
import type { GroupModel } from '../../src/model/group.js';
import type { SettingsModel } from '../../src/model/settings.js';
import { diff, type DeletionPolicy, type DesiredEntry, type DiffInput, type LiveEntry, type UnmanageableEntry } from '../../src/plan/diff.js';
import type { Plan } from '../../src/plan/plan.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export function flow(name: string, spec: DeepPartial<FlowModel['spec']> = {}): FlowModel {
  return {
    name,
    spec: {
      description: spec.description ?? 'Access to GitHub',
      enabled: spec.enabled ?? true,
      category: spec.category ?? 'application',
      grantGroup: spec.grantGroup ?? 'GitHub Admins',
      visibleTo: spec.visibleTo ?? ['Engineering Admin'],
      approval: {
        type: spec.approval?.type ?? 'manual',
        nonAdminApprovers: spec.approval?.nonAdminApprovers ?? false,
        levels: spec.approval?.levels ?? [
          { require: 'any', approvers: [{ manager: true }] },
          { require: 'any', approvers: [{ group: 'Security Leads' }] },
        ],
      },
      access: (spec.access as FlowModel['spec']['access'] | undefined) ?? { duration: 'P1D' },
      display: (spec.display as FlowModel['spec']['display'] | undefined) ?? {},
    },
  };
}

export function group(name: string, spec: GroupModel['spec'] = { description: `${name} group` }): GroupModel {
  return { name, spec };
}

/** A notification channel (the WebhookChannel kind), with a secret header and a URL placeholder. */
export function channel(name: string, secrets: ChannelModel['secrets'] = 'live', spec: Partial<ChannelModel['spec']> = {}): ChannelModel {
  return {
    name,
    spec: {
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      headers: { authorization: { secret: true }, 'x-source': 'accessctl' },
      placeholders: ['TOKEN'],
      signed: true,
      ...spec,
    },
    secrets,
  };
}

/** The channel's spec as written in git, which apply reads its secret references from. */
export function channelConfig(url = 'https://siem.example.com/ingest/{{TOKEN}}'): WebhookChannelSpec {
  return { url, secrets: { TOKEN: { env: 'SIEM_TOKEN' } }, headers: { 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTH' } } };
}

export function settings(spec: Partial<SettingsModel['spec']> = {}): SettingsModel {
  return {
    spec: {
      resourceRequests: true,
      exposeApprovalProgress: false,
      email: { approvers: true, requestReceived: true, decision: true },
      ...spec,
    },
  };
}

const nameOf = (model: { spec: unknown }): string => ('name' in model && typeof model.name === 'string' ? model.name : 'settings');

let line = 1;
export function desired<M extends { spec: unknown }>(model: M, previousNames: string[] = [], name = nameOf(model)): DesiredEntry<M> {
  return { name, previousNames, model, source: { file: `config/${name.replace(/\W+/g, '-').toLowerCase()}.yaml`, line: line++, column: 9 } };
}

export function live<M extends { spec: unknown }>(model: M, id: string, name = nameOf(model)): LiveEntry<M> {
  return { id, name, model, fingerprint: `sha256:${id.padEnd(8, '0')}` };
}

export function unmanageable(name: string, id: string, reasons: string[] = ['status "archived"']): UnmanageableEntry {
  return { id, name, reasons };
}

/** Every kind known and empty; the settings live and at their defaults, none declared. */
export function emptyInput(): DiffInput {
  return {
    target: 'https://sandbox.test',
    groups: { desired: [], live: [], unmanageable: [], creatable: new Set() },
    flows: { desired: [], live: [], unmanageable: [] },
    channels: { desired: [], live: [], unmanageable: [], configs: new Map() },
    settings: { desired: undefined, live: live(settings(), 'settings') },
    unsupported: [],
    problems: [],
    warnings: [],
    references: { groups: {}, users: {}, applications: {}, channels: {}, channelIdEncoding: 'hex' },
  };
}

/** The plan of an empty input, as diff() makes it, with `extra` laid over it. */
export function emptyPlan(extra: Partial<Plan> = {}): Plan {
  return { ...diff(emptyInput()), ...extra };
}

/** Desired channels, with the configs apply would read their secrets from. */
export function desiredChannels(input: DiffInput, entries: DesiredEntry<ChannelModel>[]): void {
  input.channels.desired = entries;
  input.channels.configs = new Map(entries.map((e) => [e.name, channelConfig()]));
}

/** Prune on for every kind that has it, and guards wide open, so one guard at a time can be tested. */
export function openPolicy(overrides: Partial<DeletionPolicy> = {}): DeletionPolicy {
  return {
    prune: { ApprovalFlow: true, WebhookChannel: true, GroupAssignment: true },
    maxDeletions: 1000,
    maxDeletionPercent: 100,
    protected: [],
    ...overrides,
  };
}
