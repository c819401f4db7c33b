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
  /**
   * 'info' for good news, such as a receiver answering again; absent means a warning. Not named
   * `level`, so a logger given the notice as its object keeps its own level field.
   */
  severity?: 'info';
}

export type SinkNoticeHandler = (notice: SinkNotice) => void;

/** The part of a logger (pino's) that sink notices go to. */
export interface NoticeLog {
  info(fields: { sink: string }, message: string): void;
  warn(fields: { sink: string }, message: string): void;
}

/** Logs a sink notice at its severity (INFO for good news, WARN otherwise), its text as the log message. */
export function logSinkNotice(log: NoticeLog, notice: SinkNotice): void {
  if (notice.severity === 'info') log.info({ sink: notice.sink }, notice.message);
  else log.warn({ sink: notice.sink }, notice.message);
}

/** One event as a JSON line, newline included. */
export function jsonLine(event: AccessctlEvent): string {
  return `${JSON.stringify(event)}\n`;
}
