// The webhook outbox: when an event is recorded, one delivery row per enabled channel subscribed
// to its type is written in the same transaction, so a committed event is always delivered.
import type { DirectoryEvent } from './event-model.js';
import { parseDoc, type SandboxStore } from './store.js';

interface SubscribedChannel {
  channelObjectId: string;
  eventTypes: string[];
}

/** Queues the event for every enabled channel whose channelEvents name its type. */
export function enqueueDeliveries(store: SandboxStore, event: DirectoryEvent): void {
  const settings = store.stmt('SELECT doc FROM approval_flow_settings WHERE org_id = ?').get(event.organization) as
    { doc: string } | undefined;
  if (settings === undefined) return;
  const subscriptions = parseDoc<{ channelEvents?: SubscribedChannel[] }>(settings.doc).channelEvents ?? [];
  const wanted = event.event_type.toUpperCase();
  for (const subscription of subscriptions) {
    if (!subscription.eventTypes.includes(wanted) && !subscription.eventTypes.includes('*')) continue;
    const channel = store
      .stmt('SELECT doc FROM webhook_channels WHERE org_id = ? AND id = ?')
      .get(event.organization, subscription.channelObjectId) as { doc: string } | undefined;
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
        JSON.stringify(event),
        store.clock.nowMs(),
        store.clock.nowIso(),
      );
  }
}
