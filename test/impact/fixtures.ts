// Small directories and flows for the impact tests: users by username (email username@example.com),
// groups by name, flows in model terms with the example's defaults.
import { fileURLToPath } from 'node:url';
import { DirectoryView, type AccessDirectory, type DirectoryUser } from '../../src/impact/directory.js';
import { readDirectorySnapshot } from '../../src/impact/snapshot.js';
import type { ApprovalLevelModel, FlowModel, FlowSpecModel } from '../../src/model/flow.js';

export const exampleSeedPath = fileURLToPath(new URL('../../examples/directory.yaml', import.meta.url));

/** The seed's engineering directory, as `--directory examples/directory.yaml` reads it. */
export function exampleDirectory(): AccessDirectory {
  return readDirectorySnapshot(exampleSeedPath);
}

export interface UserSpec {
  manager?: string;
  suspended?: boolean;
}

/** A directory from `{username: {manager}}` and `{group: [usernames]}`. */
export function directory(users: Record<string, UserSpec>, groups: Record<string, string[]>): DirectoryView {
  const list: DirectoryUser[] = Object.entries(users).map(([username, spec]) => ({
    id: `id-${username}`,
    email: `${username}@example.com`,
    username,
    ...(spec.manager === undefined ? {} : { managerId: `id-${spec.manager}` }),
    active: spec.suspended !== true,
  }));
  return new DirectoryView({
    users: list,
    groups: Object.entries(groups).map(([name, members], i) => ({ id: `g${i}`, name, memberIds: members.map((m) => `id-${m}`) })),
  });
}

export const manager = { manager: true } as const;

export function level(approvers: ApprovalLevelModel['approvers'], require: 'any' | 'all' = 'any'): ApprovalLevelModel {
  return { require, approvers };
}

/** A flow with the example GitHub Admin's shape, overridden field by field. */
export function flow(name: string, spec: Partial<Omit<FlowSpecModel, 'approval'>> & { approval?: Partial<FlowSpecModel['approval']> } = {}): FlowModel {
  const { approval, ...rest } = spec;
  return {
    name,
    spec: {
      description: '',
      enabled: true,
      category: 'application',
      grantGroup: 'GitHub Admins',
      visibleTo: ['Engineering Admin'],
      access: { durations: ['PT8H', 'P1D', 'P7D'] },
      ...rest,
      approval: {
        type: 'manual',
        nonAdminApprovers: true,
        levels: [level([manager]), level([{ group: 'Security Leads' }])],
        ...approval,
      },
    },
  };
}

export function automatic(name: string, spec: Partial<Omit<FlowSpecModel, 'approval'>> = {}): FlowModel {
  return flow(name, {
    grantGroup: 'GitHub Users',
    visibleTo: ['Engineering User'],
    access: { duration: 'P30D' },
    ...spec,
    approval: { type: 'automatic', nonAdminApprovers: false, levels: [] },
  });
}

/** Usernames of user numbers, sorted. */
export function usernames(view: DirectoryView, users: Iterable<number>): string[] {
  return [...users].map((u) => view.users[u]!.username).sort();
}
