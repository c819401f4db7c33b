// The `-` sink: one CloudEvent per line of JSON on standard output (or any writable stream).
import { AccessctlError } from '../errors.js';
import type { AccessctlEvent } from './cloudevent.js';
import { SerialQueue } from './serial-queue.js';
import { jsonLine, type EventSink } from './sink.js';

export class StdoutSink implements EventSink {
  readonly name = 'stdout';
  private readonly queue = new SerialQueue();

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  emit(events: readonly AccessctlEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const text = events.map(jsonLine).join('');
    return this.queue.run(
      () =>
        new Promise<void>((resolve, reject) => {
          this.stream.write(text, (error) => {
            if (error) reject(new AccessctlError('io', `could not write events to standard output: ${error.message}`, { cause: error }));
            else resolve();
          });
        }),
    );
  }

  /** Waits for pending writes; standard output itself is left open. */
  async close(): Promise<void> {
    await this.queue.run(async () => undefined);
  }
}
