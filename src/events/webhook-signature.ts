// Standard Webhooks v1 signing for the webhook sink: the whsec_ secret read from the environment
// (refused, by name only, when missing or malformed) and the v1 HMAC-SHA256 signature header.
import { SIGNING_SECRET_FORM, secretKey, sign, signingSecretProblem } from '../protocols/standard-webhooks.js';
import { AccessctlError } from '../errors.js';

export const WEBHOOK_SECRET_ENV = 'ACCESSCTL_EVENTS_WEBHOOK_SECRET';

/** Signs `${id}.${timestamp}.${body}`; holds the key in a closure so it never shows in logs or inspection. */
export type WebhookSigner = (id: string, timestampSeconds: number, body: string) => string;

function secretError(problem: string): AccessctlError {
  return new AccessctlError('usage', `${WEBHOOK_SECRET_ENV} ${problem}: a webhook:URL events sink needs a Standard Webhooks secret, ${SIGNING_SECRET_FORM}`, {
    subject: WEBHOOK_SECRET_ENV,
  });
}

/** Reads the signing secret from the environment; the error names the variable, never the value. */
export function webhookSignerFromEnv(env: NodeJS.ProcessEnv): WebhookSigner {
  const value = env[WEBHOOK_SECRET_ENV];
  if (value === undefined || value.trim() === '') throw secretError('is not set');
  const problem = signingSecretProblem(value.trim());
  if (problem !== undefined) throw secretError(problem);
  return webhookSigner(secretKey(value.trim()));
}

export function webhookSigner(key: Uint8Array): WebhookSigner {
  const copy = Buffer.from(key);
  return (id, timestampSeconds, body) => sign(copy, id, timestampSeconds, body);
}
