// The desired state: every schema-valid object declared in the repo, typed by kind, each keeping
// the document it came from so later stages (plan, apply) can point back at file:line:col.
import type { AccessRequestSettings, AccessTest, ApprovalFlow, Fleet, GroupAssignment, Project, WebhookChannel } from './kinds.generated.js';
import type { SourceDocument } from './source.js';

export interface Declared<T> {
  /** metadata.name as written. */
  name: string;
  object: T;
  source: SourceDocument;
}

export interface DesiredState {
  flows: Declared<ApprovalFlow>[];
  groups: Declared<GroupAssignment>[];
  /** Channels the repo keeps itself (targets with a channel API only). */
  channels: Declared<WebhookChannel>[];
  /** At most one per repo; a second one is a validation error and is not kept. */
  settings: Declared<AccessRequestSettings> | undefined;
  project: Declared<Project> | undefined;
  /** Access tests: checked by `accessctl test`, never sent to the platform. */
  tests: Declared<AccessTest>[];
  /** Fleet files found among an org's config: each is an error there (a fleet is read with --fleet), kept to point at. */
  fleets: Declared<Fleet>[];
}

export function emptyDesiredState(): DesiredState {
  return { flows: [], groups: [], channels: [], settings: undefined, project: undefined, tests: [], fleets: [] };
}
