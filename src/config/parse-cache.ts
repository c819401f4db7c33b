// Keeps, in memory, each config file's parse and each document's schema check, keyed by the file's
// content (its git blob id) and the path it is shown as, so a reconcile cycle over an unchanged
// config parses nothing and a changed file is the only one parsed again.
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parseFile, type ParsedFile } from './parse.js';
import type { Kind } from './schema.js';
import type { SourceDocument } from './source.js';

/** What checking one document on its own found: its kind (when it has a known one) and its findings. */
export interface DocumentCheck {
  kind: Kind | undefined;
  diagnostics: Diagnostic[];
  /** Whether the document is schema-valid, and so declared in the desired state. */
  valid: boolean;
}

/** The id git gives a blob with these bytes: the key a git checkout and a folder share. */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Freezes a parsed document's data, so that a consumer that changed a cached object would fail
 * loudly instead of changing what the next load returns.
 */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const item of Object.values(value)) deepFreeze(item);
}

/** One load of one config root: parses through the cache and, when finished, keeps only what it used. */
export interface CacheLoad {
  parse(display: string, bytes: Uint8Array): ParsedFile;
  /** Drops the root's entries this load did not use (files deleted, or changed since). */
  finish(): void;
}

/**
 * The parses of the config files of one or more roots, held between loads by a long-lived caller
 * (the reconciler, `up`), which passes it to every load: `loadConfig(dir, cwd, { cache })`. Each
 * root keeps only the entries its latest load used, so the cache never outgrows the config.
 */
export class ParseCache {
  private readonly roots = new Map<string, Map<string, ParsedFile>>();
  private readonly checks = new WeakMap<SourceDocument, DocumentCheck>();
  private parsedCount = 0;
  private reusedCount = 0;

  /** Files parsed through this cache since it was made: the ones it did not hold. */
  get parsed(): number {
    return this.parsedCount;
  }

  /** Files whose earlier parse was reused. */
  get reused(): number {
    return this.reusedCount;
  }

  /** Starts a load of the config root `root` (an absolute path). */
  begin(root: string): CacheLoad {
    const before = this.roots.get(root) ?? new Map<string, ParsedFile>();
    const used = new Map<string, ParsedFile>();
    return {
      parse: (display, bytes) => {
        // The shown path is part of the key: it is written into every diagnostic and location.
        const key = `${gitBlobId(bytes)} ${display}`;
        const known = used.get(key) ?? before.get(key);
        if (known !== undefined) {
          this.reusedCount++;
          used.set(key, known);
          return known;
        }
        this.parsedCount++;
        const parsed = parseFile(display, bytes);
        for (const document of parsed.documents) deepFreeze(document.data);
        used.set(key, parsed);
        return parsed;
      },
      finish: () => {
        this.roots.set(root, used);
      },
    };
  }

  /** The check of one document on its own, made once per parsed document. */
  check(source: SourceDocument, make: (source: SourceDocument) => DocumentCheck): DocumentCheck {
    let found = this.checks.get(source);
    if (found === undefined) {
      found = make(source);
      this.checks.set(source, found);
    }
    return found;
  }
}
