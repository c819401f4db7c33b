// Standard Webhooks v1 signatures: HMAC-SHA256 over "id.timestamp.body" keyed by the base64 bytes
// of a whsec_ secret, sent as "v1,<base64>" in webhook-signature.
import { createHmac } from 'node:crypto';

export function signatureHeader(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const digest = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${digest}`;
}
