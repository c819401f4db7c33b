// One object per name and kind in an org, names compared by their key (NFC, case-folded): the
// check every create and rename makes, inside its own transaction.
import { conflict } from './api-error.js';
import { nameKey, takenMessage } from './names.js';
import type { SandboxStore } from './store.js';

export type NamedTable = 'approval_flows' | 'user_groups' | 'webhook_channels';

/** 409 when another object of `table` in the org has the same name key. */
export function assertNameFree(store: SandboxStore, table: NamedTable, what: string, orgId: string, name: string, exceptId?: string): void {
  const taken = store.stmt(`SELECT id, name FROM ${table} WHERE org_id = ? AND (name_key = ? OR name = ?) ORDER BY id`).all(orgId, nameKey(name), name) as {
    id: string;
    name: string;
  }[];
  const other = taken.find((row) => row.id !== exceptId);
  if (other !== undefined) throw conflict(takenMessage(what, name, other.name));
}
