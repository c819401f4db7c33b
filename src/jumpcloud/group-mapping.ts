// GroupAssignment <-> the platform's UserGroup. Only the description and the application
// associations are managed; a PUT (UserGroupPut replaces the whole group) starts from the group as
// last read, so attributes, email and a dynamic-membership rule survive.
import type { Declared } from '../config/desired.js';
import type { GroupAssignment } from '../config/kinds.generated.js';
import type { GroupModel } from '../model/group.js';
import type { DirectoryIndex, NameResolver } from './directory-index.js';
import { byNameKey } from './model-order.js';
import type { WireUserGroup, WireUserGroupPut } from './wire.js';

export function groupFromDesired(declared: Declared<GroupAssignment>, names: NameResolver): GroupModel {
  const spec = declared.object.spec;
  const model: GroupModel = { name: declared.object.metadata.name, spec: {} };
  if (spec.description !== undefined) model.spec.description = spec.description;
  if (spec.applications !== undefined) {
    model.spec.applications = spec.applications.map((name, i) => names.application(name, ['spec', 'applications', i])).sort(byNameKey);
  }
  return model;
}

/**
 * The live group in the model's terms, limited to what the desired model manages (a field the repo
 * leaves out is not compared). `applicationIds` are the group's application associations.
 */
export function groupFromWire(
  group: WireUserGroup,
  applicationIds: readonly string[] | undefined,
  index: DirectoryIndex,
  managed: GroupModel['spec'],
): GroupModel {
  const model: GroupModel = { name: group.name, spec: {} };
  if (managed.description !== undefined) model.spec.description = group.description ?? '';
  if (managed.applications !== undefined && applicationIds !== undefined) {
    model.spec.applications = applicationIds.map((id) => index.applicationById(id)?.name ?? id).sort(byNameKey);
  }
  return model;
}

export function groupCreateBody(model: GroupModel): { name: string; description?: string } {
  return model.spec.description === undefined ? { name: model.name } : { name: model.name, description: model.spec.description };
}

const putFields = ['attributes', 'description', 'email', 'memberQuery', 'memberQueryExemptions', 'memberSuggestionsNotify', 'membershipMethod'] as const;

/** UserGroupPut from the group as last read, with the name and (when managed) the description set. */
export function groupPutBody(live: WireUserGroup, model: GroupModel): WireUserGroupPut {
  const body: WireUserGroupPut = { name: model.name };
  for (const field of putFields) {
    if (live[field] !== undefined) Object.assign(body, { [field]: live[field] });
  }
  if (model.spec.description !== undefined) body.description = model.spec.description;
  return body;
}

export function groupSpecForConfig(model: GroupModel): GroupAssignment['spec'] {
  const out: GroupAssignment['spec'] = {};
  if (model.spec.description) out.description = model.spec.description;
  if (model.spec.applications !== undefined) out.applications = [...model.spec.applications];
  return out;
}
