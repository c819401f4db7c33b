// The Access Requests settings in config terms, including which notification channels receive
// which events. A channel is named by its name where the target can list channels, else by id.

/** One channel's subscription. `channel` is a channel name, or `id:<24 hex>` where no name is known. */
export interface SubscriptionModel {
  channel: string;
  events: string[];
}

export interface SettingsSpecModel {
  resourceRequests: boolean;
  exposeApprovalProgress: boolean;
  email: { approvers: boolean; requestReceived: boolean; decision: boolean };
  /** Absent: the subscriptions are not managed. Sorted by channel. */
  webhooks?: SubscriptionModel[];
}

export interface SettingsModel {
  spec: SettingsSpecModel;
}

/** How a channel known only by id is named in plans: never mistaken for a channel name. */
export function channelIdLabel(hexId: string): string {
  return `id:${hexId}`;
}

/** The hex id in a label made by channelIdLabel, or undefined for a channel name. */
export function channelIdOfLabel(label: string): string | undefined {
  return /^id:[0-9a-f]{24}$/.test(label) ? label.slice(3) : undefined;
}
