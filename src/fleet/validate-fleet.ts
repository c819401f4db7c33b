// `validate --fleet FILE`: the fleet file, then every org's resolved config, as one report in the
// usual formats. Each finding keeps the file:line:col of the file that contributed the object and
// says which orgs it holds for; a finding shared by every org is reported once.
import { emptyDesiredState } from '../config/desired.js';
import type { LoadResult } from '../config/load.js';
import type { SourceFile } from '../config/source.js';
import { countDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { printable } from '../plan/printable.js';
import { isFolder, readFleet } from './fleet-file.js';
import { FolderCache, resolveOrg } from './resolve.js';

function orgsPrefix(orgs: readonly string[], all: number): string {
  if (orgs.length === all && all > 1) return '[every org] ';
  return `[org${orgs.length === 1 ? '' : 's'} ${orgs.join(', ')}] `;
}

/** One org's share of the check: its own config's counts, or why it could not be made. */
export type FleetOrgCheck =
  | { org: string; made: true; files: number; objects: number; errors: number; warnings: number }
  | { org: string; made: false; why: string };

/** The fleet's check as one config's result, and each org's own counts. */
export interface FleetValidation extends LoadResult {
  orgs: FleetOrgCheck[];
}

/** Checks a fleet and each org's config; the result reads like one config's (files, objects, diagnostics, sources). */
export async function validateFleet(file: string, cwd: string = process.cwd()): Promise<FleetValidation> {
  const read = await readFleet(file, cwd);
  const sources = new Map<string, SourceFile>(read.sources);
  const diagnostics: Diagnostic[] = [...read.diagnostics];
  const fleet = read.fleet;
  if (fleet === undefined) return { files: sources.size, objects: 0, diagnostics, sources, desired: emptyDesiredState(), orgs: [] };
  const orgs: FleetOrgCheck[] = [];
  const folders = new FolderCache(cwd);
  const found = new Map<string, { diagnostic: Diagnostic; orgs: string[] }>();
  const objects = new Set<string>();
  // A missing base or overlay is already a finding at its line in the fleet file; the orgs that need
  // it cannot be made, and every other org is still checked.
  const baseFound = isFolder(fleet.base.dir);
  for (const org of fleet.orgs) {
    if (!baseFound || (org.overlay !== undefined && !isFolder(org.overlay.dir))) {
      orgs.push({
        org: org.name,
        made: false,
        why: baseFound ? `its overlay ${org.overlay?.written ?? ''} is not a folder` : `the base ${fleet.base.written} is not a folder`,
      });
      continue;
    }
    const { config } = await resolveOrg(fleet, org, folders, diagnostics);
    const own = countDiagnostics(config.diagnostics);
    // The counts `validate DIR` would give for this org's folder as resolved.
    orgs.push({ org: org.name, made: true, files: config.files, objects: config.objects, errors: own.errors, warnings: own.warnings });
    for (const [path, source] of config.sources) sources.set(path, source);
    for (const declared of [...config.desired.flows, ...config.desired.groups, ...config.desired.channels, ...config.desired.tests]) {
      objects.add(`${declared.source.file.path}\u0000${declared.source.index}`);
    }
    for (const single of [config.desired.settings, config.desired.project]) if (single) objects.add(`${single.source.file.path}\u0000${single.source.index}`);
    for (const diagnostic of config.diagnostics) {
      const key = [diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.code, diagnostic.message].join('\u0000');
      const entry = found.get(key);
      if (entry) entry.orgs.push(org.name);
      else found.set(key, { diagnostic, orgs: [org.name] });
    }
  }
  for (const { diagnostic, orgs } of found.values()) {
    diagnostics.push({ ...diagnostic, message: `${orgsPrefix(orgs, fleet.orgs.length)}${diagnostic.message}` });
  }
  return { files: sources.size, objects: objects.size + 1, diagnostics, sources, desired: emptyDesiredState(), orgs };
}

/** One line per org for the text report: its own files, objects and findings, or why it was not checked. */
export function renderFleetOrgLines(orgs: readonly FleetOrgCheck[]): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return orgs
    .map((o) =>
      o.made
        ? `${printable(`org ${o.org}: ${plural(o.files, 'file')}, ${plural(o.objects, 'object')}: ${plural(o.errors, 'error')}, ${plural(o.warnings, 'warning')}`)}\n`
        : `${printable(`org ${o.org}: not checked: ${o.why}`)}\n`,
    )
    .join('');
}
