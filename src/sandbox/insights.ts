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

function timeParam(value: unknown, field: string, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw badRequest(`${field} must be an RFC 3339 timestamp`, [{ field, message: 'e.g. 2026-01-01T00:00:00Z' }]);
  }
  return Date.parse(value);
}

/**
 * Queries the event log. Body: service (array, "all" matches everything), start_time (required),
 * end_time, limit (default and maximum 10000), skip, sort ASC|DESC by timestamp, search_after.
 */
export function queryEvents(store: SandboxStore, orgId: string, body: unknown): EventQueryResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the query must be a JSON object');
  const input = body as Record<string, unknown>;
  const known = ['service', 'start_time', 'end_time', 'limit', 'skip', 'sort', 'search_after'];
  const unknown = Object.keys(input).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw badRequest(
      'unknown fields in the query',
      unknown.map((field) => ({ field, message: 'not a query field' })),
    );
  }
  const services = input['service'];
  if (!Array.isArray(services) || services.length === 0 || !services.every((s) => typeof s === 'string' && s !== '')) {
    throw badRequest('service must be a non-empty array of service names', [
      { field: 'service', message: 'e.g. ["directory"] or ["all"]' },
    ]);
  }
  const start = timeParam(input['start_time'], 'start_time', true) ?? 0;
  const end = timeParam(input['end_time'], 'end_time', false);
  const limit = input['limit'] ?? maxEventLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > maxEventLimit) {
    throw badRequest(`limit must be a whole number from 1 to ${maxEventLimit}`, [{ field: 'limit', message: String(limit) }]);
  }
  const skip = input['skip'] ?? 0;
  if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0) {
    throw badRequest('skip must be a non-negative whole number', [{ field: 'skip', message: String(skip) }]);
  }
  const sort = input['sort'] ?? 'ASC';
  if (sort !== 'ASC' && sort !== 'DESC') throw badRequest('sort must be ASC or DESC', [{ field: 'sort', message: String(sort) }]);
  const searchAfter = input['search_after'];
  if (
    searchAfter !== undefined &&
    !(Array.isArray(searchAfter) && searchAfter.length === 2 && searchAfter.every((v) => typeof v === 'number' && Number.isInteger(v)))
  ) {
    throw badRequest('search_after must be the value of a previous X-Search_after header', [
      { field: 'search_after', message: 'a [timestamp, sequence] pair' },
    ]);
  }

  const where = ['org_id = ?', 'timestamp_ms >= ?'];
  const params: (string | number)[] = [orgId, start];
  if (end !== undefined) {
    where.push('timestamp_ms < ?');
    params.push(end);
  }
  if (!services.includes('all')) {
    where.push(`service IN (${services.map(() => '?').join(', ')})`);
    params.push(...(services as string[]));
  }
  if (Array.isArray(searchAfter)) {
    where.push(sort === 'ASC' ? '(timestamp_ms, seq) > (?, ?)' : '(timestamp_ms, seq) < (?, ?)');
    params.push(searchAfter[0] as number, searchAfter[1] as number);
  }
  const direction = sort === 'ASC' ? 'ASC' : 'DESC';
  const rows = store
    .stmt(
      `SELECT seq, timestamp_ms, doc FROM events WHERE ${where.join(' AND ')} ORDER BY timestamp_ms ${direction}, seq ${direction} LIMIT ? OFFSET ?`,
    )
    .all(...params, limit, skip) as { seq: number; timestamp_ms: number; doc: string }[];
  const last = rows.at(-1);
  return {
    events: rows.map((row) => parseDoc<DirectoryEvent>(row.doc)),
    searchAfter: last === undefined ? undefined : [last.timestamp_ms, last.seq],
  };
}
