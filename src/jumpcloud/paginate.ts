// Reads whole collections in pages of 100 sorted by _id, for both of the platform's list styles:
// v2 group lists are bare arrays, v1 and approval-flow lists are {results, totalCount}. A list that
// ends short of its promised total is an error: the caller must treat it as unknown, never empty.
// Protobuf JSON leaves zero values out, so a results page may lack totalCount, or even results
// (an empty list is `{}`): such a list is read until a short page.
import type { JumpCloudClient } from './client.js';
import { PlatformError } from './platform-error.js';

export const PAGE_SIZE = 100;

export type ListStyle = 'array' | 'results';

export interface ListOptions {
  style: ListStyle;
  params?: Record<string, string>;
  query?: Record<string, string | readonly string[]>;
  /** Send sort=_id (default); off for endpoints that take only limit and skip. */
  sortById?: boolean;
}

/** A results-style page, with the zero values protobuf JSON omits put back: no results is none, no totalCount is unknown. */
function resultsPage(body: unknown): { results: unknown[]; totalCount: number | undefined } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { results, totalCount } = body as { results?: unknown; totalCount?: unknown };
  if (results !== undefined && !Array.isArray(results)) return undefined;
  if (totalCount !== undefined && typeof totalCount !== 'number') return undefined;
  return { results: results ?? [], totalCount };
}

export async function listAll<T>(client: JumpCloudClient, route: string, options: ListOptions): Promise<T[]> {
  const items: T[] = [];
  // The total promised by any page so far: a later page that omits it does not cancel the promise.
  let total: number | undefined;
  for (let skip = 0; ; ) {
    const sort = options.sortById === false ? {} : { sort: '_id' };
    const body = await client.get<unknown>(route, options.params, { ...options.query, limit: PAGE_SIZE, skip, ...sort });
    let page: unknown[];
    if (options.style === 'array') {
      if (!Array.isArray(body)) throw new PlatformError({ method: 'GET', route, status: 200, message: 'expected a list (JSON array)' });
      page = body;
    } else {
      const parsed = resultsPage(body);
      if (parsed === undefined) throw new PlatformError({ method: 'GET', route, status: 200, message: 'expected {results, totalCount}' });
      page = parsed.results;
      total = parsed.totalCount ?? total;
    }
    items.push(...(page as T[]));
    skip += page.length;
    const done = total === undefined ? page.length < PAGE_SIZE : skip >= total || page.length === 0;
    if (!done) continue;
    if (total !== undefined && items.length !== total) {
      throw new PlatformError({ method: 'GET', route, status: 200, message: `the list ended after ${items.length} of ${total} items` });
    }
    return items;
  }
}
