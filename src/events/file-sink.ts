// The `file:PATH` sink: appends one CloudEvent per line and fsyncs before an emit resolves, creating
// the parent directories; a new sink on the same path (the next run) keeps appending. An append
// that fails part-way (a full disk) is cut back off, so the file never ends in a torn line.
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AccessctlError } from '../errors.js';
import { printable } from '../plan/printable.js';
import type { AccessctlEvent } from './cloudevent.js';
import { openFile, syncDirectory, writeAll, type FileOpener, type WritableFile } from './durable-file.js';
import { SerialQueue } from './serial-queue.js';
import { jsonLine, type EventSink } from './sink.js';

export interface FileSinkOptions {
  /** The way the events file is opened; a test injects a short or failing write here. */
  openFile?: FileOpener;
}

const NEWLINE = 0x0a;

/**
 * Whether the file ends mid-line: its last byte is not a newline (an append cut short whose
 * rollback failed too). A file that cannot be read back (write-only, a pipe) is taken as whole.
 */
async function endsMidLine(handle: WritableFile, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = new Uint8Array(1);
  try {
    const { bytesRead } = await handle.read(last, 0, 1, size - 1);
    return bytesRead === 1 && last[0] !== NEWLINE;
  } catch {
    return false;
  }
}

export class FileSink implements EventSink {
  readonly name: string;
  readonly path: string;
  private readonly queue = new SerialQueue();
  private readonly open: FileOpener;

  constructor(path: string, options: FileSinkOptions = {}) {
    this.path = resolve(path);
    this.name = `file:${path}`;
    this.open = options.openFile ?? openFile;
  }

  /**
   * Appends the events, one line each, and fsyncs. Resolves once every byte is on disk; rejects
   * with an AccessctlError (code 'io', naming the file and the OS reason) when any step fails, and
   * then none of the batch counts as written: an append cut short is truncated back off. When
   * even that fails, the next append starts on a fresh line, so only the torn line is lost.
   */
  emit(events: readonly AccessctlEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const text = events.map(jsonLine).join('');
    return this.queue.run(async () => {
      try {
        const dir = dirname(this.path);
        const created = await mkdir(dir, { recursive: true });
        const handle = await this.open(this.path, 'a+').catch((error: unknown) => {
          // A file we may write but not read (mode -w-) is still appended to, without the fresh-line check.
          if ((error as NodeJS.ErrnoException).code === 'EACCES') return this.open(this.path, 'a');
          throw error;
        });
        try {
          const before = (await handle.stat()).size;
          // A torn line left by an append whose rollback failed too ends here, not in this batch's first event.
          const lead = (await endsMidLine(handle, before)) ? '\n' : '';
          const bytes = Buffer.from(lead + text, 'utf8');
          try {
            await writeAll(handle, bytes);
            await handle.sync();
          } catch (error) {
            await this.rollBack(handle, before, bytes.length);
            throw error;
          }
        } finally {
          await handle.close();
        }
        // A new file (or directory) survives a crash only once its directory entry is synced too.
        if (created !== undefined) await syncDirectory(dirname(created));
        await syncDirectory(dir);
      } catch (error) {
        const reason = printable(error instanceof Error ? error.message : String(error));
        throw new AccessctlError('io', `could not append ${events.length} event(s) to ${printable(this.path)}: ${reason}`, { cause: error });
      }
    });
  }

  /**
   * Cuts a failed append back to where it started. Only when the file holds exactly what was there
   * plus (part of) this append: another process appending meanwhile must not lose its lines.
   */
  private async rollBack(handle: WritableFile, before: number, length: number): Promise<void> {
    try {
      const size = (await handle.stat()).size;
      if (size > before && size <= before + length) {
        await handle.truncate(before);
        await handle.sync();
      }
    } catch {
      // The append's own error is the one to report; the next append starts on a fresh line.
    }
  }

  async close(): Promise<void> {
    await this.queue.run(async () => undefined);
  }
}
