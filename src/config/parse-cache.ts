// Keeps, in memory, each config file's parse and each document's schema check, keyed by the path it
// is shown as and the file's content (its git blob id), so a reconcile cycle over an unchanged config
// parses nothing and a changed file is the only one parsed again. A file whose stat is as it was
// when it was read, long enough after its last change, is not even read again. With a store (the
// disk cache of --cache-dir), a file this process has not parsed is looked up there before parsing.
import { createHash } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { deepFreeze } from '../model/frozen.js';
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

/** The stat of a file as it was read: any write changes its ctime, which no tool can set back. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function stampOf(info: Stats): FileStamp {
  return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
}

/** Whether a file's stat is the one it was read with (compared field by field: no stamp is made for it). */
function sameStamp(a: FileStamp | Stats, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * How long after its last change a file must have been read for its stat to vouch for it later. A
 * file system keeps times in ticks (a few milliseconds, up to 2 s on FAT): a write in the same tick
 * as the one before, after the file was read, would leave the stat as it was (git's "racy" case).
 */
export const SETTLED_MS = 3_000;

/** The id git gives a blob with these bytes: the key a git checkout and a folder share. */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

interface Entry {
  blobId: string;
  parsed: ParsedFile;
  /** The stat the bytes were read with, when the file had settled by then; otherwise the stat proves nothing. */
  settled: FileStamp | undefined;
}

/** One load of one config root: parses through the cache and, when finished, keeps only what it used. */
export interface CacheLoad {
  /** The earlier parse of the file shown as `display`, when `path`'s stat shows it unchanged since that read; else nothing, and the caller reads it. */
  unchanged(display: string, path: string): ParsedFile | undefined;
  /** The parse of `bytes`, read from the file shown as `display` (with its stat, when known): cached when the content is. */
  parse(display: string, bytes: Uint8Array, stamp?: FileStamp): ParsedFile;
  /** Drops the root's entries this load did not use (files deleted, or changed since). */
  finish(): void;
}

/**
 * Parses kept outside this process (src/config/disk-cache.ts): consulted when the cache holds no parse
 * of a file's bytes, and given each parse it makes. A store never fails a load: anything it cannot
 * read or trust is a miss, anything it cannot write is left unwritten.
 */
export interface ParseStore {
  /** The kept parse of the bytes with git blob id `blobId`, shown as `display`; undefined when there is none to trust. */
  read(display: string, blobId: string): StoredParse | undefined;
  /** Keeps the parse of `bytes` (git blob id `blobId`), shown as `display`, with its documents' checks when they were made. */
  write(display: string, blobId: string, bytes: Uint8Array, stored: StoredParse): void;
  /** A load is over: the store may drop what no load of this process used. */
  finish(): void;
}

/** A file's parse as a store keeps it: with the check of each of its documents, in order, when known. */
export interface StoredParse {
  parsed: ParsedFile;
  checks: readonly DocumentCheck[] | undefined;
}

/** A parse waiting for its documents' checks before it is written to the store. */
interface PendingWrite {
  display: string;
  blobId: string;
  bytes: Uint8Array;
  parsed: ParsedFile;
  checks: (DocumentCheck | undefined)[];
  left: number;
}

export interface ParseCacheOptions {
  /** The clock, in ms since the epoch, that says when a file was read (default Date.now). */
  now?: () => number;
  /** Where parses outlive the process (accessctl validate/plan --cache-dir). */
  store?: ParseStore | undefined;
}

/**
 * The parses of the config files of one or more roots, held between loads by a long-lived caller
 * (the reconciler, `up`), which passes it to every load: `loadConfig(dir, cwd, { cache })`. Each
 * root keeps only the entries its latest load used, so the cache never outgrows the config.
 */
export class ParseCache {
  private readonly roots = new Map<string, Map<string, Entry>>();
  private readonly checks = new WeakMap<SourceDocument, DocumentCheck>();
  private readonly now: () => number;
  private readonly store: ParseStore | undefined;
  /** Parses made for the store, by document, until every document of their file is checked. */
  private readonly pending = new Map<SourceDocument, PendingWrite>();
  private parsedCount = 0;
  private storedCount = 0;
  private reusedCount = 0;
  private unreadCount = 0;

  constructor(options: ParseCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.store = options.store;
  }

  /** Files parsed through this cache since it was made: the ones it did not hold. */
  get parsed(): number {
    return this.parsedCount;
  }

  /** Files whose earlier parse was reused, read again or not. */
  get reused(): number {
    return this.reusedCount;
  }

  /** Of the reused files, those not even read: their stat vouched for them. */
  get unread(): number {
    return this.unreadCount;
  }

  /** Of the reused files, those read back from the store, not parsed by this process. */
  get stored(): number {
    return this.storedCount;
  }

  /** Starts a load of the config root `root` (an absolute path). */
  begin(root: string): CacheLoad {
    const before = this.roots.get(root) ?? new Map<string, Entry>();
    const used = new Map<string, Entry>();
    return {
      unchanged: (display, path) => {
        const entry = before.get(display);
        if (entry?.settled === undefined) return undefined;
        // lstat, as the read opens without following: a file swapped for a link is read, and refused.
        const info = lstatSync(path, { throwIfNoEntry: false });
        if (info === undefined || !info.isFile() || !sameStamp(info, entry.settled)) return undefined;
        this.reusedCount++;
        this.unreadCount++;
        used.set(display, entry);
        return entry.parsed;
      },
      parse: (display, bytes, stamp) => {
        const blobId = gitBlobId(bytes);
        const known = used.get(display) ?? before.get(display);
        // The shown path is part of the key: it is written into every diagnostic and location.
        const settled = stamp !== undefined && this.now() - stamp.ctimeMs >= SETTLED_MS ? stamp : undefined;
        if (known !== undefined && known.blobId === blobId) {
          this.reusedCount++;
          used.set(display, { ...known, settled });
          return known.parsed;
        }
        const kept = this.store?.read(display, blobId);
        if (kept !== undefined) {
          this.reusedCount++;
          this.storedCount++;
          const { parsed, checks } = kept;
          parsed.documents.forEach((document, i) => {
            deepFreeze(document.data);
            const check = checks?.[i];
            if (check !== undefined) this.checks.set(document, check);
          });
          used.set(display, { blobId, parsed, settled });
          return parsed;
        }
        this.parsedCount++;
        const parsed = parseFile(display, bytes);
        for (const document of parsed.documents) deepFreeze(document.data);
        if (this.store !== undefined) this.keep(display, blobId, bytes, parsed);
        used.set(display, { blobId, parsed, settled });
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
      const waiting = this.pending.get(source);
      if (waiting !== undefined) {
        this.pending.delete(source);
        waiting.checks[waiting.parsed.documents.indexOf(source)] = found;
        if (--waiting.left === 0)
          this.store?.write(waiting.display, waiting.blobId, waiting.bytes, { parsed: waiting.parsed, checks: waiting.checks as DocumentCheck[] });
      }
    }
    return found;
  }

  /**
   * A load and its checks are over (loadConfig calls this): the store gets the parses still waiting
   * for a check (without their checks), then may drop what no load used.
   */
  settle(): void {
    if (this.store === undefined) return;
    const written = new Set<PendingWrite>();
    for (const waiting of this.pending.values()) {
      if (written.has(waiting)) continue;
      written.add(waiting);
      this.store.write(waiting.display, waiting.blobId, waiting.bytes, { parsed: waiting.parsed, checks: undefined });
    }
    this.pending.clear();
    this.store.finish();
  }

  /** Writes a parse to the store once its documents are checked (a file without documents at once). */
  private keep(display: string, blobId: string, bytes: Uint8Array, parsed: ParsedFile): void {
    if (parsed.documents.length === 0) {
      this.store?.write(display, blobId, bytes, { parsed, checks: [] });
      return;
    }
    const waiting: PendingWrite = { display, blobId, bytes, parsed, checks: [], left: parsed.documents.length };
    for (const document of parsed.documents) this.pending.set(document, waiting);
  }
}
