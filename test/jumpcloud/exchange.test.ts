// Why no answer came, in words: undici's and Node's codes (on the error or a cause it wraps) turned
// into what a person can act on, with the timeouts quoted as durations; an unknown code is kept.
import { describe, expect, it } from 'vitest';
import { describeNetworkError, spokenDuration } from '../../src/jumpcloud/exchange.js';

const timeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 1500 };

function coded(code: string, message = 'boom', cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe('describeNetworkError', () => {
  it.each([
    ['UND_ERR_HEADERS_TIMEOUT', 'no answer within 30 s'],
    ['UND_ERR_BODY_TIMEOUT', 'the answer stopped arriving: nothing more for 1.5 s'],
    ['UND_ERR_CONNECT_TIMEOUT', 'could not connect within 10 s'],
    ['ECONNREFUSED', 'connection refused: nothing listens at that address'],
    ['ECONNRESET', 'connection reset before the answer came'],
    ['ENOTFOUND', 'the host name was not found (DNS)'],
    ['CERT_HAS_EXPIRED', 'the TLS certificate has expired'],
    ['UND_ERR_INVALID_ARG', 'the request could not be sent: a header or argument is invalid'],
  ])('%s reads "%s"', (code, words) => {
    expect(describeNetworkError(coded(code), timeouts)).toEqual({ words, code });
  });

  it('finds the code on a cause undici wrapped', () => {
    const wrapped = coded('UND_ERR_SOCKET', 'other side closed', coded('ECONNRESET'));
    expect(describeNetworkError(wrapped, timeouts)).toEqual({ words: 'the connection broke before the answer came', code: 'UND_ERR_SOCKET' });
    expect(describeNetworkError(new Error('fetch failed', { cause: coded('ECONNREFUSED') }), timeouts).code).toBe('ECONNREFUSED');
  });

  it('keeps the message of an error it has no words for', () => {
    expect(describeNetworkError(coded('E_SOMETHING_NEW', 'the flux capacitor broke'), timeouts)).toEqual({
      words: 'no response (the flux capacitor broke)',
      code: 'E_SOMETHING_NEW',
    });
    expect(describeNetworkError('odd', timeouts)).toEqual({ words: 'no response (odd)', code: undefined });
  });
});

describe('spokenDuration', () => {
  it.each([
    [50, '50 ms'],
    [1000, '1 s'],
    [1500, '1.5 s'],
    [30_000, '30 s'],
    [90_000, '90 s'],
    [120_000, '2 min'],
  ])('%d ms is "%s"', (ms, words) => {
    expect(spokenDuration(ms)).toBe(words);
  });
});
