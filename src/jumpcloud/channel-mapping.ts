// WebhookChannel <-> the sandbox's notification channel API (JumpCloud publishes none). Secret
// values never enter the model: they are compared by the salted fingerprint the platform returns.
import { channelSecretRefs } from '../config/channel-secrets.js';
import type { Declared } from '../config/desired.js';
import type { WebhookChannel } from '../config/kinds.generated.js';
import { isCredentialHeader } from '../config/secrets.js';
import { SIGNING_SECRET_FORM, signingSecretProblem } from '../protocols/standard-webhooks.js';
import type { ChannelModel, HeaderModel } from '../model/channel.js';
import { sortRecord } from './model-order.js';
import { secretsMatch, type ChannelSecretValues } from './secrets-fingerprint.js';
import type { WireChannel, WireChannelHeader, WireChannelWrite } from './wire.js';

/** Reads a secret's value; undefined when it is not set where accessctl runs. */
export type SecretSource = (envName: string) => string | undefined;

export interface DesiredChannel {
  model: ChannelModel;
  /** Secret references whose variable is not set, with where each is written. */
  missing: { env: string; path: (string | number)[] }[];
  /** Secret references whose value cannot be what it is for (a signing secret that is no whsec_ secret): why, never the value. */
  invalid: { env: string; path: (string | number)[]; problem: string }[];
}

/** Reads every secret a channel references; the missing and the malformed ones are listed, with where they are written. */
export function readChannelSecrets(
  spec: WebhookChannel['spec'],
  secrets: SecretSource,
): { values: ChannelSecretValues; missing: DesiredChannel['missing']; invalid: DesiredChannel['invalid'] } {
  const values: ChannelSecretValues = { sensitiveValues: {}, headers: {} };
  const missing: DesiredChannel['missing'] = [];
  const invalid: DesiredChannel['invalid'] = [];
  for (const ref of channelSecretRefs(spec)) {
    const value = secrets(ref.env);
    if (value === undefined || value === '') missing.push({ env: ref.env, path: ref.path });
    const slot = ref.slot;
    if (slot.in === 'placeholder') values.sensitiveValues[slot.name] = value ?? '';
    else if (slot.in === 'header') values.headers[slot.name] = value ?? '';
    else {
      values.signingSecret = value ?? '';
      const problem = value === undefined || value === '' ? undefined : signingSecretProblem(value);
      if (problem !== undefined) invalid.push({ env: ref.env, path: ref.path, problem: `${problem}; a signing secret is ${SIGNING_SECRET_FORM}` });
    }
  }
  return { values, missing, invalid };
}

export function channelFromDesired(declared: Declared<WebhookChannel>, secrets: SecretSource, live: WireChannel | undefined): DesiredChannel {
  const spec = declared.object.spec;
  const { values, missing, invalid } = readChannelSecrets(spec, secrets);
  const headers: Record<string, HeaderModel> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = typeof value === 'string' ? value : { secret: true };
  }
  let state: ChannelModel['secrets'] = 'new';
  if (live) state = missing.length > 0 ? 'unknown' : secretsMatch(live.secretsFingerprint, values) ? 'live' : 'changed';
  return {
    model: {
      name: declared.object.metadata.name,
      spec: {
        url: spec.url,
        enabled: spec.enabled ?? true,
        verifySsl: spec.verifySsl ?? true,
        headers: sortRecord(headers),
        placeholders: Object.keys(spec.secrets ?? {}).sort(),
        signed: spec.signingSecret !== undefined,
      },
      secrets: state,
    },
    missing,
    invalid,
  };
}

export function channelFromWire(channel: WireChannel): ChannelModel {
  const headers: Record<string, HeaderModel> = {};
  // A credential header is a secret even where the platform stores it in the clear: never shown.
  for (const header of channel.headers ?? [])
    headers[header.name.toLowerCase()] = header.sensitive || isCredentialHeader(header.name) ? { secret: true } : header.value;
  return {
    name: channel.name,
    spec: {
      url: channel.url,
      enabled: channel.enabled,
      verifySsl: channel.verifySsl,
      headers: sortRecord(headers),
      placeholders: Object.keys(channel.sensitiveValues ?? {}).sort(),
      signed: channel.signingSecret !== undefined,
    },
    secrets: 'live',
  };
}

export function channelWriteBody(name: string, spec: WebhookChannel['spec'], values: ChannelSecretValues): WireChannelWrite {
  const headers: WireChannelHeader[] = Object.entries(spec.headers ?? {}).flatMap(([header, value]): WireChannelHeader[] => {
    if (value === undefined) return [];
    if (typeof value === 'string') return [{ name: header, value, sensitive: false }];
    return [{ name: header, value: values.headers[header] ?? '', sensitive: true }];
  });
  const wire: WireChannelWrite = {
    name,
    url: spec.url,
    enabled: spec.enabled ?? true,
    verifySsl: spec.verifySsl ?? true,
    sensitiveValues: { ...values.sensitiveValues },
    headers,
  };
  if (values.signingSecret !== undefined) wire.signingSecret = values.signingSecret;
  return wire;
}

/** The environment variable name export proposes for one of a channel's secrets. */
export function proposedEnvName(channel: string, secret: string): string {
  const name = `${channel}_${secret}`
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[A-Z_]/.test(name) ? name : `_${name}`;
}

/** A live channel as config: secret values become references to proposed environment variables. */
export function channelSpecForConfig(channel: WireChannel): WebhookChannel['spec'] {
  const used = new Set<string>();
  const envFor = (secret: string): { env: string } => {
    let name = proposedEnvName(channel.name, secret);
    for (let n = 2; used.has(name); n++) name = `${proposedEnvName(channel.name, secret)}_${n}`;
    used.add(name);
    return { env: name };
  };
  const out: WebhookChannel['spec'] = { url: channel.url, enabled: channel.enabled, verifySsl: channel.verifySsl };
  const placeholders = Object.keys(channel.sensitiveValues ?? {}).sort();
  if (placeholders.length > 0) out.secrets = Object.fromEntries(placeholders.map((p) => [p, envFor(p)]));
  const headers = channel.headers ?? [];
  if (headers.length > 0) out.headers = Object.fromEntries(headers.map((h) => [h.name, h.sensitive || isCredentialHeader(h.name) ? envFor(h.name) : h.value]));
  if (channel.signingSecret !== undefined) out.signingSecret = envFor('SIGNING_SECRET');
  return out;
}
