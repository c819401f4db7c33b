// Reads a Fleet file: one document of kind Fleet, checked against schemas/fleet.schema.json and
// then for what a schema cannot say (distinct org names and ids, folders that exist, intervals in
// range). The result names every org with its target, key variable, overlay, exclusions and interval.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { displayPath } from '../config/discover.js';
import type { Excluded, Fleet, FleetOrg } from '../config/kinds.generated.js';
import { readFolder } from '../config/load.js';
import { validateSchema } from '../config/schema.js';
import { diagnosticFor, type SourceDocument, type SourceFile } from '../config/source.js';
import { formatPath, type Diagnostic } from '../diagnostics/diagnostic.js';
import { AccessctlError } from '../errors.js';
import { DEFAULT_API_URL } from '../jumpcloud/client.js';
import { parseInterval } from '../reconcile/schedule.js';

export const DEFAULT_FLEET_INTERVAL = '5m';
export const DEFAULT_KEY_VARIABLE = 'JUMPCLOUD_API_KEY';
/** Shorter runs would only hammer the platform; tests use a few seconds. */
export const MIN_ORG_INTERVAL_MS = 1000;

/** One org as the fleet resolves it: every default filled in, folders absolute. */
export interface FleetMember {
  name: string;
  orgId: string;
  target: string;
  /** The environment variable holding the org's API key (one MSP key may serve every org). */
  keyVariable: string;
  /** The overlay folder, absolute; and as the fleet file wrote it. */
  overlay?: { dir: string; written: string };
  exclude: Excluded[];
  intervalMs: number;
  /** Where the org is declared in the fleet file (spec.orgs[index]). */
  index: number;
}

export interface FleetDefinition {
  name: string;
  /** The fleet file as shown to the user. */
  file: string;
  /** The base folder, absolute; and as written. */
  base: { dir: string; written: string };
  orgs: FleetMember[];
  source: SourceDocument;
}

export interface FleetRead {
  /** Set when the file holds one schema-valid Fleet (it may still have semantic errors, in diagnostics). */
  fleet: FleetDefinition | undefined;
  diagnostics: Diagnostic[];
  sources: Map<string, SourceFile>;
}

/** Whether `path` is a folder now (the fleet's base and overlays must be). */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Reads and checks a fleet file; never throws for what is wrong with the file itself. */
export async function readFleet(file: string, cwd: string = process.cwd()): Promise<FleetRead> {
  const read = await readFolder(file, cwd);
  const diagnostics = [...read.diagnostics];
  const fileLevel = (code: string, message: string): Diagnostic => ({
    file: displayPath(resolve(cwd, file), cwd),
    line: 1,
    column: 1,
    severity: 'error',
    code,
    message,
    path: '',
  });
  if (read.files === 0 && diagnostics.length === 0) diagnostics.push(fileLevel('not-found', `no fleet file at ${file}`));
  const fleets = read.documents.filter((d) => d.data['kind'] === 'Fleet');
  const others = read.documents.filter((d) => d.data['kind'] !== 'Fleet');
  for (const other of others) {
    diagnostics.push(
      diagnosticFor(
        other,
        ['kind'],
        'error',
        'not-a-fleet',
        `a fleet file holds one document of kind Fleet; this one is ${typeof other.data['kind'] === 'string' ? other.data['kind'] : 'of no kind'} (put org config in the base or an overlay folder)`,
      ),
    );
  }
  if (fleets.length === 0) {
    if (read.documents.length === 0 && read.files > 0) diagnostics.push(fileLevel('not-a-fleet', `${file} holds no document of kind Fleet`));
    return { fleet: undefined, diagnostics, sources: read.sources };
  }
  for (const extra of fleets.slice(1))
    diagnostics.push(diagnosticFor(extra, ['kind'], 'error', 'duplicate-fleet', 'a fleet file holds one Fleet; this is a second one'));
  const source = fleets[0]!;
  const schemaDiagnostics = validateSchema(source, 'Fleet');
  diagnostics.push(...schemaDiagnostics);
  if (schemaDiagnostics.length > 0) {
    // The other checks still run where the shape allows, so one schema error hides no other finding;
    // a field the schema refused is reported once, by the schema.
    const semantic: Diagnostic[] = [];
    try {
      describe(source, resolve(cwd, file), semantic);
    } catch {
      // A shape too far from a Fleet to check further: the schema's findings say why.
    }
    const refused = new Set(schemaDiagnostics.map((d) => d.path));
    diagnostics.push(...semantic.filter((d) => !refused.has(d.path)));
    return { fleet: undefined, diagnostics, sources: read.sources };
  }
  const fleet = describe(source, resolve(cwd, file), diagnostics);
  return { fleet, diagnostics, sources: read.sources };
}

function describe(source: SourceDocument, absoluteFile: string, diagnostics: Diagnostic[]): FleetDefinition {
  const object = source.data as unknown as Fleet;
  const spec = object.spec;
  const root = dirname(absoluteFile);
  const folder = (written: string, path: (string | number)[], what: string): { dir: string; written: string } => {
    const dir = resolve(root, written);
    if (!isFolder(dir))
      diagnostics.push(
        diagnosticFor(source, path, 'error', 'folder-not-found', `${what} ${written} is not a folder next to the fleet file (looked for ${dir})`),
      );
    return { dir, written };
  };
  const interval = (value: string, path: (string | number)[]): number => {
    try {
      const ms = parseInterval(value, formatPath(path));
      if (ms >= MIN_ORG_INTERVAL_MS) return ms;
      diagnostics.push(diagnosticFor(source, path, 'error', 'out-of-range', `${formatPath(path)} must be at least 1s (got ${value})`));
    } catch (error) {
      diagnostics.push(diagnosticFor(source, path, 'error', 'invalid-format', error instanceof AccessctlError ? error.message : String(error)));
    }
    return MIN_ORG_INTERVAL_MS;
  };
  const base = folder(spec.base, ['spec', 'base'], 'the base folder');
  const defaultInterval =
    spec.defaults?.interval === undefined ? parseInterval(DEFAULT_FLEET_INTERVAL) : interval(spec.defaults.interval, ['spec', 'defaults', 'interval']);
  const seenNames = new Map<string, number>();
  const seenIds = new Map<string, number>();
  const orgs = spec.orgs.map((org: FleetOrg, index): FleetMember => {
    const at = (...rest: (string | number)[]): (string | number)[] => ['spec', 'orgs', index, ...rest];
    const firstName = seenNames.get(org.name);
    if (firstName !== undefined)
      diagnostics.push(diagnosticFor(source, at('name'), 'error', 'duplicate-name', `org ${org.name} is already spec.orgs[${firstName}]`));
    else seenNames.set(org.name, index);
    const firstId = seenIds.get(org.orgId);
    if (firstId !== undefined)
      diagnostics.push(diagnosticFor(source, at('orgId'), 'error', 'duplicate-org-id', `org id ${org.orgId} is already used by spec.orgs[${firstId}]`));
    else seenIds.set(org.orgId, index);
    return {
      name: org.name,
      orgId: org.orgId,
      target: org.target ?? spec.defaults?.target ?? DEFAULT_API_URL,
      keyVariable: org.apiKey?.env ?? spec.defaults?.apiKey?.env ?? DEFAULT_KEY_VARIABLE,
      ...(org.overlay === undefined ? {} : { overlay: folder(org.overlay, at('overlay'), `org ${org.name}'s overlay`) }),
      exclude: org.exclude ?? [],
      intervalMs: org.interval === undefined ? defaultInterval : interval(org.interval, at('interval')),
      index,
    };
  });
  return { name: object.metadata.name, file: source.file.path, base, orgs, source };
}

/** The fleet, or an error naming the first problem: for commands that cannot go on without one. */
export async function loadFleet(file: string, cwd: string = process.cwd()): Promise<{ fleet: FleetDefinition; read: FleetRead }> {
  const read = await readFleet(file, cwd);
  const first = read.diagnostics.find((d) => d.severity === 'error');
  if (read.fleet === undefined || first !== undefined) {
    const where = first ? `${first.file}:${first.line}:${first.column} ` : '';
    throw new AccessctlError(
      'usage',
      `the fleet file ${file} is invalid: ${where}${first?.message ?? 'no Fleet document'} (accessctl validate --fleet ${file} lists every problem)`,
      {
        subject: '--fleet',
      },
    );
  }
  return { fleet: read.fleet, read };
}

/** The orgs `--org` selects (all when none given); an unknown name is a usage error listing the known ones. */
export function selectOrgs(fleet: FleetDefinition, names: readonly string[]): FleetMember[] {
  if (names.length === 0) return fleet.orgs;
  const byName = new Map(fleet.orgs.map((o) => [o.name, o]));
  return names.map((name) => {
    const org = byName.get(name);
    if (org === undefined)
      throw new AccessctlError('usage', `--org ${name} is not an org of fleet ${fleet.name}; it has ${fleet.orgs.map((o) => o.name).join(', ')}`, {
        subject: '--org',
      });
    return org;
  });
}
