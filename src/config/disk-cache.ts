// The parse cache kept on disk (--cache-dir), so a CI run re-parses only the files a pull request
// changed. One entry per parsed file (with its documents' schema checks), named and checked by its content,
// its shown path, accessctl's version and the schemas' digest; an entry not exactly as written is a miss, never an error.
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { AccessctlError } from '../errors.js';
import type { DocumentCheck, ParseStore, StoredParse } from './parse-cache.js';
import { FORBIDDEN_KEYS, MAX_DEPTH } from './parse.js';
import { KINDS, schemasDir, type Kind } from './schema.js';
import { DocumentLocations, lineCounterFor, type SourceDocument, type SourceFile } from './source.js';

/** The layout of an entry; a change to it is a new format, and entries of another are not read. */
const FORMAT = 2;
const MAGIC = `accessctl-parse-cache ${FORMAT} `;
/** An entry's first line: the magic, then the SHA-256 of the rest, in hex. */
const HEADER_LENGTH = MAGIC.length + 64 + 1;
/**
 * No entry is read or written above this size. A config file is at most 256 KiB; its locations (seven
 * integers a node) and data can make an entry a few times that. A bigger one is simply not kept.
 */
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
/** The cache dir's default bound: past it, the entries the latest load did not use go, oldest first. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** An entry read is marked used again (its mtime set) when its mark is older than this: not on every read. */
const TOUCH_AFTER_MS = 60 * 60 * 1000;
/** A temporary file older than this was left by a writer that died; it is removed when the dir is pruned. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const ENTRY_NAME = /^[0-9a-f]{64}\.json$/;
const TEMP_NAME = /^\.[0-9a-f]{64}\.\d+\.[0-9a-f]{8}-\d+\.tmp$/;
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

let schemaDigest: string | undefined;

/** The SHA-256 of every JSON schema accessctl checks with (file names and bytes): a new schema never reuses an old entry. */
export function schemasDigest(): string {
  if (schemaDigest !== undefined) return schemaDigest;
  const hash = createHash('sha256');
  for (const file of readdirSync(schemasDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const bytes = readFileSync(new URL(file, schemasDir));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  schemaDigest = hash.digest('hex');
  return schemaDigest;
}

let builtDigest: string | undefined;

/**
 * The SHA-256 of the running code that parses and checks config (this module's folder and the
 * diagnostics', file names and bytes): with the version in the key, a build that changed them under
 * the same version (a development build) never reuses an entry either.
 */
export function codeDigest(): string {
  if (builtDigest !== undefined) return builtDigest;
  const hash = createHash('sha256');
  for (const folder of [new URL('./', import.meta.url), new URL('../diagnostics/', import.meta.url)]) {
    for (const file of readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()) {
      const bytes = readFileSync(new URL(file, folder));
      hash.update(`${folder.pathname.split('/').at(-2)}/${file}\0${bytes.length}\0`).update(bytes);
    }
  }
  builtDigest = hash.digest('hex');
  return builtDigest;
}

export interface DiskCacheOptions {
  /** accessctl's version (package.json) and codeDigest(): part of every entry's key. */
  version: string;
  /** The bound on the entries' total size (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  /** The clock, in ms since the epoch (default Date.now). */
  now?: () => number;
}

/** What the disk cache did in this process, for tests and for `time`-style measurements. */
export interface DiskCacheCounts {
  /** Entries read and trusted. */
  hits: number;
  /** Entries looked up and not there. */
  misses: number;
  /** Entries there but not trusted (bad digest, shape, key or size): parsed again and rewritten. */
  rejected: number;
  /** Entries written. */
  written: number;
  /** Parses not written: they hold a literal secret value or a number JSON cannot carry, or exceed MAX_ENTRY_BYTES. */
  withheld: number;
  /** Entries (and stale temporary files) removed to keep the dir within its bound. */
  pruned: number;
}

/**
 * Opens (creating it when missing) the cache dir `dir`. A path that is not a directory accessctl can
 * write is an AccessctlError('usage') naming `flag`; after that, nothing the dir holds fails a load.
 */
export function openDiskCache(dir: string, options: DiskCacheOptions, flag = '--cache-dir'): DiskCache {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'it is not a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'it is not writable'
          : `cannot use it (${code})`;
    throw new AccessctlError('usage', `${flag} ${dir}: ${why}; pass a directory accessctl may create or write`, { subject: flag });
  }
  return new DiskCache(dir, options);
}

/**
 * Parses kept as files in one directory. Bounded by total size: when a load wrote entries and the dir
 * holds more than `maxBytes`, the entries no load of this process used are removed, least recently
 * used first (an entry's mtime is set when it is written, and again when read after an hour).
 */
export class DiskCache implements ParseStore {
  private readonly version: string;
  private readonly schemas: string;
  private readonly maxBytes: number;
  private readonly now: () => number;
  /** Entry names this process read or wrote: never pruned by it. */
  private readonly used = new Set<string>();
  private wroteSincePrune = false;
  /**
   * The entry names the dir held when it was opened: a lookup of any other name is a miss without an
   * open(), whose ENOENT costs more than parsing a small file. Entries written since are added.
   */
  private readonly present: Set<string>;
  /** Temporary names are this process's: its pid, a random token, and a count. */
  private readonly token = randomBytes(4).toString('hex');
  private temps = 0;
  readonly counts: DiskCacheCounts = { hits: 0, misses: 0, rejected: 0, written: 0, withheld: 0, pruned: 0 };

  constructor(
    readonly dir: string,
    options: DiskCacheOptions,
  ) {
    this.version = options.version;
    this.schemas = schemasDigest();
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = options.now ?? Date.now;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Unlistable: every lookup is a miss, and the writes say whether the dir is usable.
    }
    this.present = new Set(names.filter((name) => ENTRY_NAME.test(name)));
  }

  /** The file name of the entry for these bytes shown as `display`: every part of the key is in it. */
  entryName(display: string, blobId: string): string {
    const key = createHash('sha256').update(`${FORMAT}\0${this.version}\0${this.schemas}\0${display}\0${blobId}`).digest('hex');
    return `${key}.json`;
  }

  read(display: string, blobId: string): StoredParse | undefined {
    const name = this.entryName(display, blobId);
    if (!this.present.has(name)) {
      this.counts.misses++;
      return undefined;
    }
    const path = join(this.dir, name);
    let read: { bytes: Buffer; mtimeMs: number } | undefined;
    try {
      read = readEntry(path);
    } catch {
      // Removed since the dir was listed, or unreadable: either way, parse.
      this.counts.misses++;
      return undefined;
    }
    const parsed = read === undefined ? undefined : this.decode(read.bytes, display, blobId);
    if (read === undefined || parsed === undefined) {
      this.counts.rejected++;
      return undefined;
    }
    this.counts.hits++;
    this.used.add(name);
    if (this.now() - read.mtimeMs > TOUCH_AFTER_MS) {
      const at = new Date(this.now());
      try {
        utimesSync(path, at, at);
      } catch {
        // Only the eviction order suffers.
      }
    }
    return parsed;
  }

  write(display: string, blobId: string, bytes: Uint8Array, stored: StoredParse): void {
    const encoded = this.encode(display, blobId, bytes, stored);
    if (encoded === undefined) {
      this.counts.withheld++;
      return;
    }
    const name = this.entryName(display, blobId);
    const temp = join(this.dir, `.${name.slice(0, 64)}.${process.pid}.${this.token}-${this.temps++}.tmp`);
    try {
      // A reader sees the whole entry or none: the rename replaces it in one step.
      writeFileSync(temp, encoded, { flag: 'wx', mode: 0o600 });
      renameSync(temp, join(this.dir, name));
      this.present.add(name);
      this.used.add(name);
      this.counts.written++;
      this.wroteSincePrune = true;
    } catch {
      // A full or read-only disk costs the next run a parse, nothing more.
      try {
        unlinkSync(temp);
      } catch {
        // It was never made.
      }
    }
  }

  finish(): void {
    if (!this.wroteSincePrune) return;
    this.wroteSincePrune = false;
    this.prune();
  }

  /** Removes stale temporary files, then the least recently used entries no load of this process used, until the dir is within its bound. */
  prune(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const entries: { name: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    for (const name of names) {
      const isEntry = ENTRY_NAME.test(name);
      // Only accessctl's own names are looked at: anything else in the dir is left alone.
      if (!isEntry && !TEMP_NAME.test(name)) continue;
      const info = lstatSync(join(this.dir, name), { throwIfNoEntry: false });
      if (info === undefined || !info.isFile()) continue;
      if (!isEntry) {
        if (this.now() - info.mtimeMs > STALE_TEMP_MS) this.remove(name);
        continue;
      }
      total += info.size;
      if (!this.used.has(name)) entries.push({ name, size: info.size, mtimeMs: info.mtimeMs });
    }
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      if (this.remove(entry.name)) total -= entry.size;
    }
  }

  private remove(name: string): boolean {
    try {
      unlinkSync(join(this.dir, name));
      this.counts.pruned++;
      return true;
    } catch {
      return false;
    }
  }

  /** The entry's bytes, or undefined when the parse must not be kept: it holds a literal secret, a number JSON cannot carry, or is too big. */
  private encode(display: string, blobId: string, bytes: Uint8Array, stored: StoredParse): Buffer | undefined {
    const { parsed, checks } = stored;
    const { file } = parsed;
    // parse.ts masks literal secrets in the display text only; the documents' data still holds them.
    // A file with anything masked (its display text is not its own text) is parsed on every run instead.
    if (!lossyUtf8.decode(bytes).startsWith(file.displayText)) return undefined;
    // JSON writes NaN and Infinity as null and -0 as 0: such a parse would not come back the same.
    if (!parsed.documents.every((document) => portableData(document.data))) return undefined;
    const body: EntryBody = {
      format: FORMAT,
      accessctl: this.version,
      schemas: this.schemas,
      path: display,
      blob: blobId,
      text: file.displayText,
      diagnostics: parsed.diagnostics,
      documents: parsed.documents.map((document, i) => {
        const check = checks?.[i];
        return {
          index: document.index,
          ...document.doc.toParts(),
          data: document.data,
          check: check === undefined ? null : { kind: check.kind ?? null, valid: check.valid, diagnostics: check.diagnostics },
        };
      }),
    };
    const json = JSON.stringify(body);
    const digest = createHash('sha256').update(json).digest('hex');
    const encoded = Buffer.from(`${MAGIC}${digest}\n${json}`, 'utf8');
    return encoded.length <= MAX_ENTRY_BYTES ? encoded : undefined;
  }

  /** The parse an entry's bytes hold, when they are whole, of this version and schemas, for this key, and in shape; else undefined. */
  private decode(bytes: Buffer, display: string, blobId: string): StoredParse | undefined {
    if (bytes.length < HEADER_LENGTH || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC || bytes[HEADER_LENGTH - 1] !== 0x0a) return undefined;
    const digest = bytes.toString('latin1', MAGIC.length, MAGIC.length + 64);
    const json = bytes.subarray(HEADER_LENGTH);
    if (createHash('sha256').update(json).digest('hex') !== digest) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(strictUtf8.decode(json));
    } catch {
      return undefined;
    }
    const body = decodeBody(raw);
    if (body === undefined) return undefined;
    if (body.format !== FORMAT || body.accessctl !== this.version || body.schemas !== this.schemas || body.path !== display || body.blob !== blobId) {
      return undefined;
    }
    const file: SourceFile = { path: display, displayText: body.text, lineCounter: lineCounterFor(body.text) };
    const documents: SourceDocument[] = [];
    const checks: DocumentCheck[] = [];
    for (const document of body.documents) {
      const doc = DocumentLocations.fromParts(document.records, document.keys, body.text.length);
      if (doc === undefined) return undefined;
      documents.push({ file, index: document.index, doc, data: document.data });
      if (document.check !== null)
        checks.push({ kind: document.check.kind ?? undefined, valid: document.check.valid, diagnostics: document.check.diagnostics });
    }
    // Every document's check, or none (a parse written before its checks were made).
    if (checks.length !== 0 && checks.length !== documents.length) return undefined;
    const diagnostics = [...body.diagnostics, ...checks.flatMap((check) => check.diagnostics)];
    if (diagnostics.some((diagnostic) => diagnostic.file !== display)) return undefined;
    return { parsed: { file, documents, diagnostics: body.diagnostics }, checks: checks.length === 0 ? undefined : checks };
  }
}

const lossyUtf8 = new TextDecoder('utf-8');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads at most MAX_ENTRY_BYTES of a regular file, following no link; undefined when it is larger or not a regular file. Throws when it cannot be opened. */
function readEntry(path: string): { bytes: Buffer; mtimeMs: number } | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | NO_FOLLOW);
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_ENTRY_BYTES) return undefined;
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    // A file that grew since fstat is being rewritten by someone else: not trusted.
    if (length > info.size) return undefined;
    return { bytes: buffer.subarray(0, length), mtimeMs: info.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

interface EntryDocument {
  index: number;
  records: number[];
  keys: (string | null)[];
  data: Record<string, unknown>;
  check: EntryCheck | null;
}

/** A document's check as an entry holds it (JSON has no undefined). */
interface EntryCheck {
  kind: Kind | null;
  valid: boolean;
  diagnostics: Diagnostic[];
}

interface EntryBody {
  format: number;
  accessctl: string;
  schemas: string;
  path: string;
  blob: string;
  text: string;
  diagnostics: Diagnostic[];
  documents: EntryDocument[];
}

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

function decodeBody(raw: unknown): EntryBody | undefined {
  if (!isRecord(raw)) return undefined;
  const { format, accessctl, schemas, path, blob, text, diagnostics, documents } = raw;
  if (!isInteger(format) || typeof accessctl !== 'string' || typeof schemas !== 'string' || typeof path !== 'string') return undefined;
  if (typeof blob !== 'string' || typeof text !== 'string' || !Array.isArray(diagnostics) || !Array.isArray(documents)) return undefined;
  const decodedDiagnostics: Diagnostic[] = [];
  for (const item of diagnostics) {
    const diagnostic = decodeDiagnostic(item);
    if (diagnostic === undefined) return undefined;
    decodedDiagnostics.push(diagnostic);
  }
  const decodedDocuments: EntryDocument[] = [];
  for (const item of documents) {
    const document = decodeDocument(item);
    // Documents are kept in file order, each index once.
    if (document === undefined || document.index <= (decodedDocuments.at(-1)?.index ?? -1)) return undefined;
    decodedDocuments.push(document);
  }
  return { format, accessctl, schemas, path, blob, text, diagnostics: decodedDiagnostics, documents: decodedDocuments };
}

function decodeDiagnostic(raw: unknown): Diagnostic | undefined {
  if (!isRecord(raw)) return undefined;
  const { file, line, column, endLine, endColumn, severity, code, message, path } = raw;
  if (typeof file !== 'string' || !isInteger(line) || !isInteger(column) || (severity !== 'error' && severity !== 'warning')) return undefined;
  if (typeof code !== 'string' || typeof message !== 'string' || typeof path !== 'string') return undefined;
  if ((endLine !== undefined && !isInteger(endLine)) || (endColumn !== undefined && !isInteger(endColumn))) return undefined;
  // The fields in the order diagnosticAt makes them, so a JSON rendering is the same byte for byte.
  return {
    file,
    line,
    column,
    ...(endLine !== undefined ? { endLine } : {}),
    ...(endColumn !== undefined ? { endColumn } : {}),
    severity,
    code,
    message,
    path,
  };
}

function decodeDocument(raw: unknown): EntryDocument | undefined {
  if (!isRecord(raw)) return undefined;
  const { index, records, keys, data } = raw;
  if (!isInteger(index) || index < 0 || !Array.isArray(records) || !Array.isArray(keys) || !isRecord(data)) return undefined;
  if (!records.every(isInteger) || !keys.every((key) => key === null || typeof key === 'string')) return undefined;
  if (!plainData(data, 0)) return undefined;
  if (raw['check'] === null) return { index, records, keys, data, check: null };
  const check = decodeCheck(raw['check']);
  return check === undefined ? undefined : { index, records, keys, data, check };
}

/** A document's check as load.ts makes it: a known kind or none; valid exactly when its kind's schema found nothing. */
function decodeCheck(raw: unknown): EntryCheck | undefined {
  if (!isRecord(raw)) return undefined;
  const { valid, diagnostics: list } = raw;
  if (!Array.isArray(list) || typeof valid !== 'boolean') return undefined;
  const kind = KINDS.find((known) => known === raw['kind']) ?? null;
  if (kind === null && raw['kind'] !== null) return undefined;
  const diagnostics: Diagnostic[] = [];
  for (const item of list) {
    const diagnostic = decodeDiagnostic(item);
    if (diagnostic === undefined) return undefined;
    diagnostics.push(diagnostic);
  }
  if (kind === null ? valid || diagnostics.length > 1 : valid !== (diagnostics.length === 0)) return undefined;
  return { kind, valid, diagnostics };
}

/** Whether JSON carries `value` as it is: every number finite and not -0 (a parse's data is no deeper than MAX_DEPTH). */
function portableData(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(portableData);
  for (const key in value) if (!portableData((value as JsonRecord)[key])) return false;
  return true;
}

/** Whether a JSON value is data a parse could have made: no deeper than parse.ts allows, no prototype keys. */
function plainData(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return true;
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => plainData(item, depth + 1));
  if (!isRecord(value)) return false;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || !plainData(value[key], depth + 1)) return false;
  }
  return true;
}
