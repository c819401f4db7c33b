// The webhook signer agrees with the standardwebhooks package, and the secret is read from the
// environment with errors that name the variable and never quote the value.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { WEBHOOK_SECRET_ENV, webhookSignerFromEnv } from '../../src/events/webhook-signature.js';

describe('Standard Webhooks signing', () => {
  it('signs exactly as the standardwebhooks reference library does', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const sign = webhookSignerFromEnv({ [WEBHOOK_SECRET_ENV]: secret });
    const body = JSON.stringify({ id: 'evt-1', hello: 'wörld' });
    const timestamp = 1_767_000_000;
    expect(sign('evt-1', timestamp, body)).toBe(new Webhook(secret).sign('evt-1', new Date(timestamp * 1000), body));
  });

  it.each([
    ['missing', undefined, /is not set/],
    ['empty', '  ', /is not set/],
    ['without the whsec_ prefix', 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', /does not start with whsec_/],
    ['not base64', 'whsec_PLANTED-events-secret-42!', /is not base64 after whsec_/],
    ['too short', `whsec_${Buffer.from('PLANTED-short').toString('base64')}`, /decodes to 13 bytes/],
  ])('refuses a %s secret with a usage error naming the variable', (_label, value, problem) => {
    const env = value === undefined ? {} : { [WEBHOOK_SECRET_ENV]: value };
    let caught: unknown;
    try {
      webhookSignerFromEnv(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AccessctlError);
    const error = caught as AccessctlError;
    expect(error.code).toBe('usage');
    expect(error.subject).toBe(WEBHOOK_SECRET_ENV);
    expect(error.message).toContain(WEBHOOK_SECRET_ENV);
    expect(error.message).toMatch(problem);
    if (value !== undefined && value.trim() !== '') {
      expect(error.message).not.toContain(value.trim());
      expect(error.message).not.toContain(value.trim().slice('whsec_'.length));
    }
    expect(error.message).not.toContain('PLANTED');
  });
});
