// The reconciler's intent journal: a change is written down (fsynced) before it is sent and struck
// out once its event has gone to the sinks. A run killed in between leaves the entry behind, and
// the next run settles it from the live state, so no change goes without its event.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../events/durable-file.js';
import type { Change } from '../plan/plan.js';

export interface Intent {
  runId: string;
  configCommit: string | null;
  kind: Change['kind'];
  name: string;
  action: Change['action'];
  id?: string;
  fields: Change['fields'];
  sourceFile?: string;
}

export class IntentJournal {
  private readonly dir: string;
  private sequence = 0;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'journal');
  }

  /** Records an intent before its change is sent; returns the entry to strike out afterwards. */
  async record(intent: Intent): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${intent.runId}-${String(++this.sequence).padStart(6, '0')}.json`);
    await writeFileDurably(file, JSON.stringify(intent));
    return file;
  }

  async strike(entry: string): Promise<void> {
    await rm(entry, { force: true });
  }

  /** Intents a killed run left behind, oldest first. */
  async leftovers(): Promise<{ entry: string; intent: Intent }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: { entry: string; intent: Intent }[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const entry = join(this.dir, name);
      try {
        found.push({ entry, intent: JSON.parse(await readFile(entry, 'utf8')) as Intent });
      } catch {
        // A torn write is an intent that was never acted on: the change had not been sent yet.
        await rm(entry, { force: true });
      }
    }
    return found;
  }
}
