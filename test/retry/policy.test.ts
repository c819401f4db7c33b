// Which failed tries waited out a timeout: the ones a client tries only a few times, since each
// costs a whole timeout. The code may sit on the error or on a cause undici wrapped.
import { describe, expect, it } from 'vitest';
import { isTimeout } from '../../src/retry/policy.js';

function coded(code: string, message = 'boom', cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe('isTimeout', () => {
  it('holds for the timeouts of the connection, the headers and the body, not for a refused or reset connection', () => {
    for (const code of ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']) expect(isTimeout(coded(code))).toBe(true);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']) expect(isTimeout(coded(code))).toBe(false);
    expect(isTimeout(new Error('wrapped', { cause: coded('UND_ERR_HEADERS_TIMEOUT') }))).toBe(true);
  });
});
