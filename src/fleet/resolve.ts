// Each org's config in a fleet: the base folder's objects, those of the org's overlay replacing
// the base's of the same kind and name (the settings and the project replace by kind alone: there
// is one of each), less the exclude list; then checked as one config, so every finding names the
// file that contributed the object.
import { checkDocuments, readFolder, type LoadResult, type ReadFolder } from '../config/load.js';
import { nameKey } from '../config/names.js';
import type { ParseCache } from '../config/parse-cache.js';
import { diagnosticFor, type SourceDocument, type SourceFile } from '../config/source.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { FleetDefinition, FleetMember } from './fleet-file.js';

const SINGLETONS = new Set(['AccessRequestSettings', 'Project']);

/** The identity an overlay replaces by: kind and name, or kind alone for the singletons. */
function identity(document: SourceDocument): string | undefined {
  const kind = document.data['kind'];
  if (typeof kind !== 'string') return undefined;
  if (SINGLETONS.has(kind)) return kind;
  const metadata = document.data['metadata'];
  const name = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['name'] : undefined;
  return typeof name === 'string' ? `${kind}\u0000${nameKey(name)}` : undefined;
}

function excludedKey(kind: string, name: string): string {
  return SINGLETONS.has(kind) ? kind : `${kind}\u0000${nameKey(name)}`;
}

export interface ResolvedOrg {
  org: FleetMember;
  config: LoadResult;
  /** How the org's config was put together, for the plan summary and status. */
  made: { base: number; replaced: number; overlay: number; excluded: number };
}

/**
 * Reads each folder once, however many orgs use it. With a parse cache (a runner keeps one for its
 * lifetime), a folder read again in a later run parses only the files that changed since.
 */
export class FolderCache {
  private readonly reads = new Map<string, Promise<ReadFolder>>();

  constructor(
    private readonly cwd: string = process.cwd(),
    private readonly parses?: ParseCache,
  ) {}

  /** The parse cache the folders are read through, for checking the documents they hold. */
  get parseCache(): ParseCache | undefined {
    return this.parses;
  }

  read(dir: string): Promise<ReadFolder> {
    let read = this.reads.get(dir);
    if (read === undefined) {
      read = readFolder(dir, this.cwd, this.parses === undefined ? {} : { cache: this.parses });
      this.reads.set(dir, read);
    }
    return read;
  }
}

/** One org's resolved and checked config; `fleetDiagnostics` receives findings about the fleet file itself (an exclusion that matches nothing). */
export async function resolveOrg(fleet: FleetDefinition, org: FleetMember, folders: FolderCache, fleetDiagnostics: Diagnostic[] = []): Promise<ResolvedOrg> {
  const base = await folders.read(fleet.base.dir);
  const overlay = org.overlay === undefined ? undefined : await folders.read(org.overlay.dir);
  const excluded = new Map(org.exclude.map((e, i) => [excludedKey(e.kind, e.name), i]));
  const matched = new Set<number>();
  const isExcluded = (document: SourceDocument): boolean => {
    const key = identity(document);
    const index = key === undefined ? undefined : excluded.get(key);
    if (index === undefined) return false;
    matched.add(index);
    return true;
  };
  const replacedBy = new Set((overlay?.documents ?? []).flatMap((d) => identity(d) ?? []));
  const documents: SourceDocument[] = [];
  let replaced = 0;
  let excludedCount = 0;
  for (const document of base.documents) {
    const key = identity(document);
    if (key !== undefined && replacedBy.has(key)) {
      replaced++;
      // An exclusion of a replaced object still matched something.
      isExcluded(document);
      continue;
    }
    if (isExcluded(document)) excludedCount++;
    else documents.push(document);
  }
  const baseKept = documents.length;
  for (const document of overlay?.documents ?? []) {
    if (isExcluded(document)) excludedCount++;
    else documents.push(document);
  }
  for (const index of excluded.values()) {
    if (matched.has(index)) continue;
    const entry = org.exclude[index]!;
    fleetDiagnostics.push(
      diagnosticFor(
        fleet.source,
        ['spec', 'orgs', org.index, 'exclude', index],
        'warning',
        'exclude-unmatched',
        `org ${org.name} excludes ${entry.kind} "${entry.name}", which neither the base nor its overlay declares`,
      ),
    );
  }
  // Only the files that gave this org something (or something to report) are its sources.
  const used = new Set(documents.map((d) => d.file.path));
  const readDiagnostics = [...base.diagnostics, ...(overlay?.diagnostics ?? [])];
  for (const d of readDiagnostics) used.add(d.file);
  const sources = new Map<string, SourceFile>();
  for (const [path, file] of [...base.sources, ...(overlay?.sources ?? new Map<string, SourceFile>())]) if (used.has(path)) sources.set(path, file);
  const cache = folders.parseCache;
  const config = checkDocuments({ files: sources.size, documents, diagnostics: readDiagnostics, sources }, cache === undefined ? {} : { cache });
  return { org, config, made: { base: baseKept, replaced, overlay: documents.length - baseKept, excluded: excludedCount } };
}
