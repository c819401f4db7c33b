// The flags every command that talks to the platform shares: the target and the client's request
// rate. Defined once so plan, apply, export and reconcile read them the same way.
import { InvalidArgumentError, type Command } from 'commander';
import type { ClientOptions } from '../jumpcloud/client.js';
import { defaultRateLimit } from '../jumpcloud/rate-limit.js';

export interface TargetFlags {
  target?: string;
  rateLimit: number;
  burst: number;
}

function positive(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0`);
    return n;
  };
}

export function withTargetOptions(command: Command): Command {
  return command
    .option('--target <url>', 'the API base URL (default: JUMPCLOUD_API_URL, the project file, then https://console.jumpcloud.com)')
    .option('--rate-limit <perSecond>', 'requests per second to the platform', positive('--rate-limit'), defaultRateLimit.perSecond)
    .option('--burst <requests>', 'requests that may go out at once before the rate applies', positive('--burst'), defaultRateLimit.burst);
}

export function clientOverrides(flags: TargetFlags): Partial<ClientOptions> {
  return { rateLimit: { perSecond: flags.rateLimit, burst: flags.burst } };
}
