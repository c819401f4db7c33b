// Standard Webhooks v1 (standardwebhooks.com): the signature over "id.timestamp.body", HMAC-SHA256
// keyed by the bytes of a whsec_ secret, sent as "v1,<base64>". A protocol, so the event sink, the
// sandbox's delivery worker and the plan's check of a channel's secret share its rules.
import { createHmac } from 'node:crypto';

/** A signing secret is whsec_ and the base64 of this many random bytes. */
export const SIGNING_KEY_BYTES = { min: 24, max: 64 } as const;
const SIGNING_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** What a signing secret must be, in words, for a message about one that is not. */
export const SIGNING_SECRET_FORM = `whsec_ followed by the base64 of ${SIGNING_KEY_BYTES.min} to ${SIGNING_KEY_BYTES.max} random bytes`;

/** Why `secret` is not a signing secret, or undefined when it is one. The reason never quotes the secret. */
export function signingSecretProblem(secret: string): string | undefined {
  const match = SIGNING_SECRET.exec(secret);
  if (!match) return secret.startsWith('whsec_') ? 'is not base64 after whsec_' : 'does not start with whsec_';
  const bytes = Buffer.from(match[1]!, 'base64').length;
  if (bytes < SIGNING_KEY_BYTES.min || bytes > SIGNING_KEY_BYTES.max) return `decodes to ${bytes} bytes`;
  return undefined;
}

/** The key bytes of a whsec_ secret (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** The webhook-signature header value for one message. */
export function sign(key: Uint8Array, messageId: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}
