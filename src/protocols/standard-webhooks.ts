// Standard Webhooks v1 (standardwebhooks.com): the signature over "id.timestamp.body", HMAC-SHA256
// keyed by the bytes of a whsec_ secret, sent as "v1,<base64>". A protocol, so both the event sink
// and the sandbox's delivery worker sign with this one function.
import { createHmac } from 'node:crypto';

/** The key bytes of a whsec_ secret (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** The webhook-signature header value for one message. */
export function sign(key: Uint8Array, messageId: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`;
}
