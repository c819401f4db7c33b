// Specifies channel-mapping.ts (WebhookChannel, a sandbox extension): config -> model -> write body
// -> the platform's masked read -> the same model; secret values are compared by the platform's
// salted HMAC only, never read back; export writes secret references, never values.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  channelFromDesired,
  channelFromWire,
  channelSpecForConfig,
  channelWriteBody,
  proposedEnvName,
  readChannelSecrets,
  type SecretSource,
} from '../../src/jumpcloud/channel-mapping.js';
import { canonicalSecrets, type ChannelSecretValues } from '../../src/jumpcloud/secrets-fingerprint.js';
import type { WireChannel, WireChannelWrite } from '../../src/jumpcloud/wire.js';
import { channelDecl, schemaErrors } from './mapping-fixtures.js';

/** The fingerprint the platform returns: an HMAC of the canonical secrets under a fresh salt. */
function fingerprint(values: ChannelSecretValues, salt = randomBytes(16).toString('hex')): string {
  return `hmac-sha256:${salt}:${createHmac('sha256', Buffer.from(salt, 'hex')).update(canonicalSecrets(values)).digest('hex')}`;
}

const env: Record<string, string> = { SIEM_TOKEN: 'tok-123', SIEM_AUTH: 'Bearer abc', SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' };
const fromEnv =
  (values: Record<string, string>): SecretSource =>
  (name) =>
    values[name];

const siemSpec = {
  url: 'https://siem.example.com/ingest/{{TOKEN}}',
  secrets: { TOKEN: { env: 'SIEM_TOKEN' } },
  headers: { 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTH' } },
  signingSecret: { env: 'SIEM_SIGNING_SECRET' },
};
const liveValues: ChannelSecretValues = {
  sensitiveValues: { TOKEN: 'tok-123' },
  headers: { Authorization: 'Bearer abc' },
  signingSecret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0',
};

/** What the platform returns for a channel written with `write`: secrets masked, a fingerprint. */
function channelRead(write: WireChannelWrite, id = '65a0000000000000000000c1'): WireChannel {
  const read: WireChannel = {
    id,
    name: write.name,
    url: write.url,
    enabled: write.enabled,
    verifySsl: write.verifySsl,
    sensitiveValues: Object.fromEntries(Object.keys(write.sensitiveValues).map((k) => [k, '********'])),
    headers: write.headers.map((h) => (h.sensitive ? { ...h, value: '********' } : h)),
    secretsFingerprint: fingerprint({
      sensitiveValues: write.sensitiveValues,
      headers: Object.fromEntries(write.headers.filter((h) => h.sensitive).map((h) => [h.name, h.value])),
      signingSecret: write.signingSecret,
    }),
  };
  if (write.signingSecret !== undefined) read.signingSecret = '********';
  return read;
}

const siemLive = (): WireChannel => channelRead(channelWriteBody('SIEM', channelDecl(siemSpec).object.spec, liveValues));

/** A live channel with nothing set: the base of the export cases. */
const bare: WireChannel = {
  id: '65a0000000000000000000c9',
  name: 'Audit',
  url: 'https://audit.example.com/in',
  enabled: true,
  verifySsl: true,
  sensitiveValues: {},
  headers: [],
  secretsFingerprint: fingerprint({ sensitiveValues: {}, headers: {} }),
};

describe('WebhookChannel mapping', () => {
  it('maps a channel config -> model -> write body -> platform read -> the same model', () => {
    const declared = channelDecl(siemSpec);
    const desired = channelFromDesired(declared, fromEnv(env), undefined);
    expect(desired.missing).toEqual([]);
    expect(desired.model).toEqual({
      name: 'SIEM',
      spec: {
        url: 'https://siem.example.com/ingest/{{TOKEN}}',
        enabled: true,
        verifySsl: true,
        headers: { authorization: { secret: true }, 'x-source': 'accessctl' },
        placeholders: ['TOKEN'],
        signed: true,
      },
      secrets: 'new',
    });
    const { values } = readChannelSecrets(declared.object.spec, fromEnv(env));
    expect(values).toEqual(liveValues);
    const read = channelRead(channelWriteBody('SIEM', declared.object.spec, values));
    const again = channelFromDesired(declared, fromEnv(env), read);
    expect(again.model.secrets).toBe('live');
    expect(channelFromWire(read)).toEqual(again.model);
  });

  it('marks secret headers sensitive in the write body and carries the secret values there only', () => {
    const wire = channelWriteBody('SIEM', channelDecl({ ...siemSpec, enabled: false, verifySsl: false }).object.spec, liveValues);
    expect(wire).toEqual({
      name: 'SIEM',
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: false,
      verifySsl: false,
      sensitiveValues: { TOKEN: 'tok-123' },
      headers: [
        { name: 'X-Source', value: 'accessctl', sensitive: false },
        { name: 'Authorization', value: 'Bearer abc', sensitive: true },
      ],
      signingSecret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0',
    });
  });

  it('fills enabled and verifySsl with true on the config side', () => {
    const prepared = channelFromDesired(channelDecl({ url: 'https://h.example.com/x' }), fromEnv({}), undefined);
    expect(prepared.model.spec).toEqual({ url: 'https://h.example.com/x', enabled: true, verifySsl: true, headers: {}, placeholders: [], signed: false });
    expect(prepared.missing).toEqual([]);
  });

  it('compares header names without case', () => {
    const upper = channelFromDesired(
      channelDecl({ ...siemSpec, headers: { 'X-SOURCE': 'accessctl', AUTHORIZATION: { env: 'SIEM_AUTH' } } }),
      fromEnv(env),
      siemLive(),
    );
    const lower = channelFromDesired(channelDecl(siemSpec), fromEnv(env), siemLive());
    expect(upper.model).toEqual(lower.model);
    expect(upper.model.secrets).toBe('live');
  });

  it('reads a credential header the platform holds unmasked as a secret, never as its value', () => {
    const channel = { ...bare, headers: [{ name: 'Authorization', value: 'Bearer live-credential', sensitive: false }] };
    expect(channelFromWire(channel).spec.headers).toEqual({ authorization: { secret: true } });
    expect(JSON.stringify(channelFromWire(channel))).not.toContain('live-credential');
  });
});

describe('secrets are compared by fingerprint only', () => {
  it("says 'live' when the platform's HMAC matches ours", () => {
    expect(channelFromDesired(channelDecl(siemSpec), fromEnv(env), siemLive()).model.secrets).toBe('live');
  });

  it("says 'changed' when any one value differs", () => {
    for (const changed of ['SIEM_TOKEN', 'SIEM_AUTH', 'SIEM_SIGNING_SECRET']) {
      const prepared = channelFromDesired(channelDecl(siemSpec), fromEnv({ ...env, [changed]: 'something-else' }), siemLive());
      expect(prepared.model.secrets, changed).toBe('changed');
      expect(prepared.missing, changed).toEqual([]);
    }
  });

  it("says 'changed' for a fingerprint it cannot parse", () => {
    const live = { ...siemLive(), secretsFingerprint: 'garbage' };
    expect(channelFromDesired(channelDecl(siemSpec), fromEnv(env), live).model.secrets).toBe('changed');
  });

  it("says 'unknown' when an environment variable is missing or empty, and names where each is referenced", () => {
    const { SIEM_AUTH: _auth, ...partial } = env;
    const prepared = channelFromDesired(channelDecl(siemSpec), fromEnv({ ...partial, SIEM_TOKEN: '' }), siemLive());
    expect(prepared.model.secrets).toBe('unknown');
    expect(prepared.missing).toEqual([
      { env: 'SIEM_TOKEN', path: ['spec', 'secrets', 'TOKEN'] },
      { env: 'SIEM_AUTH', path: ['spec', 'headers', 'Authorization'] },
    ]);
  });

  it("says 'new' when there is no live channel, with or without the values", () => {
    expect(channelFromDesired(channelDecl(siemSpec), fromEnv(env), undefined).model.secrets).toBe('new');
    const without = channelFromDesired(channelDecl(siemSpec), fromEnv({}), undefined);
    expect(without.model.secrets).toBe('new');
    expect(without.missing.map((m) => m.env)).toEqual(['SIEM_TOKEN', 'SIEM_AUTH', 'SIEM_SIGNING_SECRET']);
  });
});

describe('export', () => {
  it('writes a channel as config with secret references that maps back to the same model', () => {
    const channel = siemLive();
    const exported = channelSpecForConfig(channel);
    expect(exported).toEqual({
      url: 'https://siem.example.com/ingest/{{TOKEN}}',
      enabled: true,
      verifySsl: true,
      secrets: { TOKEN: { env: 'SIEM_TOKEN' } },
      headers: { 'X-Source': 'accessctl', Authorization: { env: 'SIEM_AUTHORIZATION' } },
      signingSecret: { env: 'SIEM_SIGNING_SECRET' },
    });
    expect(JSON.stringify(exported)).not.toContain('********');
    expect(schemaErrors('WebhookChannel', 'SIEM', exported)).toEqual([]);
    const reimported = channelFromDesired(
      channelDecl(exported),
      fromEnv({ SIEM_TOKEN: 'tok-123', SIEM_AUTHORIZATION: 'Bearer abc', SIEM_SIGNING_SECRET: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' }),
      channel,
    );
    expect(reimported.model).toEqual(channelFromWire(channel));
  });

  it('writes a bare channel as schema-valid config that maps back', () => {
    const exported = channelSpecForConfig(bare);
    expect(exported).toEqual({ url: 'https://audit.example.com/in', enabled: true, verifySsl: true });
    expect(schemaErrors('WebhookChannel', 'Audit', exported)).toEqual([]);
    expect(channelFromDesired(channelDecl(exported, 'Audit'), fromEnv({}), bare).model).toEqual(channelFromWire(bare));
  });

  it('writes a credential header the platform holds unmasked as a secret reference, never as its value', () => {
    const channel = { ...bare, headers: [{ name: 'Authorization', value: 'Bearer live-credential', sensitive: false }] };
    const exported = channelSpecForConfig(channel);
    expect(JSON.stringify(exported)).not.toContain('live-credential');
    expect(exported.headers).toEqual({ Authorization: { env: 'AUDIT_AUTHORIZATION' } });
  });

  it('proposes environment variable names that are valid and distinct', () => {
    expect(proposedEnvName('SIEM', 'token')).toBe('SIEM_TOKEN');
    expect(proposedEnvName('Pager duty!', 'x-api-key')).toBe('PAGER_DUTY_X_API_KEY');
    expect(proposedEnvName('1st', 'key')).toBe('_1ST_KEY');
    const channel = { ...bare, sensitiveValues: { 'api-key': '********' }, headers: [{ name: 'API_KEY', value: '********', sensitive: true }] };
    const exported = channelSpecForConfig(channel);
    expect(exported.secrets).toEqual({ 'api-key': { env: 'AUDIT_API_KEY' } });
    expect(exported.headers).toEqual({ API_KEY: { env: 'AUDIT_API_KEY_2' } });
  });
});
