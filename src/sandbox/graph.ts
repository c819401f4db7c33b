// The v2 graph's shared wire shapes and conventions: connections, the add/remove/update operation
// a POST takes, its paging (limit and skip only, in id order), and the association an event carries.
import type { Association } from './event-model.js';
import { parseListQuery, type ListQuery } from './lists.js';
import { BodyReader } from './request-body.js';
import type { UserGroup } from './user-groups.js';

export interface GraphObject {
  id: string;
  type: string;
}

export interface GraphConnection {
  from?: GraphObject;
  to: GraphObject;
}

export interface GraphObjectWithPaths {
  id: string;
  type: string;
  compiledAttributes: Record<string, unknown>;
  paths: GraphConnection[][];
}

export interface GraphOperation {
  op: 'add' | 'remove' | 'update';
  type: string;
  id: string;
}

export function readGraphOperation(body: unknown, types: readonly string[], supported: readonly string[]): GraphOperation {
  const reader = new BodyReader(body, ['op', 'type', 'id', 'attributes']);
  const op = reader.string('op', { required: true, oneOf: ['add', 'remove', 'update'] });
  const type = reader.string('type', { required: true, oneOf: types });
  const id = reader.string('id', { required: true, minLength: 1 });
  reader.object('attributes');
  if (type !== undefined && !supported.includes(type))
    reader.fail('type', `the sandbox only keeps ${supported.join(', ')} associations here`);
  reader.finish('invalid graph operation');
  return { op: op as GraphOperation['op'], type: type ?? '', id: id ?? '' };
}

/** Paging for graph lists: limit and skip only, always in id order. */
export function graphPaging(params: URLSearchParams): ListQuery {
  const allowed = new URLSearchParams();
  for (const key of ['limit', 'skip']) {
    const value = params.get(key);
    if (value !== null) allowed.set(key, value);
  }
  return parseListQuery(allowed, {});
}

/** The association an event records: the group on one side, the other object on the other. */
export function association(op: GraphOperation['op'], group: UserGroup, to: { id: string; type: string; name: string }): Association {
  return {
    op,
    connection: {
      from: { object_id: group.id, type: 'user_group', name: group.name },
      to: { object_id: to.id, type: to.type, name: to.name },
    },
  };
}
