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

/** The most sessions kept: anonymous ones are made by every visit to the sign-in page, so the oldest go first. */
export const maxSessions = 5000;

const token = (): string => randomBytes(32).toString('base64url');

export class ConsoleSessions {
  readonly #sessions = new Map<string, ConsoleSession>();

  get size(): number {
    return this.#sessions.size;
  }

  get(id: string | undefined): ConsoleSession | undefined {
    return id === undefined ? undefined : this.#sessions.get(id);
  }

  /** A new session, anonymous or signed in; a sign-in always makes a new one, so an id seen before it never gains a principal. */
  create(principal?: ConsolePrincipal): ConsoleSession {
    const session: ConsoleSession = { id: token(), csrfToken: token(), principal };
    if (this.#sessions.size >= maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done !== true) this.#sessions.delete(oldest.value);
    }
    this.#sessions.set(session.id, session);
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}

/** Whether a form's token is the session's, compared in constant time. */
export function csrfTokenMatches(session: ConsoleSession, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
