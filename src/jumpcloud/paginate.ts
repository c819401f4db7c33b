// Reads whole collections in pages of 100 sorted by _id, for both of the platform's list styles:
// v2 group lists are bare arrays, v1 and approval-flow lists are {results, totalCount}. A list that
// ends short of its promised total, never ends, repeats itself or holds an item of the wrong shape
// is an error: the caller must treat it as unknown, never empty.
// Protobuf JSON leaves zero values out, so a results page may lack totalCount, or even results
// (an empty list is `{}`): such a list is read until a short page.
import type { JumpCloudClient } from './client.js';
import { AccessctlError } from '../errors.js';
import { PlatformError } from './platform-error.js';

export const PAGE_SIZE = 100;

/**
 * The most items one list may hold. Generous for a real org (the largest hold tens of thousands of
 * users), and a bound on what a target that pages forever can make accessctl hold in memory.
 */
export const MAX_LIST_ITEMS = 1_000_000;

export type ListStyle = 'array' | 'results';

export interface ListOptions {
  style: ListStyle;
  params?: Record<string, string>;
  query?: Record<string, string | readonly string[]>;
  /** Send sort=_id (default); off for endpoints that take only limit and skip. */
  sortById?: boolean;
  /** Past this many items the list is an error (default MAX_LIST_ITEMS). */
  maxItems?: number;
  /**
   * Why an item does not have the shape the caller relies on, or undefined when it does. Checked
   * as each page arrives: one bad item makes the whole list unreadable, named by its index.
   */
  check?: (item: unknown) => string | undefined;
}

/** A results-style page, with the zero values protobuf JSON omits put back: no results is none, no totalCount is unknown. */
function resultsPage(body: unknown): { results: unknown[]; totalCount: number | undefined } | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { results, totalCount } = body as { results?: unknown; totalCount?: unknown };
  if (results !== undefined && !Array.isArray(results)) return undefined;
  if (totalCount !== undefined && typeof totalCount !== 'number') return undefined;
  return { results: results ?? [], totalCount };
}

/** The id an item is known by (`id`, or `_id` on v1 lists), when it has a string one. */
function itemId(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { id, _id } = item as { id?: unknown; _id?: unknown };
  return typeof id === 'string' ? id : typeof _id === 'string' ? _id : undefined;
}

/**
 * Why a page's items are not the list's next items (`read` came before them), or undefined; adds
 * their ids to `seen`. A function of its own, so that its loop, over every item of every list, is
 * optimised apart from readPages, whose code V8 drops when the pages of a plan die.
 */
function pageProblem(page: readonly unknown[], read: number, seen: Set<string>, check: ListOptions['check']): string | undefined {
  for (let i = 0; i < page.length; i++) {
    const item = page[i];
    const problem = check?.(item);
    if (problem !== undefined) return `item ${read + i}: ${problem}`;
    const id = itemId(item);
    if (id === undefined) continue;
    if (seen.has(id))
      return `item ${read + i} repeats the id ${JSON.stringify(id.slice(0, 64))} of an earlier item: the list repeats or changed while it was read`;
    seen.add(id);
  }
  return undefined;
}

/** One page of a list as it came: its items (checked), the list index of the first, and the page's bytes. */
export interface ListPage {
  items: readonly unknown[];
  first: number;
  bytes: Buffer;
}

/**
 * Reads a list page by page, handing each page to `onPage` once its items are checked (shape,
 * repeated ids, the bounds), before the next is asked for. Resolves with the number of items read;
 * rejects, as listAll does, when the list is not the whole list.
 */
export async function readPages(
  client: JumpCloudClient,
  route: string,
  options: ListOptions,
  onPage: (page: ListPage) => void | Promise<void>,
): Promise<number> {
  const maxItems = options.maxItems ?? MAX_LIST_ITEMS;
  const fail = (message: string): PlatformError => new PlatformError({ method: 'GET', route, status: 200, message });
  let read = 0;
  // Ids seen so far: a page that brings one back means the target repeats itself (or the list
  // moved under the skip cursor); either way what was read is not the list.
  const seen = new Set<string>();
  // The total promised by any page so far: a later page that omits it does not cancel the promise.
  let total: number | undefined;
  for (let skip = 0; ; ) {
    const sort = options.sortById === false ? {} : { sort: '_id' };
    const { body, bytes } = await client.getWithBytes<unknown>(route, options.params, { ...options.query, limit: PAGE_SIZE, skip, ...sort });
    let page: unknown[];
    if (options.style === 'array') {
      if (!Array.isArray(body)) throw fail('expected a list (JSON array)');
      page = body;
    } else {
      const parsed = resultsPage(body);
      if (parsed === undefined) throw fail('expected {results, totalCount}');
      page = parsed.results;
      total = parsed.totalCount ?? total;
      if (total !== undefined && total > maxItems) throw fail(`the list promises ${total} items, more than the ${maxItems} accessctl reads`);
    }
    if (read + page.length > maxItems) throw fail(`the list did not end after ${maxItems} items`);
    const problem = pageProblem(page, read, seen, options.check);
    if (problem !== undefined) throw fail(problem);
    await onPage({ items: page, first: read, bytes });
    read += page.length;
    skip += page.length;
    const done = total === undefined ? page.length < PAGE_SIZE : skip >= total || page.length === 0;
    if (!done) continue;
    if (total !== undefined && read !== total) throw fail(`the list ended after ${read} of ${total} items`);
    return read;
  }
}

/** The items of a page's bytes, as readPages read them: the re-read of an item it did not keep. */
export function pageItems(bytes: Buffer, style: ListStyle): readonly unknown[] {
  const body: unknown = JSON.parse(bytes.toString('utf8'));
  const items = style === 'array' ? body : resultsPage(body)?.results;
  if (!Array.isArray(items)) throw new AccessctlError('internal', 'a list page read before no longer parses as one');
  return items;
}

/** Every item of a list, in order (see readPages). */
export async function listAll<T>(client: JumpCloudClient, route: string, options: ListOptions): Promise<T[]> {
  const items: T[] = [];
  await readPages(client, route, options, (page) => {
    for (let i = 0; i < page.items.length; i++) items.push(page.items[i] as T);
  });
  return items;
}
