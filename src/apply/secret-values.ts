// Reads a webhook's secret values from the environment at apply time, naming any variable that is
// missing. The values go only into the request body; nothing here is logged or returned elsewhere.
import type { WebhookSubscription } from '../config/kinds.generated.js';
import { AccessctlError } from '../errors.js';
import type { SecretSource } from '../jumpcloud/mapping.js';
import type { ChannelSecretValues } from '../jumpcloud/secrets-fingerprint.js';

export function readSecretValues(spec: WebhookSubscription['spec'], secrets: SecretSource): ChannelSecretValues {
  const missing: string[] = [];
  const read = (env: string): string => {
    const value = secrets(env);
    if (value === undefined || value === '') missing.push(env);
    return value ?? '';
  };
  const values: ChannelSecretValues = { sensitiveValues: {}, headers: {} };
  for (const [name, ref] of Object.entries(spec.secrets ?? {})) if (ref) values.sensitiveValues[name] = read(ref.env);
  for (const [name, value] of Object.entries(spec.headers ?? {})) if (value !== undefined && typeof value !== 'string') values.headers[name] = read(value.env);
  if (spec.signingSecret) values.signingSecret = read(spec.signingSecret.env);
  if (missing.length > 0) {
    throw new AccessctlError('usage', `environment variable${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`, {
      subject: missing[0]!,
    });
  }
  return values;
}
