// `accessctl sandbox clock [show]` and `accessctl sandbox clock advance DURATION`: read and move the
// sandbox's own clock (request expiry, the end of time-bound access and webhook retries run on it)
// through its operator-only test hook, /sandbox/v1/clock. A target that is no sandbox is refused.
import { isIP } from 'node:net';
import { Command, type ParseOptionsResult } from 'commander';
import { AccessctlError, usageError } from '../errors.js';
import { credentialFromEnv, JumpCloudClient } from '../jumpcloud/client.js';
import { PlatformError } from '../jumpcloud/platform-error.js';
import { checkTargetUrl, type TargetSource } from '../jumpcloud/target.js';
import { defaultRetryPolicy } from '../retry/policy.js';
import { durationMs } from '../sandbox/durations.js';
import { clientOverrides, type TargetFlags, withTargetOptions } from './target-options.js';

/** Where the operator key comes from: the sandbox prints it at start, new each run; it is never a flag (a flag shows in `ps`). */
export const operatorKeyVariable = 'ACCESSCTL_SANDBOX_OPERATOR_KEY';

/** The sandbox `accessctl up` and `accessctl sandbox` serve by default, when neither --target nor JUMPCLOUD_API_URL names one. */
const defaultSandboxUrl = 'http://127.0.0.1:8080';

const clockRoute = '/sandbox/v1/clock';

const day = 86_400_000;

/** The most one advance moves the clock: the hook's own bound (ten years). */
export const maxAdvanceMs = 3650 * day;

/** The sandbox clock as its hook answers it. */
export interface ClockState {
  now: string;
  frozen: boolean;
  offsetMs: number;
}

interface ClockFlags extends TargetFlags {
  json: boolean;
}

const shorthandUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: day, w: 7 * day };

/**
 * An advance in milliseconds: 30m, 2h, 7d, 1w, a sum such as 1d12h, or an ISO 8601 duration as flows
 * write them (PT8H, P30D, P1DT12H; a month is 30 days, a year 365, as the sandbox counts a grant's).
 * More than zero, at most ten years; anything else is a usage error naming DURATION.
 */
export function parseAdvance(value: string): number {
  const text = value.trim();
  const bad = (why: string): AccessctlError => usageError(`DURATION ${why} (got ${JSON.stringify(value)})`, 'DURATION');
  if (/^-/.test(text)) throw bad('must not be negative: the sandbox clock only moves forward');
  let ms: number | undefined;
  if (/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(text)) {
    ms = 0;
    for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) ms += Number(part[1]) * (shorthandUnits[part[2] ?? ''] ?? Number.NaN);
  } else if (/^P/i.test(text)) {
    ms = durationMs(text.toUpperCase());
  }
  if (ms === undefined || !Number.isFinite(ms)) throw bad('must be a duration such as 30m, 2h, 7d, 1d12h or P30D');
  ms = Math.round(ms);
  if (ms <= 0) throw bad('must be more than zero');
  if (ms > maxAdvanceMs) throw bad('must be at most ten years (3650d)');
  return ms;
}

/** A span for people: "2h", "30d 4h", "1m 30s", "250ms". */
export function formatSpan(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(Math.abs(ms));
  for (const [unit, size] of [
    ['d', day],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join(' ');
}

/** How the clock runs, after its time: frozen, or running ahead of (or with) this machine's clock. */
function describeState(state: ClockState): string {
  if (state.frozen) return 'frozen: it moves only when advanced';
  if (Math.abs(state.offsetMs) < 1000) return "running with this machine's clock";
  // To the second: the hook reads the wall clock twice, so the offset it answers may be a millisecond off.
  return `running ${formatSpan(Math.round(state.offsetMs / 1000) * 1000)} ${state.offsetMs > 0 ? 'ahead of' : 'behind'} this machine's clock`;
}

/**
 * Whether `hostname` (a URL's, as WHATWG URL writes it) is this machine's loopback by itself: an
 * address in 127.0.0.0/8, ::1, an IPv4-mapped 127.x address ([::ffff:127.0.0.1] is written
 * [::ffff:7f00:1]), or the name localhost, which resolvers answer from the hosts file. No other
 * name: a resolver (a search domain, a forwarder) may answer *.localhost or localhost. with an
 * address off this machine, and the operator key would go there.
 */
export function isLoopbackTarget(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1).toLowerCase() : hostname.toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) !== 6) return false;
  if (host === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host)?.[1];
  return mapped !== undefined && Number.parseInt(mapped, 16) >> 8 === 127;
}

/** The sandbox the flags name: --target, then JUMPCLOUD_API_URL, then the default sandbox; only one on this machine's loopback. */
function sandboxUrl(flags: ClockFlags, env: NodeJS.ProcessEnv): string {
  const fromEnv = env['JUMPCLOUD_API_URL'];
  const [raw, from]: [string, TargetSource] =
    flags.target !== undefined ? [flags.target, '--target'] : fromEnv ? [fromEnv, 'JUMPCLOUD_API_URL'] : [defaultSandboxUrl, 'default'];
  const url = checkTargetUrl(raw, from);
  if (!isLoopbackTarget(new URL(url).hostname)) {
    // Refused before anything is sent: the operator key never leaves this machine.
    throw usageError(
      `${from === 'default' ? 'the target' : from} ${url} is not a sandbox: the sandbox clock is a test hook of accessctl's own sandbox, ` +
        'which listens on this machine (127.0.0.1); JumpCloud has no clock to move. Pass the URL `accessctl sandbox` or `accessctl up` printed, ' +
        `e.g. --target ${defaultSandboxUrl}`,
      from,
    );
  }
  return url;
}

/**
 * A client for the sandbox's clock hook, with the operator key. One try per call: an advance that
 * timed out may have moved the clock, and sending it again would move it twice.
 */
function clockClient(flags: ClockFlags, env: NodeJS.ProcessEnv): { client: JumpCloudClient; url: string } {
  const url = sandboxUrl(flags, env);
  const apiKey = credentialFromEnv(env, operatorKeyVariable);
  if (apiKey === undefined) {
    throw usageError(
      `${operatorKeyVariable} is not set: export the operator key the sandbox printed at start (operator key: sandbox_operator_…), ` +
        'which is new each run; `accessctl up` prints it, and `accessctl sandbox` with --enable-test-hooks',
      operatorKeyVariable,
    );
  }
  const client = new JumpCloudClient({ baseUrl: url, apiKey, ...clientOverrides(flags), retry: { ...defaultRetryPolicy, attempts: 1 } });
  return { client, url };
}

function isClockState(value: unknown): value is ClockState {
  if (typeof value !== 'object' || value === null) return false;
  const { now, frozen, offsetMs } = value as Record<string, unknown>;
  return typeof now === 'string' && !Number.isNaN(Date.parse(now)) && typeof frozen === 'boolean' && typeof offsetMs === 'number';
}

/** Whether the server at `url` describes itself as an accessctl sandbox (its /openapi.json, which every sandbox serves). */
async function describesSandbox(client: JumpCloudClient): Promise<boolean> {
  try {
    const description = await client.get<{ info?: { title?: unknown } }>('/openapi.json');
    return description?.info?.title === 'accessctl sandbox';
  } catch {
    return false;
  }
}

/**
 * The clock hook's answer to `call`, or an error that says why this target cannot be asked (no
 * sandbox, no hooks, the wrong key). `moves`: the call is an advance, sent after a read answered,
 * so no answer to it does not mean nothing happened.
 */
async function clockCall(client: JumpCloudClient, url: string, call: () => Promise<unknown>, moves = false): Promise<ClockState> {
  let answer: unknown;
  try {
    answer = await call();
  } catch (error) {
    if (!(error instanceof PlatformError)) throw error;
    if (error.status === undefined && moves) {
      throw new AccessctlError(
        'platform',
        `the sandbox at ${url} did not answer the advance (${error.reason}): the clock may have moved (what fell due may have run). ` +
          `It is not sent again; see where the clock is with \`accessctl sandbox clock --target ${url}\` before advancing again`,
        { cause: error, subject: '--target' },
      );
    }
    if (error.status === undefined) {
      throw new AccessctlError(
        'platform',
        `nothing answers at ${url} (${error.reason}): is the sandbox running? Start one with \`accessctl up\` or \`accessctl sandbox --enable-test-hooks\`, and pass the URL it prints`,
        { cause: error, subject: '--target' },
      );
    }
    if (error.status === 404 || error.status === 405) {
      if (await describesSandbox(client)) {
        throw new AccessctlError(
          'platform',
          `the sandbox at ${url} does not serve its clock: it was started without --enable-test-hooks. Start it again with --enable-test-hooks (\`accessctl up\` always serves it)`,
          { cause: error, subject: '--target' },
        );
      }
      throw notASandbox(url, `GET ${clockRoute} answered ${error.status}`, error);
    }
    if (error.status === 401 || error.status === 403) {
      throw new AccessctlError(
        'platform',
        `the sandbox at ${url} refused ${operatorKeyVariable} (${error.status}: ${error.reason}): it must be the operator key this sandbox printed at start, new each run; an organization's admin key does not open the clock`,
        { cause: error, subject: operatorKeyVariable },
      );
    }
    throw error;
  }
  if (!isClockState(answer)) throw notASandbox(url, `GET ${clockRoute} answered something other than a sandbox clock`);
  return answer;
}

function notASandbox(url: string, what: string, cause?: unknown): AccessctlError {
  return new AccessctlError(
    'platform',
    `${url} is not an accessctl sandbox (${what}): pass the URL \`accessctl sandbox\` or \`accessctl up\` printed`,
    cause === undefined ? { subject: '--target' } : { cause, subject: '--target' },
  );
}

/** Runs `work` with the clock client, closing it however `work` ends. */
async function withClock<T>(
  flags: ClockFlags,
  work: (read: () => Promise<ClockState>, advance: (ms: number) => Promise<ClockState>) => Promise<T>,
): Promise<T> {
  const { client, url } = clockClient(flags, process.env);
  try {
    return await work(
      () => clockCall(client, url, () => client.get(clockRoute)),
      (ms) => clockCall(client, url, () => client.post(clockRoute, {}, { advanceMs: ms }), true),
    );
  } finally {
    await client.close();
  }
}

/**
 * `advance`'s own parsing: a DURATION written with a minus ("-2h") is an argument to refuse as
 * negative, not an option commander does not know.
 */
class AdvanceCommand extends Command {
  override parseOptions(args: string[]): ParseOptionsResult {
    const end = args.indexOf('--');
    const options = end === -1 ? args : args.slice(0, end);
    const negative = options.filter((arg) => /^-\d/.test(arg));
    if (negative.length === 0) return super.parseOptions(args);
    const rest = end === -1 ? [] : args.slice(end + 1);
    return super.parseOptions([...options.filter((arg) => !/^-\d/.test(arg)), '--', ...negative, ...rest]);
  }
}

/** The shared target flags, described as this command reads them (a sandbox, one try). */
function targetHelp(command: Command): Command {
  withTargetOptions(command);
  const described: Record<string, string> = {
    '--target': `the sandbox's URL, as \`accessctl sandbox\` or \`accessctl up\` printed it (default: JUMPCLOUD_API_URL, then ${defaultSandboxUrl})`,
    '--timeout': 'how long the request waits for an answer before it fails; it is not sent again, so the clock never moves twice (500ms, 30s, 2m)',
  };
  for (const option of command.options) {
    const description = option.long === undefined ? undefined : described[option.long];
    if (description !== undefined) option.description = description;
  }
  return command.option('--json', 'print the clock as JSON: {now, frozen, offsetMs}', false).addHelpText(
    'after',
    `
The sandbox is --target, else JUMPCLOUD_API_URL, else ${defaultSandboxUrl}; only a sandbox on this
machine's loopback is asked. The clock is a test hook: the sandbox serves it with --enable-test-hooks
(\`accessctl up\` always does), and it takes the operator key the sandbox printed at start, from
${operatorKeyVariable}.`,
  );
}

export function sandboxClockCommand(): Command {
  const clock = new Command('clock').description("read or move the sandbox's clock, on which requests expire and time-bound access ends");
  clock.addCommand(
    targetHelp(new Command('show').description("print the sandbox's time, and whether its clock runs or is frozen")).action(async (flags: ClockFlags) => {
      const state = await withClock(flags, (read) => read());
      process.stdout.write(flags.json ? `${JSON.stringify(state)}\n` : `sandbox time: ${state.now} (${describeState(state)})\n`);
    }),
    { isDefault: true },
  );
  clock.addCommand(
    targetHelp(
      new AdvanceCommand('advance')
        .description('move the sandbox clock forward by DURATION; what falls due (expiries, ends of access, webhook retries) runs before it answers')
        .argument('<duration>', 'how far: 30m, 2h, 7d, 1d12h, or ISO 8601 as flows write it (PT8H, P30D); more than zero, at most ten years'),
    )
      .addHelpText(
        'after',
        `
Examples:
  export ${operatorKeyVariable}=sandbox_operator_…   # printed by the sandbox at start
  accessctl sandbox clock advance 8h --target http://127.0.0.1:8080   # a PT8H grant has ended
  accessctl sandbox clock advance P30D                                 # undecided requests have expired`,
      )
      .action(async (duration: string, flags: ClockFlags) => {
        // Checked before anything is sent: a bad DURATION moves nothing.
        const ms = parseAdvance(duration);
        const { before, after } = await withClock(flags, async (read, advance) => {
          const before = await read();
          return { before, after: await advance(ms) };
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(after)}\n` : `sandbox clock advanced ${formatSpan(ms)}: ${before.now} -> ${after.now} (${describeState(after)})\n`,
        );
      }),
  );
  return clock;
}
