// What every event sink promises: emit a batch (resolving only once it is written, delivered or
// safely spooled) and close. Also the one way an event becomes a line of JSON.
import type { AccessctlEvent } from './cloudevent.js';

export interface EventSink {
  /** A label for logs and failure reports; never holds a secret. */
  readonly name: string;
  emit(events: readonly AccessctlEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Something a sink wants the operator to know that did not fail the emit, such as events held in a spool. */
export interface SinkNotice {
  sink: string;
  message: string;
  /** 'info' for good news, such as a receiver answering again; absent means a warning. */
  level?: 'info';
}

export type SinkNoticeHandler = (notice: SinkNotice) => void;

/** One event as a JSON line, newline included. */
export function jsonLine(event: AccessctlEvent): string {
  return `${JSON.stringify(event)}\n`;
}
