// An approval flow in config terms, defaults filled in and sets sorted: what the plan compares.
// Both the desired (git) and the live (platform) side are mapped into this shape.

export type ApproverModel = { manager: true } | { user: string } | { group: string } | { admins: true };

export interface ApprovalLevelModel {
  require: 'any' | 'all';
  approvers: ApproverModel[];
}

export interface FlowDisplayModel {
  color?: string;
  iconUrl?: string;
}

export interface FlowSpecModel {
  description: string;
  enabled: boolean;
  category: 'application' | 'device-admin';
  grantGroup: string;
  visibleTo: string[];
  approval: {
    type: 'manual' | 'automatic';
    nonAdminApprovers: boolean;
    levels: ApprovalLevelModel[];
  };
  /** null: permanent access. */
  access: { duration: string } | { durations: string[] } | null;
  /** Absent when the repo does not manage the flow's icon: the live one is kept. */
  display?: FlowDisplayModel;
}

export interface FlowModel {
  name: string;
  spec: FlowSpecModel;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameApprover(a: ApproverModel, b: ApproverModel): boolean {
  if ('manager' in a) return 'manager' in b;
  if ('admins' in a) return 'admins' in b;
  if ('user' in a) return 'user' in b && a.user === b.user;
  return 'group' in b && a.group === b.group;
}

function sameLevels(a: readonly ApprovalLevelModel[], b: readonly ApprovalLevelModel[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const left = a[i]!;
    const right = b[i]!;
    if (left.require !== right.require || left.approvers.length !== right.approvers.length) return false;
    for (let j = 0; j < left.approvers.length; j++) if (!sameApprover(left.approvers[j]!, right.approvers[j]!)) return false;
  }
  return true;
}

function sameAccess(a: FlowSpecModel['access'], b: FlowSpecModel['access']): boolean {
  if (a === null || b === null) return a === b;
  if ('duration' in a) return 'duration' in b && a.duration === b.duration;
  return 'durations' in b && sameStrings(a.durations, b.durations);
}

function sameDisplay(a: FlowDisplayModel | undefined, b: FlowDisplayModel | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.color === b.color && a.iconUrl === b.iconUrl;
}

/**
 * Whether two flow specs are equal, field by field in the model's own shape: the comparison a no-op
 * plan makes for every flow (10,000 in a large org), where a generic deep compare costs more than
 * mapping the flow. It may only say "equal" when they are; test/model/flow.test.ts changes every
 * field of a complete spec in turn and expects "not equal".
 */
export function sameFlowSpec(a: FlowSpecModel, b: FlowSpecModel): boolean {
  return (
    a.description === b.description &&
    a.enabled === b.enabled &&
    a.category === b.category &&
    a.grantGroup === b.grantGroup &&
    sameStrings(a.visibleTo, b.visibleTo) &&
    a.approval.type === b.approval.type &&
    a.approval.nonAdminApprovers === b.approval.nonAdminApprovers &&
    sameLevels(a.approval.levels, b.approval.levels) &&
    sameAccess(a.access, b.access) &&
    sameDisplay(a.display, b.display)
  );
}
