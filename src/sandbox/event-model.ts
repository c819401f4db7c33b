// The Directory Insights event envelope the sandbox records, queries and delivers. Pure, so the
// recorder, the query and the webhook outbox share it without importing each other.

export interface Change {
  field: string;
  from: unknown;
  to: unknown;
}

export interface EventObject {
  id: string;
  type: string;
  name: string;
}

export interface Association {
  op: 'add' | 'remove' | 'update';
  connection: {
    from: { object_id: string; type: string; name: string };
    to: { object_id: string; type: string; name: string };
  };
}

/**
 * The Directory Insights service every sandbox event is filed under. JumpCloud files Access
 * Requests events (access_management_*) under Insights -> Directory, beside the user group and
 * association changes they cause; the sandbox's webhook channel changes are administrator changes
 * to the directory's configuration, so they are filed there too. No event is filed under an
 * "access_management" service: that is an event type prefix, not a service.
 */
export const eventService = 'directory';

export interface DirectoryEvent {
  id: string;
  event_type: string;
  service: typeof eventService;
  organization: string;
  timestamp: string;
  initiated_by: { id: string; type: string; email: string };
  resource: EventObject;
  changes?: Change[];
  association?: Association;
  client_ip?: string;
  success: boolean;
}

/**
 * The Access Requests event types a channel can be subscribed to in the settings' channelEvents
 * (the contract's jumpcloud.ingresso.EventType, less its zero value).
 */
export const accessRequestEventTypes = [
  'ACCESS_MANAGEMENT_ACCESS_REQUEST',
  'ACCESS_MANAGEMENT_ACCESS_REQUEST_APPROVAL',
  'ACCESS_MANAGEMENT_ASSOCIATION_CHANGE',
  'ACCESS_MANAGEMENT_APPROVAL_FLOW_CREATE',
  'ACCESS_MANAGEMENT_APPROVAL_FLOW_UPDATE',
  'ACCESS_MANAGEMENT_APPROVAL_FLOW_DELETE',
  'ACCESS_MANAGEMENT_ACCESS_REQUEST_SETTINGS_UPDATE',
] as const;

/**
 * The event types of an access request's life. created and decision are JumpCloud's; update is the
 * sandbox's own (an extension, never delivered to webhook channels, which subscribe to published types).
 */
export const requestEventTypes = {
  /** A request was created (submitted): once per request. */
  created: 'access_management_access_request',
  /** A decision: an approver or administrator approved or denied, or the flow approved automatically. */
  decision: 'access_management_access_request_approval',
  /** Every other change: Missing Data, resumed, Expired, Canceled, access ended or revoked. */
  update: 'sandbox_access_request_update',
} as const;

/** The membership a grant added or its end removed. */
export const grantAssociationEventType = 'access_management_association_change';
