// The body of a hand-made PUT /api/v2/approvalflows/{id} (ApprovalFlow_Set), as a person or another
// tool would send it: every settable field copied from the flow as read, then the test's changes,
// so the replacing PUT changes only what the test means it to.

/** A flow as GET /api/v2/approvalflows/{id} returns it. */
export interface ReadFlow {
  resources?: { resourceId?: string }[];
  visibleTo?: { id?: string }[];
  [field: string]: unknown;
}

/** The ApprovalFlow_Set fields a replacing PUT copies as they are; the resource and visibleTo are sent as ids. */
const copiedFields = [
  'name',
  'description',
  'approvalType',
  'approverRequirement',
  'approverResources',
  'nonAdminApproval',
  'status',
  'timeBasedAccess',
  'ttlConfig',
  'fixedDuration',
  'multiSelectDuration',
  'iconColor',
  'iconUrl',
  'slackEnabled',
  'slackConfig',
];

/** `flow` as a PUT body that sets it again, with `changes` in place of what it had. */
export function flowSetBody(flow: ReadFlow, changes: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of copiedFields) if (flow[field] !== undefined) body[field] = flow[field];
  return { ...body, resourceId: flow.resources?.[0]?.resourceId, visibleTo: (flow.visibleTo ?? []).map((v) => v.id), ...changes };
}
