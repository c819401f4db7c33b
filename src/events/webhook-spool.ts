// The webhook sink's durable spool: one fsynced file per event, named so that listing in name order
// is sending order; a file leaves the spool only once delivered, or into dead-letter/ if refused.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDirectory, writeFileDurably } from './durable-file.js';

export interface SpooledEvent {
  /** The file name inside the spool directory. */
  file: string;
  /** The event id, which is also the webhook-id. */
  id: string;
  /** The exact request body. */
  body: string;
}

const ENTRY = /^(\d{12})-([A-Za-z0-9_-]{1,64})\.json$/;
const STALE_TEMP = /\.json\.(\d+)\.tmp$/;
export const DEAD_LETTER_DIR = 'dead-letter';

function fileId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'event';
}

export class WebhookSpool {
  constructor(readonly dir: string) {}

  /** Spooled file names in sending order; leftovers of interrupted writes by other processes are removed. */
  async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    for (const name of names) {
      const temp = STALE_TEMP.exec(name);
      if (temp && Number(temp[1]) !== process.pid) await rm(join(this.dir, name), { force: true });
    }
    return names.filter((name) => ENTRY.test(name)).sort();
  }

  /** Writes each body as its own durable file after everything already spooled; returns the file names. */
  async add(events: readonly { id: string; body: string }[]): Promise<string[]> {
    if (events.length === 0) return [];
    const created = await mkdir(this.dir, { recursive: true });
    if (created !== undefined) await syncDirectory(dirname(created));
    const existing = await this.files();
    const last = existing.at(-1);
    let sequence = last === undefined ? 0 : Number(ENTRY.exec(last)![1]);
    const written: string[] = [];
    for (const event of events) {
      sequence += 1;
      const file = `${String(sequence).padStart(12, '0')}-${fileId(event.id)}.json`;
      await writeFileDurably(join(this.dir, file), event.body, { syncDir: false });
      written.push(file);
    }
    await syncDirectory(this.dir);
    return written;
  }

  /** Reads one spooled event; undefined when the file is gone or does not hold an event with an id. */
  async read(file: string): Promise<SpooledEvent | undefined> {
    let body: string;
    try {
      body = await readFile(join(this.dir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { id?: unknown }).id === 'string') {
        return { file, id: (parsed as { id: string }).id, body };
      }
    } catch {
      // Falls through: a file that is not an event goes to the dead letters.
    }
    return { file, id: '', body };
  }

  async remove(file: string): Promise<void> {
    await rm(join(this.dir, file), { force: true });
  }

  /** Moves an event the receiver refused out of the way, kept for a person to look at. */
  async deadLetter(file: string): Promise<string> {
    const dir = join(this.dir, DEAD_LETTER_DIR);
    await mkdir(dir, { recursive: true });
    const target = join(dir, file);
    await rename(join(this.dir, file), target);
    await syncDirectory(dir);
    await syncDirectory(this.dir);
    return target;
  }
}
