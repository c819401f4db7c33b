// The console's sign-in sessions: a random id in an HttpOnly, SameSite=Lax cookie, kept in memory
// server-side with who is signed in and the per-session CSRF token every form must carry. A
// sandbox restart signs everyone out, which is what a throwaway platform should do.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Who a session acts as: a seeded user, or one of the org's administrators (an admin key's identity). */
export interface ConsolePrincipal {
  orgId: string;
  kind: 'user' | 'admin';
  /** The user's id, or the admin key's id (never the key). */
  id: string;
  email: string;
  name: string;
}

export interface ConsoleSession {
  id: string;
  csrfToken: string;
  principal: ConsolePrincipal | undefined;
}

export const sessionCookie = 'accessctl_console';

/**
 * The most sessions kept, of each sort. Every visit to the sign-in page makes an anonymous one, so
 * anonymous and signed-in sessions are capped apart: a flood of visits drops the oldest anonymous
 * ones and never signs anybody out.
 */
export const maxSessions = { anonymous: 4000, signedIn: 1000 } as const;

const token = (): string => randomBytes(32).toString('base64url');

export class ConsoleSessions {
  readonly #anonymous = new Map<string, ConsoleSession>();
  readonly #signedIn = new Map<string, ConsoleSession>();

  get size(): number {
    return this.#anonymous.size + this.#signedIn.size;
  }

  get(id: string | undefined): ConsoleSession | undefined {
    return id === undefined ? undefined : (this.#signedIn.get(id) ?? this.#anonymous.get(id));
  }

  /** A new session, anonymous or signed in; a sign-in always makes a new one, so an id seen before it never gains a principal. */
  create(principal?: ConsolePrincipal): ConsoleSession {
    const session: ConsoleSession = { id: token(), csrfToken: token(), principal };
    const [kept, cap] = principal === undefined ? [this.#anonymous, maxSessions.anonymous] : [this.#signedIn, maxSessions.signedIn];
    if (kept.size >= cap) {
      const oldest = kept.keys().next();
      if (oldest.done !== true) kept.delete(oldest.value);
    }
    kept.set(session.id, session);
    return session;
  }

  delete(id: string): void {
    this.#anonymous.delete(id);
    this.#signedIn.delete(id);
  }
}

/** Whether a form's token is the session's, compared in constant time. */
export function csrfTokenMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
