// --events values become the right sinks, and a bad value is a usage error about --events that
// says what is expected (without echoing a password or a secret).
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AccessctlError } from '../../src/errors.js';
import { FileSink } from '../../src/events/file-sink.js';
import { sinkFromSpec, webhookSpoolDir, type SinkSpecOptions } from '../../src/events/sink-spec.js';
import { StdoutSink } from '../../src/events/stdout-sink.js';
import { WebhookSink } from '../../src/events/webhook-sink.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const options: SinkSpecOptions = { env: { ACCESSCTL_EVENTS_WEBHOOK_SECRET: SECRET }, spoolDir: '/tmp/accessctl-spool-spec', stdout: new PassThrough() };

function usageFailure(spec: string, opts: SinkSpecOptions = options): AccessctlError {
  try {
    sinkFromSpec(spec, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(AccessctlError);
    expect((error as AccessctlError).code).toBe('usage');
    return error as AccessctlError;
  }
  throw new Error(`${spec} was accepted`);
}

describe('--events values', () => {
  it('maps -, file:PATH and webhook:URL to their sinks', async () => {
    expect(sinkFromSpec('-', options)).toBeInstanceOf(StdoutSink);
    const file = sinkFromSpec('file:out/events.jsonl', options);
    expect(file).toBeInstanceOf(FileSink);
    expect(file.name).toBe('file:out/events.jsonl');
    const webhook = sinkFromSpec('webhook:https://hooks.example.com/accessctl?token=abc', options);
    expect(webhook).toBeInstanceOf(WebhookSink);
    expect(webhook.name).toBe('webhook:https://hooks.example.com/accessctl');
    await webhook.close();
  });

  it('gives each webhook URL its own stable spool directory', () => {
    const a = webhookSpoolDir('/spool', new URL('https://a.example/hook'));
    expect(webhookSpoolDir('/spool', new URL('https://a.example/hook'))).toBe(a);
    expect(webhookSpoolDir('/spool', new URL('https://b.example/hook'))).not.toBe(a);
    expect(a.startsWith('/spool/webhook-')).toBe(true);
  });

  it.each([
    ['', /got an empty value: expected -, file:PATH or webhook:URL/],
    ['stdout', /got "stdout": expected -, file:PATH or webhook:URL/],
    ['http://example.com/hook', /expected -, file:PATH or webhook:URL/],
    ['file:', /file: needs a path/],
    ['webhook:', /webhook: needs a URL/],
    ['webhook:not a url', /needs an absolute http\(s\) URL/],
    ['webhook:ftp://example.com/hook', /is not an http\(s\) URL/],
  ])('refuses %j with a usage error about --events', (spec, message) => {
    const error = usageFailure(spec);
    expect(error.subject).toBe('--events');
    expect(error.message).toMatch(message);
  });

  it('refuses a webhook URL carrying a password without repeating it', () => {
    const error = usageFailure('webhook:https://user:PLANTED-events-secret-42@example.com/hook');
    expect(error.subject).toBe('--events');
    expect(error.message).toMatch(/must not carry user:password/);
    expect(error.message).not.toContain('PLANTED');
  });

  it('refuses a webhook without a signing secret, naming the variable', () => {
    const error = usageFailure('webhook:https://example.com/hook', { ...options, env: {} });
    expect(error.subject).toBe('ACCESSCTL_EVENTS_WEBHOOK_SECRET');
    expect(error.message).toMatch(/ACCESSCTL_EVENTS_WEBHOOK_SECRET is not set/);
  });

  it('needs no secret for stdout and file sinks, and builds the sink each names', () => {
    expect(sinkFromSpec('-', { ...options, env: {} })).toBeInstanceOf(StdoutSink);
    expect(sinkFromSpec('file:x.jsonl', { ...options, env: {} })).toBeInstanceOf(FileSink);
  });
});
