// The one walk over a notification channel's secret references: URL placeholders, secret headers
// and the signing secret. Mapping, apply, export, the reconciler and `up` all read secrets through it.
import type { WebhookChannelSpec } from './kinds.generated.js';

export type ChannelSecretSlot = { in: 'placeholder'; name: string } | { in: 'header'; name: string } | { in: 'signingSecret' };

export interface ChannelSecretRef {
  slot: ChannelSecretSlot;
  env: string;
  /** Where the reference is written, under the document root. */
  path: (string | number)[];
}

export function channelSecretRefs(spec: WebhookChannelSpec): ChannelSecretRef[] {
  const refs: ChannelSecretRef[] = [];
  for (const [name, ref] of Object.entries(spec.secrets ?? {})) {
    if (ref) refs.push({ slot: { in: 'placeholder', name }, env: ref.env, path: ['spec', 'secrets', name] });
  }
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (value !== undefined && typeof value !== 'string') refs.push({ slot: { in: 'header', name }, env: value.env, path: ['spec', 'headers', name] });
  }
  if (spec.signingSecret) refs.push({ slot: { in: 'signingSecret' }, env: spec.signingSecret.env, path: ['spec', 'signingSecret'] });
  return refs;
}
