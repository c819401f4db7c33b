// Tells whether a channel's live secrets equal the desired ones without ever reading them back:
// the platform returns an HMAC of its stored secrets under a random salt, and we compute the same
// HMAC of ours. The canonical form is documented in the sandbox's OpenAPI description.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ChannelSecretValues {
  /** URL placeholder values by placeholder name. */
  sensitiveValues: Record<string, string>;
  /** Sensitive header values by header name (any case). */
  headers: Record<string, string>;
  signingSecret?: string | undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function canonicalSecrets(values: ChannelSecretValues): string {
  return JSON.stringify([
    Object.entries(values.sensitiveValues).sort(([a], [b]) => compare(a, b)),
    Object.entries(values.headers)
      .map(([name, value]) => [name.toLowerCase(), value] as const)
      .sort(([a], [b]) => compare(a, b)),
    values.signingSecret ?? null,
  ]);
}

export function parseFingerprint(fingerprint: string): { salt: string; digest: string } | undefined {
  const match = /^hmac-sha256:([0-9a-f]{16,128}):([0-9a-f]{64})$/.exec(fingerprint);
  return match ? { salt: match[1]!, digest: match[2]! } : undefined;
}

/** True when `values` are exactly the secrets the live fingerprint was made from. */
export function secretsMatch(fingerprint: string, values: ChannelSecretValues): boolean {
  const parsed = parseFingerprint(fingerprint);
  if (!parsed) return false;
  const ours = createHmac('sha256', Buffer.from(parsed.salt, 'hex')).update(canonicalSecrets(values)).digest();
  return timingSafeEqual(ours, Buffer.from(parsed.digest, 'hex'));
}
