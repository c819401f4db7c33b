// Follows the Directory Insights log page by page with the search_after cursor, and keeps that
// cursor between polls, so a follower prints every event exactly once however many pages arrive.
import type { Cursor, EventQuery, InsightsEvent, InsightsReader } from './reader.js';
import { PlatformError } from '../jumpcloud/platform-error.js';

export interface FeedOptions {
  services: readonly string[];
  startTime: string;
  pageSize: number;
}

export class EventFeed {
  private cursor: Cursor | undefined;

  constructor(
    private readonly reader: Pick<InsightsReader, 'page' | 'eventsUrl'>,
    private readonly options: FeedOptions,
  ) {}

  /**
   * Every event after the last one this feed yielded, one page at a time, until a page comes back
   * short. The cursor moves as each page is handed out, so a poll that fails half-way resumes after
   * the last page it delivered: nothing twice, nothing skipped.
   */
  async *poll(signal?: AbortSignal): AsyncGenerator<InsightsEvent[]> {
    for (;;) {
      const query: EventQuery = {
        services: this.options.services,
        startTime: this.options.startTime,
        limit: this.options.pageSize,
        searchAfter: this.cursor,
      };
      const page = await this.reader.page(query, signal);
      if (page.events.length === 0) return;
      if (page.searchAfter === undefined) {
        // Without a cursor the next poll would start again from startTime and repeat this page.
        throw new PlatformError({
          method: 'POST',
          route: '/insights/directory/v1/events',
          path: this.reader.eventsUrl,
          status: 200,
          message: 'answered events without an X-Search_after header, so the log cannot be read on from them',
        });
      }
      this.cursor = page.searchAfter;
      yield page.events;
      if (page.events.length < this.options.pageSize) return;
    }
  }
}
