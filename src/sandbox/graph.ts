// The v2 graph's shared wire shapes: connections, the add/remove/update operation a POST takes,
// the object types a user group associates with, and the association an event carries. Pure.
import type { Association } from './event-model.js';

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

/** What a user group can be associated with (the contract's graph targets). */
export const userGroupTargets = [
  'active_directory',
  'application',
  'g_suite',
  'idp_routing_policy',
  'ldap_server',
  'office_365',
  'password_manager_item',
  'radius_server',
  'system',
  'system_group',
] as const;

/** The association an event records: the group on one side, the other object on the other. */
export function association(op: GraphOperation['op'], group: { id: string; name: string }, to: { id: string; type: string; name: string }): Association {
  return {
    op,
    connection: {
      from: { object_id: group.id, type: 'user_group', name: group.name },
      to: { object_id: to.id, type: to.type, name: to.name },
    },
  };
}
