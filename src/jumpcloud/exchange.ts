// What every HTTP exchange with the platform shares, for the API client and the Insights reader
// alike: the keep-alive agent with its timeouts, an answer read within a byte bound, the body as
// JSON when it is JSON, the platform's own message out of a refusal, and in words why no answer came.
import { Agent, type Dispatcher } from 'undici';
import { errorCodes } from '../retry/policy.js';

import { defaultTimeouts, type Timeouts } from './timeouts.js';

export { defaultTimeouts, type Timeouts };
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

/** What boundedBytes reads: a response body stream (undici's), which it may destroy. */
export interface AnswerBody {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  destroy(): unknown;
}

/**
 * The answer's bytes, or 'too-large' (the body is destroyed) once it passes maxBytes. Read with
 * stream events rather than an async iterator: a list page comes in several chunks, and a
 * reconcile cycle reads a hundred pages.
 */
export function boundedBytes(body: AnswerBody, maxBytes: number): Promise<Buffer | 'too-large'> {
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
    body.once('end', () => resolve(Buffer.concat(chunks, size)));
    body.once('error', (error) => {
      if (!over) reject(error);
    });
  });
}

/** The body as UTF-8 text, read as boundedBytes reads it. */
export async function boundedText(body: AnswerBody, maxBytes: number): Promise<string | 'too-large'> {
  const bytes = await boundedBytes(body, maxBytes);
  return bytes === 'too-large' ? bytes : bytes.toString('utf8');
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

/** A duration for a message: "250 ms", "30 s", "1.5 s", "2 min". */
export function spokenDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/** Why no answer came, for a person, and the undici or Node code behind it (for a debug log). */
export interface NetworkFailure {
  words: string;
  code: string | undefined;
}

// undici's and Node's codes for an exchange that got no answer, in words; the timeouts are filled in.
const NETWORK_WORDS: Record<string, (t: Timeouts) => string> = {
  UND_ERR_HEADERS_TIMEOUT: (t) => `no answer within ${spokenDuration(t.headersMs)}`,
  UND_ERR_BODY_TIMEOUT: (t) => `the answer stopped arriving: nothing more for ${spokenDuration(t.bodyMs)}`,
  UND_ERR_CONNECT_TIMEOUT: (t) => `could not connect within ${spokenDuration(t.connectMs)}`,
  ETIMEDOUT: () => 'the connection timed out',
  ECONNREFUSED: () => 'connection refused: nothing listens at that address',
  ECONNRESET: () => 'connection reset before the answer came',
  UND_ERR_SOCKET: () => 'the connection broke before the answer came',
  UND_ERR_CLOSED: () => 'the connection was closed before the answer came',
  EPIPE: () => 'the connection broke while sending',
  ENOTFOUND: () => 'the host name was not found (DNS)',
  EAI_AGAIN: () => 'the host name could not be looked up just now (DNS)',
  EHOSTUNREACH: () => 'the host is unreachable',
  ENETUNREACH: () => 'the network is unreachable',
  UND_ERR_INVALID_ARG: () => 'the request could not be sent: a header or argument is invalid',
  UND_ERR_HEADERS_OVERFLOW: () => "the answer's headers are too large",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: () => 'the answer was cut short',
  DEPTH_ZERO_SELF_SIGNED_CERT: () => 'the TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: () => 'the TLS certificate chain is not trusted (a self-signed certificate in it)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: () => 'the TLS certificate could not be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: () => "the TLS certificate's issuer is not trusted here",
  CERT_HAS_EXPIRED: () => 'the TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: () => 'the TLS certificate is for another host name',
  EPROTO: () => 'the TLS handshake failed (is the target http rather than https?)',
};

/** Says in words why an exchange got no answer, using the first code undici or Node gave that is known. */
export function describeNetworkError(error: unknown, timeouts: Timeouts): NetworkFailure {
  const codes = errorCodes(error);
  for (const code of codes) {
    const words = NETWORK_WORDS[code];
    if (words !== undefined) return { words: words(timeouts), code };
  }
  const code = codes[0];
  const reason = error instanceof Error && error.message !== '' ? error.message : (code ?? String(error));
  return { words: `no response (${reason})`, code };
}
