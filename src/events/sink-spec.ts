// Turns an --events value into a sink: `-` (stdout JSONL), `file:PATH` or `webhook:URL`. A bad
// value is a usage error about --events; a webhook without a valid secret names the variable.
// Also warns, at start, about spooled events that no configured webhook sink will ever send.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { AccessctlError } from '../errors.js';
import { printable } from '../plan/printable.js';
import type { RetryPolicy } from '../retry/policy.js';
import { FileSink } from './file-sink.js';
import type { EventSink, SinkNoticeHandler } from './sink.js';
import { StdoutSink } from './stdout-sink.js';
import { webhookSignerFromEnv } from './webhook-signature.js';
import { displayUrl, WebhookSink } from './webhook-sink.js';
import { strandedSpools, type StrandedSpool } from './webhook-spool.js';

export interface SinkSpecOptions {
  env: NodeJS.ProcessEnv;
  /** Where webhook sinks spool; each URL gets its own subdirectory. */
  spoolDir: string;
  stdout?: NodeJS.WritableStream;
  /** An undici Dispatcher for webhook requests. */
  fetchDispatcher?: unknown;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  retry?: RetryPolicy;
  /** Told about events kept in a spool or refused by a receiver; messages hold no secret. */
  onNotice?: SinkNoticeHandler;
}

export const EVENTS_FLAG = '--events';

function specError(message: string): AccessctlError {
  return new AccessctlError('usage', message, { subject: EVENTS_FLAG });
}

function isDispatcher(value: unknown): value is Dispatcher {
  return typeof value === 'object' && value !== null && typeof (value as { dispatch?: unknown }).dispatch === 'function';
}

/** The spool subdirectory for one webhook URL: stable across runs, distinct per URL. */
export function webhookSpoolDir(spoolDir: string, url: URL): string {
  return join(spoolDir, `webhook-${createHash('sha256').update(url.href).digest('hex').slice(0, 16)}`);
}

function webhookSink(rest: string, options: SinkSpecOptions): WebhookSink {
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    throw specError(`${EVENTS_FLAG} webhook:URL needs an absolute http(s) URL; got "webhook:${rest.includes('@') ? '…' : rest}"`);
  }
  if (url.username !== '' || url.password !== '') {
    throw specError(`${EVENTS_FLAG} webhook:URL must not carry user:password; the receiver checks the signature instead`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw specError(`${EVENTS_FLAG} webhook:${displayUrl(url)} is not an http(s) URL`);
  }
  if (options.spoolDir === '') throw new AccessctlError('internal', 'a webhook events sink needs a spool directory');
  if (options.fetchDispatcher !== undefined && !isDispatcher(options.fetchDispatcher)) {
    throw new AccessctlError('internal', 'fetchDispatcher must be an undici Dispatcher');
  }
  const sign = webhookSignerFromEnv(options.env);
  return new WebhookSink({
    url,
    sign,
    spoolDir: webhookSpoolDir(options.spoolDir, url),
    ...(options.fetchDispatcher === undefined ? {} : { dispatcher: options.fetchDispatcher }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
  });
}

/** Builds the sink an --events value names; throws a usage error for anything else. */
export function sinkFromSpec(spec: string, options: SinkSpecOptions): EventSink {
  const value = spec.trim();
  if (value === '-') return new StdoutSink(options.stdout ?? process.stdout);
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length);
    if (path === '') throw specError(`${EVENTS_FLAG} file: needs a path, as in file:events.jsonl`);
    return new FileSink(path);
  }
  if (value.startsWith('webhook:')) {
    const rest = value.slice('webhook:'.length);
    if (rest === '') throw specError(`${EVENTS_FLAG} webhook: needs a URL, as in webhook:https://example.com/hooks/accessctl`);
    return webhookSink(rest, options);
  }
  const shown = value === '' ? 'an empty value' : `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}"`;
  throw specError(`${EVENTS_FLAG} got ${shown}: expected -, file:PATH or webhook:URL`);
}

/**
 * Warns once per spool dir under `spoolDir` that holds events for a webhook URL none of `sinks`
 * sends to (the URL changed, gained a slash or a rotated token, or --events was dropped): those
 * events are never sent otherwise. Call at start, after building the sinks; returns what it found.
 */
export async function warnStrandedSpools(spoolDir: string, sinks: readonly EventSink[], onNotice: SinkNoticeHandler): Promise<StrandedSpool[]> {
  const owned = sinks.filter((sink): sink is WebhookSink => sink instanceof WebhookSink).map((sink) => sink.spool.dir);
  const stranded = await strandedSpools(spoolDir, owned);
  for (const { dir, events } of stranded) {
    const count = events < 0 ? 'events that cannot be counted (the folder cannot be read)' : `${events} event(s)`;
    onNotice({
      sink: 'spool',
      message:
        `spool ${printable(dir)} holds ${count} for a webhook URL that no ${EVENTS_FLAG} names now; they will not be sent. ` +
        `To send them, run again with ${EVENTS_FLAG} webhook:<that old URL>; if they are not wanted, move the folder out of ${printable(spoolDir)}`,
    });
  }
  return stranded;
}
