// Reads the directory effective access needs with list calls only: the users (with their managers
// and states), the user groups, and the members of the groups a flow or a test names, one paged
// list per group, a few groups at a time. Never a call per user.
import type { AccessDirectory, DirectoryUser } from '../impact/directory.js';
import type { JumpCloudClient } from './client.js';
import { known, readUsers, type Known } from './live.js';
import { mapBounded } from './map-bounded.js';
import { listAll } from './paginate.js';
import { routes } from './routes.js';
import { text } from './protobuf-json.js';
import { graphConnectionShapeProblem, userGroupShapeProblem, type WireGraphConnection, type WireSystemUser, type WireUserGroup } from './wire.js';

const MEMBER_READS_IN_FLIGHT = 4;

export interface DirectoryNeeds {
  /** The groups whose members to read, given the live group list. */
  membersOf: (groups: readonly WireUserGroup[]) => WireUserGroup[];
  /** Lists already read by the plan, so they are not read twice. */
  groups?: readonly WireUserGroup[];
  users?: readonly WireSystemUser[];
}

/** A user who can sign in: neither staged nor suspended. */
function isActive(user: WireSystemUser & { suspended?: boolean }): boolean {
  const state = text(user.state);
  return user.suspended !== true && state !== 'SUSPENDED' && state !== 'STAGED';
}

export function directoryFromWire(
  users: readonly WireSystemUser[],
  groups: readonly WireUserGroup[],
  members: ReadonlyMap<string, readonly string[]>,
): AccessDirectory {
  const directoryUsers: DirectoryUser[] = users.map((user) => {
    const manager = text(user.manager);
    return {
      id: user._id,
      email: text(user.email),
      username: text(user.username),
      ...(manager === '' ? {} : { managerId: manager }),
      active: isActive(user),
    };
  });
  return {
    users: directoryUsers,
    groups: groups.map((group) => {
      const ids = members.get(group.id);
      return { id: group.id, name: group.name, ...(ids === undefined ? {} : { memberIds: ids }) };
    }),
  };
}

/** User ids in a group: its members list, users only. */
async function readMembers(client: JumpCloudClient, group: WireUserGroup): Promise<string[]> {
  const connections = await listAll<WireGraphConnection>(client, routes.groupMembers, {
    style: 'array',
    params: { group_id: group.id },
    sortById: false,
    check: graphConnectionShapeProblem,
  });
  return connections.filter((c) => c.to.type === 'user').map((c) => c.to.id);
}

/** The directory for effective access; unknown when any of its lists fails. */
export function readAccessDirectory(client: JumpCloudClient, needs: DirectoryNeeds): Promise<Known<AccessDirectory>> {
  return known(async () => {
    const [groups, users] = await Promise.all([
      needs.groups === undefined
        ? listAll<WireUserGroup>(client, routes.groups, { style: 'array', check: userGroupShapeProblem })
        : Promise.resolve(needs.groups),
      needs.users === undefined ? readUsers(client) : Promise.resolve(needs.users),
    ]);
    const wanted = needs.membersOf(groups);
    const members = new Map<string, readonly string[]>();
    // A few groups at a time: a directory of hundreds of groups read at once would stampede the rate limit.
    const lists = await mapBounded(wanted, MEMBER_READS_IN_FLIGHT, (group) => readMembers(client, group));
    for (const [i, group] of wanted.entries()) members.set(group.id, lists[i]!);
    return directoryFromWire(users, groups, members);
  });
}
