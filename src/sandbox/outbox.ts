// The webhook outbox: when an Access Requests event is recorded, one delivery row per enabled channel
// subscribed to its type is written in the same transaction, so a committed event is always
// delivered. The body nests the event under di_events, as JumpCloud's Directory Insights webhooks do.
import { accessRequestEventTypes, type DirectoryEvent } from './event-model.js';
import { parseDoc, type SandboxStore } from './store.js';

interface SubscribedChannel {
  channelObjectId: string;
  eventTypes: string[];
}

/** The JSON body a delivery POSTs: the event nested under di_events. */
export function webhookPayload(event: DirectoryEvent): string {
  return JSON.stringify({ di_events: [event] });
}

/**
 * Queues the event for every enabled channel whose channelEvents name its type. Only Access Requests
 * events are: user group, association and channel events, and the sandbox's own, never are.
 */
export function enqueueDeliveries(store: SandboxStore, event: DirectoryEvent): void {
  const wanted = event.event_type.toUpperCase();
  if (!(accessRequestEventTypes as readonly string[]).includes(wanted)) return;
  const settings = store.stmt('SELECT doc FROM approval_flow_settings WHERE org_id = ?').get(event.organization) as { doc: string } | undefined;
  if (settings === undefined) return;
  const subscriptions = parseDoc<{ channelEvents?: SubscribedChannel[] }>(settings.doc).channelEvents ?? [];
  for (const subscription of subscriptions) {
    if (!subscription.eventTypes.includes(wanted)) continue;
    const channel = store.stmt('SELECT doc FROM webhook_channels WHERE org_id = ? AND id = ?').get(event.organization, subscription.channelObjectId) as
      | { doc: string }
      | undefined;
    if (channel === undefined || !parseDoc<{ enabled: boolean }>(channel.doc).enabled) continue;
    store
      .stmt(
        `INSERT OR IGNORE INTO deliveries (id, org_id, channel_id, event_id, event_type, payload, status, cycle_attempts, next_attempt_ms, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      )
      .run(
        store.newId(),
        event.organization,
        subscription.channelObjectId,
        event.id,
        event.event_type,
        webhookPayload(event),
        store.clock.nowMs(),
        store.clock.nowIso(),
      );
  }
}
