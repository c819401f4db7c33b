// Standard Webhooks v1 signing for the webhook sink: the whsec_ secret read from the environment
// (refused, by name only, when missing or malformed) and the v1 HMAC-SHA256 signature header.
import { sign } from '../protocols/standard-webhooks.js';
import { AccessctlError } from '../errors.js';

export const WEBHOOK_SECRET_ENV = 'ACCESSCTL_EVENTS_WEBHOOK_SECRET';

const SECRET_PATTERN = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** Signs `${id}.${timestamp}.${body}`; holds the key in a closure so it never shows in logs or inspection. */
export type WebhookSigner = (id: string, timestampSeconds: number, body: string) => string;

function secretError(problem: string): AccessctlError {
  return new AccessctlError(
    'usage',
    `${WEBHOOK_SECRET_ENV} ${problem}: a webhook:URL events sink needs a Standard Webhooks secret, whsec_ followed by the base64 of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} random bytes`,
    { subject: WEBHOOK_SECRET_ENV },
  );
}

/** Reads the signing secret from the environment; the error names the variable, never the value. */
export function webhookSignerFromEnv(env: NodeJS.ProcessEnv): WebhookSigner {
  const value = env[WEBHOOK_SECRET_ENV];
  if (value === undefined || value.trim() === '') throw secretError('is not set');
  const match = SECRET_PATTERN.exec(value.trim());
  if (!match) throw secretError('is not a valid secret');
  const key = Buffer.from(match[1]!, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) throw secretError(`decodes to ${key.length} bytes`);
  return webhookSigner(key);
}

export function webhookSigner(key: Uint8Array): WebhookSigner {
  const copy = Buffer.from(key);
  return (id, timestampSeconds, body) => sign(copy, id, timestampSeconds, body);
}
