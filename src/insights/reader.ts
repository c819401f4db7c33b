// Reads Directory Insights, JumpCloud's event log, which lives on its own host (api.jumpcloud.com,
// not the console API): one page of events per call, with the X-Search_after cursor the answer
// carries in a header, which is why this is not a JumpCloudClient call (those return the body only).
import { request, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import {
  boundedText,
  defaultMaxAnswerBytes,
  defaultTimeouts,
  describeNetworkError,
  keepAliveAgent,
  parsedBody,
  platformMessage,
  type Timeouts,
} from '../jumpcloud/exchange.js';
import { PlatformError } from '../jumpcloud/platform-error.js';

export const DEFAULT_INSIGHTS_URL = 'https://api.jumpcloud.com';
export const eventsRoute = '/insights/directory/v1/events';
/** The most events one page may ask for (JumpCloud allows more; smaller pages bound memory). */
export const maxPageSize = 1000;
// A cursor is a short array of sort values; anything longer is not one.
const maxCursorChars = 4096;

export interface InsightsOptions {
  baseUrl: string;
  apiKey: string;
  orgId?: string | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the reader. */
  dispatcher?: Dispatcher;
  timeouts?: Timeouts;
  maxAnswerBytes?: number;
}

/** Where the Insights base URL came from, for messages that name it. */
type Source = '--insights-url' | 'JUMPCLOUD_INSIGHTS_URL';

/** Checks an Insights base URL; the message never repeats the value, which may hold a password. */
function checkedUrl(value: string, source: Source): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${source} must be an http(s) URL such as ${DEFAULT_INSIGHTS_URL}`, source);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw usageError(`${source} must be an http(s) URL such as ${DEFAULT_INSIGHTS_URL}`, source);
  }
  if (url.username !== '' || url.password !== '') {
    throw usageError(`${source} must not contain a user name or password; the key comes from JUMPCLOUD_API_KEY`, source);
  }
  if (url.search !== '' || url.hash !== '') throw usageError(`${source} must be a base URL without a query or fragment`, source);
  return url.toString().replace(/\/+$/, '');
}

/**
 * The Insights base URL and key: `--insights-url`, else JUMPCLOUD_INSIGHTS_URL (empty counts as
 * unset), else JumpCloud's own. Never the API base URL: Insights has its own host.
 */
export function insightsOptionsFromEnv(env: NodeJS.ProcessEnv, flag?: string): InsightsOptions {
  const fromEnv = env['JUMPCLOUD_INSIGHTS_URL'];
  const baseUrl =
    flag !== undefined
      ? checkedUrl(flag, '--insights-url')
      : fromEnv !== undefined && fromEnv !== ''
        ? checkedUrl(fromEnv, 'JUMPCLOUD_INSIGHTS_URL')
        : DEFAULT_INSIGHTS_URL;
  const apiKey = env['JUMPCLOUD_API_KEY'];
  if (!apiKey) throw usageError('JUMPCLOUD_API_KEY is not set: export the API key of the organisation to read', 'JUMPCLOUD_API_KEY');
  return { baseUrl, apiKey, orgId: env['JUMPCLOUD_ORG_ID'] || undefined };
}

/** The opaque cursor JumpCloud returns in X-Search_after and takes back as search_after. */
export type Cursor = readonly (string | number)[];

export interface EventQuery {
  /** Insights services, e.g. ["directory"]. */
  services: readonly string[];
  /** RFC 3339; events at or after it. */
  startTime: string;
  /** 1 to maxPageSize. */
  limit: number;
  searchAfter?: Cursor | undefined;
}

/** One event as the platform sent it; the CLI reads a few fields and prints the rest as is. */
export type InsightsEvent = Record<string, unknown>;

export interface EventPage {
  events: InsightsEvent[];
  /** The cursor after the last event of this page, when the platform sent one. */
  searchAfter: Cursor | undefined;
}

function parseCursor(header: string | string[] | undefined): Cursor | undefined | 'invalid' {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text === '') return undefined;
  if (text.length > maxCursorChars) return 'invalid';
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
      return value as (string | number)[];
    }
  } catch {
    // not JSON: reported below as not a cursor
  }
  return 'invalid';
}

export class InsightsReader {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly maxAnswerBytes: number;
  private closed = false;

  constructor(private readonly options: InsightsOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? keepAliveAgent(options.timeouts ?? defaultTimeouts);
    this.maxAnswerBytes = options.maxAnswerBytes ?? defaultMaxAnswerBytes;
  }

  /** Where events are read from, e.g. https://api.jumpcloud.com/insights/directory/v1/events. */
  get eventsUrl(): string {
    return `${this.options.baseUrl}${eventsRoute}`;
  }

  private failure(init: { status?: number; message: string; details?: unknown; cause?: unknown; networkCode?: string }): PlatformError {
    return new PlatformError({ method: 'POST', route: eventsRoute, path: this.eventsUrl, ...init });
  }

  /** One page of events, oldest first. Throws a PlatformError for a refusal, a broken answer or no answer. */
  async page(query: EventQuery, signal?: AbortSignal): Promise<EventPage> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-api-key': this.options.apiKey,
    };
    if (this.options.orgId) headers['x-org-id'] = this.options.orgId;
    const body = JSON.stringify({
      service: query.services,
      start_time: query.startTime,
      sort: 'ASC',
      limit: query.limit,
      ...(query.searchAfter === undefined ? {} : { search_after: query.searchAfter }),
    });
    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(this.eventsUrl, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.dispatcher,
        ...(signal ? { signal } : {}),
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      const read = await boundedText(response.body, this.maxAnswerBytes);
      if (read === 'too-large') throw this.failure({ message: `the answer is larger than ${this.maxAnswerBytes} bytes; ask for smaller pages` });
      text = read;
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      // In words, as the API client says it ("no answer within 30 s"), with undici's code kept for debugging.
      const { words, code } = describeNetworkError(error, this.options.timeouts ?? defaultTimeouts);
      throw this.failure({ message: words, cause: error, ...(code === undefined ? {} : { networkCode: code }) });
    }
    const parsed = parsedBody(text);
    if (status < 200 || status >= 300) throw this.failure({ status, ...platformMessage(parsed, status) });
    if (!Array.isArray(parsed) || !parsed.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
      throw this.failure({ status, message: 'the answer is not a list (JSON array) of events' });
    }
    const cursor = parseCursor(responseHeaders['x-search_after']);
    if (cursor === 'invalid') throw this.failure({ status, message: 'the X-Search_after header is not a JSON array of sort values' });
    return { events: parsed as InsightsEvent[], searchAfter: cursor };
  }

  /** Closes the keep-alive connections; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
