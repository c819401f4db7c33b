// Reads whole collections in pages of 100 sorted by _id, for both of the platform's list styles:
// v2 group lists are bare arrays, v1 and approval-flow lists are {results, totalCount}. A list that
// ends short of its promised total is an error: the caller must treat it as unknown, never empty.
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

function isResultsPage(body: unknown): body is { results: unknown[]; totalCount: number } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { results?: unknown }).results) && typeof (body as { totalCount?: unknown }).totalCount === 'number';
}

export async function listAll<T>(client: JumpCloudClient, route: string, options: ListOptions): Promise<T[]> {
  const items: T[] = [];
  for (let skip = 0; ; ) {
    const sort = options.sortById === false ? {} : { sort: '_id' };
    const body = await client.get<unknown>(route, options.params, { ...options.query, limit: PAGE_SIZE, skip, ...sort });
    let page: unknown[];
    let total: number | undefined;
    if (options.style === 'array') {
      if (!Array.isArray(body)) throw new PlatformError({ method: 'GET', route, status: 200, message: 'expected a list (JSON array)' });
      page = body;
    } else {
      if (!isResultsPage(body)) throw new PlatformError({ method: 'GET', route, status: 200, message: 'expected {results, totalCount}' });
      page = body.results;
      total = body.totalCount;
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
