// `accessctl events [--follow]`: the platform's event log (Directory Insights, on its own host),
// one line per event, oldest first; --follow keeps polling from the last cursor until interrupted,
// and outlasts a platform that goes away for a while.
import { Command, InvalidArgumentError, Option } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { AccessctlError, usageError } from '../errors.js';
import { EventFeed } from '../insights/feed.js';
import { insightsOptionsFromEnv, InsightsReader, maxPageSize, type InsightsEvent } from '../insights/reader.js';
import { PlatformError, printableText } from '../jumpcloud/platform-error.js';
import { defaultRetryPolicy, isRetryableError, isRetryableStatus, retryDelayMs } from '../retry/policy.js';
import { parseInterval } from '../reconcile/schedule.js';

// JumpCloud files the access_management_* events, like the rest of the directory's, under Directory.
const services = ['directory'] as const;
const minIntervalMs = 100;
// While the platform is away, --follow waits 0.5 s, 1 s, 2 s, ... and never more than 30 s between tries.
const followBackoff = { firstMs: 500, maxMs: 30_000 };

interface EventsFlags {
  follow: boolean;
  since?: string;
  interval: string;
  insightsUrl?: string;
  pageSize: number;
  json: boolean;
  target?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function field(record: unknown, ...path: string[]): unknown {
  let current = record;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

// The platform's strings go to a terminal: no escape sequences, one event per line.
const printable = (value: string): string => printableText(value, 16 * 1024);

/** One event as a line: when, what, on which object, the field changes, and who did it. */
function line(event: InsightsEvent): string {
  const parts = [
    text(event['timestamp']) ?? '',
    text(event['event_type']) ?? '',
    text(field(event, 'resource', 'name')) ?? text(field(event, 'resource', 'type')) ?? '',
  ];
  const changes = event['changes'];
  for (const change of Array.isArray(changes) ? changes : []) {
    parts.push(`${String(field(change, 'field'))}: ${JSON.stringify(field(change, 'from')) ?? 'null'} -> ${JSON.stringify(field(change, 'to')) ?? 'null'}`);
  }
  const op = text(field(event, 'association', 'op'));
  if (op !== undefined) {
    const from = text(field(event, 'association', 'connection', 'from', 'name')) ?? '';
    const to = text(field(event, 'association', 'connection', 'to', 'name')) ?? '';
    parts.push(`${op} ${to} ${op === 'remove' ? 'from' : 'to'} ${from}`);
  }
  parts.push(`by ${text(field(event, 'initiated_by', 'email')) ?? text(field(event, 'initiated_by', 'type')) ?? 'unknown'}`);
  return parts.map(printable).join('  ');
}

function isoTime(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('give an RFC 3339 time such as 2026-03-01T00:00:00Z');
  return new Date(value).toISOString();
}

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxPageSize) throw new InvalidArgumentError(`give a whole number from 1 to ${maxPageSize}`);
  return n;
}

/**
 * Standard output that may go away (`events | head -2`): a closed pipe ends the command quietly
 * instead of crashing it with EPIPE, and each page is written before the next is fetched.
 */
class LineOutput {
  closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly onClosed: () => void,
  ) {
    // Stays attached for the life of the process: a late EPIPE must not become an uncaught error.
    stream.on('error', (error: NodeJS.ErrnoException) => this.fail(error));
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.closed) return;
    this.closed = true;
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') this.failure = error;
    this.onClosed();
  }

  write(lines: string[]): Promise<void> {
    if (this.closed || lines.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.write(`${lines.join('\n')}\n`, (error) => {
        if (error) this.fail(error);
        resolve();
      });
    });
  }

  /** A write error other than the reader going away, which the command reports. */
  check(): void {
    if (this.failure === undefined) return;
    throw new AccessctlError('io', `could not write events to standard output: ${this.failure.message}`, { cause: this.failure });
  }
}

/** Whether trying again may help: no answer, a timeout, or 429/5xx-style overload. */
function worthRetrying(error: unknown): boolean {
  if (!(error instanceof PlatformError)) return false;
  return error.status === undefined ? isRetryableError(error) : isRetryableStatus(error.status);
}

/** Waits, unless the command is being stopped. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

export function eventsCommand(): Command {
  return (
    new Command('events')
      .description("print the platform's event log (Directory Insights), oldest first")
      .option('--follow', 'keep printing new events until interrupted', false)
      .option('--since <time>', 'only events at or after this time', isoTime)
      .option('--interval <duration>', `how often --follow polls (${minIntervalMs}ms, 5s, 1m, ...)`, '2s')
      .option('--insights-url <url>', 'the Directory Insights base URL (default: JUMPCLOUD_INSIGHTS_URL, then https://api.jumpcloud.com)')
      .option('--page-size <n>', `events per request, 1 to ${maxPageSize}`, pageSize, maxPageSize)
      .option('--json', 'print one JSON object per line', false)
      // Accepted only to say where events come from: Insights is not on the API host --target names.
      .addOption(new Option('--target <url>').hideHelp())
      .action(async (options: EventsFlags) => {
        if (options.target !== undefined) {
          throw usageError('events reads Directory Insights, which has its own host: use --insights-url (or JUMPCLOUD_INSIGHTS_URL), not --target', '--target');
        }
        const intervalMs = parseInterval(options.interval, '--interval');
        if (intervalMs < minIntervalMs) {
          throw usageError(`--interval must be at least ${minIntervalMs}ms, got ${JSON.stringify(options.interval)}`, '--interval');
        }
        const reader = new InsightsReader(insightsOptionsFromEnv(process.env, options.insightsUrl));
        const feed = new EventFeed(reader, {
          services,
          startTime: options.since ?? '1970-01-01T00:00:00.000Z',
          pageSize: options.pageSize,
        });
        const stopping = new AbortController();
        const stop = (): void => stopping.abort();
        const output = new LineOutput(process.stdout, stop);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          let failures = 0;
          while (!stopping.signal.aborted) {
            try {
              for await (const events of feed.poll(stopping.signal)) {
                await output.write(events.map((event) => (options.json ? JSON.stringify(event) : line(event))));
                if (stopping.signal.aborted) break;
              }
              if (failures > 0 && options.follow) {
                process.stderr.write(`accessctl: events: Directory Insights answers again at ${reader.eventsUrl}\n`);
              }
              failures = 0;
            } catch (error) {
              if (stopping.signal.aborted) break;
              if (!worthRetrying(error)) throw error;
              failures++;
              if (!options.follow) {
                if (failures >= defaultRetryPolicy.attempts) throw error;
                await pause(retryDelayMs(defaultRetryPolicy, failures, Math.random), stopping.signal);
                continue;
              }
              if (failures === 1) {
                const reason = error instanceof Error ? error.message : String(error);
                process.stderr.write(`accessctl: events: ${reason}; retrying with back-off until it answers\n`);
              }
              await pause(Math.min(followBackoff.maxMs, followBackoff.firstMs * 2 ** (failures - 1)), stopping.signal);
              continue;
            }
            if (!options.follow) break;
            await pause(intervalMs, stopping.signal);
          }
          output.check();
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await reader.close();
        }
      })
  );
}
