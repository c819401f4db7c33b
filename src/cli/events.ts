// `accessctl events [--follow]`: the platform's event log (Directory Insights), one line per
// event, oldest first; --follow keeps polling for new ones until interrupted.
import { Command, InvalidArgumentError } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { clientOptionsFromEnv, JumpCloudClient } from '../jumpcloud/client.js';
import { clientOverrides, withTargetOptions, type TargetFlags } from './target-options.js';

interface PlatformEvent {
  id: string;
  event_type: string;
  timestamp: string;
  initiated_by?: { type?: string; email?: string };
  resource?: { type?: string; name?: string };
  changes?: { field: string; from: unknown; to: unknown }[];
  association?: { op: string; connection?: { from?: { name?: string }; to?: { name?: string } } };
}

function line(event: PlatformEvent): string {
  const parts = [event.timestamp, event.event_type, event.resource?.name ?? event.resource?.type ?? ''];
  for (const change of event.changes ?? []) parts.push(`${change.field}: ${JSON.stringify(change.from)} -> ${JSON.stringify(change.to)}`);
  if (event.association !== undefined) {
    parts.push(
      `${event.association.op} ${event.association.connection?.to?.name ?? ''} ${event.association.op === 'remove' ? 'from' : 'to'} ${event.association.connection?.from?.name ?? ''}`,
    );
  }
  parts.push(`by ${event.initiated_by?.email || event.initiated_by?.type || 'unknown'}`);
  return parts.join('  ');
}

function isoTime(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('give an RFC 3339 time such as 2026-03-01T00:00:00Z');
  return new Date(value).toISOString();
}

export function eventsCommand(): Command {
  const command = new Command('events')
    .description("print the platform's event log (Directory Insights), oldest first")
    .option('--follow', 'keep printing new events until interrupted', false)
    .option('--since <time>', 'only events at or after this time', isoTime)
    .option('--interval <ms>', 'how often --follow polls, in milliseconds', (v) => Math.max(100, Number(v) || 1000), 1000)
    .option('--json', 'print one JSON object per line', false);
  return withTargetOptions(command).action(
    async (options: { follow: boolean; since?: string; interval: number; json: boolean } & TargetFlags) => {
      const client = new JumpCloudClient({ ...clientOptionsFromEnv(process.env, options.target), ...clientOverrides(options) });
      let stopped = false;
      const stop = (): void => {
        stopped = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        let since = options.since ?? '1970-01-01T00:00:00.000Z';
        const seen = new Set<string>();
        do {
          const events = await client.post<PlatformEvent[]>(
            '/insights/directory/v1/events',
            {},
            { service: ['all'], start_time: since, sort: 'ASC' },
          );
          for (const event of events) {
            if (seen.has(event.id)) continue;
            seen.add(event.id);
            process.stdout.write(`${options.json ? JSON.stringify(event) : line(event)}\n`);
            if (event.timestamp > since) since = event.timestamp;
          }
          if (options.follow && !stopped) await delay(options.interval);
        } while (options.follow && !stopped);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await client.close();
      }
    },
  );
}
