// One object per name and kind in an org, names compared by their key (NFC, case-folded): the
// check every create and rename makes, inside its own transaction.
import { conflict } from './api-error.js';
import { nameKey, takenMessage } from './names.js';
import type { SandboxStore } from './store.js';

export type NamedTable = 'approval_flows' | 'user_groups' | 'webhook_channels';

/** 409 when another object of `table` in the org has the same name key. */
export function assertNameFree(store: SandboxStore, table: NamedTable, what: string, orgId: string, name: string, exceptId?: string): void {
  // Two searches, one per index ((org_id, name_key), (org_id, name)); a row both find comes twice.
  // With OR in one WHERE, SQLite read every object of the org: each create cost as the org grew.
  const taken = store
    .stmt(`SELECT id, name FROM ${table} WHERE org_id = ? AND name_key = ? UNION ALL SELECT id, name FROM ${table} WHERE org_id = ? AND name = ?`)
    .all(orgId, nameKey(name), orgId, name) as {
    id: string;
    name: string;
  }[];
  // Sorted here, not in SQL: an ORDER BY id leads SQLite to the (org_id, id) index and a full read.
  const other = taken.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).find((row) => row.id !== exceptId);
  if (other !== undefined) throw conflict(takenMessage(what, name, other.name));
}
