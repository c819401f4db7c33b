// `export`: the live state as a config repo. Flows, the groups they use, notification channels
// (where the target has a channel API) and the settings are read with the same list calls as plan
// and mapped back through the same per-kind mappings, so `plan` of an export is a no-op.
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { nameKey } from '../config/names.js';
import { validators } from '../config/schema.js';
import { renderConfigFiles, type ConfigObject } from '../config/write.js';
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
  const index = new DirectoryIndex({
    groups: known(live.groups, 'user groups'),
    users: known(live.users, 'users'),
    applications: known(live.applications, 'applications'),
  });
  const skipped: ExportResult['skipped'] = [];
  const liveFlows = known(live.flows, 'approval flows');
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
  const projectSpec: Record<string, unknown> = { target: { url: client.target } };
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
  for (const [path, text] of files) {
    const target = join(out, path);
    try {
      await mkdir(dirname(target), { recursive: true });
      // Whole or not at all: a failed write leaves no temp file beside the target.
      await writeFileDurably(target, text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new AccessctlError('io', `could not write ${printable(path)} in --out ${printable(outDir)}: ${code}`, { subject: '--out', cause: error });
    }
  }
  return { files: [...files.keys()], secrets: [...new Set(secrets)].sort(), skipped };
}
