// The Access Requests event types a notification channel can receive, in config spelling
// (lower case). The wire spelling is the same in upper case.

export const ACCESS_EVENT_TYPES = [
  'access_management_access_request',
  'access_management_access_request_approval',
  'access_management_association_change',
  'access_management_approval_flow_create',
  'access_management_approval_flow_update',
  'access_management_approval_flow_delete',
  'access_management_access_request_settings_update',
] as const;

export type AccessEventType = (typeof ACCESS_EVENT_TYPES)[number];
