// A user group as far as accessctl manages it: its description and application associations.
// Membership is never managed: granted access lives there.

export interface GroupSpecModel {
  /** Absent: not managed. */
  description?: string;
  /** Absent: associations not managed. */
  applications?: string[];
}

export interface GroupModel {
  name: string;
  spec: GroupSpecModel;
}
