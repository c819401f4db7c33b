// The `file:PATH` sink: appends one CloudEvent per line and fsyncs before an emit resolves, creating
// the parent directories; a new sink on the same path (the next run) keeps appending.
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AccessctlError } from '../errors.js';
import type { AccessctlEvent } from './cloudevent.js';
import { syncDirectory } from './durable-file.js';
import { SerialQueue } from './serial-queue.js';
import { jsonLine, type EventSink } from './sink.js';

export class FileSink implements EventSink {
  readonly name: string;
  readonly path: string;
  private readonly queue = new SerialQueue();

  constructor(path: string) {
    this.path = resolve(path);
    this.name = `file:${path}`;
  }

  emit(events: readonly AccessctlEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const text = events.map(jsonLine).join('');
    return this.queue.run(async () => {
      try {
        const dir = dirname(this.path);
        const created = await mkdir(dir, { recursive: true });
        const handle = await open(this.path, 'a');
        try {
          await handle.write(text);
          await handle.sync();
        } finally {
          await handle.close();
        }
        // A new file (or directory) survives a crash only once its directory entry is synced too.
        if (created !== undefined) await syncDirectory(dirname(created));
        await syncDirectory(dir);
      } catch (error) {
        throw new AccessctlError('io', `could not append events to ${this.path}: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.run(async () => undefined);
  }
}
