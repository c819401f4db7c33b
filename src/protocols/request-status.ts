// JumpCloud's access-request statuses, as the wire writes them and as its Request Queue labels them:
// a protocol fact, so the sandbox that serves requests and the `request` command that lists them share it.

/**
 * The statuses JumpCloud publishes for the Request Queue (Pending, Approved, Denied, Canceled,
 * Expired, Error, Missing Data), as the wire writes them. Nothing else is a status.
 */
export const requestStatuses = ['pending', 'approved', 'denied', 'canceled', 'expired', 'error', 'missing_data'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** How the Request Queue labels each status. */
export const statusLabels: Readonly<Record<RequestStatus, string>> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  canceled: 'Canceled',
  expired: 'Expired',
  error: 'Error',
  missing_data: 'Missing Data',
};

export function isRequestStatus(value: string): value is RequestStatus {
  return Object.hasOwn(statusLabels, value);
}

/** A status's label; a value that is no status (a newer platform's, say) is shown as it is. */
export function statusLabel(status: string): string {
  return isRequestStatus(status) ? statusLabels[status] : status;
}
