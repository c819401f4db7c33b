// List conventions shared by every collection: limit (default 10, max 100), skip, sort (-field,
// _id), fields, and filter=field:op:value repeated as AND, compiled to SQL over stored JSON docs.
import { badRequest } from './api-error.js';
import type { SandboxStore } from './store.js';

export type FieldType = 'string' | 'boolean' | 'number';

/** The fields a collection can be filtered and sorted by, with their JSON types. */
export type FieldSpec = Readonly<Record<string, FieldType>>;

export type FilterOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'in' | 'search';
const filterOps: readonly FilterOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in', 'search'];

export interface Filter {
  field: string;
  op: FilterOp;
  value: string;
}

export interface ListQuery {
  limit: number;
  skip: number;
  sort: { field: string; desc: boolean }[];
  filters: Filter[];
  /** Projection: only these fields (plus the id) in each returned object. */
  fields: string[] | undefined;
}

export const defaultLimit = 10;
export const maxLimit = 100;
/** Caps on what a query may ask for, each a 400 past it: they bound the SQL a list builds. */
export const listCaps = {
  /** filter parameters (ANDed). */
  filters: 20,
  /** Values of one in filter (a|b|c). */
  inValues: 100,
  /** Characters of one filter's value. */
  filterValue: 1024,
  /** Fields of sort. */
  sortFields: 10,
  /** Fields of fields. */
  fields: 50,
} as const;

function capped(count: number, cap: number, param: string, what: string): void {
  if (count > cap) throw badRequest(`${param} takes at most ${cap} ${what}`, [{ field: param, message: `got ${count}` }]);
}

function integerParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be a whole number`, [{ field: name, message: `got "${raw}"` }]);
  const value = Number(raw);
  if (value < min || value > max) {
    throw badRequest(`${name} must be between ${min} and ${max}`, [{ field: name, message: `got ${value}` }]);
  }
  return value;
}

function isIdField(field: string): boolean {
  return field === 'id' || field === '_id';
}

function checkField(field: string, spec: FieldSpec, param: string): void {
  if (isIdField(field) || Object.hasOwn(spec, field)) return;
  throw badRequest(`unknown field "${field}" in ${param}`, [{ field: param, message: `supported fields: _id, ${Object.keys(spec).join(', ')}` }]);
}

function splitList(raw: string[]): string[] {
  return raw.flatMap((entry) => entry.split(/[\s,]+/)).filter((entry) => entry !== '');
}

/** Parses limit, skip, sort, fields and filter from a request's query string. */
export function parseListQuery(query: URLSearchParams, spec: FieldSpec, defaultSort: string[] = []): ListQuery {
  const limit = integerParam(query.get('limit') ?? undefined, 'limit', defaultLimit, 1, maxLimit);
  const skip = integerParam(query.get('skip') ?? undefined, 'skip', 0, 0, Number.MAX_SAFE_INTEGER);
  const sortEntries = splitList(query.getAll('sort'));
  capped(sortEntries.length, listCaps.sortFields, 'sort', 'fields');
  capped(query.getAll('filter').length, listCaps.filters, 'filter', 'filters');
  const sort = (sortEntries.length > 0 ? sortEntries : defaultSort).map((entry) => {
    const desc = entry.startsWith('-');
    const field = desc ? entry.slice(1) : entry;
    checkField(field, spec, 'sort');
    return { field, desc };
  });
  const filters = query.getAll('filter').map((raw) => parseFilter(raw, spec));
  const fieldEntries = splitList(query.getAll('fields'));
  capped(fieldEntries.length, listCaps.fields, 'fields', 'fields');
  for (const field of fieldEntries) checkField(field, spec, 'fields');
  return { limit, skip, sort, filters, fields: fieldEntries.length > 0 ? fieldEntries : undefined };
}

function parseFilter(raw: string, spec: FieldSpec): Filter {
  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  if (first <= 0 || second < 0) {
    throw badRequest('filter must look like field:op:value', [{ field: 'filter', message: `got "${raw}"` }]);
  }
  const field = raw.slice(0, first);
  // v1 spells operators with a dollar sign ($eq); v2 without.
  const op = raw.slice(first + 1, second).replace(/^\$/, '');
  const value = raw.slice(second + 1);
  if (op === 'in') capped(value.split('|').length, listCaps.inValues, 'filter', `values in one in filter (${field})`);
  if (value.length > listCaps.filterValue) {
    throw badRequest(`a filter value has at most ${listCaps.filterValue} characters`, [{ field: 'filter', message: `got ${value.length}` }]);
  }
  checkField(field, spec, 'filter');
  if (!(filterOps as readonly string[]).includes(op)) {
    throw badRequest(`unknown filter operator "${op}"`, [{ field: 'filter', message: `supported: ${filterOps.join(', ')}` }]);
  }
  return { field, op: op as FilterOp, value };
}

function columnFor(field: string): string {
  // Field names were checked against the spec, so quoting them into the JSON path is safe.
  return isIdField(field) ? 'id' : `json_extract(doc, '$."${field}"')`;
}

function coerce(value: string, type: FieldType, field: string): string | number {
  if (type === 'boolean') {
    if (value === 'true') return 1;
    if (value === 'false') return 0;
    throw badRequest(`filter on ${field} takes true or false`, [{ field: 'filter', message: `got "${value}"` }]);
  }
  if (type === 'number') {
    const number = Number(value);
    if (value === '' || !Number.isFinite(number)) {
      throw badRequest(`filter on ${field} takes a number`, [{ field: 'filter', message: `got "${value}"` }]);
    }
    return number;
  }
  return value;
}

function filterSql(filter: Filter, spec: FieldSpec, params: (string | number)[]): string {
  const column = columnFor(filter.field);
  const type: FieldType = isIdField(filter.field) ? 'string' : (spec[filter.field] ?? 'string');
  switch (filter.op) {
    case 'in': {
      const values = filter.value.split('|').map((v) => coerce(v, type, filter.field));
      params.push(...values);
      return `${column} IN (${values.map(() => '?').join(', ')})`;
    }
    case 'search':
      params.push(`%${filter.value.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
      return `${column} LIKE ? ESCAPE '\\'`;
    case 'ne':
      params.push(coerce(filter.value, type, filter.field));
      return `(${column} IS NULL OR ${column} != ?)`;
    default: {
      const sqlOp = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' }[filter.op];
      params.push(coerce(filter.value, type, filter.field));
      return `${column} ${sqlOp} ?`;
    }
  }
}

export interface Page {
  rows: { id: string; doc: string }[];
  totalCount: number;
}

/**
 * One page of `table` (which has id and doc columns) restricted by `scope` (an SQL condition with
 * its parameters), filtered, sorted (always ending with id, so the order is total) and cut.
 */
export function selectPage(store: SandboxStore, table: string, scope: { sql: string; params: (string | number)[] }, query: ListQuery, spec: FieldSpec): Page {
  const params = [...scope.params];
  const conditions = [scope.sql, ...query.filters.map((filter) => filterSql(filter, spec, params))];
  const where = conditions.join(' AND ');
  const order = [...query.sort.map((s) => `${columnFor(s.field)} ${s.desc ? 'DESC' : 'ASC'}`)];
  if (!query.sort.some((s) => isIdField(s.field))) order.push('id ASC');
  const totalCount = store.count(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, params);
  // Sorted by id alone (the paging client's sort=_id), the page after one already read starts
  // right after that page's last id: a seek instead of stepping over `skip` rows.
  const byIdAlone = query.sort.length === 0 || (query.sort.length === 1 && isIdField(query.sort[0]?.field ?? ''));
  if (!byIdAlone) {
    const rows = store
      .stmt(`SELECT id, doc FROM ${table} WHERE ${where} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.skip) as { id: string; doc: string }[];
    return { rows, totalCount };
  }
  const desc = query.sort[0]?.desc === true;
  const cursorKey = `${table}\u0000${where}\u0000${desc ? 'desc' : 'asc'}\u0000${JSON.stringify(params)}`;
  const after = query.skip === 0 ? undefined : store.pageCursor(cursorKey, query.skip);
  const rows = (
    after === undefined
      ? store.stmt(`SELECT id, doc FROM ${table} WHERE ${where} ORDER BY ${order[0]} LIMIT ? OFFSET ?`).all(...params, query.limit, query.skip)
      : store.stmt(`SELECT id, doc FROM ${table} WHERE (${where}) AND id ${desc ? '<' : '>'} ? ORDER BY ${order[0]} LIMIT ?`).all(...params, after, query.limit)
  ) as { id: string; doc: string }[];
  const last = rows.at(-1);
  if (last !== undefined) store.keepPageCursor(cursorKey, query.skip + rows.length, last.id);
  return { rows, totalCount };
}

/** Paging only (limit and skip), for lists kept in one fixed order, such as the graph's. */
export function pagingOnly(params: URLSearchParams): ListQuery {
  const allowed = new URLSearchParams();
  for (const key of ['limit', 'skip']) {
    const value = params.get(key);
    if (value !== null) allowed.set(key, value);
  }
  return parseListQuery(allowed, {});
}

/** Applies a `fields` projection, always keeping the object's id. */
export function project<T extends object>(item: T, fields: string[] | undefined): Partial<T> {
  if (fields === undefined) return item;
  const keep = new Set([...fields, 'id', '_id']);
  return Object.fromEntries(Object.entries(item).filter(([key]) => keep.has(key))) as Partial<T>;
}

export interface EqualityFilter {
  /** Conditions joined by AND, never empty: it follows WHERE as it is. */
  sql: string;
  values: string[];
}

/**
 * The WHERE clause of the operator lists (the mail outbox, the webhook deliveries), which filter by
 * plain equality rather than filter=: `org_id = ?` when `orgId` is given (undefined: every org, for
 * the operator key), then `column = ?` for each parameter of `columns` the query sets to a non-empty
 * value. The column names come from the caller's code, never from the query, which supplies values only.
 */
export function equalityFilter(params: URLSearchParams, orgId: string | undefined, columns: Readonly<Record<string, string>>): EqualityFilter {
  const where: string[] = ['1 = 1'];
  const values: string[] = [];
  if (orgId !== undefined) {
    where.push('org_id = ?');
    values.push(orgId);
  }
  for (const [param, column] of Object.entries(columns)) {
    const value = params.get(param);
    if (value !== null && value !== '') {
      where.push(`${column} = ?`);
      values.push(value);
    }
  }
  return { sql: where.join(' AND '), values };
}
