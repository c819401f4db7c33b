// Effective access of the repo's flows over a directory, for `accessctl test` and `explain`: load
// and validate the config, read the directory (the target's, with list calls only, or a snapshot
// file), resolve the flows' names against it and compute who can request what.
import { countDiagnostics } from '../diagnostics/diagnostic.js';
import type { DesiredState } from '../config/desired.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { nameKey } from '../config/names.js';
import { locate } from '../config/source.js';
import { AccessctlError, type SourceLocation } from '../errors.js';
import { FlowTable, runAccessTests, type TestRun } from '../impact/access-test.js';
import { DirectoryView, type AccessDirectory } from '../impact/directory.js';
import { effectiveAccess, type EffectiveFlow } from '../impact/effective.js';
import { readDirectorySnapshot } from '../impact/snapshot.js';
import { readAccessDirectory } from '../jumpcloud/access-directory.js';
import type { ClientOptions } from '../jumpcloud/client.js';
import { DirectoryIndex, NameResolver } from '../jumpcloud/directory-index.js';
import { flowFromDesired } from '../jumpcloud/flow-mapping.js';
import type { FlowModel } from '../model/flow.js';
import { makeClient, type ClientFor } from './make-plan.js';

export interface AccessContextOptions {
  dir: string;
  /** A directory snapshot in the seed format; without it the target's directory is read. */
  directory?: string | undefined;
  /** The snapshot's organization, by name or id. */
  org?: string | undefined;
  target?: string | undefined;
  env?: NodeJS.ProcessEnv;
  clientOptions?: Partial<ClientOptions>;
  /** The client to read the target through, owned by the caller; without it one is made and closed here. */
  client?: ClientFor;
  /** The config, when the caller has loaded it already. */
  config?: LoadResult;
}

/** A name the config uses that the directory does not have: its members are taken as none. */
export interface UnknownName {
  what: 'group' | 'user';
  name: string;
  source: SourceLocation;
}

export type AccessContext =
  | { ok: false; config: LoadResult }
  | {
      ok: true;
      config: LoadResult;
      view: DirectoryView;
      flows: EffectiveFlow[];
      unknown: UnknownName[];
      /** Where the directory came from: the snapshot file or the target URL. */
      from: string;
    };

/** Group names whose members effective access and the tests need. */
export function groupsNamed(desired: DesiredState): Set<string> {
  const names = new Set<string>();
  for (const { object } of desired.flows) {
    for (const group of object.spec.visibleTo) names.add(nameKey(group));
    for (const level of object.spec.approval.levels ?? []) for (const a of level.approvers) if (a.group !== undefined) names.add(nameKey(a.group));
  }
  for (const { object } of desired.tests) {
    for (const c of object.spec.cases) {
      if ('via' in c && c.via !== undefined) names.add(nameKey(c.via));
      if ('nobodyGets' in c) names.add(nameKey(c.nobodyGets));
      if ('approval' in c && Array.isArray(c.approval)) for (const level of c.approval) if (level.group !== undefined) names.add(nameKey(level.group));
    }
  }
  return names;
}

/** The repo's flows in model terms, their names resolved against the directory. */
export function desiredFlowModels(desired: DesiredState, directory: AccessDirectory): { flows: FlowModel[]; unknown: UnknownName[] } {
  const index = new DirectoryIndex({
    groups: directory.groups.map((g) => ({ id: g.id, name: g.name })),
    users: directory.users.map((u) => ({ _id: u.id, email: u.email, username: u.username })),
    applications: [],
  });
  const toCreate = new Map<string, string>();
  for (const group of desired.groups) if (group.object.spec.create && !index.group(group.name)) toCreate.set(nameKey(group.name), group.name);
  const names = new NameResolver(index, toCreate, true);
  const unknown: UnknownName[] = [];
  const flows = desired.flows.map((declared) => {
    const from = names.unknown.length;
    const model = flowFromDesired(declared, names);
    for (const ref of names.unknown.slice(from)) {
      if (ref.what === 'application') continue;
      unknown.push({ what: ref.what, name: ref.name, source: locate(declared.source, ref.path) });
    }
    return model;
  });
  return { flows, unknown };
}

export async function loadAccessContext(options: AccessContextOptions): Promise<AccessContext> {
  const config = options.config ?? (await loadConfig(options.dir));
  if (countDiagnostics(config.diagnostics).errors > 0) return { ok: false, config };
  const { desired } = config;
  let directory: AccessDirectory;
  let from: string;
  if (options.directory !== undefined) {
    directory = readDirectorySnapshot(options.directory, options.org);
    from = options.directory;
  } else {
    const given = options.client;
    const client = given === undefined ? makeClient(desired, options) : typeof given === 'function' ? given(desired) : given;
    try {
      const wanted = groupsNamed(desired);
      const read = await readAccessDirectory(client, { membersOf: (groups) => groups.filter((g) => wanted.has(nameKey(g.name))) });
      if (read.status !== 'ok')
        throw new AccessctlError('platform', `could not read the directory of ${client.target}: ${'reason' in read ? read.reason : 'unknown'}`);
      directory = read.value;
      from = client.target;
    } finally {
      if (options.client === undefined) await client.close();
    }
  }
  const view = new DirectoryView(directory);
  const { flows, unknown } = desiredFlowModels(desired, directory);
  return { ok: true, config, view, flows: effectiveAccess(flows, view), unknown, from };
}

/**
 * Runs the repo's access tests for a pull request check: undefined when the config is invalid or
 * declares no AccessTest; an error (never a throw) when the directory cannot be read.
 */
export async function runRepoAccessTests(options: AccessContextOptions): Promise<TestRun | undefined> {
  const config = options.config ?? (await loadConfig(options.dir));
  if (countDiagnostics(config.diagnostics).errors > 0 || config.desired.tests.length === 0) return undefined;
  try {
    const context = await loadAccessContext({ ...options, config });
    if (!context.ok) return undefined;
    return { report: runAccessTests(context.config.desired.tests, new FlowTable(context.flows), context.view) };
  } catch (error) {
    if (error instanceof AccessctlError) return { error: error.message };
    throw error;
  }
}
