// Reads a config directory into the desired state: discover files, parse them with positions,
// validate each document against its kind's schema, then run the cross-document rules.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { emptyDesiredState, type Declared, type DesiredState } from './desired.js';
import { discoverFiles, displayPath, MAX_FILE_BYTES, MAX_FILES, type DiscoveredFile } from './discover.js';
import { Exclusion, excludeListOf, PROJECT_FILES } from './exclude.js';
import { checkFlows } from './flow-rules.js';
import { checkIdentity, type ExtraSingleton } from './identity.js';
import type { AccessRequestSettings, AccessTest, ApprovalFlow, Fleet, GroupAssignment, Project, WebhookChannel } from './kinds.generated.js';
import { parseFile, type ParsedFile } from './parse.js';
import { stampOf, type DocumentCheck, type FileStamp, type ParseCache } from './parse-cache.js';
import { checkPolicy } from './policy.js';
import { ownerOf, restsOnCut, salvage, type Salvaged } from './salvage.js';
import { likelyMeant } from './names.js';
import { KINDS, validateSchema, type Kind } from './schema.js';
import { diagnosticAt, diagnosticFor, type SourceDocument, type SourceFile } from './source.js';
import { checkWebhooks } from './webhook-rules.js';

export interface LoadResult {
  /** How many config files were read. */
  files: number;
  /** How many documents (objects) they held. */
  objects: number;
  diagnostics: Diagnostic[];
  /** Every file read, by display path: the text code frames are cut from (secrets masked). */
  sources: Map<string, SourceFile>;
  /** The schema-valid objects. Complete only when `diagnostics` holds no errors. */
  desired: DesiredState;
}

// O_NOFOLLOW does not exist on Windows, where links need privileges to create.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

function fileLevel(display: string, code: string, message: string): Diagnostic {
  return { file: display, line: 1, column: 1, severity: 'error', code, message, path: '' };
}

function tooLarge(found: DiscoveredFile, size: number | undefined): Diagnostic {
  const what = size === undefined ? `more than ${MAX_FILE_BYTES} bytes` : `${size} bytes`;
  return fileLevel(found.display, 'file-too-large', `the file is ${what}; config files may be at most ${MAX_FILE_BYTES} bytes (256 KiB)`);
}

/** One file read within a bound: its bytes, or why it was refused before more than the bound was read. */
export type BoundedRead = { bytes: Uint8Array; stamp: FileStamp } | { refused: 'not-a-regular-file' } | { refused: 'too-large'; size: number | undefined };

// One buffer for every read of a load: a file's bytes are copied out at their real length.
let scratch: Buffer | undefined;

/**
 * Reads at most `cap` + 1 bytes of the file at `path`, so a file that never ends (a procfs file,
 * which fstat says is 0 bytes long) costs no more than the cap. Anything that is not a regular file
 * is refused without a read, and O_NONBLOCK keeps a FIFO from blocking the open. Throws the
 * file system's error (ENOENT, EACCES, ELOOP for a link) for the caller to report.
 */
export function readBounded(path: string, cap: number = MAX_FILE_BYTES): BoundedRead {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | NO_FOLLOW);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { refused: 'not-a-regular-file' };
    // A size above the cap is believed; a size below it is not (procfs, a file still growing).
    if (info.size > cap) return { refused: 'too-large', size: info.size };
    if (cap === MAX_FILE_BYTES && scratch === undefined) scratch = Buffer.allocUnsafe(cap + 1);
    // Above the config files' cap (a state file may be 16 MiB), the buffer starts at the size fstat
    // gives and grows only if the file turns out longer: a 1 MiB file costs 1 MiB, not the cap.
    let buffer = cap === MAX_FILE_BYTES && scratch !== undefined ? scratch : Buffer.allocUnsafe(Math.min(cap + 1, Math.max(info.size + 1, 64 * 1024)));
    let length = 0;
    while (length < cap + 1) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(cap + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > cap) return { refused: 'too-large', size: undefined };
    // A plain Uint8Array copy in one step (a Buffer's subarray would make a Buffer first).
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, length).slice();
    return { bytes, stamp: stampOf(info) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads one file, synchronously: for thousands of small files that is several times faster than
 * the promise API.
 */
function readOne(found: DiscoveredFile): { bytes?: Uint8Array; stamp?: FileStamp; diagnostic?: Diagnostic } {
  if (found.outsideRoot) {
    return {
      diagnostic: fileLevel(
        found.display,
        'outside-root',
        'the file is a link to a place outside the config directory, or to a path accessctl skips (a dot-file or dot-folder, node_modules, spec.exclude); accessctl does not read it',
      ),
    };
  }
  if (found.unreadable !== undefined) {
    return { diagnostic: fileLevel(found.display, 'unreadable-file', `cannot read the file: ${found.unreadable}`) };
  }
  try {
    // A link is opened at the real path discovery checked, and nothing is followed on the way: a
    // file swapped for a link since then fails to open (ELOOP) instead of reading elsewhere.
    const read = readBounded(found.target ?? found.absolute);
    if ('bytes' in read) return read;
    if (read.refused === 'too-large') return { diagnostic: tooLarge(found, read.size) };
    return { diagnostic: fileLevel(found.display, 'unreadable-file', 'cannot read the file: it is not a regular file') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    return { diagnostic: fileLevel(found.display, 'unreadable-file', `cannot read the file (${code})`) };
  }
}

function kindOf(source: SourceDocument): { kind?: Kind; diagnostic?: Diagnostic } {
  const raw = source.data['kind'];
  // A Fleet is read with --fleet, never as part of an org's config: not offered here.
  const offered = KINDS.filter((k) => k !== 'Fleet');
  const expected = offered.join(', ');
  if (raw === undefined) {
    const start = source.doc.start;
    return {
      diagnostic: diagnosticAt(source.file, { start, end: start }, 'error', 'missing-field', `missing required field "kind"; expected one of: ${expected}`),
    };
  }
  if (typeof raw === 'string' && (KINDS as readonly string[]).includes(raw)) return { kind: raw as Kind };
  if (raw === 'WebhookSubscription') {
    return {
      diagnostic: diagnosticFor(
        source,
        ['kind'],
        'error',
        'replaced-kind',
        'kind WebhookSubscription was split in two: subscribe a channel with AccessRequestSettings.spec.webhooks [{channel, events}], and (on targets with a channel API, such as the sandbox) keep the channel itself as kind WebhookChannel',
      ),
    };
  }
  const shown = typeof raw === 'string' ? `"${raw}"` : 'not a string';
  const meant = typeof raw === 'string' ? likelyMeant(raw, offered) : undefined;
  const message =
    meant === undefined
      ? `unknown kind ${shown}; expected one of: ${expected}`
      : `unknown kind ${shown}; did you mean "${meant}"? Expected one of: ${expected}`;
  return { diagnostic: diagnosticFor(source, ['kind'], 'error', 'unknown-kind', message) };
}

/** A document on its own: its kind, then its kind's schema. */
function checkDocument(source: SourceDocument): DocumentCheck {
  const { kind, diagnostic } = kindOf(source);
  if (!kind) return { kind, diagnostics: diagnostic ? [diagnostic] : [], valid: false };
  const schemaDiagnostics = validateSchema(source, kind);
  return { kind, diagnostics: diagnostic ? [diagnostic, ...schemaDiagnostics] : schemaDiagnostics, valid: schemaDiagnostics.length === 0 };
}

/** Sorts one schema-valid document (or the valid parts of one, to check) into a desired state. */
function declare(state: DesiredState, kind: Kind, source: SourceDocument, extras: ExtraSingleton[]): void {
  const raw = (source.data['metadata'] as { name?: unknown } | undefined)?.name;
  const name = typeof raw === 'string' ? raw : '';
  // Each entry is one literal { name, source, object }: made as { ...entry, object }, every entry got
  // a hidden class of its own (10,000 flows, 10,000 shapes), and every read of one was megamorphic.
  const entry = <T>(): Declared<T> => ({ name, source, object: source.data as unknown as T });
  switch (kind) {
    case 'ApprovalFlow':
      state.flows.push(entry<ApprovalFlow>());
      break;
    case 'GroupAssignment':
      state.groups.push(entry<GroupAssignment>());
      break;
    case 'WebhookChannel':
      state.channels.push(entry<WebhookChannel>());
      break;
    case 'AccessRequestSettings':
      if (state.settings) extras.push({ kind, source });
      else state.settings = entry<AccessRequestSettings>();
      break;
    case 'Project':
      if (state.project) extras.push({ kind, source });
      else state.project = entry<Project>();
      break;
    case 'AccessTest':
      state.tests.push(entry<AccessTest>());
      break;
    case 'Fleet':
      state.fleets.push(entry<Fleet>());
      break;
  }
}

export interface LoadOptions {
  /**
   * Parses and per-document checks kept from earlier loads, by file content: a long-lived caller
   * (the reconciler, `up`) passes the same cache to every load, so unchanged files are not parsed again.
   */
  cache?: ParseCache | undefined;
}

/** The config files of one folder, read and parsed but not yet checked. */
export interface ReadFolder {
  files: number;
  documents: SourceDocument[];
  diagnostics: Diagnostic[];
  sources: Map<string, SourceFile>;
}

/** Discovers, reads and parses every config file under `dir` (or the single file `dir`). */
export async function readFolder(dir: string, cwd: string = process.cwd(), options: LoadOptions = {}): Promise<ReadFolder> {
  const root = resolve(cwd, dir);
  const cached = options.cache?.begin(root);
  // The root's accessctl.yaml is read before the walk, for its spec.exclude; the walk then uses that read.
  const early = new Map<string, { parsed?: ParsedFile; diagnostic?: Diagnostic }>();
  const read = (found: DiscoveredFile): { parsed?: ParsedFile; diagnostic?: Diagnostic } => {
    const kept = early.get(found.absolute);
    if (kept !== undefined) return kept;
    // A file whose stat vouches that it is as the cache read it is not read again.
    const unchanged =
      cached && !found.outsideRoot && found.unreadable === undefined ? cached.unchanged(found.display, found.target ?? found.absolute) : undefined;
    if (unchanged !== undefined) return { parsed: unchanged };
    const bytes = readOne(found);
    if (!bytes.bytes) return bytes.diagnostic ? { diagnostic: bytes.diagnostic } : {};
    const parsed = cached ? cached.parse(found.display, bytes.bytes, bytes.stamp) : parseFile(found.display, bytes.bytes);
    return bytes.diagnostic ? { parsed, diagnostic: bytes.diagnostic } : { parsed };
  };
  let projectFile: string | undefined;
  // Set when the root is a folder the walk goes through (not a single file): spec.exclude applies to it.
  let walked = false;
  const exclusion = (folder: string): Exclusion | undefined => {
    walked = true;
    for (const name of PROJECT_FILES) {
      const absolute = join(folder, name);
      // Only a regular file: a link is judged by the walk, and its spec.exclude is not applied.
      if (!lstatSync(absolute, { throwIfNoEntry: false })?.isFile()) continue;
      const found: DiscoveredFile = { absolute, display: displayPath(absolute, cwd) };
      const result = read(found);
      early.set(absolute, result);
      projectFile = found.display;
      const patterns = (result.parsed?.documents ?? []).flatMap((document) => excludeListOf(document.data) ?? []);
      return patterns.length === 0 ? undefined : new Exclusion(patterns);
    }
    return undefined;
  };
  const discovery = await discoverFiles(root, cwd, { exclusion });
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, SourceFile>();
  if (discovery.overflow) {
    diagnostics.push(
      fileLevel(
        discovery.overflow.display,
        'too-many-files',
        `more than ${MAX_FILES.toLocaleString('en-US')} YAML files under ${dir}; accessctl reads at most ${MAX_FILES.toLocaleString('en-US')}`,
      ),
    );
    return { files: discovery.files.length, documents: [], diagnostics, sources };
  }
  if (discovery.rootRefused !== undefined) {
    diagnostics.push(fileLevel(displayPath(resolve(cwd, dir), cwd), 'root-is-link', discovery.rootRefused));
    return { files: 0, documents: [], diagnostics, sources };
  }
  const documents: SourceDocument[] = [];
  for (const found of discovery.files) {
    const { parsed, diagnostic } = read(found);
    if (diagnostic) diagnostics.push(diagnostic);
    if (!parsed) continue;
    sources.set(parsed.file.path, parsed.file);
    diagnostics.push(...parsed.diagnostics);
    documents.push(...parsed.documents);
  }
  cached?.finish();
  // spec.exclude must be known before the walk: anywhere but the root's accessctl.yaml it excludes nothing.
  if (walked) {
    for (const document of documents) {
      if (document.file.path === projectFile || excludeListOf(document.data) === undefined) continue;
      diagnostics.push(
        diagnosticFor(
          document,
          ['spec', 'exclude'],
          'error',
          'exclude-not-applied',
          `spec.exclude is read only from accessctl.yaml at the config root (${displayPath(join(root, 'accessctl.yaml'), cwd)}); here it excludes nothing`,
          'key',
        ),
      );
    }
  }
  return { files: discovery.files.length, documents, diagnostics, sources };
}

/**
 * Checks parsed documents as one org's config: each against its kind's schema, then the rules
 * across documents. A fleet passes each org's documents, gathered from its base and overlay.
 */
export function checkDocuments(read: ReadFolder, options: LoadOptions = {}): LoadResult {
  const { documents } = read;
  const diagnostics = [...read.diagnostics];
  const desired = emptyDesiredState();
  const extras: ExtraSingleton[] = [];
  const { cache } = options;
  const salvaged: Salvaged[] = [];
  for (const source of documents) {
    // A document's own checks depend on nothing else: a cached document keeps its result.
    const check = cache ? cache.check(source, checkDocument) : checkDocument(source);
    diagnostics.push(...check.diagnostics);
    if (check.kind && check.valid) declare(desired, check.kind, source, extras);
    else if (check.kind) {
      const parts = salvage(source, check.kind);
      if (parts) salvaged.push(parts);
    }
  }
  // A fleet names the folders of many orgs; read as one org's config, they would collide.
  for (const fleet of desired.fleets) {
    diagnostics.push(
      diagnosticFor(
        fleet.source,
        ['kind'],
        'error',
        'fleet-in-config',
        `a Fleet is not part of an org's config: check it with validate --fleet ${fleet.source.file.path} and plan it with plan --fleet`,
      ),
    );
  }
  checkAcross(desired, extras, salvaged, diagnostics);
  return { files: read.files, objects: documents.length, diagnostics, sources: read.sources, desired };
}

function runRules(state: DesiredState, extras: readonly ExtraSingleton[], diagnostics: Diagnostic[]): void {
  checkIdentity(state, extras, diagnostics);
  checkFlows(state, diagnostics);
  checkWebhooks(state, diagnostics);
  checkPolicy(state, diagnostics);
}

/**
 * The rules across documents, on the schema-valid ones; then once more with the valid parts of the
 * documents that break their schema, keeping only what is found in those, so a schema error does not
 * hide the object's other findings. A finding there that rests on a part cut out is not made. Those
 * parts never enter the desired state, and never change what is found in the valid documents.
 */
function checkAcross(desired: DesiredState, extras: readonly ExtraSingleton[], salvaged: readonly Salvaged[], diagnostics: Diagnostic[]): void {
  runRules(desired, extras, diagnostics);
  if (salvaged.length === 0) return;
  const checked: DesiredState = {
    ...desired,
    flows: [...desired.flows],
    groups: [...desired.groups],
    channels: [...desired.channels],
    tests: [...desired.tests],
    fleets: [...desired.fleets],
  };
  const checkedExtras = [...extras];
  for (const parts of salvaged) declare(checked, parts.kind, parts.source, checkedExtras);
  const found: Diagnostic[] = [];
  runRules(checked, checkedExtras, found);
  const byFile = new Map<string, Salvaged[]>();
  for (const parts of salvaged) {
    const inFile = byFile.get(parts.source.file.path);
    if (inFile) inFile.push(parts);
    else byFile.set(parts.source.file.path, [parts]);
  }
  for (const diagnostic of found) {
    const owner = ownerOf(diagnostic, byFile);
    if (owner !== undefined && !restsOnCut(diagnostic, owner)) diagnostics.push(diagnostic);
  }
}

/** A root's last check through a cache: what was read, and what checking it concluded. */
interface LastCheck {
  read: ReadFolder;
  result: LoadResult;
}

// Per cache and config root. The checks are a function of the documents alone, so a load that read
// the very same cached documents (and files, and read findings) concludes the same: nothing changed.
const lastChecks = new WeakMap<ParseCache, Map<string, LastCheck>>();

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return (
    a === b ||
    (a.file === b.file &&
      a.line === b.line &&
      a.column === b.column &&
      a.endLine === b.endLine &&
      a.endColumn === b.endColumn &&
      a.severity === b.severity &&
      a.code === b.code &&
      a.message === b.message &&
      a.path === b.path)
  );
}

function sameRead(a: ReadFolder, b: ReadFolder): boolean {
  if (a.files !== b.files || a.documents.length !== b.documents.length || a.diagnostics.length !== b.diagnostics.length || a.sources.size !== b.sources.size) {
    return false;
  }
  for (let i = 0; i < a.documents.length; i++) if (a.documents[i] !== b.documents[i]) return false;
  for (let i = 0; i < a.diagnostics.length; i++) if (!sameDiagnostic(a.diagnostics[i]!, b.diagnostics[i]!)) return false;
  for (const [path, file] of b.sources) if (a.sources.get(path) !== file) return false;
  return true;
}

/** The result of an earlier load, in lists of its own: what one caller does to its lists, the next does not see. */
function reissue(result: LoadResult, read: ReadFolder): LoadResult {
  const desired = Object.fromEntries(
    Object.entries(result.desired).map(([key, value]) => [key, Array.isArray(value) ? [...value] : value]),
  ) as unknown as DesiredState;
  return { ...result, diagnostics: [...result.diagnostics], sources: read.sources, desired };
}

/** Freezes what a reissued result shares with the first one: its declared objects and its findings. */
function freezeShared(result: LoadResult): void {
  for (const value of Object.values(result.desired)) {
    for (const declared of Array.isArray(value) ? value : value === undefined ? [] : [value]) Object.freeze(declared);
  }
  for (const diagnostic of result.diagnostics) Object.freeze(diagnostic);
}

/**
 * Loads and validates every config file under `dir` (or the single file `dir`). With a cache, the
 * files read as before are not parsed again, and when every file is as before the result of the
 * checks across files is reused too.
 */
export async function loadConfig(dir: string, cwd: string = process.cwd(), options: LoadOptions = {}): Promise<LoadResult> {
  const read = await readFolder(dir, cwd, options);
  const { cache } = options;
  if (cache === undefined) return checkDocuments(read, options);
  const root = resolve(cwd, dir);
  let checks = lastChecks.get(cache);
  if (checks === undefined) {
    checks = new Map();
    lastChecks.set(cache, checks);
  }
  const last = checks.get(root);
  if (last !== undefined && sameRead(last.read, read)) {
    cache.settle();
    return reissue(last.result, read);
  }
  const result = checkDocuments(read, options);
  // Parses go to the cache's store with their documents' checks, made just now.
  cache.settle();
  freezeShared(result);
  checks.set(root, { read, result });
  return reissue(result, read);
}
