// The approval flow as the sandbox stores it, the wire values it uses, and how approvers are named
// and grouped into levels. Pure: no store, no I/O, so flows, requests and the description share it.

// The values the console writes where JumpCloud has published none (docs/architecture.md, the wire mapping).
export const approvalTypes = ['manual', 'automated'] as const;
export const approverRequirements = ['any', 'all'] as const;
export const approverTypes = ['manager', 'user', 'user_group', 'admin'] as const;
export const flowStatuses = ['active', 'inactive'] as const;
export const categories = ['Application', 'DeviceAdmin'] as const;
export const grantResourceTypes = ['user_group'] as const;
export const ttlConfigs = ['TTL_CONFIG_UNSPECIFIED', 'TTL_CONFIG_MULTI_SELECT_DURATIONS', 'TTL_CONFIG_FIXED_DURATION'] as const;

export type ApproverType = (typeof approverTypes)[number];

export interface StoredApprover {
  resourceType: ApproverType;
  resourceId: string;
  resourceOrder: number;
  requireAll: boolean;
}

/** A flow as stored: the write shape, normalised, with ids for every reference. */
export interface StoredFlow {
  id: string;
  name: string;
  description: string;
  category: string;
  approvalType: string;
  approverRequirement: string;
  approverResources: StoredApprover[];
  resourceType: string;
  resourceId: string;
  visibleTo: string[];
  status: string;
  timeBasedAccess: boolean;
  ttlConfig: string;
  fixedDuration?: string;
  multiSelectDuration?: string[];
  nonAdminApproval: boolean;
  iconColor?: string;
  iconUrl?: string;
  slackEnabled: boolean;
  slackConfig: { slackResourceId: string }[];
  organizationId: string;
  createdBy: string;
  updatedBy: string;
}

export type NameLookup = { group: (id: string) => string; user: (id: string) => string };

/** How an approver is named in read shapes (flows, request progress). */
export function approverName(approver: StoredApprover, names: NameLookup): string {
  switch (approver.resourceType) {
    case 'manager':
      return 'Manager';
    case 'admin':
      return 'Administrators';
    case 'user':
      return names.user(approver.resourceId);
    case 'user_group':
      return names.group(approver.resourceId);
  }
}

/** One approval level: the approver entries that share a resourceOrder. */
export interface Level {
  order: number;
  /** all: every entry of the level must approve (and a group entry, every member); any: one entry. */
  requireAll: boolean;
  approvers: { index: number; approver: StoredApprover }[];
}

/** The flow's levels, in ascending resourceOrder; each must pass before the next starts. */
export function levelsOf(flow: StoredFlow): Level[] {
  const orders = [...new Set(flow.approverResources.map((a) => a.resourceOrder))].sort((a, b) => a - b);
  return orders.map((order) => {
    const approvers = flow.approverResources.map((approver, index) => ({ index, approver })).filter((a) => a.approver.resourceOrder === order);
    return { order, requireAll: approvers.some((a) => a.approver.requireAll), approvers };
  });
}
