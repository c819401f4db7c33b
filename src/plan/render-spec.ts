// A change's spec as the YAML author writes it, for the text and markdown plans: the config's own
// field names and shapes (channel: {id: ...}, secrets: {TOKEN: {env: ...}}), no bookkeeping of the
// comparable model (placeholders, signed, {secret: true}) and no empty containers or defaults-only noise.
import type { HeaderValue, WebhookChannelSpec } from '../config/kinds.generated.js';
import type { ChannelSpecModel } from '../model/channel.js';
import type { FlowSpecModel } from '../model/flow.js';
import type { GroupSpecModel } from '../model/group.js';
import { channelIdOfLabel, type SettingsSpecModel } from '../model/settings.js';
import type { Change, ChangeOf, ManagedKind } from './plan.js';

type Spec = Record<string, unknown>;

/** A secret the live object holds that the config does not name: its value is never known, let alone shown. */
export const LIVE_SECRET = '(secret)';

/** Sets `key` unless the value is an empty list, an empty object, an empty string or undefined. */
function put(out: Spec, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
  out[key] = value;
}

function flowSpec(spec: FlowSpecModel): Spec {
  const out: Spec = {};
  put(out, 'description', spec.description);
  out['enabled'] = spec.enabled;
  out['category'] = spec.category;
  out['grantGroup'] = spec.grantGroup;
  put(out, 'visibleTo', [...spec.visibleTo]);
  const approval: Spec = { type: spec.approval.type, nonAdminApprovers: spec.approval.nonAdminApprovers };
  // An automatic flow has no levels in config; a manual one lists them.
  if (spec.approval.type === 'manual')
    put(
      approval,
      'levels',
      spec.approval.levels.map((level) => ({ require: level.require, approvers: level.approvers.map((a) => ({ ...a })) })),
    );
  out['approval'] = approval;
  // No access block is permanent access, as in config.
  if (spec.access !== null) out['access'] = 'duration' in spec.access ? { duration: spec.access.duration } : { durations: [...spec.access.durations] };
  if (spec.display !== undefined) {
    const display: Spec = {};
    put(display, 'color', spec.display.color);
    put(display, 'iconUrl', spec.display.iconUrl);
    put(out, 'display', display);
  }
  return out;
}

function groupSpec(spec: GroupSpecModel): Spec {
  const out: Spec = {};
  put(out, 'description', spec.description);
  put(out, 'applications', spec.applications === undefined ? undefined : [...spec.applications]);
  return out;
}

function settingsSpec(spec: SettingsSpecModel): Spec {
  const out: Spec = {
    resourceRequests: spec.resourceRequests,
    exposeApprovalProgress: spec.exposeApprovalProgress,
    email: { ...spec.email },
  };
  // A channel known only by id is written {id: ...} in config; the model's "id:" label is internal.
  put(
    out,
    'webhooks',
    spec.webhooks?.map((s) => {
      const id = channelIdOfLabel(s.channel);
      return { channel: id === undefined ? s.channel : { id }, events: [...s.events] };
    }),
  );
  return out;
}

/** `names` in the order the file writes them, then those the file does not have: both sides of a diff in one order. */
function inFileOrder(names: readonly string[], fileOrder: readonly string[]): string[] {
  const present = new Set(names);
  const first = fileOrder.filter((name) => present.has(name));
  const inFile = new Set(first);
  return [...first, ...names.filter((name) => !inFile.has(name))];
}

function headerName(config: WebhookChannelSpec | undefined, lowerCased: string): string {
  return Object.keys(config?.headers ?? {}).find((name) => name.toLowerCase() === lowerCased) ?? lowerCased;
}

/**
 * A channel. The git side is the spec as written (its secret references included). The live side
 * shows a secret the config also names by the config's reference, so only what differs is a diff
 * line (whether the values match is the plan's "sensitive value changed" line), and any other
 * live secret as LIVE_SECRET.
 */
function channelSpec(spec: ChannelSpecModel, config: WebhookChannelSpec | undefined, side: 'live' | 'git'): Spec {
  const out: Spec = { url: spec.url, enabled: spec.enabled, verifySsl: spec.verifySsl };
  if (side === 'git' && config !== undefined) {
    put(out, 'secrets', config.secrets === undefined ? undefined : cloneRefs(config.secrets));
    put(out, 'headers', config.headers === undefined ? undefined : cloneRefs(config.headers));
    if (config.signingSecret !== undefined) out['signingSecret'] = { env: config.signingSecret.env };
    return out;
  }
  const secrets: Spec = {};
  for (const name of inFileOrder(spec.placeholders, Object.keys(config?.secrets ?? {}))) {
    const ref = config?.secrets?.[name];
    secrets[name] = ref === undefined ? LIVE_SECRET : { env: ref.env };
  }
  put(out, 'secrets', secrets);
  const headers: Spec = {};
  const written = Object.keys(config?.headers ?? {}).map((name) => name.toLowerCase());
  for (const lowerCased of inFileOrder(Object.keys(spec.headers), written)) {
    const value = spec.headers[lowerCased];
    const name = headerName(config, lowerCased);
    if (typeof value === 'string') headers[name] = value;
    else {
      const ref = config?.headers?.[name];
      headers[name] = ref !== undefined && typeof ref !== 'string' ? { env: ref.env } : LIVE_SECRET;
    }
  }
  put(out, 'headers', headers);
  if (spec.signed) out['signingSecret'] = config?.signingSecret === undefined ? LIVE_SECRET : { env: config.signingSecret.env };
  return out;
}

function cloneRefs(record: Record<string, HeaderValue | undefined>): Spec {
  const out: Spec = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : { env: value.env };
  }
  return out;
}

function sideOf<S>(change: ChangeOf<ManagedKind, S>, side: 'before' | 'after'): S | undefined {
  if (side === 'before') return change.action === 'create' ? undefined : change.before;
  return change.action === 'delete' ? undefined : change.after;
}

/** One side of a change in config terms: `before` is the live object, `after` the object in git; undefined for the side a create or delete lacks. */
export function specForPeople(change: Change, side: 'before' | 'after'): Spec | undefined {
  switch (change.kind) {
    case 'ApprovalFlow': {
      const spec = sideOf(change, side);
      return spec === undefined ? undefined : flowSpec(spec);
    }
    case 'GroupAssignment': {
      const spec = sideOf(change, side);
      return spec === undefined ? undefined : groupSpec(spec);
    }
    case 'AccessRequestSettings':
      return settingsSpec(side === 'before' ? change.before : change.after);
    case 'WebhookChannel': {
      const spec = sideOf(change, side);
      return spec === undefined ? undefined : channelSpec(spec, change.config, side === 'before' ? 'live' : 'git');
    }
  }
}
