// Access Requests settings (/api/v2/approvalflowsettings): exactly one record per org, created
// with the org. PUT changes the fields it names (strict: replaces the record, a missing field
// becoming its zero value); channelEvents must name existing channels.
import { recordEvent, diffFields } from './insights.js';
import { checkOrganizationObjectId, objectIdHint, readObjectId, type Profile } from './profile.js';
import { Problems, type JsonObject } from './request-body.js';
import { parseDoc, type Actor, type SandboxStore } from './store.js';

export interface ChannelEvent {
  channelObjectId: string;
  eventTypes: string[];
}

export interface Settings {
  id: number;
  resourceRequest: boolean;
  exposeApprovalProgress: boolean;
  adminApprovalEmail: boolean;
  userRequestEmail: boolean;
  userApprovalEmail: boolean;
  channelEvents: ChannelEvent[];
  createdBy: string;
  updatedBy: string;
}

type StoredSettings = Omit<Settings, 'id'>;

const booleanFields = ['resourceRequest', 'exposeApprovalProgress', 'adminApprovalEmail', 'userRequestEmail', 'userApprovalEmail'] as const;

/** Creates the org's settings record if it has none; called when an org is created. */
export function ensureSettings(store: SandboxStore, orgId: string, createdBy: string): void {
  const doc: StoredSettings = {
    resourceRequest: false,
    exposeApprovalProgress: false,
    adminApprovalEmail: true,
    userRequestEmail: true,
    userApprovalEmail: true,
    channelEvents: [],
    createdBy,
    updatedBy: createdBy,
  };
  store.stmt('INSERT OR IGNORE INTO approval_flow_settings (org_id, doc) VALUES (?, ?)').run(orgId, JSON.stringify(doc));
}

export function getSettings(store: SandboxStore, orgId: string): Settings {
  ensureSettings(store, orgId, 'sandbox');
  const row = store.stmt('SELECT id, doc FROM approval_flow_settings WHERE org_id = ?').get(orgId) as { id: number; doc: string };
  return { id: row.id, ...parseDoc<StoredSettings>(row.doc) };
}

/** Channel ids named in the org's settings, so a channel in use is not deleted from under them. */
export function channelsInUse(store: SandboxStore, orgId: string): Set<string> {
  return new Set(getSettings(store, orgId).channelEvents.map((entry) => entry.channelObjectId));
}

/** The body PUT takes, as the SettingsUpdate schema accepted it. */
export interface SettingsUpdate {
  resourceRequest?: boolean;
  exposeApprovalProgress?: boolean;
  adminApprovalEmail?: boolean;
  userRequestEmail?: boolean;
  userApprovalEmail?: boolean;
  channelEvents?: { channelObjectId: string; eventTypes: string[] }[];
  organizationObjectId?: string;
}

export function updateSettings(store: SandboxStore, actor: Actor, body: SettingsUpdate, profile: Profile = 'default'): Settings {
  const problems = new Problems();
  // A protobuf PUT replaces the message: under strict, a field left out is its zero value.
  const replace = profile === 'strict';
  const patch: Partial<StoredSettings> = replace ? { channelEvents: [] } : {};
  for (const field of booleanFields) {
    const value = body[field] ?? (replace ? false : undefined);
    if (value !== undefined) patch[field] = value;
  }
  checkOrganizationObjectId(problems, body.organizationObjectId, actor.orgId, profile);
  return store.transaction(() => {
    if (body.channelEvents !== undefined) patch.channelEvents = readChannelEvents(store, actor.orgId, body.channelEvents, problems, profile);
    problems.finish('invalid access request settings');
    const before = getSettings(store, actor.orgId);
    const { id, ...beforeDoc } = before;
    const after: StoredSettings = { ...beforeDoc, ...patch, updatedBy: actor.email };
    store.stmt('UPDATE approval_flow_settings SET doc = ? WHERE org_id = ?').run(JSON.stringify(after), actor.orgId);
    recordEvent(store, actor, {
      eventType: 'access_management_access_request_settings_update',
      resource: { id: String(id), type: 'access_request_settings', name: 'settings' },
      changes: diffFields(beforeDoc as unknown as JsonObject, after as unknown as JsonObject, ['updatedBy']),
    });
    return { id, ...after };
  });
}

/** Each entry names an existing channel of the org, once; ids are read as the profile reads format: byte. */
function readChannelEvents(
  store: SandboxStore,
  orgId: string,
  raw: NonNullable<SettingsUpdate['channelEvents']>,
  problems: Problems,
  profile: Profile,
): ChannelEvent[] {
  const result: ChannelEvent[] = [];
  const seen = new Set<string>();
  raw.forEach((item, index) => {
    const entry = problems.at(`channelEvents[${index}]`);
    const sent = item.channelObjectId;
    // Stored as the hex id (the channel's own id); strict reads only the contract's base64 bytes.
    const channelId = readObjectId(sent, profile);
    if (channelId === undefined) {
      entry.fail('channelObjectId', objectIdHint(profile));
      return;
    }
    if (seen.has(channelId)) entry.fail('channelObjectId', 'names a channel already listed');
    seen.add(channelId);
    const exists = store.stmt('SELECT 1 FROM webhook_channels WHERE org_id = ? AND id = ?').get(orgId, channelId) !== undefined;
    if (!exists) entry.fail('channelObjectId', `webhook channel ${sent} does not exist`);
    result.push({ channelObjectId: channelId, eventTypes: item.eventTypes });
  });
  return result;
}
