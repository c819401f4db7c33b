// AccessRequestSettings <-> the platform's AccessWorkflowSettings, including channelEvents: which
// notification channel receives which events. Omitted booleans are false (protobuf JSON); a PUT may
// replace the whole record, so it always carries every field, starting from the record as last read.
import type { Declared } from '../config/desired.js';
import type { AccessRequestSettings } from '../config/kinds.generated.js';
import { nameKey } from '../config/names.js';
import { LEGACY_EVENT_NAMES } from '../config/webhook-rules.js';
import { ACCESS_EVENT_TYPES } from '../model/events.js';
import { channelIdLabel, type SettingsModel, type SubscriptionModel } from '../model/settings.js';
import { bool, encodeObjectId, idEncoding, list, objectIdHex, type IdEncoding } from './protobuf-json.js';
import type { WireChannel, WireChannelEvent, WireSettings, WireSettingsPut } from './wire.js';

export function eventsFromDesired(events: readonly string[]): string[] {
  const names = new Set<string>();
  for (const event of events) {
    if (event === '*') for (const e of ACCESS_EVENT_TYPES) names.add(e);
    else names.add(LEGACY_EVENT_NAMES[event] ?? event);
  }
  return [...names].sort();
}

export function eventsToWire(events: readonly string[]): string[] {
  return events.map((event) => event.toUpperCase());
}

/** "*" when a set holds every event, as export writes it. */
export function eventsForConfig(events: readonly string[]): string[] {
  return events.length === ACCESS_EVENT_TYPES.length ? ['*'] : [...events];
}

/**
 * The notification channels a subscription may name. `listable` is false on targets without a
 * channel API (JumpCloud): there a channel is named by id only.
 */
export class ChannelNames {
  private readonly byHex = new Map<string, string>();
  private readonly byKey = new Map<string, string>();
  /** Hex id -> the channel API's own id string, for live channels. */
  readonly liveIds = new Map<string, string>();

  constructor(
    readonly listable: boolean,
    live: readonly WireChannel[],
    /** Channels the repo will create (WebhookChannel), by name as written. */
    planned: readonly string[],
  ) {
    for (const channel of live) {
      const hex = objectIdHex(channel.id);
      if (hex !== undefined) {
        this.byHex.set(hex, channel.name);
        this.liveIds.set(hex, channel.id);
      }
      this.byKey.set(nameKey(channel.name), channel.name);
    }
    for (const name of planned) if (!this.byKey.has(nameKey(name))) this.byKey.set(nameKey(name), name);
  }

  /** The label a channel known by id goes by: its name where known. */
  labelForId(hex: string): string {
    return this.byHex.get(hex) ?? channelIdLabel(hex);
  }

  nameFor(name: string): string | undefined {
    return this.byKey.get(nameKey(name));
  }

  knowsId(hex: string): boolean {
    return this.byHex.has(hex);
  }

  /** The hex id of a live channel by name. */
  hexForName(name: string): string | undefined {
    for (const [hex, label] of this.byHex) if (nameKey(label) === nameKey(name)) return hex;
    return undefined;
  }
}

export interface ChannelReferenceProblem {
  code: 'unknown-channel' | 'channel-by-name-unsupported';
  message: string;
  path: (string | number)[];
}

export interface DesiredSettings {
  model: SettingsModel;
  problems: ChannelReferenceProblem[];
  /** The hex id of each label used, when the channel has one already (label -> hex). */
  ids: Map<string, string>;
}

export function settingsFromDesired(declared: Declared<AccessRequestSettings>, channels: ChannelNames): DesiredSettings {
  const spec = declared.object.spec;
  const problems: ChannelReferenceProblem[] = [];
  const ids = new Map<string, string>();
  const model: SettingsModel = {
    spec: {
      resourceRequests: spec.resourceRequests ?? true,
      exposeApprovalProgress: spec.exposeApprovalProgress ?? false,
      email: {
        approvers: spec.email?.approvers ?? true,
        requestReceived: spec.email?.requestReceived ?? true,
        decision: spec.email?.decision ?? true,
      },
    },
  };
  if (spec.webhooks !== undefined) {
    const subscriptions: SubscriptionModel[] = [];
    spec.webhooks.forEach((subscription, index) => {
      const path = ['spec', 'webhooks', index, 'channel'];
      let label: string;
      if (typeof subscription.channel === 'string') {
        if (!channels.listable) {
          problems.push({
            code: 'channel-by-name-unsupported',
            path,
            message: `this target cannot list notification channels, so a channel cannot be named; use {id: ...} with the id shown in the console (Settings > Notification Channels)`,
          });
          return;
        }
        const name = channels.nameFor(subscription.channel);
        if (name === undefined) {
          problems.push({
            code: 'unknown-channel',
            path,
            message: `notification channel "${subscription.channel}" does not exist on the platform and the repo declares no WebhookChannel of that name`,
          });
          return;
        }
        label = name;
        const hex = channels.hexForName(name);
        if (hex !== undefined) ids.set(label, hex);
      } else {
        const hex = objectIdHex(subscription.channel.id);
        if (hex === undefined) {
          problems.push({ code: 'unknown-channel', path: [...path, 'id'], message: `"${subscription.channel.id}" is not a channel id (24 hex characters)` });
          return;
        }
        if (channels.listable && !channels.knowsId(hex)) {
          problems.push({ code: 'unknown-channel', path: [...path, 'id'], message: `no notification channel has the id ${hex}` });
          return;
        }
        label = channels.labelForId(hex);
        ids.set(label, hex);
      }
      subscriptions.push({ channel: label, events: eventsFromDesired(subscription.events) });
    });
    // A subscription that cannot be resolved leaves them all uncompared (its problem blocks the
    // plan): the rest alone, compared as the whole list, would read as unsubscribing it.
    if (problems.length === 0) model.spec.webhooks = sortSubscriptions(subscriptions);
  }
  return { model, problems, ids };
}

function sortSubscriptions(subscriptions: SubscriptionModel[]): SubscriptionModel[] {
  return [...subscriptions].sort((a, b) => (nameKey(a.channel) < nameKey(b.channel) ? -1 : nameKey(a.channel) > nameKey(b.channel) ? 1 : 0));
}

export type SettingsRead =
  | {
      ok: true;
      model: SettingsModel;
      /** Label -> the channel id exactly as the platform wrote it. */
      rawIds: Map<string, string>;
      /** How the platform writes channel ids, when it has written any. */
      encoding: IdEncoding | undefined;
    }
  | { ok: false; reasons: string[] };

/** The live settings; `managesWebhooks`: whether the repo sets spec.webhooks (else they are not compared). */
export function settingsFromWire(wire: WireSettings, channels: ChannelNames, managesWebhooks: boolean): SettingsRead {
  const reasons: string[] = [];
  const known = new Set<string>(ACCESS_EVENT_TYPES);
  const rawIds = new Map<string, string>();
  let encoding: IdEncoding | undefined;
  const subscriptions: SubscriptionModel[] = [];
  for (const [i, entry] of list(wire.channelEvents).entries()) {
    const raw = entry.channelObjectId ?? '';
    const hex = objectIdHex(raw);
    if (hex === undefined) {
      reasons.push(`channelEvents[${i}].channelObjectId ${JSON.stringify(raw)}`);
      continue;
    }
    encoding ??= idEncoding(raw);
    const events: string[] = [];
    for (const type of list(entry.eventTypes)) {
      const name = type.toLowerCase();
      if (known.has(name)) events.push(name);
      else reasons.push(`channelEvents[${i}].eventTypes ${JSON.stringify(type)}`);
    }
    const label = channels.labelForId(hex);
    rawIds.set(label, raw);
    subscriptions.push({ channel: label, events: [...new Set(events)].sort() });
  }
  if (reasons.length > 0) return { ok: false, reasons };
  const model: SettingsModel = {
    spec: {
      resourceRequests: bool(wire.resourceRequest),
      exposeApprovalProgress: bool(wire.exposeApprovalProgress),
      email: { approvers: bool(wire.adminApprovalEmail), requestReceived: bool(wire.userRequestEmail), decision: bool(wire.userApprovalEmail) },
    },
  };
  if (managesWebhooks) model.spec.webhooks = sortSubscriptions(subscriptions);
  return { ok: true, model, rawIds, encoding };
}

/** Resolves a subscription's channel label to the id string to write. */
export type ChannelIdLookup = (label: string) => string;

/**
 * The settings PUT body: every field, from the record as last read, with the managed ones set.
 * Subscriptions the repo does not manage are written back exactly as read.
 */
export function settingsPutBody(live: WireSettings, model: SettingsModel, channelId: ChannelIdLookup): WireSettingsPut {
  const channelEvents: WireChannelEvent[] =
    model.spec.webhooks === undefined
      ? list(live.channelEvents).map((entry) => ({ ...entry, eventTypes: [...list(entry.eventTypes)] }))
      : model.spec.webhooks.map((subscription) => ({ channelObjectId: channelId(subscription.channel), eventTypes: eventsToWire(subscription.events) }));
  return {
    resourceRequest: model.spec.resourceRequests,
    exposeApprovalProgress: model.spec.exposeApprovalProgress,
    adminApprovalEmail: model.spec.email.approvers,
    userRequestEmail: model.spec.email.requestReceived,
    userApprovalEmail: model.spec.email.decision,
    channelEvents,
  };
}

/** A channel id as the platform wants it written: in the form it already uses, else the contract's base64. */
export function channelIdForWrite(hex: string, encoding: IdEncoding | undefined): string {
  return encodeObjectId(hex, encoding ?? 'base64');
}

export function settingsSpecForConfig(model: SettingsModel, channels: ChannelNames): AccessRequestSettings['spec'] {
  const out: AccessRequestSettings['spec'] = {
    resourceRequests: model.spec.resourceRequests,
    exposeApprovalProgress: model.spec.exposeApprovalProgress,
    email: { ...model.spec.email },
  };
  if (model.spec.webhooks !== undefined) {
    out.webhooks = model.spec.webhooks.map((subscription) => {
      const events = eventsForConfig(subscription.events) as NonNullable<AccessRequestSettings['spec']['webhooks']>[number]['events'];
      const hex = /^id:([0-9a-f]{24})$/.exec(subscription.channel)?.[1];
      // By name only where the target can list channels; by id everywhere else.
      if (hex !== undefined) return { channel: { id: hex }, events };
      if (channels.listable) return { channel: subscription.channel, events };
      return { channel: { id: channels.hexForName(subscription.channel) ?? subscription.channel }, events };
    });
  }
  return out;
}
