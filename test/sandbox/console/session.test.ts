// The console's session store: bounded, and a flood of anonymous visits never signs anybody out.
import { describe, expect, it } from 'vitest';
import { ConsoleSessions, csrfTokenMatches, maxSessions } from '../../../src/sandbox/console/session.js';

const erin = { orgId: 'o', kind: 'user' as const, id: 'u1', email: 'erin@example.com', name: 'Erin' };

describe('console sessions', () => {
  it('keeps a signed-in session through more anonymous visits than the store holds, dropping the oldest anonymous ones', () => {
    const sessions = new ConsoleSessions();
    const signedIn = sessions.create(erin);
    const first = sessions.create();
    for (let i = 0; i < maxSessions.anonymous + 10; i++) sessions.create();
    expect(sessions.get(signedIn.id)?.principal).toEqual(erin);
    expect(sessions.get(first.id)).toBeUndefined();
    expect(sessions.size).toBe(maxSessions.anonymous + 1);
  });

  it('holds at most its cap of signed-in sessions, the oldest going first', () => {
    const sessions = new ConsoleSessions();
    const oldest = sessions.create(erin);
    for (let i = 0; i < maxSessions.signedIn; i++) sessions.create(erin);
    expect(sessions.get(oldest.id)).toBeUndefined();
    expect(sessions.size).toBe(maxSessions.signedIn);
  });

  it("accepts only the session's own token", () => {
    const sessions = new ConsoleSessions();
    const a = sessions.create();
    const b = sessions.create();
    expect(csrfTokenMatches(a, a.csrfToken)).toBe(true);
    expect(csrfTokenMatches(a, b.csrfToken)).toBe(false);
    expect(csrfTokenMatches(a, undefined)).toBe(false);
  });
});
