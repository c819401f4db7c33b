// What every HTTP exchange with the platform shares, for the API client and the Insights reader
// alike: the keep-alive agent with its timeouts, an answer read within a byte bound, the body as
// JSON when it is JSON, and the platform's own message out of a refusal.
import { Agent, type Dispatcher } from 'undici';

export interface Timeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export const defaultTimeouts: Timeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };
/** An answer larger than this is refused rather than held in memory. */
export const defaultMaxAnswerBytes = 32 * 1024 * 1024;

/** A keep-alive agent; its owner closes it. */
export function keepAliveAgent(timeouts: Timeouts = defaultTimeouts): Dispatcher {
  return new Agent({
    keepAliveTimeout: 10_000,
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  });
}

/** What boundedText reads: a response body stream (undici's), which it may destroy. */
export interface AnswerBody {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): unknown;
}

/**
 * The answer's text, or 'too-large' (the body is destroyed) once it passes maxBytes. Read with
 * stream events rather than an async iterator: a list page comes in several chunks, and a
 * reconcile cycle reads a hundred pages.
 */
export function boundedText(body: AnswerBody, maxBytes: number): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    body.on('data', (chunk) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        body.destroy();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    body.once('error', (error) => {
      if (!over) reject(error);
    });
  });
}

/** The body as JSON when it parses, else the text itself; undefined for an empty body. */
export function parsedBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The platform's message (and details) from a refusal's body, or the bare status. */
export function platformMessage(body: unknown, status: number): { message: string; details?: unknown } {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const message = typeof record['message'] === 'string' ? record['message'] : typeof record['error'] === 'string' ? record['error'] : undefined;
    if (message) return { message, details: record['details'] };
  }
  return { message: `HTTP ${status}` };
}
