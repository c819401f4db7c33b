// Versioned schema migrations for the sandbox database. Each runs once, in order, inside a
// transaction; the applied versions are recorded in schema_migrations. Append, never edit.
import type Database from 'better-sqlite3';
import { nameKey } from './names.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Work SQLite cannot do (Unicode normalisation), run after sql in the same transaction. */
  run?: (db: Database.Database) => void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'directory, approval flows, settings, webhook channels, events',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('admin', 'user')),
        name TEXT NOT NULL,
        email TEXT,
        user_id TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE api_key_orgs (
        key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        PRIMARY KEY (key_id, org_id)
      );
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        username TEXT NOT NULL,
        email TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (org_id, username),
        UNIQUE (org_id, email)
      );
      CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE TABLE user_groups (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (org_id, name)
      );
      CREATE TABLE group_members (
        group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id),
        PRIMARY KEY (group_id, user_id)
      );
      CREATE TABLE group_applications (
        group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
        application_id TEXT NOT NULL REFERENCES applications(id),
        PRIMARY KEY (group_id, application_id)
      );
      CREATE INDEX group_applications_by_app ON group_applications (application_id, group_id);
      CREATE TABLE approval_flows (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (org_id, name)
      );
      CREATE TABLE approval_flow_settings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL UNIQUE REFERENCES orgs(id),
        doc TEXT NOT NULL
      );
      CREATE TABLE webhook_channels (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        secrets TEXT NOT NULL,
        UNIQUE (org_id, name)
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        service TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX events_by_time ON events (org_id, timestamp_ms, seq);
    `,
  },
  {
    version: 2,
    name: 'org and id indexes, so lists sorted by _id page without sorting',
    sql: `
      CREATE INDEX users_by_org ON users (org_id, id);
      CREATE INDEX applications_by_org ON applications (org_id, id);
      CREATE INDEX user_groups_by_org ON user_groups (org_id, id);
      CREATE INDEX approval_flows_by_org ON approval_flows (org_id, id);
      CREATE INDEX webhook_channels_by_org ON webhook_channels (org_id, id);
    `,
  },
  {
    version: 3,
    name: 'access requests, timers, mail outbox, webhook deliveries',
    sql: `
      CREATE TABLE access_requests (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        flow_id TEXT NOT NULL,
        requester_id TEXT NOT NULL,
        status TEXT NOT NULL,
        waiting_on TEXT NOT NULL DEFAULT '[]',
        doc TEXT NOT NULL
      );
      CREATE INDEX access_requests_by_org ON access_requests (org_id, id);
      CREATE INDEX access_requests_by_flow ON access_requests (flow_id, status);
      CREATE TABLE timers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('expire', 'revoke')),
        org_id TEXT NOT NULL,
        ref_id TEXT NOT NULL,
        due_ms INTEGER NOT NULL,
        UNIQUE (kind, ref_id)
      );
      CREATE INDEX timers_by_due ON timers (due_ms);
      CREATE TABLE mail (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        request_id TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
        cycle_attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER,
        leased INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (event_id, channel_id)
      );
      CREATE INDEX deliveries_due ON deliveries (status, next_attempt_ms);
      CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id TEXT NOT NULL REFERENCES deliveries(id),
        at TEXT NOT NULL,
        status_code INTEGER,
        result TEXT NOT NULL,
        error TEXT
      );
      CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, id);
    `,
  },
  {
    version: 4,
    name: 'file every event under Directory Insights service "directory"',
    // Events were filed under "access_management"; JumpCloud files Access Requests events under
    // Insights -> Directory. Deliveries not yet sent carry the event as it will be posted, so they
    // move too; sent ones stay as they were sent.
    sql: `
      UPDATE events SET service = 'directory', doc = json_set(doc, '$.service', 'directory') WHERE service != 'directory';
      UPDATE deliveries SET payload = json_set(payload, '$.service', 'directory')
        WHERE status = 'pending' AND json_extract(payload, '$.service') != 'directory';
    `,
  },
  {
    version: 5,
    name: 'name keys: flows, user groups and channels compared after Unicode NFC and case-folding',
    sql: `
      ALTER TABLE approval_flows ADD COLUMN name_key TEXT;
      ALTER TABLE user_groups ADD COLUMN name_key TEXT;
      ALTER TABLE webhook_channels ADD COLUMN name_key TEXT;
      CREATE INDEX approval_flows_by_name_key ON approval_flows (org_id, name_key);
      CREATE INDEX user_groups_by_name_key ON user_groups (org_id, name_key);
      CREATE INDEX webhook_channels_by_name_key ON webhook_channels (org_id, name_key);
    `,
    // Names already stored keep their rows even when two share a key; new writes are checked.
    run: (db) => {
      for (const table of ['approval_flows', 'user_groups', 'webhook_channels']) {
        const update = db.prepare(`UPDATE ${table} SET name_key = ? WHERE id = ?`);
        for (const row of db.prepare(`SELECT id, name FROM ${table}`).all() as { id: string; name: string }[]) {
          update.run(nameKey(row.name), row.id);
        }
      }
    },
  },
  {
    version: 6,
    name: "JumpCloud's request statuses, access held per grant, the Request Queue view, and webhook bodies under di_events",
    // granted becomes approved with active access, revoked approved with ended access (the
    // sandbox's extension, kept apart from the status). Each active grant holds its membership; a
    // membership a grant added (membershipAdded) is marked so, so only it goes when access ends.
    // Deliveries not yet sent carry the body as it will be posted; sent ones stay as they were sent.
    sql: `
      CREATE TABLE access_holds (
        request_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        user_id TEXT NOT NULL
      );
      CREATE INDEX access_holds_by_member ON access_holds (group_id, user_id);
      CREATE TABLE granted_memberships (group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id));
      INSERT OR IGNORE INTO access_holds (request_id, org_id, group_id, user_id)
        SELECT id, org_id, json_extract(doc, '$.flow.resourceId'), requester_id FROM access_requests WHERE status = 'granted';
      INSERT OR IGNORE INTO granted_memberships (group_id, user_id)
        SELECT json_extract(r.doc, '$.flow.resourceId'), r.requester_id FROM access_requests r
        WHERE r.status = 'granted' AND json_extract(r.doc, '$.membershipAdded') = 1
          AND EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = json_extract(r.doc, '$.flow.resourceId') AND m.user_id = r.requester_id);
      UPDATE access_requests SET status = 'approved', doc = json_set(json_remove(doc, '$.membershipAdded', '$.expiresAt'), '$.status', 'approved',
          '$.access', CASE WHEN json_extract(doc, '$.expiresAt') IS NULL THEN json_object('state', 'active')
            ELSE json_object('state', 'active', 'endsAt', json_extract(doc, '$.expiresAt')) END)
        WHERE status = 'granted';
      UPDATE access_requests SET status = 'approved', doc = json_set(json_remove(doc, '$.membershipAdded', '$.expiresAt'), '$.status', 'approved',
          '$.access', json_object('state', 'ended', 'endedAt', json_extract(doc, '$.updatedAt')))
        WHERE status = 'revoked';
      UPDATE access_requests SET doc = json_set(doc, '$.levelApprovers', json('[]')) WHERE json_extract(doc, '$.levelApprovers') IS NULL;
      UPDATE deliveries SET payload = json_object('di_events', json_array(json(payload)))
        WHERE status = 'pending' AND json_extract(payload, '$.di_events') IS NULL;
      UPDATE access_requests SET doc = json_set(doc, '$.queue',
          CASE WHEN json_extract(doc, '$.flow.nonAdminApproval') AND status = 'pending' THEN 'others' ELSE 'administrator' END)
        WHERE json_extract(doc, '$.queue') IS NULL;
    `,
    // A pending request's current level gets its approvers fixed as they would be now.
    run: (db) => {
      const pending = db.prepare(`SELECT id, doc FROM access_requests WHERE status IN ('pending', 'missing_data')`).all() as { id: string; doc: string }[];
      const update = db.prepare('UPDATE access_requests SET doc = ? WHERE id = ?');
      const members = db.prepare('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id');
      for (const row of pending) {
        const doc = JSON.parse(row.doc) as {
          level: number;
          requester: { id: string; managerId?: string };
          flow: { approverResources: { resourceType: string; resourceId: string; resourceOrder: number }[] };
          levelApprovers: { index: number; users: string[]; admins: boolean }[][];
        };
        const orders = [...new Set(doc.flow.approverResources.map((a) => a.resourceOrder))].sort((a, b) => a - b);
        doc.levelApprovers[doc.level] = doc.flow.approverResources.flatMap((approver, index) => {
          if (approver.resourceOrder !== orders[doc.level]) return [];
          const users =
            approver.resourceType === 'manager'
              ? doc.requester.managerId === undefined
                ? []
                : [doc.requester.managerId]
              : approver.resourceType === 'user'
                ? [approver.resourceId]
                : approver.resourceType === 'user_group'
                  ? (members.pluck().all(approver.resourceId) as string[])
                  : [];
          return [{ index, users: users.filter((id) => id !== doc.requester.id), admins: approver.resourceType === 'admin' }];
        });
        update.run(JSON.stringify(doc), row.id);
      }
    },
  },
  {
    version: 7,
    name: 'the sandbox clock, so a restart continues from it',
    // One row: the sandbox time at the last change or close, the offset from the wall clock, and
    // whether the clock was frozen. A database without the row starts on the wall clock, as before.
    sql: `
      CREATE TABLE sandbox_clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        now_ms INTEGER NOT NULL,
        offset_ms INTEGER NOT NULL,
        frozen INTEGER NOT NULL CHECK (frozen IN (0, 1))
      );
    `,
  },
];

/** Applies every migration newer than the database; refuses a database written by a newer sandbox. */
export function migrate(db: Database.Database, nowIso: string, list: readonly Migration[] = migrations): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .pluck()
      .all()
      .map((v) => Number(v)),
  );
  const newest = Math.max(0, ...list.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > newest);
  if (unknown.length > 0) {
    throw new Error(`the database has schema version ${Math.max(...unknown)}, newer than this sandbox knows (${newest})`);
  }
  const ran: number[] = [];
  for (const migration of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, nowIso);
    })();
    ran.push(migration.version);
  }
  return ran;
}
