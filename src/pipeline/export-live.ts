// `export`: the live state as a config repo. Flows, the groups they use, notification channels
// (where the target has a channel API) and the settings are read with the same list calls as plan
// and mapped back through the same per-kind mappings, so `plan` of an export is a no-op. A manifest
// of what it wrote lets a forced re-export remove what an earlier one wrote and the org no longer has.
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { nameKey } from '../config/names.js';
import { validators } from '../config/schema.js';
import { EXPORTED_SCHEMAS_DIR, renderConfigFiles, type ConfigObject } from '../config/write.js';
import { AccessctlError } from '../errors.js';
import { writeFileDurably } from '../events/durable-file.js';
import type { JumpCloudClient } from '../jumpcloud/client.js';
import { readAssociations, readLive, type Known } from '../jumpcloud/live.js';
import { channelSecretRefs } from '../config/channel-secrets.js';
import { isLoopbackHost } from '../protocols/loopback.js';
import { channelSpecForConfig } from '../jumpcloud/channel-mapping.js';
import { DirectoryIndex } from '../jumpcloud/directory-index.js';
import { flowSpecForConfig } from '../jumpcloud/flow-mapping.js';
import { groupFromWire, groupSpecForConfig } from '../jumpcloud/group-mapping.js';
import { ChannelNames, settingsFromWire, settingsSpecForConfig } from '../jumpcloud/settings-mapping.js';
import type { FlowModel } from '../model/flow.js';
import type { ManagedKind } from '../plan/plan.js';
import { printable } from '../plan/printable.js';

export interface ExportResult {
  files: string[];
  /** Environment variables the exported channels refer to, which must be set before apply. */
  secrets: string[];
  /** Live objects the config cannot express (values the mapping does not know): not written. */
  skipped: { kind: ManagedKind; name: string; reasons: string[] }[];
  /** Files an earlier export wrote (by its manifest, unchanged since) that this one did not: removed. */
  removed: string[];
  /** Files an earlier export's manifest names that this one did not write but left in place, and why. */
  kept: { path: string; reason: string }[];
  /** Files this export did not write that still hold accessctl objects, which `plan` of the folder will include. */
  foreign: string[];
}

/**
 * The export's manifest: each file it wrote (path relative to the folder, with /) and the SHA-256 of
 * its text. A dot-file, so config discovery never reads it; commit it with the repo.
 */
export const EXPORT_MANIFEST = '.accessctl-export.json';
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

interface Manifest {
  files: Map<string, string>;
}

function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A path the manifest may name: relative, with /, inside the folder, no dot-segment, and a config or
 * schema file. A manifest is committed text like any other: a name outside these is never acted on.
 */
function ownedPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  const parts = path.split('/');
  if (parts.some((part) => part === '' || part.startsWith('.'))) return false;
  if (parts.length === 1) return path === 'accessctl.yaml' || path === 'settings.yaml';
  if (parts.length !== 2) return false;
  if (parts[0] === EXPORTED_SCHEMAS_DIR) return parts[1]!.endsWith('.json');
  return ['flows', 'groups', 'channels'].includes(parts[0]!) && parts[1]!.endsWith('.yaml');
}

/** The earlier export's manifest, absent (undefined), or why it cannot be used. */
async function readManifest(out: string): Promise<Manifest | undefined | { unusable: string }> {
  const path = join(out, EXPORT_MANIFEST);
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isFile()) return { unusable: 'it is not a regular file' };
  if (info.size > MANIFEST_MAX_BYTES) return { unusable: `it is ${info.size} bytes long` };
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return { unusable: 'it is not JSON' };
  }
  const files = (data as { files?: unknown } | null)?.files;
  if (typeof data !== 'object' || data === null || (data as { kind?: unknown }).kind !== 'accessctl-export' || typeof files !== 'object' || files === null) {
    return { unusable: 'it is not an accessctl export manifest' };
  }
  const entries = new Map<string, string>();
  for (const [file, hash] of Object.entries(files)) if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) entries.set(file, hash);
  return { files: entries };
}

function renderManifest(files: ReadonlyMap<string, string>): string {
  const hashes = Object.fromEntries([...files.keys()].sort().map((path) => [path, sha256(files.get(path)!)]));
  return `${JSON.stringify({ kind: 'accessctl-export', version: 1, note: 'Written by accessctl export: the files it wrote. A forced export removes those it no longer writes if they are unchanged.', files: hashes }, null, 2)}\n`;
}

/**
 * Removes the files the earlier export wrote that this one did not, each only when it is a regular
 * file whose text is still exactly what that export wrote: an edited file is the user's, and stays.
 */
async function removeStale(out: string, previous: Manifest, written: ReadonlyMap<string, string>): Promise<Pick<ExportResult, 'removed' | 'kept'>> {
  const removed: string[] = [];
  const kept: ExportResult['kept'] = [];
  for (const [path, hash] of [...previous.files].sort(([a], [b]) => a.localeCompare(b))) {
    if (written.has(path)) continue;
    if (!ownedPath(path)) {
      kept.push({ path, reason: 'the manifest names a path outside the folders export writes; not touched' });
      continue;
    }
    const target = join(out, ...path.split('/'));
    const info = await lstat(target).catch(() => undefined);
    if (info === undefined) continue;
    if (!info.isFile()) {
      kept.push({ path, reason: 'it is no longer a regular file' });
      continue;
    }
    if (sha256(await readFile(target)) !== hash) {
      kept.push({ path, reason: 'it was edited after the earlier export, so it is kept: remove it by hand if it should go' });
      continue;
    }
    try {
      await unlink(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new AccessctlError('io', `could not remove ${printable(path)} in --out ${printable(out)}: ${code}`, { subject: '--out', cause: error });
    }
    removed.push(path);
    // A kind folder the removal emptied goes too; one that still holds anything stays.
    await rmdir(dirname(target)).catch(() => undefined);
  }
  return { removed, kept };
}

/** Files (relative, with /) holding objects `plan` of the folder reads, other than those just written. */
async function foreignObjects(out: string, written: ReadonlyMap<string, string>): Promise<string[]> {
  const config = await loadConfig(out, out);
  const { desired } = config;
  const declared = [...desired.flows, ...desired.groups, ...desired.channels, ...desired.tests, ...desired.fleets, desired.settings, desired.project];
  const files = new Set<string>();
  for (const object of declared) if (object !== undefined) files.add(object.source.file.path);
  // A file that fails to load stops plan just as surely as one it includes.
  for (const diagnostic of config.diagnostics) if (diagnostic.severity === 'error') files.add(diagnostic.file);
  return [...files].filter((file) => !written.has(file)).sort();
}

function known<T>(list: Known<T>, what: string): T {
  if (list.status !== 'ok') throw new AccessctlError('platform', `could not read the live ${what}: ${list.reason}`);
  return list.value;
}

/** Why the config cannot express an exported object: its kind's schema, or a name another object of its kind shares. */
function inexpressible(object: ConfigObject, all: readonly ConfigObject[]): string[] {
  const validate = validators().get(object.kind);
  const document = { apiVersion: 'accessctl/v1', kind: object.kind, metadata: { name: object.name }, spec: object.spec };
  const reasons: string[] = [];
  if (validate && !validate(document)) {
    for (const error of (validate.errors ?? []).slice(0, 5))
      reasons.push(`${error.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the object'} ${error.message ?? 'is invalid'} in config`);
  }
  const twins = all.filter((other) => other !== object && other.kind === object.kind && nameKey(other.name) === nameKey(object.name));
  if (twins.length > 0) reasons.push(`its name is the same as "${twins[0]!.name}" once case and Unicode form are ignored, which config cannot tell apart`);
  return reasons;
}

function groupsUsed(flows: readonly FlowModel[]): Set<string> {
  const used = new Set<string>();
  for (const { spec } of flows) {
    used.add(nameKey(spec.grantGroup));
    for (const name of spec.visibleTo) used.add(nameKey(name));
    for (const level of spec.approval.levels) for (const a of level.approvers) if ('group' in a) used.add(nameKey(a.group));
  }
  return used;
}

export async function exportLive(client: JumpCloudClient, outDir: string, options: { force: boolean }): Promise<ExportResult> {
  const out = resolve(outDir);
  const existing = await readdir(out).catch(() => []);
  if (existing.length > 0 && !options.force) {
    throw new AccessctlError('usage', `${outDir} is not empty; choose an empty directory or pass --force to overwrite files in it`, { subject: '--out' });
  }
  // Export probes the channel API once: on a target that has one, channels are config too.
  // Every icon is read: the export sets each flow's, so the repo then manages it and the round trip compares it.
  const live = await readLive(client, { associationsOf: () => [], desiredUserApprovers: false, channels: true, managesDisplay: () => true });
  const index =
    live.directory ??
    new DirectoryIndex({
      groups: known(live.groups, 'user groups'),
      users: known(live.users, 'users'),
      applications: known(live.applications, 'applications'),
    });
  const skipped: ExportResult['skipped'] = [];
  const liveFlows = known(live.flows, 'approval flows');
  // The directory was read (known() above): the flows were mapped with it.
  if (!liveFlows.mapped) throw new AccessctlError('internal', 'the live flows were read without their directory');
  const flows: FlowModel[] = liveFlows.entries.map((entry) => entry.model);
  for (const flow of liveFlows.unmanageable) skipped.push({ kind: 'ApprovalFlow', name: flow.name, reasons: flow.reasons });
  // Groups are exported when a flow uses them: the rest of the directory is not access config.
  const wanted = groupsUsed(flows);
  const groups = known(live.groups, 'user groups').filter((g) => wanted.has(nameKey(g.name)));
  const associationsByGroup = await readAssociations(client, groups);
  const settings = known(live.settings, 'settings');
  const channels = live.channels.status === 'unsupported' || live.channels.status === 'not-read' ? [] : known(live.channels, 'notification channels');
  const channelNames = new ChannelNames(live.channels.status === 'ok', channels, []);

  const objects: ConfigObject[] = [];
  const secrets: string[] = [];
  let loopbackHttp = false;
  for (const group of groups) {
    const associations = associationsByGroup.get(group.id);
    const ids = associations ? known(associations, `associations of ${group.name}`) : [];
    const model = groupFromWire(group, ids, index, { description: '', applications: [] });
    objects.push({ kind: 'GroupAssignment', name: group.name, spec: groupSpecForConfig(model) });
  }
  for (const channel of channels) {
    const spec = channelSpecForConfig(channel);
    const refs = channelSecretRefs(spec).map((ref) => ref.env);
    secrets.push(...refs);
    try {
      const url = new URL(channel.url.replace(/\{\{[^}]*\}\}/g, 'x'));
      if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) loopbackHttp = true;
    } catch {
      // An unparsable URL is exported as it is; validate will point at it.
    }
    const comment = refs.length > 0 ? `Secret values are not exported. Set ${refs.join(', ')} before apply.` : undefined;
    objects.push({ kind: 'WebhookChannel', name: channel.name, spec, ...(comment ? { comment } : {}) });
  }
  for (const model of flows) objects.push({ kind: 'ApprovalFlow', name: model.name, spec: flowSpecForConfig(model) });
  const settingsRead = settingsFromWire(settings, channelNames, true);
  if (settingsRead.ok) objects.push({ kind: 'AccessRequestSettings', name: 'settings', spec: settingsSpecForConfig(settingsRead.model, channelNames) });
  else skipped.push({ kind: 'AccessRequestSettings', name: 'settings', reasons: settingsRead.reasons });
  // The org id the client sent is written too, so the repo is not later planned against another org by accident.
  const target: Record<string, string> = { url: client.target };
  if (client.orgId !== undefined) target['orgId'] = client.orgId;
  const projectSpec: Record<string, unknown> = { target };
  if (loopbackHttp) projectSpec['policy'] = { allowHttpLoopbackWebhooks: true };
  objects.push({ kind: 'Project', name: 'exported', spec: projectSpec, comment: `Exported from ${client.target}. The API key comes from JUMPCLOUD_API_KEY.` });

  // Where the platform allows more than the config can say, the object is named, not written.
  const expressible = objects.filter((object) => {
    const reasons = inexpressible(object, objects);
    if (reasons.length === 0) return true;
    if (object.kind !== 'Project') skipped.push({ kind: object.kind as ManagedKind, name: object.name, reasons });
    return false;
  });
  const files = renderConfigFiles(expressible);
  const previous = options.force ? await readManifest(out) : undefined;
  const write = async (path: string, text: string): Promise<void> => {
    const target = join(out, path);
    try {
      await mkdir(dirname(target), { recursive: true });
      // Whole or not at all: a failed write leaves no temp file beside the target.
      await writeFileDurably(target, text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new AccessctlError('io', `could not write ${printable(path)} in --out ${printable(outDir)}: ${code}`, { subject: '--out', cause: error });
    }
  };
  for (const [path, text] of files) await write(path, text);
  const stale =
    previous === undefined
      ? { removed: [], kept: [] }
      : 'unusable' in previous
        ? {
            removed: [],
            kept: [{ path: EXPORT_MANIFEST, reason: `the earlier export's manifest cannot be used (${previous.unusable}), so no file was removed` }],
          }
        : await removeStale(out, previous, files);
  // Written last: until the stale files are gone, the earlier manifest still names them for the next try.
  await write(EXPORT_MANIFEST, renderManifest(files));
  const foreign = options.force ? await foreignObjects(out, files) : [];
  return { files: [...files.keys()], secrets: [...new Set(secrets)].sort(), skipped, ...stale, foreign };
}
