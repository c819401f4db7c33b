// The flags every command that talks to the platform shares: the target, the client's request
// rate and how long one request may wait for an answer. Defined once so plan, apply, export and
// reconcile read them the same way; retries after a timeout are said on stderr as warnings.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { AccessctlError } from '../errors.js';
import type { ClientOptions } from '../jumpcloud/client.js';
import { defaultTimeouts, type Timeouts } from '../jumpcloud/timeouts.js';
import { defaultRateLimit } from '../jumpcloud/rate-limit.js';
import { parseInterval } from '../reconcile/schedule.js';

export interface TargetFlags {
  target?: string;
  rateLimit: number;
  burst: number;
  /** --timeout in milliseconds (commander has parsed it). */
  timeout: number;
}

/** The shortest and longest --timeout: below the one nothing answers, past the other a hang goes unnoticed. */
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 10 * 60_000;
/** The longest wait for a connection to open, whatever --timeout says. */
const CONNECT_TIMEOUT_CAP_MS = defaultTimeouts.connectMs;

function positive(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0`);
    return n;
  };
}

/** Reads --timeout (30s, 2m, 500ms) into milliseconds; a bad value is a usage error naming the flag. */
export function parseTimeout(value: string): number {
  let ms: number;
  try {
    ms = parseInterval(value, '--timeout', MIN_TIMEOUT_MS);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof AccessctlError ? error.message : String(error));
  }
  if (ms > MAX_TIMEOUT_MS) throw new InvalidArgumentError(`--timeout must be at most ${MAX_TIMEOUT_MS / 60_000}m, got ${JSON.stringify(value)}`);
  return ms;
}

export function withTargetOptions(command: Command): Command {
  return command
    .option(
      '--target <url>',
      'the API base URL, overriding the project file for this run (default: JUMPCLOUD_API_URL or the project file, which must agree, then https://console.jumpcloud.com)',
    )
    .option('--rate-limit <perSecond>', 'requests per second to the platform', positive('--rate-limit'), defaultRateLimit.perSecond)
    .option('--burst <requests>', 'requests that may go out at once before the rate applies', positive('--burst'), defaultRateLimit.burst)
    .addOption(
      new Option(
        '--timeout <duration>',
        'how long one request waits for an answer (its headers, then each part of its body) before it is tried once more, then fails (500ms, 30s, 2m)',
      )
        .argParser(parseTimeout)
        // Shown in the unit it is typed in: the value itself is in milliseconds.
        .default(defaultTimeouts.headersMs, `${defaultTimeouts.headersMs / 1000}s`),
    );
}

/** The client's timeouts for a --timeout: the answer's headers and body wait that long, the connection no longer than 10 s. */
export function timeoutsFor(timeoutMs: number): Timeouts {
  return { connectMs: Math.min(CONNECT_TIMEOUT_CAP_MS, timeoutMs), headersMs: timeoutMs, bodyMs: timeoutMs };
}

/** Where a command's client says it is trying again after a timeout: stderr, as the CLI's warnings are. */
export function warnOnStderr(notice: string): void {
  process.stderr.write(`accessctl: warning: ${notice}\n`);
}

/** The client options the flags set; `onNotice` is where retries after a timeout are said (stderr unless given, e.g. the reconciler's log). */
export function clientOverrides(flags: TargetFlags, onNotice: (notice: string) => void = warnOnStderr): Partial<ClientOptions> {
  return {
    rateLimit: { perSecond: flags.rateLimit, burst: flags.burst },
    timeouts: timeoutsFor(flags.timeout ?? defaultTimeouts.headersMs),
    onNotice,
  };
}
