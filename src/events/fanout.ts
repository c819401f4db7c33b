// Sends each batch of events to every sink at once; one sink failing never stops the others, and
// its failure comes back as a report (message, no secret) instead of an exception.
import { AccessctlError, type ErrorCode } from '../errors.js';
import type { AccessctlEvent } from './cloudevent.js';
import type { Redactor } from './redaction.js';
import type { EventSink } from './sink.js';

export interface SinkFailure {
  sink: string;
  code: ErrorCode;
  message: string;
}

export interface EventFanoutOptions {
  /** Called once per failure, as it happens. */
  onFailure?: (failure: SinkFailure) => void;
  /** Applied to failure messages, for secrets a sink's error might quote. */
  redact?: Redactor;
}

export class EventFanout {
  private readonly sinks: readonly EventSink[];

  constructor(
    sinks: EventSink[],
    private readonly options: EventFanoutOptions = {},
  ) {
    this.sinks = [...sinks];
  }

  get sinkNames(): string[] {
    return this.sinks.map((sink) => sink.name);
  }

  /** Emits to all sinks; resolves with the failures, empty when every sink took the events. */
  emit(events: readonly AccessctlEvent[]): Promise<SinkFailure[]> {
    return this.each((sink) => sink.emit(events));
  }

  /** Closes every sink; resolves with the ones that failed to close. */
  close(): Promise<SinkFailure[]> {
    return this.each((sink) => sink.close());
  }

  private async each(action: (sink: EventSink) => Promise<void>): Promise<SinkFailure[]> {
    const settled = await Promise.allSettled(
      this.sinks.map(async (sink) => {
        await action(sink);
      }),
    );
    const failures: SinkFailure[] = [];
    settled.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') return;
      const failure = this.failure(this.sinks[index]!, outcome.reason);
      failures.push(failure);
      this.options.onFailure?.(failure);
    });
    return failures;
  }

  private failure(sink: EventSink, reason: unknown): SinkFailure {
    const redact = this.options.redact ?? ((value: string) => value);
    const code: ErrorCode = reason instanceof AccessctlError ? reason.code : 'io';
    const message = reason instanceof Error ? reason.message : String(reason);
    return { sink: sink.name, code, message: redact(message) };
  }
}
