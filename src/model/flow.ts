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
