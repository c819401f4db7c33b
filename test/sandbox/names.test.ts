// Names the config can express: approval flows, user groups and webhook channels refuse control,
// zero-width and text-direction characters and surrounding spaces (400), and a second object whose
// name is the same after Unicode NFC and case-folding (409), on create and on rename alike.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations } from '../../src/sandbox/migrations.js';
import { githubAdminFlow, startHarness, type Harness } from './harness.js';

type ErrorBody = { message: string; details?: { field: string; message: string }[] };

const badNames: [string, string][] = [
  ['a leading space', ' GitHub'],
  ['a trailing space', 'GitHub '],
  ['a tab', 'Git\thub'],
  ['a newline', 'Git\nhub'],
  ['a zero-width space', 'Git\u200Bhub'],
  ['a zero-width joiner', 'Git\u200Dhub'],
  ['a right-to-left override', 'Git\u202Ehub'],
  ['a byte order mark', '\uFEFFGitHub'],
  ['a line separator', 'Git\u2028hub'],
  ['a no-break space at the end', 'GitHub\u00A0'],
];

describe('names the config can express', () => {
  let h: Harness;
  let kinds: { what: string; path: string; body: (name: string) => Promise<Record<string, unknown>>; maxLength: number }[];
  beforeAll(async () => {
    h = await startHarness();
    kinds = [
      { what: 'approval flow', path: '/api/v2/approvalflows', body: (name) => githubAdminFlow(h, { name }), maxLength: 100 },
      { what: 'user group', path: '/api/v2/usergroups', body: async (name) => ({ name }), maxLength: 255 },
      {
        what: 'webhook channel',
        path: '/api/v2/notifications/webhook/channels',
        body: async (name) => ({ name, url: 'https://hooks.example.com/in' }),
        maxLength: 100,
      },
    ];
  });
  afterAll(async () => {
    await h.close();
  });

  it.each(badNames)('refuses a name with %s, for flows, user groups and channels', async (_what, name) => {
    for (const kind of kinds) {
      const answer = await h.call<ErrorBody>('POST', kind.path, await kind.body(name));
      expect(answer.status, `${kind.what} ${JSON.stringify(name)}`).toBe(400);
      expect(answer.body.details).toEqual([
        { field: 'name', message: 'must not start or end with a space, nor hold a control, zero-width or text-direction character' },
      ]);
    }
  });

  it('refuses a name one character too long', async () => {
    for (const kind of kinds) {
      expect((await h.call('POST', kind.path, await kind.body('n'.repeat(kind.maxLength + 1)))).status, kind.what).toBe(400);
      const fits = await h.call<{ id: string }>('POST', kind.path, await kind.body(`${kind.what} ${'n'.repeat(kind.maxLength - kind.what.length - 1)}`));
      expect(fits.status, kind.what).toBeLessThan(300);
    }
  });

  it.each([
    ['only in case', 'dup case', 'DUP CASE'],
    ['only in Unicode form (NFC beside NFD)', 'Caf\u00E9 Team', 'Cafe\u0301 Team'],
    ['in case and form', 'Stra\u00DFe', 'STRASSE'],
  ])('refuses a second name that differs %s, with 409 naming the first', async (_how, first, second) => {
    for (const kind of kinds) {
      const created = await h.call<{ id: string }>('POST', kind.path, await kind.body(`${first} ${kind.what}`));
      expect(created.status, kind.what).toBeLessThan(300);
      const again = await h.call<ErrorBody>('POST', kind.path, await kind.body(`${second} ${kind.what}`));
      expect(again.status, kind.what).toBe(409);
      expect(again.body.message).toContain(`named "${first} ${kind.what}" already exists`);
      expect(again.body.message).toContain('the same name once Unicode-normalised (NFC) and case-folded');
    }
  });

  it('refuses a rename onto another name in another case, and lets an object change the case of its own name', async () => {
    for (const kind of kinds) {
      const taken = await h.call<{ id: string }>('POST', kind.path, await kind.body(`Taken ${kind.what}`));
      const mover = await h.call<{ id: string }>('POST', kind.path, await kind.body(`Mover ${kind.what}`));
      expect(
        [taken.status, mover.status].every((s) => s < 300),
        kind.what,
      ).toBe(true);
      const body = await kind.body(`TAKEN ${kind.what.toUpperCase()}`);
      const { category: _c, resourceType: _r, ...put } = body;
      expect((await h.call('PUT', `${kind.path}/${mover.body.id}`, put)).status, kind.what).toBe(409);
      const own = await kind.body(`MOVER ${kind.what.toUpperCase()}`);
      const { category: _c2, resourceType: _r2, ...ownPut } = own;
      expect((await h.call('PUT', `${kind.path}/${mover.body.id}`, ownPut)).status, kind.what).toBe(200);
    }
  });
});

describe('name keys for a database from before them', () => {
  it('fills the key of every stored name, so an old name blocks its case variant', () => {
    const db = new Database(':memory:');
    migrate(db, '2026-01-01T00:00:00.000Z', migrations.slice(0, 4));
    db.prepare("INSERT INTO orgs (id, name, created_at) VALUES ('o1', 'Org', 'now')").run();
    db.prepare("INSERT INTO approval_flows (id, org_id, name, doc) VALUES ('f1', 'o1', 'Caf\u00E9 Admins', '{}')").run();
    db.prepare("INSERT INTO user_groups (id, org_id, name, doc) VALUES ('g1', 'o1', 'Stra\u00DFe', '{}')").run();
    migrate(db, '2026-01-02T00:00:00.000Z');
    expect(db.prepare('SELECT name_key FROM approval_flows').pluck().all()).toEqual(['caf\u00E9 admins']);
    expect(db.prepare('SELECT name_key FROM user_groups').pluck().all()).toEqual(['strasse']);
    db.close();
  });
});
