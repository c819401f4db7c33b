// Directory Insights: the platform's own event log. Mutations record an event inside their own
// transaction; POST /insights/directory/v1/events queries it with JumpCloud's body and paging.
import { badRequest } from './api-error.js';
import { eventService, type Association, type Change, type DirectoryEvent, type EventObject } from './event-model.js';
import { enqueueDeliveries } from './outbox.js';
import type { Actor, SandboxStore } from './store.js';
import { parseDoc } from './store.js';

export interface EventInput {
  eventType: string;
  resource: EventObject;
  changes?: Change[];
  association?: Association;
}

/**
 * Records one event, and its webhook deliveries (the outbox); call inside the mutation's
 * transaction so all of them commit or none does.
 */
export function recordEvent(store: SandboxStore, actor: Actor, input: EventInput): DirectoryEvent {
  const timestampMs = store.clock.nowMs();
  const event: DirectoryEvent = {
    id: store.newId(),
    event_type: input.eventType,
    service: eventService,
    organization: actor.orgId,
    timestamp: new Date(timestampMs).toISOString(),
    initiated_by: { id: actor.id, type: actor.type, email: actor.email },
    resource: input.resource,
    ...(input.changes === undefined ? {} : { changes: input.changes }),
    ...(input.association === undefined ? {} : { association: input.association }),
    ...(actor.clientIp === undefined ? {} : { client_ip: actor.clientIp }),
    success: true,
  };
  store
    .stmt('INSERT INTO events (id, org_id, event_type, service, timestamp_ms, doc) VALUES (?, ?, ?, ?, ?, ?)')
    .run(event.id, actor.orgId, event.event_type, event.service, timestampMs, JSON.stringify(event));
  enqueueDeliveries(store, event);
  return event;
}

/** Field-level differences between two versions of an object, in the order of `after`'s keys. */
export function diffFields(before: Record<string, unknown>, after: Record<string, unknown>, ignore: string[] = []): Change[] {
  const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])].filter((key) => !ignore.includes(key));
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((field) => ({ field, from: before[field] ?? null, to: after[field] ?? null }));
}

export interface EventQueryResult {
  events: DirectoryEvent[];
  /** Pass back as search_after to continue after the last event returned. */
  searchAfter: [number, number] | undefined;
}

const maxEventLimit = 10_000;

/** A query body, as the EventQuery schema accepted it. */
export interface EventQuery {
  service: string[];
  start_time: string;
  end_time?: string;
  limit?: number;
  skip?: number;
  sort?: 'ASC' | 'DESC';
  search_after?: [number, number];
}

/** A timestamp the schema accepted as RFC 3339 text, as milliseconds; a 400 when it names no instant. */
function instant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${field} must be an RFC 3339 timestamp`, [{ field, message: 'e.g. 2026-01-01T00:00:00Z' }]);
  return ms;
}

/**
 * Queries the event log. Body: service (array, "all" matches everything), start_time (required),
 * end_time, limit (default and maximum 10000), skip, sort ASC|DESC by timestamp, search_after.
 */
export function queryEvents(store: SandboxStore, orgId: string, input: EventQuery): EventQueryResult {
  const services = input.service;
  const start = instant(input.start_time, 'start_time');
  const end = input.end_time === undefined ? undefined : instant(input.end_time, 'end_time');
  const limit = input.limit ?? maxEventLimit;
  const skip = input.skip ?? 0;
  const sort = input.sort ?? 'ASC';
  const searchAfter = input.search_after;

  const where = ['org_id = ?', 'timestamp_ms >= ?'];
  const params: (string | number)[] = [orgId, start];
  if (end !== undefined) {
    where.push('timestamp_ms < ?');
    params.push(end);
  }
  if (!services.includes('all')) {
    where.push(`service IN (${services.map(() => '?').join(', ')})`);
    params.push(...services);
  }
  if (Array.isArray(searchAfter)) {
    where.push(sort === 'ASC' ? '(timestamp_ms, seq) > (?, ?)' : '(timestamp_ms, seq) < (?, ?)');
    params.push(searchAfter[0], searchAfter[1]);
  }
  const direction = sort === 'ASC' ? 'ASC' : 'DESC';
  const rows = store
    .stmt(`SELECT seq, timestamp_ms, doc FROM events WHERE ${where.join(' AND ')} ORDER BY timestamp_ms ${direction}, seq ${direction} LIMIT ? OFFSET ?`)
    .all(...params, limit, skip) as { seq: number; timestamp_ms: number; doc: string }[];
  const last = rows.at(-1);
  return {
    events: rows.map((row) => parseDoc<DirectoryEvent>(row.doc)),
    searchAfter: last === undefined ? undefined : [last.timestamp_ms, last.seq],
  };
}
