// Reads Directory Insights, JumpCloud's event log, which lives on its own host (api.jumpcloud.com,
// not the console API): one page of events per call, with the X-Search_after cursor the answer
// carries in a header, which is why this is not a JumpCloudClient call (those return the body only).
import { Agent, request, type Dispatcher } from 'undici';
import { usageError } from '../errors.js';
import { PlatformError } from '../jumpcloud/platform-error.js';

export const DEFAULT_INSIGHTS_URL = 'https://api.jumpcloud.com';
export const eventsRoute = '/insights/directory/v1/events';
/** The most events one page may ask for (JumpCloud allows more; smaller pages bound memory). */
export const maxPageSize = 1000;
/** An answer larger than this is refused rather than held in memory. */
export const defaultMaxAnswerBytes = 32 * 1024 * 1024;
// A cursor is a short array of sort values; anything longer is not one.
const maxCursorChars = 4096;

export interface InsightsOptions {
  baseUrl: string;
  apiKey: string;
  orgId?: string | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the reader. */
  dispatcher?: Dispatcher;
  timeouts?: { connectMs: number; headersMs: number; bodyMs: number };
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

function platformMessage(body: unknown, status: number): { message: string; details?: unknown } {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const message = typeof record['message'] === 'string' ? record['message'] : typeof record['error'] === 'string' ? record['error'] : undefined;
    if (message) return { message, details: record['details'] };
  }
  return { message: `HTTP ${status}` };
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
    const timeouts = options.timeouts ?? { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 10_000,
        connectTimeout: timeouts.connectMs,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
      });
    this.maxAnswerBytes = options.maxAnswerBytes ?? defaultMaxAnswerBytes;
  }

  /** Where events are read from, e.g. https://api.jumpcloud.com/insights/directory/v1/events. */
  get eventsUrl(): string {
    return `${this.options.baseUrl}${eventsRoute}`;
  }

  private failure(init: { status?: number; message: string; details?: unknown; cause?: unknown }): PlatformError {
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
      text = await this.boundedText(response.body);
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      const code = (error as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
      throw this.failure({ message: `no response (${reason})`, cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (status < 200 || status >= 300) throw this.failure({ status, ...platformMessage(parsed, status) });
    if (!Array.isArray(parsed) || !parsed.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
      throw this.failure({ status, message: 'the answer is not a list (JSON array) of events' });
    }
    const cursor = parseCursor(responseHeaders['x-search_after']);
    if (cursor === 'invalid') throw this.failure({ status, message: 'the X-Search_after header is not a JSON array of sort values' });
    return { events: parsed as InsightsEvent[], searchAfter: cursor };
  }

  private async boundedText(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxAnswerBytes) {
        body.destroy();
        throw this.failure({ message: `the answer is larger than ${this.maxAnswerBytes} bytes; ask for smaller pages` });
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Closes the keep-alive connections; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
