// v1 applications: read over HTTP, written by seeding; user groups are associated with them
// through the graph (associations.ts).
import { notFound } from './api-error.js';
import { parseListQuery, project, selectPage, type FieldSpec } from './lists.js';
import type { JsonObject } from './request-body.js';
import { parseDoc, type SandboxStore } from './store.js';

export interface Application {
  _id: string;
  name: string;
  displayName: string;
  displayLabel: string;
  description?: string;
  ssoUrl: string;
  active: boolean;
  config: JsonObject;
  sso: { type: string };
  organization: string;
  created: string;
}

export const applicationFields: FieldSpec = {
  name: 'string',
  displayName: 'string',
  displayLabel: 'string',
  description: 'string',
  ssoUrl: 'string',
  active: 'boolean',
  organization: 'string',
  created: 'string',
};

export interface NewApplication {
  name: string;
  displayLabel: string;
  description?: string | undefined;
  ssoUrl: string;
}

export function insertApplication(store: SandboxStore, orgId: string, input: NewApplication): Application {
  const app: Application = {
    _id: store.newId(),
    name: input.name,
    displayName: input.displayLabel,
    displayLabel: input.displayLabel,
    ...(input.description === undefined ? {} : { description: input.description }),
    ssoUrl: input.ssoUrl,
    active: true,
    config: {},
    sso: { type: 'saml' },
    organization: orgId,
    created: store.clock.nowIso(),
  };
  store.stmt('INSERT INTO applications (id, org_id, name, doc) VALUES (?, ?, ?, ?)').run(app._id, orgId, app.name, JSON.stringify(app));
  return app;
}

export function listApplications(store: SandboxStore, orgId: string, params: URLSearchParams): { results: Partial<Application>[]; totalCount: number } {
  const query = parseListQuery(params, applicationFields, ['name']);
  const page = selectPage(store, 'applications', { sql: 'org_id = ?', params: [orgId] }, query, applicationFields);
  return { results: page.rows.map((row) => project(parseDoc<Application>(row.doc), query.fields)), totalCount: page.totalCount };
}

export function findApplication(store: SandboxStore, orgId: string, id: string): Application | undefined {
  const row = store.stmt('SELECT doc FROM applications WHERE org_id = ? AND id = ?').get(orgId, id) as { doc: string } | undefined;
  return row === undefined ? undefined : parseDoc<Application>(row.doc);
}

export function getApplication(store: SandboxStore, orgId: string, id: string): Application {
  const app = findApplication(store, orgId, id);
  if (app === undefined) throw notFound(`application ${id}`);
  return app;
}
