// What the reconcile tests share to watch a run: an event sink that keeps the events in memory (and
// can refuse them, as a full disk would), and a pino log line as JSON, read back from a collecting log.
import { pino, type Logger } from 'pino';
import { AccessctlError } from '../../src/errors.js';
import type { AccessctlEvent } from '../../src/events/cloudevent.js';
import type { EventSink } from '../../src/events/sink.js';

/** Collects events in memory; refuses them while `failing` is set, or those `refuses` picks. */
export class MemorySink implements EventSink {
  readonly events: AccessctlEvent[] = [];
  /** Every event offered, taken or not: a refused event's id, to compare with its re-send. */
  readonly offered: AccessctlEvent[] = [];
  failing = false;
  refuses: ((event: AccessctlEvent) => boolean) | undefined;
  constructor(readonly name = 'memory') {}
  async emit(events: readonly AccessctlEvent[]): Promise<void> {
    this.offered.push(...events);
    if (this.failing || events.some((e) => this.refuses?.(e) === true))
      throw new AccessctlError('io', `could not append events to /var/events.jsonl: ENOSPC: no space left on device, write`);
    this.events.push(...events);
  }
  async close(): Promise<void> {}
}

/** One pino line, parsed. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const WARN = 40;
export const ERROR = 50;

/** A debug-level logger that parses each line into `lines`. */
export function collectingLog(lines: LogLine[]): Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}
