// The webhook sink's durable spool: one fsynced file per event, named so that listing in name order
// is sending order; a file leaves the spool only once delivered, or into dead-letter/ if refused
// or unreadable. Also finds spools that no configured sink owns any more, so they are not forgotten.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type FileOpener, pidIsAlive, removeStaleTemps, syncDirectory, writeFileDurably } from './durable-file.js';

export interface SpooledEvent {
  /** The file name inside the spool directory. */
  file: string;
  /** The event id, which is also the webhook-id. */
  id: string;
  /** The exact request body. */
  body: string;
  /** Why the file holds no event to send (id is then ''): it does not parse, or it cannot be read at all. */
  problem?: string;
}

const ENTRY = /^(\d{12})-([A-Za-z0-9_-]{1,64})\.json$/;
/** The temp name of writes made before temp files carried the accessctl marker. */
const LEGACY_TEMP = /\.json\.(\d+)\.tmp$/;
export const DEAD_LETTER_DIR = 'dead-letter';

function fileId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'event';
}

export interface WebhookSpoolOptions {
  /** The way entry files are opened; a test injects a short or failing write here. */
  openFile?: FileOpener;
}

export class WebhookSpool {
  constructor(
    readonly dir: string,
    private readonly options: WebhookSpoolOptions = {},
  ) {}

  /**
   * Spooled file names in sending order. Leftovers of writes that a killed process interrupted are
   * removed; a live process's temp file is left alone, it may be renamed into place any moment.
   */
  async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    await removeStaleTemps(this.dir);
    for (const name of names) {
      const temp = LEGACY_TEMP.exec(name);
      if (temp && Number(temp[1]) !== process.pid && !pidIsAlive(Number(temp[1]))) await rm(join(this.dir, name), { force: true });
    }
    return names.filter((name) => ENTRY.test(name)).sort();
  }

  /**
   * Writes each body as its own durable file after everything already spooled; returns the file
   * names. All or none: when one cannot be written (a full disk), those written before it are
   * removed again and the error (a DurableWriteError) is thrown, so a failed add spools nothing.
   */
  async add(events: readonly { id: string; body: string }[]): Promise<string[]> {
    if (events.length === 0) return [];
    const created = await mkdir(this.dir, { recursive: true });
    if (created !== undefined) await syncDirectory(dirname(created));
    const existing = await this.files();
    const last = existing.at(-1);
    let sequence = last === undefined ? 0 : Number(ENTRY.exec(last)![1]);
    const written: string[] = [];
    const openFile = this.options.openFile === undefined ? {} : { openFile: this.options.openFile };
    try {
      for (const event of events) {
        sequence += 1;
        const file = `${String(sequence).padStart(12, '0')}-${fileId(event.id)}.json`;
        await writeFileDurably(join(this.dir, file), event.body, { syncDir: false, ...openFile });
        written.push(file);
      }
    } catch (error) {
      // The caller is told the batch was not spooled: none of it may be sent behind its back.
      for (const file of written) await rm(join(this.dir, file), { force: true }).catch(() => undefined);
      await syncDirectory(this.dir);
      throw error;
    }
    await syncDirectory(this.dir);
    return written;
  }

  /**
   * Reads one spooled event; undefined when the file is gone. An entry that cannot be read (a
   * directory, no permission) or does not hold an event with an id comes back with id '' and the
   * problem, for the dead letters: it must not hold up every event spooled after it.
   */
  async read(file: string): Promise<SpooledEvent | undefined> {
    let body: string;
    try {
      body = await readFile(join(this.dir, file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      return { file, id: '', body: '', problem: `cannot be read (${code ?? (error as Error).message})` };
    }
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { id?: unknown }).id === 'string') {
        return { file, id: (parsed as { id: string }).id, body };
      }
    } catch {
      // Falls through: a file that is not an event goes to the dead letters.
    }
    return { file, id: '', body, problem: 'holds no event' };
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

/** A spool directory that no configured sink sends from, and how many events wait in it. */
export interface StrandedSpool {
  dir: string;
  events: number;
}

/**
 * The `webhook-*` spools under `spoolDir` that hold events but belong to none of `owned` (the
 * spool dirs of the configured webhook sinks): their URL changed or is no longer configured, so
 * nothing will send them. An unreadable spool dir counts as stranded with its events unknown (-1).
 */
export async function strandedSpools(spoolDir: string, owned: readonly string[]): Promise<StrandedSpool[]> {
  let names: string[];
  try {
    names = await readdir(spoolDir);
  } catch {
    return [];
  }
  const mine = new Set(owned.map((dir) => join(dir)));
  const stranded: StrandedSpool[] = [];
  for (const name of names.filter((n) => n.startsWith('webhook-')).sort()) {
    const dir = join(spoolDir, name);
    if (mine.has(dir)) continue;
    let events: number;
    try {
      events = (await readdir(dir)).filter((entry) => ENTRY.test(entry)).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      events = -1;
    }
    if (events !== 0) stranded.push({ dir, events });
  }
  return stranded;
}
