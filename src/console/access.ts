// Who may read the reconciler's console: anyone on loopback; off loopback only a bearer of the
// ACCESSCTL_CONSOLE_TOKEN, and the reconciler refuses to start off loopback without one.
import { createHash, timingSafeEqual } from 'node:crypto';
import { usageError } from '../errors.js';
import { isLoopbackHost } from '../protocols/loopback.js';

export const CONSOLE_TOKEN_VARIABLE = 'ACCESSCTL_CONSOLE_TOKEN';

export interface ConsoleAccess {
  /** Required as `Authorization: Bearer <token>` when set. */
  token: string | undefined;
  /** On loopback, requests must name a loopback host: a page of another site resolved to 127.0.0.1 (DNS rebinding) reads nothing. */
  loopbackOnly: boolean;
}

/**
 * The access rule for a --listen host. Off loopback a token is required: its absence is a usage
 * error naming the variable and the flag. A token given on loopback is required too.
 */
export function consoleAccess(host: string, env: NodeJS.ProcessEnv): ConsoleAccess {
  const token = env[CONSOLE_TOKEN_VARIABLE];
  const given = token !== undefined && token.trim() !== '' ? token : undefined;
  const loopback = isLoopbackHost(host);
  if (!loopback && given === undefined) {
    throw usageError(
      `--listen ${host} is not a loopback address, so the console there needs a token: set ${CONSOLE_TOKEN_VARIABLE} (clients send it as "Authorization: Bearer <token>"), or listen on 127.0.0.1`,
      '--listen',
    );
  }
  return { token: given, loopbackOnly: loopback && given === undefined };
}

/** Compares the Authorization header with the token in constant time (both hashed first, so their lengths do not show). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted) && match !== null;
}
