// Route templates of every platform operation accessctl uses: what the client, counters and errors
// name. Each says whether JumpCloud publishes it (contracts/jumpcloud) or only the sandbox serves it.
export const routes = {
  users: '/api/systemusers',
  applications: '/api/applications',
  groups: '/api/v2/usergroups',
  group: '/api/v2/usergroups/{id}',
  groupAssociations: '/api/v2/usergroups/{group_id}/associations',
  groupMembers: '/api/v2/usergroups/{group_id}/members',
  flows: '/api/v2/approvalflows',
  flow: '/api/v2/approvalflows/{approvalFlowId}',
  settings: '/api/v2/approvalflowsettings',
  accessRequests: '/api/v2/approvalflowrequest',
  channels: '/api/v2/notifications/webhook/channels',
  channel: '/api/v2/notifications/webhook/channels/{id}',
} as const;

export type RouteName = keyof typeof routes;

/** Sandbox extensions: JumpCloud publishes no such endpoint, so a target may answer 404 or 405. */
export const extensionRoutes: ReadonlySet<string> = new Set([routes.channels, routes.channel]);

export function isPublished(route: string): boolean {
  return !extensionRoutes.has(route);
}
